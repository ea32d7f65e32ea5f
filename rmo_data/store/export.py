"""The whole store as one versioned download: a zip of a CSV per table, a manifest and a SQLite copy.

The CSVs go through ``rmo_data.exports.frame_csv`` like every other download
(formula-like text gets a leading quote); the SQLite copy keeps every value
exactly.  Works on SQLite and on any other database SQLAlchemy reaches.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import sqlite3
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, insert, inspect, select, text

from rmo_data.exports import frame_csv
from rmo_data.store import schema
from rmo_data.store.engine import make_engine
from rmo_data.store.schema import BUILD_VERSION

EXPORT_VERSION = "1"


def _sqlite_snapshot(engine: Engine, target: Path) -> None:
    """Write a consistent SQLite copy of the store at ``target``.

    A SQLite store is copied with SQLite's online backup API (one consistent
    snapshot even while the app writes); any other database is read table by
    table inside one transaction and written into a new SQLite file of the same
    schema.
    """
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        raw = engine.raw_connection()
        try:
            dest = sqlite3.connect(str(target))
            try:
                raw.driver_connection.backup(dest)
            finally:
                dest.close()
        finally:
            raw.close()
        return
    out = make_engine(f"sqlite:///{target}")
    try:
        schema.metadata.create_all(out)
        with engine.connect() as src, out.begin() as dst:
            present = set(inspect(src).get_table_names())
            for table in schema.metadata.sorted_tables:  # parents first, so foreign keys hold
                if table.name not in present:
                    continue
                columns = {c["name"] for c in inspect(src).get_columns(table.name)}
                cols = [c for c in table.c if c.name in columns]
                rows = [dict(r._mapping) for r in src.execute(select(*cols))]
                for start in range(0, len(rows), 5000):
                    dst.execute(insert(table), rows[start:start + 5000])
    finally:
        out.dispose()


def store_export(engine: Engine, now: dt.datetime | None = None) -> tuple[bytes, dict[str, Any]]:
    """The whole store as a zip: one CSV per table, ``manifest.json`` and a SQLite copy.

    The CSVs and the row counts are read from the SQLite copy, so every part of
    the zip describes the same moment of the store.  The CSVs are written by
    ``frame_csv`` (formula-like text gets a leading quote); the SQLite copy
    keeps every value exactly.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The store (SQLite or any other database SQLAlchemy reaches).
    now : datetime, optional
        The export time written to the manifest (default: the current UTC time).

    Returns
    -------
    (bytes, dict)
        The zip file's bytes and the manifest it holds: ``export_version``,
        ``exported_at``, ``schema_version``, ``build`` (the store's build_info),
        ``source_dialect``, ``tables`` (name → row count) and ``files``.
    """
    stamp = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    with tempfile.TemporaryDirectory(prefix="rmo-export-") as tmp:
        snapshot = Path(tmp) / "rmo.sqlite"
        _sqlite_snapshot(engine, snapshot)
        copy = make_engine(f"sqlite:///{snapshot}")
        counts: dict[str, int] = {}
        buffer = io.BytesIO()
        try:
            with copy.connect() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode=DELETE")  # one self-contained file in the zip
                names = sorted(inspect(conn).get_table_names())
                build = {k: v for k, v in conn.execute(text("SELECT key, value FROM build_info"))} \
                    if "build_info" in names else {}
                with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                    for name in names:
                        table = schema.metadata.tables.get(name)
                        query = select(table) if table is not None else text(f'SELECT * FROM "{name}"')
                        result = conn.execute(query)
                        frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
                        counts[name] = int(len(frame))
                        archive.writestr(f"tables/{name}.csv", frame_csv(frame))
            copy.dispose()
            manifest = {
                "export_version": EXPORT_VERSION,
                "exported_at": stamp.isoformat(timespec="seconds"),
                "app": "RMO Leverage Explorer",
                "schema_version": schema.SCHEMA_VERSION,
                "build_version": BUILD_VERSION,
                "build": build,
                "source_dialect": engine.dialect.name,
                "tables": counts,
                "files": [f"tables/{n}.csv" for n in names] + ["rmo.sqlite", "manifest.json"],
                "csv_text": "text starting with = + - @, a tab or a carriage return has a leading ' "
                            "(formula injection guard); rmo.sqlite holds the exact values",
            }
            with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
                archive.write(snapshot, "rmo.sqlite")
                archive.writestr("manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
        finally:
            copy.dispose()
    return buffer.getvalue(), manifest


def store_export_name(manifest: dict[str, Any]) -> str:
    """A file name for the export: rmo-store-<UTC time>.zip."""
    stamp = str(manifest.get("exported_at", "")).replace(":", "").replace("-", "")[:15]
    return f"rmo-store-{stamp or 'export'}.zip"
