"""The image's entry command run directly on this machine, with the environment compose gives the app.

``python scripts/container.py serve`` (the Dockerfile's ENTRYPOINT and CMD)
is started by ``scripts/live_server.py`` on the test's own store, with
compose.yaml's variables for an app server (tests/deploy/compose_env.py):
the secrets come from files, the users and sign-in state from a state folder.
It must answer Streamlit's health check, pass the image's own HEALTHCHECK
command, run the app's first page over the websocket, and hold the secrets in
the variables the app reads, and no ``*_FILE`` variable any more.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bench.st_client import StreamlitClient
from scripts import live_server
from tests.deploy import compose_env

pytestmark = pytest.mark.slow  # starts the real app server

ROOT = Path(__file__).resolve().parents[2]


def _environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode().split("\0") if "=" in item)


def test_the_entry_command_serves_the_app_with_the_secrets_from_files(store_copy_url: str, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    mapped = compose_env.for_this_machine(tmp_path, store_copy_url)
    for key, value in mapped.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(live_server, "serve_command", compose_env.entry_command)

    async def first_page(base_url: str) -> tuple[str, list[str]]:
        client = StreamlitClient(base_url)
        try:
            opened = await client.open()
            return opened.status, opened.errors + opened.exceptions
        finally:
            await client.close()

    with live_server.running_server(store_copy_url, tmp_path / "server.log") as server:
        port = server.base_url.rsplit(":", 1)[1]
        health = subprocess.run([sys.executable, "scripts/container.py", "health"], cwd=ROOT,
                                env={**os.environ, "RMO_PORT": port}, timeout=60, check=False)
        assert health.returncode == 0, "the image's HEALTHCHECK command passes"
        assert asyncio.run(first_page(server.base_url)) == ("ok", [])
        # execve: the server is the very process that was started, with the secrets read in.
        running = _environ_of(server.pid)
    assert running["RMO_SESSION_SECRET"] == mapped.secrets["session_secret"]
    assert not {k for k in running if k.endswith("_FILE") and k.startswith("RMO_")} - {"RMO_USERS_FILE"}
    url = make_url(running["RMO_DATABASE_URL"])
    if url.get_backend_name() == "postgresql":
        assert url.password == mapped.secrets["db_password"]
        assert url._replace(password=None).render_as_string(hide_password=False) == store_copy_url
    else:
        assert running["RMO_DATABASE_URL"] == store_copy_url
    log = (tmp_path / "server.log").read_text()
    assert "serve: store " in log and "is at the newest schema revision" in log
    assert mapped.secrets.get("db_password", "\0") not in log, "the password is in no log line"
