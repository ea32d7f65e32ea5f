"""The backup file: written and read here, so the writer and the reader cannot drift apart.

A backup is a zip file.  ``manifest.json`` names the format and its version,
the store's schema revision (its Alembic revision), the schema and build
versions of the app that wrote it, when it was made (UTC), the kind of database
it came from and, per table, its columns (with the kind of value each holds),
its row count and the SHA-256 of its data file.  ``tables/<name>.jsonl`` holds
one JSON array per row.  Dates and times are ISO text; times are in UTC (a
SQLite store keeps times without a zone, and the app writes them in UTC).

``read_manifest`` checks a file whole (a format and a schema revision this app
knows, every table file present, complete and matching its row count and
checksum) and says in one clause why it refuses one.  ``rmo_data.store.backup``
does the store's side.  Nothing here imports streamlit.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import errno
import hashlib
import json
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import types as sqltypes

from rmo_data import faults
from rmo_data.store import migrate, schema

FORMAT = "rmo-leverage-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
APP_NAME = "RMO Leverage Explorer"
KINDS = frozenset({"plain", "datetime", "date", "time", "bytes", "decimal"})


class BackupError(Exception):
    """A backup or restore that was refused or failed; ``str()`` is one plain clause.

    ``bad_input`` is True when the file or the address given is at fault (the
    command exits with status 2), False when the store or the system is (status 3).
    """

    def __init__(self, message: str, bad_input: bool = True) -> None:
        super().__init__(message)
        self.bad_input = bad_input


class DamagedFile(Exception):
    """A table file that does not match its manifest entry (its name is the message)."""


def damaged(source: Path) -> BackupError:
    """The refusal of a file that is cut short, altered or unreadable inside."""
    return BackupError(f"{source} is incomplete or damaged (it may have been cut short while it was "
                       "copied), so it cannot be restored")


def not_a_backup(source: Path) -> BackupError:
    """The refusal of a file that was never a backup."""
    return BackupError(f"{source} is not a backup made by python -m rmo_data backup")


def file_fault(err: OSError, path: Path, verb: str) -> str:
    """Why ``path`` could not be read or written (``verb``), in a clause with no code or class name."""
    if err.errno in {errno.ENOENT, errno.ENOTDIR}:
        why = "its folder does not exist"
    elif faults.classify(err) == "disk_full":
        why = "the disk is full"
    elif faults.classify(err) == "read_only":
        why = "permission denied, or the disk is read-only"
    else:
        why = (err.strerror or "the system refused").lower()
    return f"{path} could not be {verb}: {why}"


# --- values in and out of JSON ----------------------------------------------------------------

def kind_of(type_: sqltypes.TypeEngine[Any]) -> str:
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


def decoder(kind: str, type_: sqltypes.TypeEngine[Any]) -> Callable[[Any], Any] | None:
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


# --- writing ---------------------------------------------------------------------------------

def write_table(archive: zipfile.ZipFile, name: str, columns: Sequence[tuple[str, str]],
                parts: Iterable[Sequence[Sequence[Any]]]) -> dict[str, Any]:
    """Write one table's rows (given in blocks) as ``tables/<name>.jsonl``; return its manifest entry.

    ``columns`` are (name, kind) pairs in the order of each row's values.
    """
    kinds = [kind for _name, kind in columns]
    file_name = f"tables/{name}.jsonl"
    digest, rows = hashlib.sha256(), 0
    with archive.open(file_name, "w", force_zip64=True) as out:
        for part in parts:
            block = "".join(json.dumps([_encode(k, v) for k, v in zip(kinds, row)], ensure_ascii=False,
                                       separators=(",", ":")) + "\n" for row in part).encode("utf-8")
            digest.update(block)
            out.write(block)
            rows += len(part)
    return {"file": file_name, "rows": rows, "sha256": digest.hexdigest(),
            "columns": [{"name": n, "kind": k} for n, k in columns]}


def write_manifest(archive: zipfile.ZipFile, revision: str, dialect: str,
                   tables: dict[str, dict[str, Any]], made: dt.datetime) -> dict[str, Any]:
    """Write ``manifest.json`` last (a file cut short then lacks it); return what it says."""
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "app": APP_NAME,
        "schema_revision": revision, "schema_version": schema.SCHEMA_VERSION,
        "build_version": schema.BUILD_VERSION,
        "created_at": made.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "source_dialect": dialect, "tables": tables,
    }
    archive.writestr(MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
    return manifest


# --- reading ---------------------------------------------------------------------------------

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
        raise not_a_backup(source) from None
    except (ValueError, zipfile.BadZipFile, zlib.error, EOFError):
        raise damaged(source) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        if isinstance(manifest, dict) and "export_version" in manifest:
            raise BackupError(f"{source} is a store export (Data management), not a backup; restore "
                              "takes a file made by python -m rmo_data backup")
        raise not_a_backup(source)
    version = manifest.get("format_version")
    if isinstance(version, int) and version > FORMAT_VERSION:
        raise BackupError(f"{source} was written in a newer backup format (version {version}; this "
                          f"version of the app reads up to {FORMAT_VERSION}); restore it with the version "
                          "that made it")
    if version != FORMAT_VERSION or not _valid_tables(manifest.get("tables")):
        raise damaged(source)
    known = migrate.known_revisions()
    revision = manifest.get("schema_revision")
    if revision not in known:
        raise BackupError(f"{source} comes from a newer version of the app: its schema revision "
                          f"{revision} is not one this version knows (it knows up to {known[-1]}); "
                          "restore it with the version that made it")
    return manifest


def table_rows(archive: zipfile.ZipFile, info: dict[str, Any]) -> Iterator[list[Any]]:
    """The rows of one table file; ``DamagedFile`` when it does not match its manifest entry.

    The row count and checksum are compared at the end of the file, so a
    caller that writes rows as they come must be able to undo them.
    """
    digest, count, width = hashlib.sha256(), 0, len(info["columns"])
    try:
        with archive.open(info["file"]) as member:
            for line in member:
                digest.update(line)
                row = json.loads(line)
                if not isinstance(row, list) or len(row) != width:
                    raise DamagedFile(info["file"])
                count += 1
                yield row
    except (KeyError, zipfile.BadZipFile, zlib.error, EOFError, ValueError) as err:
        raise DamagedFile(info["file"]) from err
    if count != info["rows"] or digest.hexdigest() != info["sha256"]:
        raise DamagedFile(info["file"])


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
                for _row in table_rows(archive, info):
                    pass
    except zipfile.BadZipFile:
        # Without its directory (written last) a zip cannot be opened: cut short if it began as one.
        raise (damaged(source) if looks_like_zip else not_a_backup(source)) from None
    except DamagedFile:
        raise damaged(source) from None
    except OSError as err:
        raise BackupError(file_fault(err, source, "read")) from None
    return manifest
