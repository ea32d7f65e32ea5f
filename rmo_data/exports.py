"""Tables as download files: CSV and Excel (XLSX) bytes from a DataFrame, and the whole store as a zip.

No streamlit here.  ``store_export`` writes one versioned zip of the store: a
CSV per table, a manifest and a SQLite copy (see its docstring).

Both files hold the same rows and columns (the frame's index is left out, as
on screen).  The Excel writer turns cell values Excel cannot hold into plain
text: lists become "a; b", time-zone-aware times lose their zone (shown in
UTC), and characters that are illegal in the XML of a workbook are dropped.
Text that starts with "=" stays text, so a value from the data can never
become a formula in the user's spreadsheet.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import sqlite3
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel's own limits: sheet names of 31 characters without []:*?/\, and about a
# million rows per sheet (one is the header).
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
MAX_XLSX_ROWS = 1_048_575
MAX_COLUMN_WIDTH = 60


def _joined(value: Any) -> Any:
    if isinstance(value, list | tuple | set | frozenset):
        return "; ".join(str(v) for v in value)
    return value


def table_csv(frame: pd.DataFrame) -> bytes:
    """The frame as UTF-8 CSV, without its index; list cells read "a; b" as in the XLSX."""
    out = frame
    listy = [c for c in frame.columns if frame[c].dtype == object
             and frame[c].map(lambda v: isinstance(v, list | tuple | set | frozenset)).any()]
    if listy:
        out = frame.copy()
        for column in listy:
            out[column] = frame[column].map(_joined)
    return out.to_csv(index=False).encode("utf-8")


def sheet_name(title: str) -> str:
    """A sheet name Excel accepts, from a figure title."""
    name = _SHEET_BAD.sub(" ", title).strip().strip("'")[:31].strip()
    return name or "Data"


def excel_value(value: Any) -> Any:
    """One cell value in a form a workbook can store."""
    if isinstance(value, list | tuple | set | frozenset):
        return _joined(value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and pd.isna(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        # Excel has no time zones: store the UTC time without the zone.
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # imported on use, see table_xlsx

        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return value.item()  # numpy scalars to Python numbers and booleans
    return value


def table_xlsx(frame: pd.DataFrame, title: str = "Data") -> bytes:
    """The frame as an Excel workbook: one sheet, bold frozen header, readable column widths.

    Raises ``ValueError`` when the frame has more rows than a sheet can hold.
    """
    if len(frame) > MAX_XLSX_ROWS:
        raise ValueError(f"{len(frame):,} rows do not fit in one Excel sheet")
    # openpyxl takes a third of a second to import; every page imports this module, few
    # sessions write a workbook, so a server's first page does not pay for it.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = sheet_name(title)
    columns = [str(c) for c in frame.columns]
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    widths = [len(c) for c in columns]
    for r, row in enumerate(frame.itertuples(index=False, name=None), start=2):
        for c, raw in enumerate(row, start=1):
            value = excel_value(raw)
            cell = sheet.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                if value.startswith("="):
                    cell.data_type = "s"  # text from the data, never a formula
                widths[c - 1] = max(widths[c - 1], min(len(value), MAX_COLUMN_WIDTH))
            elif value is not None:
                widths[c - 1] = max(widths[c - 1], min(len(str(value)), MAX_COLUMN_WIDTH))
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = min(MAX_COLUMN_WIDTH, width + 2)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- the whole store as one versioned download --------------------------------------------

EXPORT_VERSION = "1"
ZIP_MIME = "application/zip"


def _sqlite_snapshot(engine: Any, target: Path) -> None:
    """Write a consistent SQLite copy of the store at ``target``.

    A SQLite store is copied with SQLite's online backup API (one consistent
    snapshot even while the app writes); any other database is read table by
    table inside one transaction and written into a new SQLite file of the same
    schema.
    """
    from sqlalchemy import insert, inspect, select

    from rmo_data import schema
    from rmo_data.engine import make_engine

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


def store_export(engine: Any, now: dt.datetime | None = None) -> tuple[bytes, dict[str, Any]]:
    """The whole store as a zip: one CSV per table, ``manifest.json`` and a SQLite copy.

    The CSVs and the row counts are read from the SQLite copy, so every part of
    the zip describes the same moment of the store.

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
    from sqlalchemy import inspect, select, text

    from rmo_data import schema
    from rmo_data.build import BUILD_VERSION
    from rmo_data.engine import make_engine

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
                        archive.writestr(f"tables/{name}.csv", frame.to_csv(index=False))
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
