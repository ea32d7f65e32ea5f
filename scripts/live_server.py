"""The app's real server for a browser test or a measurement: ``python scripts/serve.py`` on a free port.

Used by the browser tests (``tests/browser/conftest.py``) and the benchmark
(``bench/run.py``): both start the server exactly as README tells users to,
wait until it answers, and stop it afterwards.  It lives here, beside
``serve.py`` which it starts, rather than in ``tests/``: the benchmark is not
a test and must not depend on the test suite or pytest, and this module needs
only the standard library, so ``python bench/run.py`` imports it as it is.
Each caller keeps its own way of failing (the tests call ``pytest.fail``).

It waits on streamlit's ``/_stcore/health`` only, i.e. until the server
answers.  When a page has finished drawing is the caller's business: the
browser tests watch Streamlit's own run state in the page
(``tests/browser/conftest.py``: ``WATCH_RUNS`` and ``SETTLED``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"  # loopback only: nothing else on the machine's network reaches a test server
STOP_WAIT_S = 20  # after this a server that ignores SIGTERM is killed
# Debian's Chromium as the benchmarks start it: no background traffic (this machine's network is closed).
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


class ServerDidNotStart(RuntimeError):
    """The server exited, or did not answer its health check in time (the message names its log)."""


class RunningServer(NamedTuple):
    """A started server: its base address and process id (``base_url, pid = server`` works too)."""

    base_url: str
    pid: int


def free_port() -> int:
    """A TCP port on the loopback address that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


SERVER_OPTIONS = ("--server.address", HOST, "--server.headless", "true",
                  "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none")


def serve_command(port: int, script: str | None = None) -> list[str]:
    """The command README gives users (``python scripts/serve.py``), headless on ``port``.

    With ``script`` (a path from the repository root), that script is run the
    same way with ``streamlit run`` and the same options instead: the
    benchmark's trivial app, measured beside the real one.
    """
    start = ["scripts/serve.py"] if script is None else ["-m", "streamlit", "run", script]
    return [sys.executable, *start, "--server.port", str(port), *SERVER_OPTIONS]


def _healthy(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextmanager
def running_server(db_url: str, log_path: Path, *, wait_s: float = 60.0,
                   script: str | None = None, cwd: Path | None = None) -> Iterator[RunningServer]:
    """Run the app on the store at ``db_url`` until the block ends; its output goes to ``log_path``.

    ``script`` runs another Streamlit script the same way (``serve_command``);
    ``cwd`` runs it from another folder, so it reads that folder's
    ``.streamlit/config.toml`` (none: Streamlit's stock settings) instead of the app's.

    The server inherits this process's environment (``RMO_USERS_FILE`` among
    it) with ``RMO_DATABASE_URL`` set to ``db_url``.  Raises
    ``ServerDidNotStart`` when it exits or does not answer within ``wait_s``
    seconds; it is stopped in every case.
    """
    port = free_port()
    env = {**os.environ, "RMO_DATABASE_URL": db_url}
    base_url = f"http://{HOST}:{port}"
    with log_path.open("w") as log:
        # Called with the port alone for the app, so a stand-in command (the tests') still fits.
        command = serve_command(port) if script is None else serve_command(port, str(ROOT / script))
        process = subprocess.Popen(command, cwd=cwd or ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + wait_s
            while not _healthy(base_url):
                if process.poll() is not None:
                    raise ServerDidNotStart(f"streamlit exited with status {process.returncode} before "
                                            f"answering on /_stcore/health; see {log_path}")
                if time.monotonic() > deadline:
                    raise ServerDidNotStart(f"streamlit did not answer on /_stcore/health within "
                                            f"{wait_s:g} s; see {log_path}")
                time.sleep(0.2)
            yield RunningServer(base_url, process.pid)
        finally:
            process.terminate()
            try:
                process.wait(timeout=STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
