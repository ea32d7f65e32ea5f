"""scripts/serve.py: what it loads before the server starts, and what it leaves to the app.

The browser tests start the app through this script (tests/browser/conftest.py),
so its hand-over to ``streamlit run`` is exercised by every browser journey.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from alembic import command

from rmo_data.store import migrate
from tests.store.test_migrations import _revision

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def serve() -> ModuleType:
    spec = importlib.util.spec_from_file_location("serve", ROOT / "scripts" / "serve.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_preload_brings_an_older_store_to_the_newest_revision(serve: ModuleType, store_copy_url: str) -> None:
    command.downgrade(migrate.alembic_config(store_copy_url), migrate.BASELINE)
    migrate.forget(store_copy_url)  # this process migrated the copy's template before
    assert _revision(store_copy_url) == migrate.BASELINE
    lines = serve.preload(store_copy_url)
    assert _revision(store_copy_url) == migrate.head_revision()
    assert "newest schema revision" in lines[-1]
    assert {"pandas", "altair", "sqlalchemy", "alembic"} <= set(sys.modules)


def test_preload_leaves_a_missing_store_to_the_app(serve: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "none.sqlite"
    lines = serve.preload(f"sqlite:///{path}")
    assert not path.exists(), "the app's first page builds the store, with its progress bar"
    assert lines[-1] == "store is missing: the app's first page will deal with it"


def test_preload_reports_a_damaged_store_without_raising(serve: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "damaged.sqlite"
    path.write_bytes(b"not a database at all" * 100)
    lines = serve.preload(f"sqlite:///{path}")
    assert lines[-1].startswith("store is ") and "first page" in lines[-1]
    assert path.read_bytes() == b"not a database at all" * 100, "left as it was"
