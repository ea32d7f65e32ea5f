"""Schema migrations (Alembic), run from code so that nothing depends on the working directory.

The migration scripts live in ``rmo_data/store/migrations/versions`` (one file per
revision, ``NNNN_what_it_does.py``); ``0001_baseline`` creates the schema as it
was when migrations were introduced.  ``upgrade(url)`` brings a store to the
newest revision ("head") and is what the build and the app's start-up call, so
user-made rows (scenarios, workshops, participant weights, plans, audit log)
stay where they are while their tables change.

A store made before migrations existed has the baseline's tables but no
``alembic_version`` table: it is stamped as the baseline first (its tables are
exactly the baseline's: the user tables have not changed since the first
release, and the reference tables are replaced by every build), then upgraded.

On PostgreSQL the whole upgrade runs in one transaction behind an advisory
lock, so two app servers starting at once do not both migrate; on SQLite the
migration connection opens its transactions with ``BEGIN IMMEDIATE`` and turns
off pysqlite's habit of committing before every DDL statement, so a failed
migration leaves the file as it was.  Nothing here imports streamlit.
"""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from rmo_data.store.engine import database_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"
VERSION_TABLE = "alembic_version"
# The tables of revision 0001 that hold user-made rows: a store made before Alembic has them all.
BASELINE_USER_TABLES = ("scenario", "workshop", "participant_weights", "action_plan_item", "audit_log")
_PG_LOCK_KEY = 0x524D4F_4D4947  # "RMO MIG": any constant, shared by every process migrating a store

_current: set[str] = set()
_current_lock = threading.Lock()


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    """An Alembic configuration built in code (no alembic.ini, no working-directory lookup).

    ``url`` defaults to ``RMO_DATABASE_URL`` or the default SQLite file; with
    ``connection`` the migrations run on it, inside its open transaction.
    """
    cfg = Config()
    # ConfigParser would read a % in the path as interpolation.
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    cfg.attributes["url"] = database_url(url)
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest revision of the migration scripts."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the baseline always exists
        raise RuntimeError(f"no migration scripts in {MIGRATIONS_DIR}")
    return head


def known_revisions() -> list[str]:
    """Every revision of the migration scripts, oldest first (the last one is the head)."""
    script = ScriptDirectory.from_config(alembic_config())
    return [s.revision for s in reversed(list(script.walk_revisions()))]


def current_revision(connection: Connection) -> str | None:
    """The revision a store is at; None when it has no ``alembic_version`` table or row."""
    return MigrationContext.configure(connection).get_current_revision()


def migration_engine(url: str) -> Engine:
    """An engine for running migrations: real transactions around DDL on SQLite too."""
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url, poolclass=NullPool)
    engine = create_engine(url, connect_args={"timeout": 30}, poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _no_implicit_commits(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # pysqlite commits before DDL unless it leaves transactions to us.
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA busy_timeout=30000")

    @event.listens_for(engine, "begin")
    def _begin_immediate(conn: Connection) -> None:
        # Take the write lock up front: a migration never waits half-way for another writer.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def predates_alembic(connection: Connection) -> bool:
    """True for a store with the app's tables but no ``alembic_version`` table."""
    names = set(inspect(connection).get_table_names())
    return VERSION_TABLE not in names and bool(names & {*BASELINE_USER_TABLES, "build_info"})


def hold_migration_lock(connection: Connection) -> None:
    """On PostgreSQL, wait for and hold (until the transaction ends) the lock every migration takes.

    A restore (``rmo_data.store.backup``) takes it before it drops the tables, so an app
    server that starts meanwhile does not migrate a store that is being replaced.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})


def upgrade_connection(connection: Connection, revision: str = "head") -> None:
    """Migrate the store behind ``connection`` to ``revision`` inside its open transaction.

    Raises
    ------
    RuntimeError
        When a store made before migrations lacks some of the baseline's user
        tables, so stamping it as the baseline would be untrue.
    """
    hold_migration_lock(connection)
    cfg = alembic_config(connection.engine.url.render_as_string(hide_password=False), connection)
    if predates_alembic(connection):
        missing = sorted(set(BASELINE_USER_TABLES) - set(inspect(connection).get_table_names()))
        if missing:
            raise RuntimeError(
                f"The store has no migration record and lacks the tables {', '.join(missing)}: "
                "it cannot be adopted as the baseline. Build a new store and copy its data over.")
        command.stamp(cfg, BASELINE)
    command.upgrade(cfg, revision)


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Migrate the store at ``url`` (default: the app's store) to ``revision``, in one transaction."""
    engine = migration_engine(database_url(url))
    try:
        with engine.begin() as conn:
            upgrade_connection(conn, revision)
    finally:
        engine.dispose()


def ensure_current(url: str | None = None) -> None:
    """``upgrade`` once per store and process: cheap to call on every app rerun."""
    resolved = database_url(url)
    with _current_lock:
        if resolved in _current:
            return
        upgrade(resolved)
        _current.add(resolved)


def forget(url: str | None = None) -> None:
    """Make ``ensure_current`` check the store again (after it was replaced or rebuilt)."""
    with _current_lock:
        _current.discard(database_url(url))
