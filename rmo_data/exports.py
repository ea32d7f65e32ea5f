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

Downloads of what a figure shows are *readable* and carry their provenance
(``figure_csv_zip``, ``figure_xlsx``): ``readable_frame`` names every column
from ``rmo_data.vocabulary.COLUMNS`` (heading and unit), writes slugs as names
and rounds numbers by the column's rule (``vocabulary.ROUNDING``; a number
column the vocabulary does not name gets 2 decimals); the About rows of
``rmo_data.about`` go beside the data: an *About* sheet in the workbook, an
``about.csv`` next to the data CSV in a zip.  Upload formats (the data
page's templates and "current rows") stay raw: they use ``table_csv`` and
``table_xlsx``, which change nothing but the formula guard, so a download
uploads again unchanged.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Mapping
from typing import Any

import pandas as pd

from rmo_data import vocabulary

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


# --- readable downloads with their provenance ---------------------------------------------

DEFAULT_DECIMALS = 2  # a number column the vocabulary does not name


def _named(kind: str, value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [vocabulary.value_name(kind, v) for v in value]
    return vocabulary.value_name(kind, value)


def _rounded(column: pd.Series, rule: str) -> pd.Series:
    """``column`` rounded by ``rule``; whole numbers left as whole numbers (no "2021.0")."""
    if rule == "flag":
        if column.dtype == bool or column.dropna().isin([True, False]).all():
            return column.map(lambda v: None if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v))
                              else ("yes" if bool(v) else "no"))
        return column
    if column.dtype.kind not in "biuf":
        # An object column of numbers and gaps (None) is rounded too; text stays as it is.
        present = column.dropna()
        if present.empty or not present.map(lambda v: isinstance(v, int | float) and not isinstance(v, bool)).all():
            return column
    numbers = column.astype("float64")
    if rule == "fraction_pct1":
        numbers = (numbers * 100).round(1)
    elif rule in ("pct1", "one_decimal"):
        numbers = numbers.round(1)
    elif rule in ("score2", "mean2"):
        numbers = numbers.round(2)
    elif rule == "int":
        numbers = numbers.round(0)
    elif column.dtype.kind == "f":
        numbers = numbers.round(DEFAULT_DECIMALS)
    else:
        return column
    present = numbers.dropna()
    if (present == present.round(0)).all():
        return numbers.round(0).astype("Int64")
    return numbers


def rounded(column: pd.Series, rule: str) -> pd.Series:
    """``column`` written by the rounding ``rule`` of ``vocabulary.ROUNDING`` (text is left as it is)."""
    return _rounded(column, rule)


def readable_columns(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """(column, heading) for each column of ``frame`` a download keeps, in order.

    Technical columns (``vocabulary.HIDDEN_COLUMNS``) and a slug column whose
    named partner is in the frame (``material`` beside ``material_name``) are
    left out; two columns that would share a heading get a number after it.
    """
    out: list[tuple[str, str]] = []
    headings: set[str] = set()
    for name in (str(c) for c in frame.columns):
        spec = vocabulary.column(name)
        if name in vocabulary.HIDDEN_COLUMNS or (spec is not None and spec.drop_with
                                                 and spec.drop_with in frame.columns):
            continue
        heading = base = vocabulary.column_heading(name)
        n = 2
        while heading in headings:
            heading, n = f"{base} ({n})", n + 1
        headings.add(heading)
        out.append((name, heading))
    return out


def readable_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as a reader gets it: vocabulary headings with units, names for slugs, numbers rounded.

    The columns are ``readable_columns``'; each is rounded by its rule
    (``vocabulary.ROUNDING``), whole numbers written without ".0".  A slug
    column whose names repeat another column (``category`` beside its labels)
    is left out.  ``attrs["rules"]`` maps each heading to its rounding rule.
    """
    out: dict[str, pd.Series] = {}
    rules: dict[str, str] = {}
    position = {str(c): i for i, c in reversed(list(enumerate(frame.columns)))}  # a name's first column
    texts = {str(c): frame.iloc[:, i].astype(str).tolist() for i, c in enumerate(frame.columns)
             if frame.iloc[:, i].dtype == object or pd.api.types.is_string_dtype(frame.iloc[:, i])}
    for name, heading in readable_columns(frame):
        spec = vocabulary.column(name)
        column = frame.iloc[:, position[name]]
        if spec is not None and spec.values:
            column = column.map(lambda v, kind=spec.values: _named(kind, v))
            named = column.astype(str).tolist()
            if any(other != name and values == named for other, values in texts.items()):
                continue  # the same names are in another column already
        rule = spec.rule if spec is not None else ("default" if column.dtype.kind == "f" else "text")
        out[heading] = _rounded(column, rule).reset_index(drop=True)
        rules[heading] = rule
    result = pd.DataFrame(out, columns=list(out))
    result.attrs["rules"] = rules
    return result


def figure_xlsx(frame: pd.DataFrame, title: str, about: pd.DataFrame) -> bytes:
    """A figure's readable table and its About sheet as one workbook (``frame_xlsx``)."""
    name = sheet_name(title)
    if name == "About":
        name = "Data"  # the About sheet keeps its name
    return frame_xlsx({name: readable_frame(frame), "About": about})


def figure_csv_zip(frame: pd.DataFrame, stem: str, about: pd.DataFrame) -> bytes:
    """A zip of the figure's readable table (``<stem>.csv``) and its ``about.csv`` (Section, Item, Value)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{stem}.csv", frame_csv(readable_frame(frame)))
        archive.writestr("about.csv", frame_csv(about))
    return buffer.getvalue()
