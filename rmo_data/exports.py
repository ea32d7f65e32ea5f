"""Tables as download files: CSV and Excel (XLSX) bytes from a DataFrame, no streamlit.

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
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

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
