"""compose.yaml's environment for the app servers, mapped onto this machine for the tests.

The tests start the image's entry command (``python scripts/container.py
serve``) directly, with the environment compose gives the app servers (``app1``):
the same variables, with the container's paths moved into a temporary folder
(``/run/secrets/NAME`` to a file holding a made-up secret, ``/var/lib/rmo`` to
a state folder) and the store at the test's own database.  A variable added to
compose.yaml is thereby added to the tests as well.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

import yaml
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
CONTAINER_STATE = "/var/lib/rmo"
CONTAINER_SECRETS = "/run/secrets/"


class ComposeEnv(NamedTuple):
    """The mapped environment, the state folder the servers share, and the secrets' values."""

    env: dict[str, str]
    state: Path
    secrets: dict[str, str]


def service_environment(name: str = "app1") -> dict[str, str]:
    """The ``environment`` compose.yaml gives the service (anchors merged)."""
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return {str(k): str(v) for k, v in compose["services"][name]["environment"].items()}


def for_this_machine(folder: Path, db_url: str, service: str = "app1") -> ComposeEnv:
    """The service's environment with its paths in ``folder`` and its store at ``db_url``.

    A password file is kept only for a database server (a SQLite file takes
    none); the test server trusts loopback connections, so any password does.
    """
    state = folder / "state"
    state.mkdir(parents=True, exist_ok=True)
    (folder / "secrets").mkdir(exist_ok=True)
    values: dict[str, str] = {}
    env: dict[str, str] = {}
    for key, value in service_environment(service).items():
        if value.startswith(CONTAINER_SECRETS):
            name = value.removeprefix(CONTAINER_SECRETS)
            values[name] = secrets.token_urlsafe(32)
            path = folder / "secrets" / name
            path.write_text(values[name] + "\n")
            value = str(path)
        elif value.startswith(CONTAINER_STATE):
            value = str(state) + value.removeprefix(CONTAINER_STATE)
        env[key] = value
    env["RMO_DATABASE_URL"] = db_url
    if make_url(db_url).get_backend_name() == "sqlite":
        env.pop("RMO_DATABASE_PASSWORD_FILE", None)
    return ComposeEnv(env, state, values)


def entry_command(port: int, extra: Mapping[str, str] | None = None) -> list[str]:
    """The image's command (ENTRYPOINT + CMD) on ``port``, kept on the loopback address for the tests."""
    return [sys.executable, "scripts/container.py", "serve", "--server.port", str(port),
            "--server.address", "127.0.0.1", *(f"--{k}={v}" for k, v in (extra or {}).items())]
