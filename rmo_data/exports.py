"""Tables as download files: CSV and Excel (XLSX) bytes from DataFrames.

No streamlit here.  This module is the one way the app writes a spreadsheet:
every CSV goes through ``frame_csv`` and every workbook through
``frame_xlsx`` (``table_csv`` and ``table_xlsx`` are their one-table forms),
so every download and the store export follow the same rule.

The rule against formula injection (OWASP's "CSV injection" advice): a text
cell whose first character is one of ``= + - @``, a tab or a carriage return
gets a single quote in front (``safe_cell``), because a spreadsheet would
otherwise run it as a formula, e.g. an action owner typed as
``=cmd|' /C calc'!A0``.  Numbers stay numbers (-3 is written as -3); only
text is changed.  In a workbook such text is also stored as a string cell,
never a formula.  A text that already starts with quotes before one of those
characters gets one more quote, so ``unescape_cell`` (used by the upload
reader) gives back exactly the stored text: "current rows" downloaded and
uploaded again change nothing.

Both files of a table hold the same rows and columns (the frame's index is
left out, as on screen).  The Excel writer turns cell values Excel cannot
hold into plain text: lists become "a; b", time-zone-aware times lose their
zone (shown in UTC), and characters that are illegal in the XML of a
workbook are dropped.  The versioned zip of the whole store is written by
``rmo_data.store.export`` with these helpers.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP_MIME = "application/zip"
# Excel's own limits: sheet names of 31 characters without []:*?/\, and about a
# million rows per sheet (one is the header).
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
MAX_XLSX_ROWS = 1_048_575
MAX_COLUMN_WIDTH = 60


def _joined(value: Any) -> Any:
    if isinstance(value, list | tuple | set | frozenset):
        return "; ".join(str(v) for v in value)
    return value


# A text cell starting with one of these is run as a formula by Excel, LibreOffice or Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` ready for a spreadsheet cell: text that could start a formula gets a leading quote.

    Only text changes; numbers, dates, booleans and empty cells are returned as
    they are.  Leading quotes are looked past, so "'=x" becomes "''=x" and
    ``unescape_cell`` can undo every change exactly.
    """
    if isinstance(value, str) and value.lstrip("'").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unescape_cell(text: str) -> str:
    """The text ``safe_cell`` was given: drop the one quote it added (uploads of downloaded rows)."""
    if text.startswith("'") and text[1:].lstrip("'").startswith(FORMULA_STARTS):
        return text[1:]
    return text


def _safe_text(value: Any) -> Any:
    return safe_cell(_joined(value))


def _safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with lists joined and every text cell and column name through ``safe_cell``."""
    out = frame.copy()
    for i in range(frame.shape[1]):
        column = frame.iloc[:, i]
        if column.dtype.kind in "biufcmM":
            continue  # numbers and times hold no text
        out.isetitem(i, column.astype(object).map(_safe_text))
    out.columns = [safe_cell(str(c)) for c in frame.columns]
    return out


def frame_csv(frame: pd.DataFrame) -> bytes:
    """The frame as UTF-8 CSV, without its index; list cells read "a; b"; formula-like text is quoted."""
    return _safe_frame(frame).to_csv(index=False).encode("utf-8")


def table_csv(frame: pd.DataFrame) -> bytes:
    """A figure's table as CSV: ``frame_csv``."""
    return frame_csv(frame)


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


def frame_xlsx(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """Frames as one Excel workbook, a sheet per title: bold frozen header, readable column widths.

    Every text cell goes through ``safe_cell`` and is stored as a string, never a formula.
    Raises ``ValueError`` when a frame has more rows than a sheet can hold.
    """
    for frame in sheets.values():
        if len(frame) > MAX_XLSX_ROWS:
            raise ValueError(f"{len(frame):,} rows do not fit in one Excel sheet")
    # openpyxl takes a third of a second to import; every page imports this module, few
    # sessions write a workbook, so a server's first page does not pay for it.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    for title, frame in sheets.items():
        sheet = book.create_sheet(sheet_name(title))
        columns = [safe_cell(str(c)) for c in frame.columns]
        sheet.append(columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.data_type = "s"
        sheet.freeze_panes = "A2"
        widths = [len(c) for c in columns]
        for r, row in enumerate(frame.itertuples(index=False, name=None), start=2):
            for c, raw in enumerate(row, start=1):
                value = safe_cell(excel_value(raw))
                cell = sheet.cell(row=r, column=c, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # text from the data, never a formula
                    widths[c - 1] = max(widths[c - 1], min(len(value), MAX_COLUMN_WIDTH))
                elif value is not None:
                    widths[c - 1] = max(widths[c - 1], min(len(str(value)), MAX_COLUMN_WIDTH))
        for i, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = min(MAX_COLUMN_WIDTH, width + 2)
    if not book.worksheets:
        book.create_sheet("Data")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def table_xlsx(frame: pd.DataFrame, title: str = "Data") -> bytes:
    """A figure's table as a one-sheet workbook: ``frame_xlsx``."""
    return frame_xlsx({title: frame})
