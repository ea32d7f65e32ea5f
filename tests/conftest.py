"""Shared fixtures: a real store built once per session, and small hand-made stores, on either backend.

The built store is made from the repository's own seed and source files,
exactly as a fresh checkout would build it.

Two backends, one suite:

* **SQLite** (the default): every store is a file in a temporary folder.
* **PostgreSQL**, when ``RMO_TEST_DATABASE_URL`` names a PostgreSQL database
  (``scripts/test.sh`` starts a throw-away server and sets it): every store is
  a fresh database on that server, made for the session, for a module or for
  one test and dropped afterwards, so nothing depends on what ran before.
  Only tests that use a store run (the others do not touch a database and ran
  on SQLite already); tests marked ``sqlite_only`` are skipped with their
  reason.  When the PostgreSQL run was asked for but has no server
  (``RMO_TEST_PG_UNAVAILABLE`` holds why), its tests are skipped with that
  reason, or fail when ``CI`` is set: a CI run never passes without them.

The ``app`` fixture is the app under AppTest on the built store (``tests/apptest.py``
has ``app_for`` for any other store).

The test users (``tests/signin.py``) live in a temporary users file that
``RMO_USERS_FILE`` names for the whole test session, so no test reads or
writes a real one.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool
from streamlit.testing.v1 import AppTest

from rmo_data.access import accounts
from rmo_data.store import schema
from rmo_data.store.engine import make_engine
from tests.apptest import app_for
from tests.signin import USERS

ROOT = Path(__file__).resolve().parents[1]

PG_URL = os.environ.get("RMO_TEST_DATABASE_URL", "").strip()
PG_UNAVAILABLE = os.environ.get("RMO_TEST_PG_UNAVAILABLE", "").strip()
ON_POSTGRES = bool(PG_URL or PG_UNAVAILABLE)
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
# A test that requests one of these reads or writes a store, so the PostgreSQL run keeps it.
STORE_FIXTURES = frozenset({"built_db", "built_url", "built_engine", "store_copy_url", "empty_url",
                            "empty_engine", "stores"})


# --- the backend and its stores ----------------------------------------------------------

class PgServer:
    """Fresh databases on the test server (CREATE DATABASE, optionally from a template)."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        # CREATE/DROP DATABASE cannot run inside a transaction.
        self.admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        self.prefix = f"rmo_t{os.getpid()}_"
        self.counter = itertools.count(1)
        self.created: list[str] = []

    def check(self) -> None:
        """Raise when the server cannot be reached or is not PostgreSQL."""
        if self.url.get_backend_name() != "postgresql":
            raise ValueError(f"RMO_TEST_DATABASE_URL is not a PostgreSQL URL: {self.url!r}")
        with self.admin.connect() as conn:
            conn.execute(text("SELECT 1"))

    def url_of(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def create(self, template: str | None = None) -> str:
        """A new empty database (or a copy of ``template``, which nobody may be connected to)."""
        name = f"{self.prefix}{next(self.counter)}"
        source = f' TEMPLATE "{template}"' if template else ""
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"{source}')
        self.created.append(name)
        return name

    def drop(self, name: str) -> None:
        # FORCE: the app's cached engines may still hold idle connections to it.
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.created:
            self.created.remove(name)

    def close(self) -> None:
        for name in list(self.created):
            self.drop(name)
        self.admin.dispose()


class Stores:
    """Makes stores on the run's backend: SQLite files, or databases on the PostgreSQL server."""

    def __init__(self, tmp: pytest.TempPathFactory, server: PgServer | None) -> None:
        self.tmp = tmp
        self.server = server
        self._templates: dict[str, str] = {}

    @property
    def backend(self) -> str:
        return "postgresql" if self.server else "sqlite"

    def blank(self, label: str = "store") -> str:
        """URL of a new store with nothing in it (not even tables)."""
        if self.server:
            return self.server.url_of(self.server.create())
        return f"sqlite:///{self.tmp.mktemp(label) / f'{label}.sqlite'}"

    def copy(self, url: str, label: str = "copy") -> str:
        """URL of a private copy of the store at ``url`` (a PostgreSQL one must be a template)."""
        if self.server:
            return self.server.url_of(self.server.create(template=make_url(url).database))
        source, target = Path(make_url(url).database or ""), self.tmp.mktemp(label) / "rmo.sqlite"
        # The backup API copies a WAL-mode store consistently, unlike a file copy.
        src, dst = sqlite3.connect(source), sqlite3.connect(target)
        with dst:
            src.backup(dst)
        src.close()
        dst.close()
        return f"sqlite:///{target}"

    def discard(self, url: str) -> None:
        """Drop a PostgreSQL store made here (SQLite files go with their temporary folder)."""
        if self.server:
            self.server.drop(make_url(url).database or "")

    def empty_template(self) -> str:
        """A store holding the schema and nothing else, made once: copying it is cheaper than DDL."""
        if "empty" not in self._templates:
            url = self.blank("empty")
            engine = make_engine(url)
            schema.metadata.create_all(engine)
            engine.dispose()
            self._templates["empty"] = url
        return self._templates["empty"]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """The PostgreSQL test server; skips (or fails under CI) with the reason when there is none."""
    reason = PG_UNAVAILABLE or ("" if PG_URL else "RMO_TEST_DATABASE_URL is not set")
    server = None
    if not reason:
        server = PgServer(PG_URL)
        try:
            server.check()
        except (SQLAlchemyError, ValueError) as err:
            reason = f"cannot connect to {PG_URL}: {err}".splitlines()[0]
    if reason:
        message = f"PostgreSQL tests not run: {reason}"
        if IN_CI:
            pytest.fail(message + " (CI=true: the PostgreSQL run is required)", pytrace=False)
        pytest.skip(message)
    assert server is not None
    yield server
    server.close()


@pytest.fixture(scope="session")
def stores(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Stores:
    """Maker of fresh stores on this run's backend."""
    server = request.getfixturevalue("pg_server") if ON_POSTGRES else None
    return Stores(tmp_path_factory, server)


@pytest.fixture(scope="session")
def built_template(stores: Stores) -> str:
    """URL of the store built from the repository's files; never opened by tests, only copied."""
    from rmo_data.ingest.build import build  # imported late: unit tests need no full build

    url = stores.blank("store")
    build(url)
    return url


@pytest.fixture(scope="session")
def built_db(built_template: str) -> Path:
    """Path of the built store's SQLite file (SQLite runs only: tests that look at the file)."""
    if ON_POSTGRES:
        pytest.skip("needs the store as a SQLite file")
    return Path(make_url(built_template).database or "")


@pytest.fixture(scope="session")
def built_url(stores: Stores, built_template: str) -> str:
    """SQLAlchemy URL of the session's built store (shared: tests must not write to it)."""
    if stores.server:
        return stores.copy(built_template)  # the template itself must stay unconnected
    return built_template


@pytest.fixture(scope="session")
def built_engine(built_url: str) -> Iterator[Engine]:
    """Engine on the session's built store."""
    engine = make_engine(built_url)
    yield engine
    engine.dispose()


@pytest.fixture()
def store_copy_url(stores: Stores, built_template: str) -> Iterator[str]:
    """URL of a private, writable copy of the built store, for tests that change it."""
    url = stores.copy(built_template)
    yield url
    stores.discard(url)


@pytest.fixture()
def own_url(store_copy_url: str) -> str:
    """This test's private copy of the built store, for tests that write (the name the page tests use)."""
    return store_copy_url


@pytest.fixture()
def own_engine(own_url: str) -> Iterator[Engine]:
    """Engine on this test's private copy of the built store."""
    engine = make_engine(own_url)
    yield engine
    engine.dispose()


@pytest.fixture()
def empty_url(stores: Stores, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh store holding the schema and nothing else."""
    if stores.server:
        url = stores.copy(stores.empty_template())
        yield url
        stores.discard(url)
        return
    url = f"sqlite:///{tmp_path / 'fixture.sqlite'}"
    engine = make_engine(url)
    schema.metadata.create_all(engine)
    engine.dispose()
    yield url


@pytest.fixture()
def empty_engine(empty_url: str) -> Iterator[Engine]:
    """Engine on a fresh store holding the schema and nothing else."""
    engine = make_engine(empty_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def users_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A users file with a partner and an editor, named by RMO_USERS_FILE for every test."""
    path = tmp_path_factory.mktemp("users") / "users.toml"
    for role, (name, password) in USERS.items():
        accounts.add_user(path, name, role, password)
    old = os.environ.get(accounts.USERS_ENV)
    os.environ[accounts.USERS_ENV] = str(path)  # session-wide: monkeypatch is per test
    yield path
    if old is None:
        os.environ.pop(accounts.USERS_ENV, None)
    else:
        os.environ[accounts.USERS_ENV] = old


# --- the app under AppTest --------------------------------------------------------------------

@pytest.fixture()
def app(built_url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The app on the session's built store, as a new public session, not yet run.

    Tests that use it only read; one that writes opens ``app_for`` on its own
    copy (``own_url``).  Both are in ``tests/apptest.py``.
    """
    return app_for(built_url, monkeypatch)


# --- which tests run where -----------------------------------------------------------------

def pytest_report_header(config: pytest.Config) -> str:
    """Say in the header which database this run tests."""
    if not ON_POSTGRES:
        return "store backend: SQLite files (set RMO_TEST_DATABASE_URL for the PostgreSQL run)"
    where = PG_URL or f"none ({PG_UNAVAILABLE})"
    return f"store backend: PostgreSQL at {where}; tests that use no store are deselected"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL keep the tests that use a store; skip SQLite-only ones with their reason."""
    if not ON_POSTGRES:
        return
    keep, drop = [], []
    for item in items:
        uses_store = bool(STORE_FIXTURES & set(getattr(item, "fixturenames", ())))
        if item.get_closest_marker("browser") or not uses_store:
            drop.append(item)
            continue
        marker = item.get_closest_marker("sqlite_only")
        if marker:
            why = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {why}"))
        keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
