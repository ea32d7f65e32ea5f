"""Forty phones opening the join link at once: the page and the files it names, straight and through nginx.

A first visit downloads ``index.html`` and every script, style sheet, font and
icon it references (``asset_paths``); Streamlit 1.67 serves ``/static`` without
compression (``starlette_gzip_middleware``: it would recompress on every hit)
and marks it immutable, so the first visit of each phone pays the whole bundle.
``first_visits`` makes ``n`` such visits at the same moment with plain HTTP
GETs (six connections per visit, as a browser opens per host, keep-alive,
``Accept-Encoding: gzip, deflate, br`` as Chromium sends) and reports the time
and the bytes on the wire.  ``NginxFront`` runs nginx with ``deploy/nginx.conf``
in front of the same server (its own prefix folder, loopback port, a copy of
Streamlit's static folder with ``.gz`` files beside each text file, as
``deploy/README.md`` tells), so the same visits can be measured through it.
Lazily loaded chunks (a slider's code, say) come after the page has started
and are not part of these visits.
"""

from __future__ import annotations

import gzip
import http.client
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
WIFI_MBIT_S = 50.0  # a room's shared Wi-Fi, for the arithmetic of what the bytes would take there
BROWSER_CONNECTIONS = 6  # Chromium's connections per host over HTTP/1.1
ACCEPT = "gzip, deflate, br"
COMPRESSIBLE = (".js", ".css", ".html", ".json", ".svg", ".map", ".txt", ".ttf", ".woff")  # not woff2/png
# What deploy/nginx.conf says for a real host, replaced by the bench's own ports and folder.
CONF_LISTEN, CONF_UPSTREAM, CONF_ROOT = "listen 80;", "server 127.0.0.1:8501;", "root /srv/rmo/www;"


class _Assets(HTMLParser):
    """Collects what a browser fetches while parsing the page: scripts, style sheets, preloads, icons."""

    FETCHED_RELS: ClassVar[frozenset[str]] = frozenset({"stylesheet", "modulepreload", "preload", "icon",
                                                        "shortcut icon"})

    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.paths.append(a["src"] or "")
        elif tag == "link" and a.get("href") and (a.get("rel") or "").lower() in self.FETCHED_RELS:
            self.paths.append(a["href"] or "")


def asset_paths(index_html: str) -> list[str]:
    """Server paths (``/static/js/…``) of the files the page references, in order, without repeats."""
    parser = _Assets()
    parser.feed(index_html)
    return list(dict.fromkeys("/" + p.removeprefix("./").lstrip("/") for p in parser.paths
                              if not p.startswith(("http:", "https:", "//", "data:"))))


@dataclass
class Visits:
    """``n`` simultaneous first visits: wall time of all, per-visit times, bytes on the wire."""

    n: int
    files_per_visit: int
    wall_s: float
    visit_s: list[float] = field(default_factory=list)
    wire_bytes: int = 0  # bodies as sent (compressed when the server compressed them)
    gzip_share: float = 0.0  # share of responses that came compressed
    errors: list[str] = field(default_factory=list)

    @property
    def p95_s(self) -> float:
        ordered = sorted(self.visit_s)
        return ordered[max(0, -(-95 * len(ordered) // 100) - 1)] if ordered else float("nan")


def _get(conn: http.client.HTTPConnection, path: str) -> tuple[int, int, bool]:
    conn.request("GET", path, headers={"Accept-Encoding": ACCEPT, "User-Agent": "rmo-bench"})
    response = conn.getresponse()
    body = response.read()
    return response.status, len(body), response.getheader("Content-Encoding") == "gzip"


def first_visits(base_url: str, page: str, n: int = 40) -> Visits:
    """``n`` first visits of ``base_url + page`` at the same moment; each fetches the page, then its files."""
    host, port = urlsplit(base_url).hostname or "127.0.0.1", urlsplit(base_url).port or 80
    probe = http.client.HTTPConnection(host, port, timeout=60)
    probe.request("GET", page)
    paths = asset_paths(probe.getresponse().read().decode("utf-8", "replace"))
    probe.close()
    start = threading.Barrier(n)
    lock = threading.Lock()
    out = Visits(n, 1 + len(paths), 0.0)
    compressed = [0, 0]

    def visit(_: int) -> None:
        conns = [http.client.HTTPConnection(host, port, timeout=120) for _ in range(BROWSER_CONNECTIONS)]
        start.wait()
        began = time.perf_counter()
        try:
            results = [_get(conns[0], page)]
            queues = [paths[i::BROWSER_CONNECTIONS] for i in range(BROWSER_CONNECTIONS)]
            with ThreadPoolExecutor(BROWSER_CONNECTIONS) as pool:
                for got in pool.map(lambda q: [_get(conns[q], p) for p in queues[q]], range(BROWSER_CONNECTIONS)):
                    results += got
            took = time.perf_counter() - began
            with lock:
                out.visit_s.append(took)
                out.wire_bytes += sum(size for _, size, _ in results)
                compressed[0] += sum(1 for *_, gz in results if gz)
                compressed[1] += len(results)
                out.errors += [f"HTTP {status}" for status, _, _ in results if status != 200][:3]
        except OSError as err:
            with lock:
                out.errors.append(f"{type(err).__name__}: {err}")
        finally:
            for conn in conns:
                conn.close()

    began = time.perf_counter()
    with ThreadPoolExecutor(n) as pool:
        list(pool.map(visit, range(n)))
    out.wall_s = time.perf_counter() - began
    out.gzip_share = compressed[0] / compressed[1] if compressed[1] else 0.0
    return out


NGINX_CACHE = "public, max-age=31536000, immutable"  # deploy/nginx.conf's header (Streamlit orders it otherwise)


def served_from_disk(front_url: str, path: str) -> bool:
    """True when nginx answered ``path`` itself (its own Cache-Control), not through the app."""
    parts = urlsplit(front_url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=30)
    try:
        conn.request("GET", path, headers={"Accept-Encoding": ACCEPT})
        response = conn.getresponse()
        response.read()
        return response.getheader("Cache-Control") == NGINX_CACHE
    finally:
        conn.close()


def describe(v: Visits) -> str:
    """One line: wall time, per-visit median and p95, megabytes on the wire."""
    med = statistics.median(v.visit_s) if v.visit_s else float("nan")
    return (f"{v.n} visits × {v.files_per_visit} files: all done in {v.wall_s:.2f} s, per visit median "
            f"{med:.2f} s, p95 {v.p95_s:.2f} s, {v.wire_bytes / 1e6:.1f} MB on the wire "
            f"({v.gzip_share:.0%} of responses gzipped; ≥ {v.wire_bytes * 8 / 1e6 / WIFI_MBIT_S:.0f} s "
            f"on {WIFI_MBIT_S:g} Mbit/s Wi-Fi){'; errors: ' + ', '.join(v.errors[:3]) if v.errors else ''}")


# --- nginx in front ---------------------------------------------------------------------------------

def precompressed_copy(target: Path) -> Path:
    """Streamlit's static folder copied to ``target``, with a ``.gz`` (level 9) beside each text file."""
    import streamlit

    shutil.copytree(Path(streamlit.__file__).parent / "static", target)
    for path in target.rglob("*"):
        if path.is_file() and path.suffix in COMPRESSIBLE:
            with path.open("rb") as src, gzip.open(f"{path}.gz", "wb", compresslevel=9) as dst:
                shutil.copyfileobj(src, dst)
    return target


def render_site(upstream_port: int, listen_port: int, www: Path) -> str:
    """deploy/nginx.conf with the bench's loopback ports and static folder (it must still say the defaults)."""
    text = NGINX_CONF.read_text()
    for needle in (CONF_LISTEN, CONF_UPSTREAM, CONF_ROOT):
        if needle not in text:
            raise RuntimeError(f"deploy/nginx.conf no longer says {needle!r}: update bench/room_static.py")
    return (text.replace(CONF_LISTEN, f"listen 127.0.0.1:{listen_port};")
            .replace(CONF_UPSTREAM, f"server 127.0.0.1:{upstream_port};")
            .replace(CONF_ROOT, f"root {www};"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def nginx_front(upstream_url: str) -> Iterator[str]:
    """Run nginx (``deploy/nginx.conf``) on a loopback port in front of ``upstream_url``; yield its address.

    Its folder is a temporary one of its own, readable by nginx's worker (which does not run
    as root): a folder it cannot read makes every ``try_files`` fall back to the app.
    """
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise FileNotFoundError("nginx is not installed (apt-get install nginx)")
    folder = Path(tempfile.mkdtemp(prefix="rmo-nginx-"))
    folder.chmod(0o755)
    www = precompressed_copy(folder / "www")
    port = _free_port()
    (folder / "site.conf").write_text(render_site(urlsplit(upstream_url).port or 80, port, www))
    (folder / "nginx.conf").write_text(f"""worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    include {folder}/site.conf;
}}
""")
    process = subprocess.Popen([nginx, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=(folder / "stderr.log").open("w"))
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"nginx exited: {(folder / 'stderr.log').read_text()[-500:]}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("nginx did not listen within 20 s")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGQUIT)  # graceful stop of this nginx only (its own pid)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)
