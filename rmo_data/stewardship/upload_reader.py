"""Reading an uploaded CSV or XLSX file into rows of text, within limits.

So that one upload cannot tie up the server: at most ``MAX_UPLOAD_BYTES`` per
file and ``MAX_UPLOAD_ROWS`` rows; a workbook is first judged from its zip
directory (what it unpacks to, how many parts, the rows a sheet declares) and
then read row by row in openpyxl's read-only mode, stopping at the row limit.
A cell that starts with a quote followed by ``= + - @``, a tab or a carriage
return loses that one quote (``exports.unescape_cell``): downloads add it, so
"current rows" downloaded and uploaded again change nothing.  Upload row
numbers are spreadsheet rows: the header is row 1, the first data row is row 2.
Nothing here knows the tables; ``read_upload`` never raises on a bad file.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError, iterparse

import pandas as pd

from rmo_data.exports import unescape_cell
from rmo_data.ingest.seeds import Problem

MAX_UPLOAD_BYTES = 5_000_000
MAX_UPLOAD_ROWS = 20_000
# A workbook is a zip: its parts may unpack to far more than the upload's size.  20,000 rows
# of every table's columns unpack to about 15 MB; more than this is refused before parsing.
MAX_XLSX_UNPACKED_BYTES = 60_000_000
MAX_XLSX_PARTS = 1_000
# Blank rows are skipped, but reading them costs time too: a sheet is read no further than this.
MAX_SCANNED_ROWS = 5 * MAX_UPLOAD_ROWS
SOURCES_SHEET = "sources"

RawRow = tuple[int, dict[str, str]]
Sheets = dict[str, tuple[list[str], list[RawRow]]]


def _cell(value: Any) -> str:
    """One spreadsheet cell as the text a CSV would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))  # Excel stores 2019 as 2019.0
        return repr(value)
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        return value.isoformat()
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def _text(value: Any) -> str:
    """A cell as text, without the quote a download put in front of formula-like text."""
    return unescape_cell(_cell(value))


def _header(values: Sequence[Any]) -> list[str]:
    return [_text(c).strip().lstrip("\ufeff").strip().lower() for c in values]


def _frame_rows(frame: pd.DataFrame) -> tuple[list[str], list[RawRow]]:
    header = _header(list(frame.columns))
    rows: list[RawRow] = []
    for index, values in enumerate(frame.itertuples(index=False, name=None)):
        cells = [_text(v) for v in values]
        if all(not c.strip() for c in cells):
            continue  # blank lines are not rows
        rows.append((index + 2, dict(zip(header, cells, strict=False))))
    return header, rows


class _TooManyRows(ValueError):
    """A sheet holds more rows than one upload may."""


def _sheet_rows(sheet: Any) -> tuple[list[str], list[RawRow]]:
    """(header, rows) of an openpyxl read-only sheet, read row by row and stopped at the row limit.

    The first row that is not blank is the header; row numbers are the sheet's own.
    """
    header: list[str] | None = None
    rows: list[RawRow] = []
    extra = 0  # cells right of the header: they need a column name, so the header check names them
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number > MAX_SCANNED_ROWS:
            raise _TooManyRows(f"has more than {MAX_SCANNED_ROWS:,} rows, blank rows included; "
                               f"at most {MAX_UPLOAD_ROWS:,} rows per upload")
        cells = [_text(v) for v in values]
        while cells and not cells[-1].strip():
            cells.pop()
        if not cells:
            continue  # blank rows are not rows
        if header is None:
            header = _header(cells)
            continue
        if len(rows) >= MAX_UPLOAD_ROWS:
            raise _TooManyRows(f"has more than {MAX_UPLOAD_ROWS:,} rows; at most {MAX_UPLOAD_ROWS:,} per upload")
        extra = max(extra, len(cells) - len(header))
        rows.append((number, dict(zip(header, cells, strict=False))))
    header = header or []
    return header + [""] * extra, rows


_SHEET_DATA = re.compile(rb"<([A-Za-z_][\w.-]*:)?sheetData[\s/>]")


def _worksheet_head(archive: Any, info: Any) -> tuple[bool, str | None]:
    """Whether a part of a workbook is a worksheet, and the size it declares, from its first elements.

    Reading stops at the worksheet's ``dimension`` or at the start of its rows, so this costs
    nothing however long the sheet is.
    """
    try:
        with archive.open(info) as stream:
            for count, (_event, element) in enumerate(iterparse(stream, events=("start",))):
                name = element.tag.rsplit("}", 1)[-1]
                if count == 0 and name != "worksheet":
                    return False, None
                if name == "dimension":
                    return True, element.get("ref")
                if name == "sheetData":
                    return True, None
    except (ParseError, OSError, ValueError, EOFError):
        pass  # a damaged part: openpyxl says so when it opens the workbook
    return False, None


def _declared_rows(ref: str) -> int:
    from openpyxl.utils.cell import range_boundaries  # imported on use, like load_workbook below

    try:
        bounds = range_boundaries(ref.split(" ")[0])
    except (ValueError, TypeError):
        return 0
    return int(bounds[3] or 0)


def _checked_workbook(file_name: str, data: bytes) -> tuple[bytes, Problem | None]:
    """The workbook ready for openpyxl, or why it must not be opened, judged before any parsing.

    Refused: a zip whose parts unpack to more than ``MAX_XLSX_UNPACKED_BYTES`` (its directory
    gives the sizes; zipfile never unpacks more than those) and a sheet that declares more
    rows than are ever read.  A sheet that declares no size gets one: without it openpyxl
    reads the whole sheet just to size it, before the first row is handed over.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            if len(parts) > MAX_XLSX_PARTS:
                return data, Problem(file_name, None, None, f"is not a plain workbook ({len(parts):,} parts; "
                                                            f"at most {MAX_XLSX_PARTS:,})")
            unpacked = sum(part.file_size for part in parts)
            if unpacked > MAX_XLSX_UNPACKED_BYTES:
                return data, Problem(file_name, None, None,
                                     f"unpacks to {unpacked:,} bytes; at most {MAX_XLSX_UNPACKED_BYTES:,} per "
                                     f"workbook (about {MAX_UPLOAD_ROWS:,} rows)")
            unsized = []
            for part in parts:
                if not part.filename.lower().endswith(".xml"):
                    continue
                sheet, ref = _worksheet_head(archive, part)
                if not sheet:
                    continue
                if ref is None:
                    unsized.append(part.filename)
                elif (declared := _declared_rows(ref)) > MAX_SCANNED_ROWS:
                    return data, Problem(file_name, None, None,
                                         f"declares {declared:,} rows in one sheet; at most "
                                         f"{MAX_UPLOAD_ROWS:,} rows per upload")
            if not unsized:
                return data, None
            buffer = io.BytesIO()
            # Stored, not compressed: the copy lives only while the upload is read.
            with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as copy:
                for part in parts:
                    raw = archive.read(part)
                    if part.filename in unsized:
                        match = _SHEET_DATA.search(raw)
                        if match is not None:
                            prefix = match.group(1) or b""
                            raw = raw[:match.start()] + b"<" + prefix + b'dimension ref="A1"/>' + raw[match.start():]
                    copy.writestr(part.filename, raw)
            return buffer.getvalue(), None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        return data, Problem(file_name, None, None, f"cannot be read as an Excel workbook ({short_reason(exc)})")


def _read_xlsx(file_name: str, data: bytes) -> tuple[Sheets, list[Problem]]:
    """The sheets an upload uses (the first sheet of data and a ``sources`` sheet), streamed."""
    data, problem = _checked_workbook(file_name, data)
    if problem is not None:
        return {}, [problem]
    from openpyxl import load_workbook  # imported on use (a third of a second): few sessions read a workbook

    sheets: Sheets = {}
    try:
        book = load_workbook(io.BytesIO(bytes(data)), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is a problem to report
        return {}, [Problem(file_name, None, None, f"cannot be read as an Excel workbook ({short_reason(exc)})")]
    try:
        # Only the sheets an upload uses are read: the first of data rows and "sources".
        named = [(str(sheet.title).strip().lower(), sheet) for sheet in book.worksheets]
        first_data = next((sheet for name, sheet in named if name != SOURCES_SHEET), None)
        first_sources = next((sheet for name, sheet in named if name == SOURCES_SHEET), None)
        for sheet in (sheet for _name, sheet in named if sheet is first_data or sheet is first_sources):
            name = str(sheet.title).strip().lower()
            sheet.reset_dimensions()  # rows as the sheet holds them, not padded to a declared size
            try:
                sheets[name] = _sheet_rows(sheet)
            except _TooManyRows as exc:
                label = file_name if len(book.sheetnames) == 1 else f"{file_name} (sheet '{sheet.title}')"
                return {}, [Problem(label, None, None, str(exc))]
    except Exception as exc:  # noqa: BLE001 - a damaged part shows only while reading
        return {}, [Problem(file_name, None, None, f"cannot be read as an Excel workbook ({short_reason(exc)})")]
    finally:
        book.close()
    if not sheets:
        return {}, [Problem(file_name, None, None, "has no sheet of data rows")]
    return sheets, []


def read_upload(file_name: str, data: bytes, sheet: str | None = None) -> tuple[Sheets, list[Problem]]:
    """Read a CSV or XLSX upload into sheets of (header, rows); problems when it cannot be read.

    A CSV is one sheet named ``""``; a workbook gives its first sheet of data and a sheet
    named ``sources`` (if any) by their lower-case names.  A workbook is checked before it
    is parsed (what its zip unpacks to) and read in openpyxl's streaming read-only mode,
    which stops at ``MAX_UPLOAD_ROWS``.  Cells lose the quote a download added in front of
    formula-like text (``exports.unescape_cell``).
    """
    if not isinstance(data, bytes | bytearray):
        return {}, [Problem(file_name, None, None, "is not a file")]
    if len(data) > MAX_UPLOAD_BYTES:
        return {}, [Problem(file_name, None, None,
                            f"is too large ({len(data):,} bytes; at most {MAX_UPLOAD_BYTES:,})")]
    if not data.strip():
        return {}, [Problem(file_name, None, None, "is empty")]
    suffix = Path(file_name).suffix.lower()
    if suffix == ".xlsx":
        return _read_xlsx(file_name, bytes(data))
    if suffix not in {".csv", ".txt", ""}:
        return {}, [Problem(file_name, None, None, "is not a .csv or .xlsx file")]
    try:
        content = bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return {}, [Problem(file_name, None, None, f"is not UTF-8 text ({short_reason(exc)}); in Excel, save "
                            "it as 'CSV UTF-8 (comma delimited)'")]
    if "\x00" in content:
        return {}, [Problem(file_name, None, None, "is not a text file (it holds NUL characters)")]
    try:
        frame = pd.read_csv(io.StringIO(content), dtype=str, keep_default_na=False,
                            na_filter=False, skip_blank_lines=False, engine="python", sep=",")
    except Exception as exc:  # noqa: BLE001 - pandas raises several kinds for malformed CSV
        return {}, [Problem(file_name, None, None, f"cannot be read as CSV ({short_reason(exc)})")]
    return {"": _frame_rows(frame)}, []


def short_reason(exc: BaseException) -> str:
    """The first line of an error, short enough to show in a problem."""
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__

