"""Shared fixtures: a real store built once per session, and small hand-made stores.

The built store is written to a temporary SQLite file from the repository's
own seed and source files, exactly as a fresh checkout would build it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from rmo_data import schema
from rmo_data.engine import make_engine

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
