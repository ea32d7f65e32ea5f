"""Backups of the whole store in one portable file, and restores from one.

``backup(url, path)`` writes every table of ``schema.metadata`` that the store
holds into one zip file (its layout and checks: ``rmo_data.store.backup_file``);
``restore(url, path)`` puts such a file back into a store.  The file is the same
whatever database made it, so a SQLite store can be restored to a PostgreSQL
server and back.  ``python -m rmo_data backup`` and ``restore`` call these.

Consistency: a SQLite store is first copied with SQLite's online backup API
(one moment of the file, whoever is writing) and the copy is read, so the
store's own read lasts only as long as the copy; a PostgreSQL store is read in
one REPEATABLE READ, read-only transaction.  The app keeps working meanwhile,
and the file holds one moment of the store.  Rows are written in primary-key
order, so two backups of an unchanged store hold the same table files.

Restores: the whole file is checked first, so a file that is not a backup, is
cut short or comes from a newer version of the app is refused before the store
is touched.  The tables are then created by the migrations at the backup's
revision, filled, and migrated to the newest revision, as the app migrates an
old store.  On SQLite this happens in a new file beside the store, which must
pass ``PRAGMA quick_check`` and ``foreign_key_check`` before one ``os.replace``
swaps it in; the replaced file is kept as ``<name>.<UTC time>.bak``.  On
PostgreSQL the app's tables are dropped and made again in one transaction,
behind the migrations' lock, and each id sequence is set past the restored ids.
A refusal or a failure leaves the store as it was.  Nothing here imports streamlit.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, MetaData, Table, create_engine, func, inspect, select, text
from sqlalchemy import types as sqltypes
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from rmo_data import faults
from rmo_data.store import data_version, migrate, rebuild, schema
from rmo_data.store.backup_file import (BackupError, DamagedFile, damaged, decoder, file_fault, kind_of,
                                        read_manifest, table_rows, write_manifest, write_table)
from rmo_data.store.engine import BAD_URL, database_url, shown_url, sqlite_path, store_status, usable_url

__all__ = ["BackupError", "BackupReport", "RestoreReport", "backup", "read_manifest", "restore"]

FILE_MODE = 0o600  # backups and stores hold participants' names and partners' plans: owner only
CHUNK = 5000  # rows per read and per INSERT, so memory stays flat on a large store
PG_LOCK_SECONDS = 30  # how long a restore waits for another program's open transaction

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class BackupReport:
    """What a backup wrote: the file, its manifest and how long it took."""

    path: Path
    manifest: dict[str, Any]
    seconds: float

    @property
    def rows(self) -> int:
        return sum(t["rows"] for t in self.manifest["tables"].values())


@dataclass(frozen=True)
class RestoreReport:
    """What a restore did: the store (as shown, without a password), the backup's manifest, and more."""

    url: str
    manifest: dict[str, Any]
    revision: str  # the store's revision afterwards (the newest this app knows)
    seconds: float
    kept: Path | None = None  # where the replaced SQLite file was kept, if there was one

    @property
    def rows(self) -> int:
        return sum(t["rows"] for t in self.manifest["tables"].values())


# --- addresses, files and faults in plain words ------------------------------------------------

def _resolve(url: str | None) -> str:
    """The store's URL (as ``build`` resolves it), refused unless it is a SQLite file or PostgreSQL."""
    resolved = database_url(url)
    if not usable_url(resolved):  # the address itself is never shown: it may hold a password
        raise BackupError(BAD_URL)
    parsed = make_url(resolved)
    backend = parsed.get_backend_name()
    if backend == "sqlite" and sqlite_path(resolved) is None:
        raise BackupError("the store must be a SQLite file or a PostgreSQL database, not an in-memory one")
    if backend not in {"sqlite", "postgresql"}:
        raise BackupError("the store must be a SQLite file or a PostgreSQL database")
    return resolved


def _store_fault(err: BaseException) -> str:
    """A database fault in a clause: the shared sentences of ``rmo_data.faults``, and lock timeouts."""
    message = str(getattr(err, "orig", None) or err).lower()
    if "lock timeout" in message or "could not obtain lock" in message:
        return (f"another program kept the store's tables locked for over {PG_LOCK_SECONDS} seconds; "
                "try again when it is done")
    return faults.sentence(err)


# --- backup ---------------------------------------------------------------------------------

def _store_revision(conn: Connection, names: set[str]) -> str:
    """The schema revision of the store behind ``conn``; refused when unknown to this app."""
    revision = migrate.current_revision(conn) if migrate.VERSION_TABLE in names else None
    if revision is None:
        if migrate.predates_alembic(conn) and set(migrate.BASELINE_USER_TABLES) <= names:
            return migrate.BASELINE  # what the app stamps such a store as before migrating it
        raise BackupError("the store has no record of its schema revision; start the app or run "
                          "python -m rmo_data build once to bring it up to date", bad_input=False)
    if revision not in migrate.known_revisions():
        raise BackupError(f"the store is at schema revision {revision}, which this version of the app "
                          "does not know; back it up with the version that made it", bad_input=False)
    return revision


def _write_tables(conn: Connection, archive: zipfile.ZipFile,
                  progress: Progress) -> tuple[str, dict[str, dict[str, Any]]]:
    """Write each table of ``schema.metadata`` the store holds; return its revision and the table entries.

    Columns are the store's own (reflected), so a store at an older revision is
    written as it is and brought up to date by the restore.
    """
    names = set(inspect(conn).get_table_names())
    revision = _store_revision(conn, names)
    progress("Reading one moment of the store", 0.05)
    wanted = [t.name for t in schema.metadata.sorted_tables if t.name in names]
    meta = MetaData()
    meta.reflect(conn, only=wanted)
    entries: dict[str, dict[str, Any]] = {}
    for i, name in enumerate(wanted, start=1):
        table = meta.tables[name]
        order = list(table.primary_key.columns) or list(table.c)
        result = conn.execute(select(table).order_by(*order).execution_options(yield_per=CHUNK))
        entries[name] = write_table(archive, name, [(c.name, kind_of(c.type)) for c in table.c],
                                    result.partitions())
        progress(f"Saved {name}", 0.05 + 0.9 * i / len(wanted))
    return revision, entries


def _sqlite_copy(path: Path, copy: Path) -> None:
    """Copy the store file with SQLite's online backup API: one consistent moment, writers or not."""
    source = sqlite3.connect(str(path), timeout=30)
    try:
        target = sqlite3.connect(str(copy))
        try:
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()


def _snapshot_into(resolved: str, archive: zipfile.ZipFile, folder: Path,
                   progress: Progress) -> tuple[str, dict[str, dict[str, Any]]]:
    path = sqlite_path(resolved)
    if path is not None:
        with tempfile.TemporaryDirectory(prefix=".rmo-backup-", dir=folder) as tmp:
            copy = Path(tmp) / "snapshot.sqlite"
            _sqlite_copy(path, copy)
            engine = create_engine(f"sqlite:///{copy}", poolclass=NullPool)
            try:
                with engine.connect() as conn:
                    return _write_tables(conn, archive, progress)
            finally:
                engine.dispose()
    engine = create_engine(resolved, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with conn.begin():  # every read below sees the snapshot of the transaction's first one
                return _write_tables(conn, archive, progress)
    finally:
        engine.dispose()


def _check_source(resolved: str) -> None:
    status = store_status(resolved)
    if status in {"ok", "empty"}:
        return
    if status == "missing":
        raise BackupError(f"there is no store at {shown_url(resolved)}")
    if status == "read_only":
        raise BackupError("the store's file or folder cannot be opened as SQLite needs (check their "
                          "permissions)", bad_input=False)
    raise BackupError(faults.kind_sentence({"busy": "busy", "unreachable": "unreachable", "refused": "refused"}.get(status, "damaged")),
                      bad_input=False)


def backup(url: str | None, target: Path, *, replace: bool = False,
           progress: Progress | None = None, now: dt.datetime | None = None) -> BackupReport:
    """Write the whole store at ``url`` (default: the app's) to the backup file ``target``.

    The file is written beside ``target`` under a temporary name and renamed
    when complete, so a failed backup leaves no half file and an existing file
    (replaced only with ``replace``) stays whole until then.

    Raises
    ------
    BackupError
        With one plain clause when the address, the store or the target refuses.
    """
    started = time.perf_counter()
    report = progress or (lambda _step, _fraction: None)
    resolved = _resolve(url)
    target = Path(target).expanduser()
    if target.is_dir():
        raise BackupError(f"{target} is a folder; give the name of the backup file to write")
    if target.exists() and not replace:
        raise BackupError(f"{target} exists already; give another name, or add --force to replace it")
    if not target.parent.is_dir():
        why = "is not a folder" if target.parent.exists() else "does not exist"
        raise BackupError(f"{target} could not be written: the folder {target.parent} {why}")
    _check_source(resolved)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except OSError as err:
        raise BackupError(file_fault(err, target, "written")) from None
    try:
        with os.fdopen(fd, "wb") as raw:
            with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                revision, tables = _snapshot_into(resolved, archive, target.parent, report)
                manifest = write_manifest(archive, revision, make_url(resolved).get_backend_name(),
                                          tables, now or dt.datetime.now(dt.UTC))
            raw.flush()
            os.fsync(raw.fileno())  # on disk before it takes the name
        os.replace(tmp, target)
    except BaseException as err:
        tmp.unlink(missing_ok=True)
        if isinstance(err, (SQLAlchemyError, sqlite3.Error)):
            kind = faults.classify(err)
            raise BackupError(_store_fault(err) if kind != "other" else "the store could not be read",
                              bad_input=False) from None
        if isinstance(err, OSError):
            raise BackupError(file_fault(err, target, "written"), bad_input=False) from None
        raise
    report("Done", 1.0)
    return BackupReport(target, manifest, time.perf_counter() - started)


# --- restore --------------------------------------------------------------------------------

def _continue_sequences(conn: Connection, tables: list[Table]) -> None:
    """PostgreSQL: set each id sequence past the highest restored id, so new rows get new ids."""
    for table in tables:
        for column in table.primary_key.columns:
            if not isinstance(column.type, sqltypes.Integer):
                continue
            sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                    {"t": f'"{table.name}"', "c": column.name}).scalar()
            if sequence:
                top = conn.execute(select(func.max(column))).scalar()
                conn.execute(text("SELECT setval(:s, :v, :called)"),
                             {"s": sequence, "v": top or 1, "called": top is not None})


def _fill(conn: Connection, archive: zipfile.ZipFile, manifest: dict[str, Any], source: Path,
          progress: Progress) -> None:
    """Create the tables at the backup's revision, put its rows in, then migrate to the newest revision."""
    revision = manifest["schema_revision"]
    migrate.upgrade_connection(conn, revision)
    meta = MetaData()
    meta.reflect(conn)
    saved: dict[str, dict[str, Any]] = manifest["tables"]
    for name, info in saved.items():
        table = meta.tables.get(name)
        if table is None or not {c["name"] for c in info["columns"]} <= set(table.c.keys()):
            raise BackupError(f"{source} holds a table ({name}) that does not match schema revision "
                              f"{revision}, so it cannot be restored")
    # A migration may have put rows in a table (a lookup list, say): the backup's rows replace them.
    for table in reversed(meta.sorted_tables):
        if table.name in saved:
            conn.execute(table.delete())
    order = [t for t in meta.sorted_tables if t.name in saved]  # parents first, so foreign keys hold
    for i, table in enumerate(order, start=1):
        info = saved[table.name]
        names = [c["name"] for c in info["columns"]]
        decoders = [decoder(c["kind"], table.c[c["name"]].type) for c in info["columns"]]
        batch: list[dict[str, Any]] = []
        for row in table_rows(archive, info):
            try:
                batch.append({n: v if f is None or v is None else f(v) for n, f, v in zip(names, decoders, row)})
            except (ValueError, TypeError) as err:  # a date that is no date: the file was altered
                raise DamagedFile(info["file"]) from err
            if len(batch) >= CHUNK:
                conn.execute(table.insert(), batch)
                batch = []
        if batch:
            conn.execute(table.insert(), batch)
        if conn.execute(select(func.count()).select_from(table)).scalar_one() != info["rows"]:
            raise DamagedFile(info["file"])
        progress(f"Restored {table.name}", 0.1 + 0.8 * i / len(order))
    if conn.dialect.name == "postgresql":
        _continue_sequences(conn, order)
    migrate.upgrade_connection(conn)  # a backup made by an older version is brought up to date
    # Every scope is a change as far as the app servers' caches know: they read afresh at their next rerun.
    data_version.bump_all(conn)
    rebuild.refresh_statistics(conn)  # the planner's statistics are not in the backup
    if migrate.current_revision(conn) != migrate.head_revision():  # upgrade's own promise, checked all the same
        raise BackupError("the restored store did not reach the newest schema revision", bad_input=False)


def _refuse_a_newer_store(conn: Connection, present: set[str]) -> None:
    """A store a newer version of the app made may hold tables this one does not know: left alone."""
    current = migrate.current_revision(conn) if migrate.VERSION_TABLE in present else None
    if current is not None and current not in migrate.known_revisions():
        raise BackupError(f"the store there is at schema revision {current}, made by a newer version of "
                          "the app; restore with that version", bad_input=False)


def _side_files(path: Path) -> list[Path]:
    return [path, *(path.with_name(path.name + sfx) for sfx in ("-wal", "-shm", "-journal"))]


def _check_sqlite_file(path: Path, source: Path) -> None:
    """The new file must pass SQLite's own checks, and become one self-contained file."""
    conn = sqlite3.connect(str(path))
    try:
        intact = [tuple(r) for r in conn.execute("PRAGMA quick_check")] == [("ok",)]
        orphans = conn.execute("PRAGMA foreign_key_check").fetchall()
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()
    if not intact:
        raise BackupError("the restored copy did not pass SQLite's check", bad_input=False)
    if orphans:
        raise BackupError(f"the rows in {source} do not fit together (a row refers to one that is not in "
                          "the backup), so it cannot be restored")


def _keep_aside(path: Path) -> Path | None:
    """Keep the store file being replaced under a time-stamped name, as a build does; return it."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        try:  # fold the log into the file, so the kept copy is whole without it
            conn = sqlite3.connect(str(path), timeout=5)
            try:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                conn.close()
        except sqlite3.Error:
            pass  # a damaged file is kept as it is, log and all
    kept = path.with_name(f"{path.name}.{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%fZ}.bak")
    for suffix in ("", "-wal"):
        original = path.with_name(path.name + suffix)
        if not original.exists() or (suffix and original.stat().st_size == 0):
            continue
        copy = kept.with_name(kept.name + suffix)
        try:
            os.link(original, copy)  # the old contents stay under the new name; no moment without a store
        except OSError:
            shutil.copy2(original, copy)
        os.chmod(copy, FILE_MODE)
    return kept


def _restore_sqlite(path: Path, source: Path, manifest: dict[str, Any], progress: Progress) -> Path | None:
    """Write the store in a new file beside ``path``, check it and swap it in; return the kept old file."""
    if path.is_dir():
        raise BackupError(f"the store's path {path} is a folder")
    if not path.parent.is_dir():
        raise BackupError(f"the folder {path.parent} of the store does not exist")
    if path.exists() and path.stat().st_size > 0:
        status = store_status(f"sqlite:///{path}")
        if status in {"busy", "read_only"}:  # a damaged store may be restored over: that is what backups are for
            raise BackupError(faults.kind_sentence(status), bad_input=False)
        if status in {"ok", "empty"}:
            engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
            try:
                with engine.connect() as conn:
                    _refuse_a_newer_store(conn, set(inspect(conn).get_table_names()))
            finally:
                engine.dispose()
    tmp = path.with_name(path.name + ".restore.tmp")
    for leftover in _side_files(tmp):  # a restore killed half-way left these: start afresh
        leftover.unlink(missing_ok=True)
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
        engine = migrate.migration_engine(f"sqlite:///{tmp}")
        try:
            with zipfile.ZipFile(source) as archive, engine.begin() as conn:
                _fill(conn, archive, manifest, source, progress)
        finally:
            engine.dispose()
        _check_sqlite_file(tmp, source)
        kept = _keep_aside(path)
        os.replace(tmp, path)
    except BaseException:
        for leftover in _side_files(tmp):
            leftover.unlink(missing_ok=True)
        raise
    for stale in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)  # the old file's log must not be read as the new file's
    return kept


def _restore_server(resolved: str, source: Path, manifest: dict[str, Any], progress: Progress) -> None:
    """Drop and remake the app's tables in one PostgreSQL transaction; any failure rolls it all back."""
    status = store_status(resolved)
    if status in {"unreachable", "refused", "busy", "read_only"}:
        raise BackupError(faults.kind_sentence(status), bad_input=False)
    engine = migrate.migration_engine(resolved)
    try:
        with zipfile.ZipFile(source) as archive, engine.begin() as conn:
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{PG_LOCK_SECONDS}s'")
            migrate.hold_migration_lock(conn)
            present = set(inspect(conn).get_table_names())
            _refuse_a_newer_store(conn, present)
            ours = [n for n in present if n in schema.metadata.tables or n == migrate.VERSION_TABLE]
            old = MetaData()
            old.reflect(conn, only=ours)
            old.drop_all(conn)
            progress("Replacing the store's tables in one transaction", 0.1)
            _fill(conn, archive, manifest, source, progress)
    finally:
        engine.dispose()


def restore(url: str | None, source: Path, *, progress: Progress | None = None) -> RestoreReport:
    """Replace the store at ``url`` (default: the app's) with the backup file ``source``.

    The file is checked whole before the store is touched; the store ends at
    the newest schema revision.  A refusal or a failure leaves it as it was.

    Raises
    ------
    BackupError
        With one plain clause: the address, the file or the store refused.
    """
    started = time.perf_counter()
    report = progress or (lambda _step, _fraction: None)
    resolved = _resolve(url)
    source = Path(source).expanduser()
    manifest = read_manifest(source)
    report("Checked the backup file", 0.05)
    path = sqlite_path(resolved)
    try:
        if path is not None:
            kept = _restore_sqlite(path, source, manifest, report)
        else:
            _restore_server(resolved, source, manifest, report)
            kept = None
    except DamagedFile:
        raise damaged(source) from None
    except IntegrityError:
        raise BackupError(f"the rows in {source} do not fit together (a row refers to one that is not in "
                          "the backup, or two rows share a key), so it cannot be restored") from None
    except (SQLAlchemyError, sqlite3.Error) as err:
        raise BackupError(_store_fault(err), bad_input=False) from None
    except OSError as err:
        where = path if path is not None else source
        raise BackupError(file_fault(err, where, "written" if path is not None else "read"),
                          bad_input=False) from None
    migrate.forget(resolved)  # this process checks the replaced store again
    report("Done", 1.0)
    return RestoreReport(shown_url(resolved), manifest, migrate.head_revision(),
                         time.perf_counter() - started, kept)
