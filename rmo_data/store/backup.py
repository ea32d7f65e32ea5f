"""Backups of the whole store in one portable file, and restores from one.

``backup(url, path)`` writes every table of ``schema.metadata`` that the store
holds into one zip file; ``restore(url, path)`` puts such a file back into a
store.  The file is the same whatever database made it, so a SQLite store can
be restored to a PostgreSQL server and back.  ``python -m rmo_data backup`` and
``restore`` call these and print what they did.

The file: ``manifest.json`` names the format and its version, the store's schema
revision (its Alembic revision), the schema and build versions of the app that
wrote it, when it was made (UTC), the kind of database it came from and, per
table, its columns (with the kind of value each holds), its row count and the
SHA-256 of its data file.  ``tables/<name>.jsonl`` holds one JSON array per row
in primary-key order, so two backups of an unchanged store hold the same table
files.  Dates and times are ISO text; times are in UTC (a SQLite store keeps
times without a zone, and the app writes them in UTC).

Consistency: a SQLite store is first copied with SQLite's online backup API
(one moment of the file, whoever is writing) and the copy is read, so the
store's own read transaction lasts only as long as the copy; a PostgreSQL store
is read in one REPEATABLE READ, read-only transaction.  The app keeps working
meanwhile, and the file holds one moment of the store.

Restores: the whole file is checked first (a format and schema revision this
app knows, every table file present, complete and matching its checksum and
row count), so a file that is not a backup, is cut short or comes from a newer
version of the app is refused before the store is touched.  The tables are
then created by the migrations at the backup's revision, filled, and migrated
to the newest revision, as the app migrates an old store.  On SQLite this
happens in a new file beside the store, which must pass ``PRAGMA quick_check``
and ``foreign_key_check`` before one ``os.replace`` swaps it in; the replaced
file is kept as ``<name>.<UTC time>.bak``.  On PostgreSQL the app's tables are
dropped and made again in one transaction, behind the migrations' lock, and
each id sequence is set past the restored ids.  A refusal or a failure leaves
the store as it was.  Nothing here imports streamlit.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import errno
import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, MetaData, Table, create_engine, func, inspect, select, text
from sqlalchemy import types as sqltypes
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from rmo_data import faults
from rmo_data.store import migrate, rebuild, schema
from rmo_data.store.engine import database_url, shown_url, sqlite_path, store_status

FORMAT = "rmo-leverage-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
APP_NAME = "RMO Leverage Explorer"
FILE_MODE = 0o600  # backups and stores hold participants' names and partners' plans: owner only
CHUNK = 5000  # rows per read and per INSERT, so memory stays flat on a large store
PG_LOCK_TIMEOUT = "30s"  # how long a restore waits for another program's open transaction
KINDS = frozenset({"plain", "datetime", "date", "time", "bytes", "decimal"})

Progress = Callable[[str, float], None]


class BackupError(Exception):
    """A backup or restore that was refused or failed; ``str()`` is one plain clause.

    ``bad_input`` is True when the file or the address given is at fault (the
    command exits with status 2), False when the store or the system is (status 3).
    """

    def __init__(self, message: str, bad_input: bool = True) -> None:
        super().__init__(message)
        self.bad_input = bad_input


class _Damaged(Exception):
    """A table file that does not match its manifest (turned into one BackupError)."""


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
    try:
        parsed = make_url(resolved)
        parsed.get_dialect()  # an unknown driver is refused here, not half-way
    except (ArgumentError, ValueError):
        # The error's own text may quote the URL, password and all: never shown.
        raise BackupError("the database address is not one this app can use (it takes sqlite:///FILE "
                          "or postgresql+psycopg://USER@HOST:PORT/DATABASE)") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite" and sqlite_path(resolved) is None:
        raise BackupError("the store must be a SQLite file or a PostgreSQL database, not an in-memory one")
    if backend not in {"sqlite", "postgresql"}:
        raise BackupError("the store must be a SQLite file or a PostgreSQL database")
    return resolved


def _file_fault(err: OSError, path: Path, verb: str) -> str:
    """Why ``path`` could not be read or written, in a clause (no code, no class name)."""
    if err.errno in {errno.ENOENT, errno.ENOTDIR}:
        why = "its folder does not exist"
    elif faults.classify(err) == "disk_full":
        why = "the disk is full"
    elif faults.classify(err) == "read_only":
        why = "permission denied, or the disk is read-only"
    else:
        why = (err.strerror or "the system refused").lower()
    return f"{path} could not be {verb}: {why}"


def _store_fault(err: BaseException) -> str:
    """A database fault in a clause: the shared sentences of ``rmo_data.faults``, and lock timeouts."""
    message = str(getattr(err, "orig", None) or err).lower()
    if "lock timeout" in message or "could not obtain lock" in message:
        return (f"another program kept the store's tables locked for over {PG_LOCK_TIMEOUT.rstrip('s')} "
                "seconds; try again when it is done")
    return faults.sentence(err)


def _damaged(source: Path) -> BackupError:
    return BackupError(f"{source} is incomplete or damaged (it may have been cut short while it was "
                       "copied), so it cannot be restored")


def _not_a_backup(source: Path) -> BackupError:
    return BackupError(f"{source} is not a backup made by python -m rmo_data backup")


# --- values in and out of JSON ----------------------------------------------------------------

def _kind(type_: sqltypes.TypeEngine[Any]) -> str:
    """How a column's values are written in the file (JSON holds the plain ones as they are)."""
    if isinstance(type_, sqltypes.DateTime):
        return "datetime"
    if isinstance(type_, sqltypes.Date):
        return "date"
    if isinstance(type_, sqltypes.Time):
        return "time"
    if isinstance(type_, sqltypes.LargeBinary):
        return "bytes"
    if isinstance(type_, sqltypes.Numeric) and not isinstance(type_, sqltypes.Float):
        return "decimal"
    return "plain"


def _encode(kind: str, value: Any) -> Any:
    if value is None or kind == "plain":
        return value
    if kind == "datetime":
        return (value.astimezone(dt.UTC) if value.tzinfo is not None else value).isoformat()
    if kind in {"date", "time"}:
        return value.isoformat()
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    return str(value)  # decimal: exact as text


def _decoder(kind: str, type_: sqltypes.TypeEngine[Any]) -> Callable[[Any], Any] | None:
    """The function that turns a file value into what the target column takes (None: as it is)."""
    if kind == "datetime":
        aware = bool(getattr(type_, "timezone", False))

        def to_datetime(value: str) -> dt.datetime:
            moment = dt.datetime.fromisoformat(value)
            if aware:  # a zone-less time is UTC, the app's convention
                return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
            return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo is not None else moment
        return to_datetime
    return {"date": dt.date.fromisoformat, "time": dt.time.fromisoformat, "bytes": base64.b64decode,
            "decimal": decimal.Decimal}.get(kind)


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
        kinds = [_kind(c.type) for c in table.c]
        file_name = f"tables/{name}.jsonl"
        digest, rows = hashlib.sha256(), 0
        order = list(table.primary_key.columns) or list(table.c)
        with archive.open(file_name, "w", force_zip64=True) as out:
            result = conn.execute(select(table).order_by(*order).execution_options(yield_per=CHUNK))
            for part in result.partitions():
                block = "".join(json.dumps([_encode(k, v) for k, v in zip(kinds, row)], ensure_ascii=False,
                                           separators=(",", ":")) + "\n" for row in part).encode("utf-8")
                digest.update(block)
                out.write(block)
                rows += len(part)
        entries[name] = {"file": file_name, "rows": rows, "sha256": digest.hexdigest(),
                         "columns": [{"name": c.name, "kind": k} for c, k in zip(table.c, kinds)]}
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
    raise BackupError(faults.kind_sentence({"busy": "busy", "unreachable": "unreachable"}.get(status, "damaged")),
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
    stamp = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except OSError as err:
        raise BackupError(_file_fault(err, target, "written")) from None
    try:
        with os.fdopen(fd, "wb") as raw:
            with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                revision, tables = _snapshot_into(resolved, archive, target.parent, report)
                manifest = {
                    "format": FORMAT, "format_version": FORMAT_VERSION, "app": APP_NAME,
                    "schema_revision": revision, "schema_version": schema.SCHEMA_VERSION,
                    "build_version": schema.BUILD_VERSION,
                    "created_at": stamp.isoformat(timespec="seconds"),
                    "source_dialect": make_url(resolved).get_backend_name(),
                    "tables": tables,
                }
                archive.writestr(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))
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
            raise BackupError(_file_fault(err, target, "written"), bad_input=False) from None
        raise
    report("Done", 1.0)
    return BackupReport(target, manifest, time.perf_counter() - started)


# --- reading a backup file ------------------------------------------------------------------

def _valid_tables(tables: Any) -> bool:
    if not isinstance(tables, dict):
        return False
    for info in tables.values():
        if not (isinstance(info, dict) and isinstance(info.get("file"), str)
                and isinstance(info.get("rows"), int) and isinstance(info.get("sha256"), str)
                and isinstance(info.get("columns"), list) and info["columns"]):
            return False
        if not all(isinstance(c, dict) and isinstance(c.get("name"), str) and c.get("kind") in KINDS
                   for c in info["columns"]):
            return False
    return True


def _manifest(archive: zipfile.ZipFile, source: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError:
        raise _not_a_backup(source) from None
    except (ValueError, zipfile.BadZipFile, zlib.error, EOFError):
        raise _damaged(source) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        if isinstance(manifest, dict) and "export_version" in manifest:
            raise BackupError(f"{source} is a store export (Data management), not a backup; restore "
                              "takes a file made by python -m rmo_data backup")
        raise _not_a_backup(source)
    version = manifest.get("format_version")
    if isinstance(version, int) and version > FORMAT_VERSION:
        raise BackupError(f"{source} was written in a newer backup format (version {version}; this "
                          f"version of the app reads up to {FORMAT_VERSION}); restore it with the version "
                          "that made it")
    if version != FORMAT_VERSION or not _valid_tables(manifest.get("tables")):
        raise _damaged(source)
    known = migrate.known_revisions()
    revision = manifest.get("schema_revision")
    if revision not in known:
        raise BackupError(f"{source} comes from a newer version of the app: its schema revision "
                          f"{revision} is not one this version knows (it knows up to {known[-1]}); "
                          "restore it with the version that made it")
    return manifest


def _rows(archive: zipfile.ZipFile, info: dict[str, Any]) -> Iterator[list[Any]]:
    """The rows of one table file; ``_Damaged`` when it does not match its manifest entry."""
    digest, count, width = hashlib.sha256(), 0, len(info["columns"])
    try:
        with archive.open(info["file"]) as member:
            for line in member:
                digest.update(line)
                row = json.loads(line)
                if not isinstance(row, list) or len(row) != width:
                    raise _Damaged(info["file"])
                count += 1
                yield row
    except (KeyError, zipfile.BadZipFile, zlib.error, EOFError, ValueError) as err:
        raise _Damaged(info["file"]) from err
    if count != info["rows"] or digest.hexdigest() != info["sha256"]:
        raise _Damaged(info["file"])


def read_manifest(source: Path) -> dict[str, Any]:
    """Check the backup file ``source`` whole and return its manifest.

    Every table file is read to its end and compared with its row count and
    checksum, so a restore that follows meets no surprise half-way.

    Raises
    ------
    BackupError
        With one plain clause: no such file, not a backup, incomplete or
        damaged, or made by a newer version of the app.
    """
    source = Path(source).expanduser()
    if not source.exists():
        raise BackupError(f"there is no file {source}")
    if source.is_dir():
        raise BackupError(f"{source} is a folder, not a backup file")
    try:
        with open(source, "rb") as handle:
            looks_like_zip = handle.read(4) == b"PK\x03\x04"
        with zipfile.ZipFile(source) as archive:
            manifest = _manifest(archive, source)
            for info in manifest["tables"].values():
                for _row in _rows(archive, info):
                    pass
    except zipfile.BadZipFile:
        # Without its directory (written last) a zip cannot be opened: cut short if it began as one.
        raise (_damaged(source) if looks_like_zip else _not_a_backup(source)) from None
    except _Damaged:
        raise _damaged(source) from None
    except OSError as err:
        raise BackupError(_file_fault(err, source, "read")) from None
    return manifest


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
        decoders = [_decoder(c["kind"], table.c[c["name"]].type) for c in info["columns"]]
        batch: list[dict[str, Any]] = []
        for row in _rows(archive, info):
            try:
                batch.append({n: v if f is None or v is None else f(v) for n, f, v in zip(names, decoders, row)})
            except (ValueError, TypeError) as err:  # a date that is no date: the file was altered
                raise _Damaged(info["file"]) from err
            if len(batch) >= CHUNK:
                conn.execute(table.insert(), batch)
                batch = []
        if batch:
            conn.execute(table.insert(), batch)
        if conn.execute(select(func.count()).select_from(table)).scalar_one() != info["rows"]:
            raise _Damaged(info["file"])
        progress(f"Restored {table.name}", 0.1 + 0.8 * i / len(order))
    if conn.dialect.name == "postgresql":
        _continue_sequences(conn, order)
    migrate.upgrade_connection(conn)  # a backup made by an older version is brought up to date
    rebuild.refresh_statistics(conn)  # the planner's statistics are not in the backup
    if migrate.current_revision(conn) != migrate.head_revision():  # pragma: no cover - upgrade's own promise
        raise BackupError("the restored store did not reach the newest schema revision", bad_input=False)


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
    if status in {"unreachable", "busy", "read_only"}:
        raise BackupError(faults.kind_sentence(status), bad_input=False)
    engine = migrate.migration_engine(resolved)
    try:
        with zipfile.ZipFile(source) as archive, engine.begin() as conn:
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{PG_LOCK_TIMEOUT}'")
            migrate.hold_migration_lock(conn)
            present = set(inspect(conn).get_table_names())
            current = migrate.current_revision(conn) if migrate.VERSION_TABLE in present else None
            if current is not None and current not in migrate.known_revisions():
                raise BackupError(f"the database holds a store at schema revision {current}, made by a newer "
                                  "version of the app; restore with that version", bad_input=False)
            ours = [n for n in present if n in schema.metadata.tables or n == migrate.VERSION_TABLE]
            old = MetaData()
            old.reflect(conn, only=ours)
            old.drop_all(conn)
            progress("Dropped the store's tables (until the transaction ends)", 0.1)
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
    except _Damaged:
        raise _damaged(source) from None
    except IntegrityError:
        raise BackupError(f"the rows in {source} do not fit together (a row refers to one that is not in "
                          "the backup, or two rows share a key), so it cannot be restored") from None
    except (SQLAlchemyError, sqlite3.Error) as err:
        raise BackupError(_store_fault(err), bad_input=False) from None
    except OSError as err:
        where = path if path is not None else source
        raise BackupError(_file_fault(err, where, "written" if path is not None else "read"),
                          bad_input=False) from None
    migrate.forget(resolved)  # this process checks the replaced store again
    report("Done", 1.0)
    return RestoreReport(shown_url(resolved), manifest, migrate.head_revision(),
                         time.perf_counter() - started, kept)
