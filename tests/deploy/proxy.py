"""The compose file's nginx site on this machine: rendered for loopback ports, checked and run by real nginx.

``render_site`` turns ``deploy/nginx-compose.conf`` into the same site with
the app servers on loopback ports, nginx on a loopback port and the frontend
files in a folder of the test's own; it refuses a configuration that no longer
says what it replaces, so the tests never check a file other than the one
compose mounts.  ``running_nginx`` runs nginx with that site in a prefix folder
of its own and an access log that names, for every request, the upstream
server that answered it and the route it was hashed by; its process is
stopped by its own id.

``nginx_binary`` finds nginx, skips the test when it is missing, or fails it
under ``CI=true`` (scripts/test.sh installs nginx), like the PostgreSQL tests.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "deploy" / "nginx-compose.conf"
CONF_LISTEN = "listen 80;"
# The app servers' lines: "server app1:8501 ...", "server app2:8501 ..." (one per compose service).
CONF_UPSTREAM = re.compile(r"^    server (app\d+):(\d+) max_fails=2 fail_timeout=10s;$", re.MULTILINE)
CONF_ROOT = "root /srv/rmo/www;"
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
# One line per request: who answered, the route it was hashed by, the status and the request line.
LOG_FORMAT = "$upstream_addr|$rmo_route|$status|$request"


class Logged(NamedTuple):
    """One request from nginx's access log."""

    upstream: str
    route: str
    status: int
    request: str


class Nginx(NamedTuple):
    """A running nginx: its address and its access log."""

    base_url: str
    log: Path

    def requests(self) -> list[Logged]:
        """Every request logged so far (nginx writes a line when a request ends)."""
        if not self.log.exists():
            return []
        out = []
        for line in self.log.read_text().splitlines():
            upstream, route, status, request = line.split("|", 3)
            out.append(Logged(upstream, route, int(status), request))
        return out


def nginx_binary() -> str:
    """The nginx executable; the test is skipped without one, or fails under CI=true."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:
        message = "nginx is not installed (apt-get install -y nginx; scripts/test.sh installs it)"
        if IN_CI:
            pytest.fail(message + " (CI=true: the proxy tests are required)", pytrace=False)
        pytest.skip(message)
    return found


def free_port() -> int:
    """A loopback TCP port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def render_site(upstream_ports: Sequence[int], listen_port: int, www: Path, text: str | None = None) -> str:
    """deploy/nginx-compose.conf with loopback app servers, a loopback listener and ``www`` as the root."""
    text = SITE.read_text() if text is None else text
    for needle in (CONF_LISTEN, CONF_ROOT):
        if needle not in text:
            raise AssertionError(f"deploy/nginx-compose.conf no longer says {needle!r}: update tests/deploy/proxy.py")
    servers = CONF_UPSTREAM.findall(text)
    if len(servers) != len(upstream_ports):
        raise AssertionError(f"deploy/nginx-compose.conf names {len(servers)} app servers in the form "
                             f"'server appN:PORT max_fails=2 fail_timeout=10s;', not {len(upstream_ports)}: "
                             "update tests/deploy/proxy.py")
    ports = iter(upstream_ports)
    text = CONF_UPSTREAM.sub(lambda m: m.group(0).replace(f"{m.group(1)}:{m.group(2)}", f"127.0.0.1:{next(ports)}"), text)
    return text.replace(CONF_LISTEN, f"listen 127.0.0.1:{listen_port};").replace(CONF_ROOT, f"root {www};")


def app_servers(text: str | None = None) -> list[tuple[str, int]]:
    """(name, port) of each app server the site sends to."""
    return [(name, int(port)) for name, port in CONF_UPSTREAM.findall(SITE.read_text() if text is None else text)]


def main_conf(folder: Path) -> str:
    """nginx's main file around the site, as the nginx image's nginx.conf includes conf.d/*.conf."""
    return f"""worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    include {folder}/site.conf;
    log_format routes '{LOG_FORMAT}';
    access_log {folder}/access.log routes;
}}
"""


def check_config(nginx: str, folder: Path, site: str) -> subprocess.CompletedProcess[str]:
    """``nginx -t`` on ``site`` inside the main file of ``main_conf``."""
    (folder / "site.conf").write_text(site)
    (folder / "nginx.conf").write_text(main_conf(folder))
    return subprocess.run([nginx, "-t", "-p", str(folder), "-c", str(folder / "nginx.conf")],
                          capture_output=True, text=True, check=False)


def readable_folder(prefix: str) -> Path:
    """A new folder under /tmp that nginx's worker (another user) can read: pytest's own are owner-only."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(0o755)
    return folder


@contextmanager
def running_nginx(upstream_ports: Sequence[int], www: Path | None = None) -> Iterator[Nginx]:
    """nginx with the compose site in front of ``upstream_ports`` until the block ends."""
    nginx = nginx_binary()
    folder = readable_folder("rmo-deploy-nginx-")
    try:
        www = www or folder / "www"
        www.mkdir(exist_ok=True)
        port = free_port()
        checked = check_config(nginx, folder, render_site(upstream_ports, port, www))
        assert checked.returncode == 0, checked.stderr
        stderr = (folder / "stderr.log").open("w")
        process = subprocess.Popen([nginx, "-p", str(folder), "-c", str(folder / "nginx.conf"),
                                    "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            deadline = time.monotonic() + 20
            while True:
                if process.poll() is not None:
                    raise AssertionError(f"nginx exited: {(folder / 'stderr.log').read_text()[-500:]}")
                with socket.socket() as sock:
                    if sock.connect_ex(("127.0.0.1", port)) == 0:
                        break
                if time.monotonic() > deadline:
                    raise AssertionError("nginx did not listen within 20 s")
                time.sleep(0.05)
            yield Nginx(f"http://127.0.0.1:{port}", folder / "access.log")
        finally:
            process.send_signal(signal.SIGQUIT)  # graceful stop of this nginx only (its own pid)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            stderr.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def wait_for(condition: Callable[[], bool], timeout_s: float = 20.0, what: str = "the condition") -> None:
    """Poll ``condition()`` until it is true; AssertionError naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout_s:g} s")
        time.sleep(0.05)
