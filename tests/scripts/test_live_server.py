"""scripts/live_server.py: the server start, health wait and stop shared by the browser tests and the bench.

The real ``scripts/serve.py`` is started by every browser journey; here a tiny
stand-in server (or one that exits at once) shows the wait, the failure and the stop
in well under a second.
"""

from __future__ import annotations

import os
import sys
import urllib.request
from pathlib import Path

import pytest

from scripts import live_server

# Answers every GET with 200 and the store it was given, like /_stcore/health answers once up.
HEALTHY_STAND_IN = """
import http.server, os, sys
class Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = os.environ["RMO_DATABASE_URL"].encode()
        self.send_response(200); self.end_headers(); self.wfile.write(body)
    def log_message(self, *args): pass
print("stand-in up", flush=True)
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Answer).serve_forever()
"""


def test_the_command_is_the_one_readme_gives_on_loopback() -> None:
    port = live_server.free_port()
    command = live_server.serve_command(port)
    assert command[:2] == [sys.executable, "scripts/serve.py"]
    assert command[command.index("--server.port") + 1] == str(port)
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    assert (live_server.ROOT / command[1]).is_file()


def test_a_server_is_waited_for_given_the_store_and_stopped(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live_server, "serve_command",
                        lambda port: [sys.executable, "-c", HEALTHY_STAND_IN, str(port)])
    log = tmp_path / "server.log"
    with live_server.running_server("sqlite:///somewhere.sqlite", log, wait_s=30) as server:
        base_url, pid = server  # the bench reads it as a pair
        assert base_url == server.base_url and base_url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=5) as response:
            assert response.read() == b"sqlite:///somewhere.sqlite"
        os.kill(pid, 0)  # running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # stopped and reaped
    assert "stand-in up" in log.read_text()


def test_a_server_that_exits_is_reported_with_its_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live_server, "serve_command",
                        lambda port: [sys.executable, "-c", "print('no store'); raise SystemExit(3)"])
    log = tmp_path / "server.log"
    with pytest.raises(live_server.ServerDidNotStart, match=r"exited with status 3 .*server\.log"):
        with live_server.running_server("sqlite:///x.sqlite", log, wait_s=30):
            pytest.fail("the block must not run")
    assert "no store" in log.read_text()


def test_a_server_that_never_answers_is_stopped_after_the_wait(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live_server, "serve_command",
                        lambda port: [sys.executable, "-c", "import time; time.sleep(60)"])
    with pytest.raises(live_server.ServerDidNotStart, match=r"within 0.5 s"):
        with live_server.running_server("sqlite:///x.sqlite", tmp_path / "server.log", wait_s=0.5):
            pytest.fail("the block must not run")


def test_another_script_is_started_the_same_way() -> None:
    port = live_server.free_port()
    app = live_server.serve_command(port)
    other = live_server.serve_command(port, "bench/trivial_app.py")
    assert other[:5] == [sys.executable, "-m", "streamlit", "run", "bench/trivial_app.py"]
    # Every option after the script is the app's own: the same port, address and settings.
    assert other[5:] == app[2:]
    assert (live_server.ROOT / other[4]).is_file()


def test_another_script_runs_from_the_folder_given_with_its_path_from_the_repository(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bench's floor runs from a folder without the app's .streamlit/config.toml (stock settings)."""
    cwd_stand_in = HEALTHY_STAND_IN.replace('os.environ["RMO_DATABASE_URL"].encode()',
                                            '(os.getcwd() + " " + sys.argv[2]).encode()')
    monkeypatch.setattr(live_server, "serve_command",
                        lambda port, script=None: [sys.executable, "-c", cwd_stand_in, str(port), str(script)])
    with live_server.running_server("sqlite:///x.sqlite", tmp_path / "server.log", script="bench/floor_app.py",
                                    cwd=tmp_path, wait_s=30) as server:
        with urllib.request.urlopen(f"{server.base_url}/_stcore/health", timeout=5) as response:
            folder, script = response.read().decode().split(" ")
    assert Path(folder) == tmp_path
    # Given from the repository's root, the script is still found from the other folder.
    assert Path(script) == live_server.ROOT / "bench" / "floor_app.py" and Path(script).is_file()
