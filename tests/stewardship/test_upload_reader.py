"""Reading uploads: unreadable files are named, workbooks are judged before parsing and read only to the limit."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
from openpyxl import Workbook
from openpyxl.worksheet import _reader
from sqlalchemy import Engine

from rmo_data.stewardship import change_preview, upload_reader, upload_tables
from tests.uploads import EVIDENCE_HEADER, GOOD_EVIDENCE, first_problem


def test_unreadable_files_are_named(store: tuple[str, Engine]) -> None:
    _url, engine = store
    cases = {
        ("ev.csv", "é".encode("latin-1") + b",x\n1,2\n"): "UTF-8",
        ("ev.csv", EVIDENCE_HEADER.replace(",", ";").encode() + b"\n1;2\n"): "separated by ';'",
        ("ev.csv", b""): "empty",
        ("ev.xls", b"anything"): ".csv or .xlsx",
        ("ev.csv", EVIDENCE_HEADER.encode() + b"\n"): "no data rows",
    }
    for (name, payload), words in cases.items():
        problem = first_problem(change_preview.validate_upload("risk_evidence", payload, name, engine=engine))
        assert problem.file == name and words in problem.message, (words, problem)


def _long_workbook(rows: int, width: int = 3) -> bytes:
    """A real workbook of ``rows`` alike rows of the first ``width`` evidence columns.

    Alike rows pack small (300,000 rows in well under the upload's byte limit), as in the
    report; write-only mode makes the file quickly.
    """
    book = Workbook(write_only=True)
    sheet = book.create_sheet("evidence")
    sheet.append(list(upload_tables.SPECS["risk_evidence"].columns))
    cells = GOOD_EVIDENCE.split(",")[:width]
    for _ in range(rows):
        sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture()
def rows_parsed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many sheet rows openpyxl's XML parsing has gone through, its sizing pass included.

    pandas and the streaming reader both read sheets through ``openpyxl.worksheet._reader``.
    """
    count = [0]
    real = _reader.iterparse

    def counted(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for event, element in real(*args, **kwargs):
            if element.tag == _reader.ROW_TAG:
                count[0] += 1
            yield event, element

    monkeypatch.setattr(_reader, "iterparse", counted)
    return count


@pytest.mark.parametrize("rows", [25_000, pytest.param(300_000, marks=pytest.mark.slow)])
def test_a_long_workbook_is_refused_at_the_row_limit(store: tuple[str, Engine], rows_parsed: list[int],
                                                     rows: int) -> None:
    """The reader stops at the row limit instead of reading the whole sheet first."""
    _url, engine = store
    data = _long_workbook(rows)
    assert len(data) < upload_reader.MAX_UPLOAD_BYTES
    started = time.perf_counter()
    preview = change_preview.validate_upload("risk_evidence", data, "long.xlsx", engine=engine)
    print(f"{rows:,} rows ({len(data):,} bytes): refused in {time.perf_counter() - started:.1f} s, "
          f"{rows_parsed[0]:,} rows parsed")
    problem = first_problem(preview)
    assert problem.file == "long.xlsx" and f"{upload_reader.MAX_UPLOAD_ROWS:,}" in problem.message
    assert not preview.changes
    # The header, the limit and the one row past it (a sizing pass over the whole sheet would
    # count every row once more).
    assert 0 < rows_parsed[0] <= upload_reader.MAX_UPLOAD_ROWS + 3


def test_a_workbook_that_unpacks_too_far_is_refused_before_parsing(store: tuple[str, Engine],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A small zip whose parts unpack to more than the cap is refused from its directory alone."""
    _url, engine = store
    good = _long_workbook(1, width=len(upload_tables.SPECS["risk_evidence"].columns))
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            out.writestr(item, src.read(item.filename))
        out.writestr("xl/media/padding.bin", b"\0" * (upload_reader.MAX_XLSX_UNPACKED_BYTES + 1))
    bomb = buffer.getvalue()
    assert len(bomb) < upload_reader.MAX_UPLOAD_BYTES
    opened: list[int] = []
    real = openpyxl.load_workbook
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: opened.append(1) or real(*a, **k))
    problem = first_problem(change_preview.validate_upload("risk_evidence", bomb, "bomb.xlsx", engine=engine))
    assert problem.file == "bomb.xlsx" and f"{upload_reader.MAX_XLSX_UNPACKED_BYTES:,}" in problem.message
    assert opened == []  # refused before openpyxl (or pandas) parsed anything
    # The same workbook without the padding is read as usual.
    assert change_preview.validate_upload("risk_evidence", good, "good.xlsx", engine=engine).ok


def test_workbook_rows_are_numbered_as_in_the_sheet(store: tuple[str, Engine]) -> None:
    """Blank rows are skipped but keep the numbering; a stray cell right of the header is named."""
    _url, engine = store
    book = Workbook()
    sheet = book.active
    sheet.append(list(upload_tables.SPECS["risk_evidence"].columns))
    sheet.append([])
    sheet.append(GOOD_EVIDENCE.replace(",2024,", ",20x4,").split(","))
    buffer = io.BytesIO()
    book.save(buffer)
    problem = first_problem(change_preview.validate_upload(
        "risk_evidence", buffer.getvalue(), "gap.xlsx", engine=engine))
    assert (problem.row, problem.column) == (3, "year")
    sheet.cell(row=3, column=len(upload_tables.SPECS["risk_evidence"].columns) + 2, value="stray")
    buffer = io.BytesIO()
    book.save(buffer)
    problem = first_problem(change_preview.validate_upload(
        "risk_evidence", buffer.getvalue(), "stray.xlsx", engine=engine))
    assert (problem.row, problem.column) == (1, "(blank)") and "unexpected column" in problem.message
