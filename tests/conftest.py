"""Shared fixtures: a real store built once per session, small hand-made stores, test users.

The built store is written to a temporary SQLite file from the repository's
own seed and source files, exactly as a fresh checkout would build it.  The
test users (``tests/signin.py``) live in a temporary users file that
``RMO_USERS_FILE`` names for the whole test session, so no test reads or
writes a real one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from rmo_data import auth, schema
from rmo_data.engine import make_engine
from tests.signin import USERS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def built_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of a store built from the repository's files (built once per test session)."""
    from rmo_data.build import build  # imported late: unit tests need no full build

    path = tmp_path_factory.mktemp("store") / "rmo.sqlite"
    build(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def built_url(built_db: Path) -> str:
    """SQLAlchemy URL of the session's built store."""
    return f"sqlite:///{built_db}"


@pytest.fixture(scope="session")
def built_engine(built_url: str) -> Iterator[Engine]:
    """Engine on the session's built store."""
    engine = make_engine(built_url)
    yield engine
    engine.dispose()


@pytest.fixture()
def empty_engine(tmp_path: Path) -> Iterator[Engine]:
    """Engine on a fresh SQLite file holding the schema and nothing else."""
    engine = make_engine(f"sqlite:///{tmp_path / 'fixture.sqlite'}")
    schema.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def users_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A users file with a partner and an editor, named by RMO_USERS_FILE for every test."""
    path = tmp_path_factory.mktemp("users") / "users.toml"
    for role, (name, password) in USERS.items():
        auth.add_user(path, name, role, password)
    old = os.environ.get(auth.USERS_ENV)
    os.environ[auth.USERS_ENV] = str(path)  # session-wide: monkeypatch is per test
    yield path
    if old is None:
        os.environ.pop(auth.USERS_ENV, None)
    else:
        os.environ[auth.USERS_ENV] = old
