"""Database URL resolution, engine creation and store health checks.

The default store is a SQLite file next to this package; ``RMO_DATABASE_URL``
points the whole app (build, pages, tests) at another database, for example
PostgreSQL.  Nothing here imports streamlit.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from rmo_data import faults

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # rmo_data/, where the default store file lives
DEFAULT_DB_PATH = PACKAGE_DIR / "rmo.sqlite"
ENV_VAR = "RMO_DATABASE_URL"

StoreStatus = Literal["ok", "missing", "empty", "busy", "read_only", "unreachable", "refused", "bad_url", "corrupt"]

# How long a store check waits for another program's write lock before it says "busy"
# (seconds). Pages say so and try again; they never take a lock for damage.
BUSY_WAIT_ENV = "RMO_STORE_BUSY_WAIT"


def database_url(url: str | None = None) -> str:
    """Return the URL to use: an explicit one, else ``RMO_DATABASE_URL``, else the default file."""
    if url:
        return url
    env = os.environ.get(ENV_VAR, "").strip()
    return env or f"sqlite:///{DEFAULT_DB_PATH}"


# Said when ``usable_url`` is False (the address itself is never printed: it may hold a password).
BAD_URL = ("the database address is not a database URL, or it names a kind of database this app has "
           "no driver for (RMO_DATABASE_URL or --url)")


def usable_url(url: str) -> bool:
    """True when ``url`` parses as a SQLAlchemy URL whose dialect and driver are installed."""
    try:
        make_url(url).get_dialect().import_dbapi()
    except (SQLAlchemyError, ImportError, AttributeError, ValueError):
        return False
    return True


def shown_url(url: str | None = None) -> str:
    """``database_url(url)`` as it may be shown or logged: without the password a server URL may carry."""
    return make_url(database_url(url)).render_as_string(hide_password=True)


def sqlite_path(url: str) -> Path | None:
    """Return the file path of a file-backed SQLite URL, or None for other databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL lets readers (pages) and a writer (scenarios, workshops) work at once;
    # foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str, busy_timeout: float = 30) -> Engine:
    """Create a new engine for ``url`` with the settings this app relies on.

    ``busy_timeout`` is how long (s) a SQLite statement waits for another writer's lock.
    """
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": busy_timeout})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


@lru_cache(maxsize=8)
def _cached_engine(url: str) -> Engine:
    return make_engine(url)


def get_engine(url: str | None = None) -> Engine:
    """Return a shared engine for the resolved URL (one per URL per process)."""
    return _cached_engine(database_url(url))


# The file each shared SQLite engine last opened, by URL: (device, inode).
_OPENED: dict[str, tuple[int, int]] = {}


def reopen_if_replaced(url: str | None = None) -> bool:
    """Drop the shared engine's pooled connections when its SQLite file was replaced; True if so.

    A build from the command line writes a new file and renames it over the old
    one; connections opened before still read the old file.  Other databases,
    and a file that is missing for the moment, are left alone.
    """
    resolved = database_url(url)
    path = sqlite_path(resolved)
    if path is None:
        return False
    try:
        info = path.stat()
    except OSError:
        return False
    opened = (info.st_dev, info.st_ino)
    seen = _OPENED.setdefault(resolved, opened)
    if seen == opened:
        return False
    _OPENED[resolved] = opened
    _cached_engine(resolved).dispose()
    return True


# Result of SQLite's page check per file version (path, inode, size, mtime): the check
# reads every page, so it runs once per version of the file, not on every rerun.
_INTACT: dict[tuple[str, int, int, int], bool] = {}


def _sqlite_intact(path: Path, conn: Connection) -> bool:
    """True when ``PRAGMA quick_check`` finds no damaged page (cached per file version)."""
    info = path.stat()
    key = (str(path), info.st_ino, info.st_size, info.st_mtime_ns)
    if key not in _INTACT:
        if len(_INTACT) >= 64:  # old versions of files: forget them rather than grow without bound
            _INTACT.clear()
        try:
            rows = conn.exec_driver_sql("PRAGMA quick_check").fetchall()
            _INTACT[key] = [tuple(r) for r in rows] == [("ok",)]
        except SQLAlchemyError as err:
            if faults.classify(err) in {"busy", "read_only"}:
                raise  # not damage: the caller says busy or read-only, and nothing is cached
            _INTACT[key] = False
    return _INTACT[key]


def _busy_wait() -> float:
    try:
        return max(0.0, float(os.environ.get(BUSY_WAIT_ENV, "5")))
    except ValueError:
        return 5.0


def _status_of_fault(err: BaseException, path: Path | None) -> StoreStatus:
    kind = faults.classify(err)
    if kind == "busy":
        return "busy"
    if kind in {"unreachable", "refused"}:
        return kind
    if kind == "read_only":
        return "read_only"
    # SQLite says only "unable to open database file" when it cannot create its side files
    # (-wal, -shm) on a read-only file system or in a folder it may not write to.
    if path is not None and not (os.access(path, os.R_OK | os.W_OK) and os.access(path.parent, os.W_OK)):
        return "read_only"
    return "corrupt"


def store_status(url: str | None = None) -> StoreStatus:
    """Say whether the store at ``url`` is usable, without raising.

    ``missing`` means no file (SQLite; a 0-byte file counts as none) or no
    tables; ``empty`` means tables but no finished build (a build that stopped
    half-way); ``busy`` means another program holds the write lock longer than
    ``RMO_STORE_BUSY_WAIT`` seconds (default 5); ``read_only`` means the file or
    its folder cannot be opened for what SQLite needs; ``unreachable`` means a
    database server cannot be reached or refused the connection (a wrong
    password or database name included); ``bad_url`` means the address is not
    a database URL or names a kind of database this app has no driver for; ``corrupt``
    means the file can be opened but is not a readable store, or SQLite finds
    damaged pages in it.  Only ``corrupt`` may lead to a rebuild offer.
    """
    resolved = database_url(url)
    if not usable_url(resolved):
        return "bad_url"
    path = sqlite_path(resolved)
    try:
        if path is not None and (not path.exists() or path.stat().st_size == 0):
            return "missing"
        engine = make_engine(resolved, busy_timeout=_busy_wait())
        try:
            names = set(inspect(engine).get_table_names())
            if "build_info" not in names:
                return "missing" if not names else "empty"
            with engine.connect() as conn:
                # A file damaged in the middle still lists its tables: check its pages too.
                if path is not None and not _sqlite_intact(path, conn):
                    return "corrupt"
                finished = conn.execute(
                    text("SELECT value FROM build_info WHERE key = 'finished_at'")
                ).scalar()
            return "ok" if finished else "empty"
        finally:
            engine.dispose()
    except (SQLAlchemyError, OSError) as err:
        return _status_of_fault(err, path)
