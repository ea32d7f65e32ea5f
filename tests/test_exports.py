"""Formula injection: hostile text in the store comes out of every CSV and XLSX as quoted text.

An owner typed by a partner (``=cmd|' /C calc'!A0``), a participant name from the public
(``@SUM(1+1)``), an evidence summary uploaded by an editor (``+1``) and text that starts with
a tab or a carriage return are written to a private copy of the built store; then every kind
of download is made and the real files are read back: workbooks with openpyxl (no cell is a
formula, every such text starts with a quote), CSVs with the csv module, and the CSVs inside
the store-export zip.  The data-management page checks an upload once, however often it reruns.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import Engine, update
from streamlit.testing.v1 import AppTest

from rmo_data import exports
from rmo_data.store import queries
from rmo_data.store import action_plan
from rmo_data.workshops import lifecycle
from rmo_data.workshops import records
from rmo_data.store import schema
from rmo_data.stewardship import change_preview, change_sets, upload_tables
from rmo_data.exports import table_csv, table_xlsx
from rmo_data.store.export import store_export
from tests.apptest import app_for, no_exception
from tests.signin import sign_in

# OWASP's list: a cell starting with one of these is run as a formula by spreadsheet programs.
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
OWNER = "=cmd|' /C calc'!A0"
PARTICIPANT = "@SUM(1+1)"
SUMMARY = "+1"
TAB_NOTE = "\tTab-led note"
CR_TITLE = "\r=1+2"
EVIDENCE_ROW = {"id": "EV-HOSTILE-1", "material": "zinc", "stage": "mining", "category": "water",
                "country": "Peru", "company": "", "site": "", "year": "2024", "scale": "3", "scope": "3",
                "irremediability": "2", "summary": SUMMARY, "url": "", "source": "rmo_report", "section": "",
                "confidence": "reported", "confidence_reason": "=A formula-led reason is still plain text.",
                "passage": ""}


def _dangerous(text: str) -> bool:
    return text.startswith(DANGEROUS)


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def check_xlsx(data: bytes) -> list[str]:
    """Every text cell of a real workbook; fails on a formula cell or unquoted formula-like text."""
    book = openpyxl.load_workbook(io.BytesIO(data))  # not read-only: data_type says "f" for a formula
    texts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not _dangerous(cell.value), (sheet.title, cell.coordinate, cell.value)
                    texts.append(cell.value)
    return texts


def check_csv(data: bytes | str) -> list[str]:
    """Every cell of a real CSV (csv module); fails on formula-like text that is not a plain number."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    cells = [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]
    for cell in cells:
        assert not _dangerous(cell) or _number(cell), cell
    return cells


@pytest.fixture()
def hostile(own_engine: Engine) -> Iterator[tuple[Engine, str]]:
    """The store copy with hostile text in a plan item, a workshop submission and an evidence row."""
    engine = own_engine
    item = action_plan.add_plan_item("ZN-01", owner=OWNER, note="first", engine=engine)
    # Text fields are stripped on entry; a tab- or CR-led value can still come from elsewhere.
    with engine.begin() as conn:
        conn.execute(update(schema.action_plan_item).where(schema.action_plan_item.c.id == item).values(note=TAB_NOTE))
    _, code = lifecycle.create_workshop("Hostile names", ["zinc", "nickel"], ["severity", "auto_share"],
                                        engine=engine)
    lifecycle.submit_weights(code, PARTICIPANT, {"severity": 7, "auto_share": 2}, ["zinc"], engine=engine)
    header = ",".join(upload_tables.SPECS["risk_evidence"].columns)
    row = ",".join(str(EVIDENCE_ROW[c]) for c in upload_tables.SPECS["risk_evidence"].columns)
    preview = change_preview.validate_upload("risk_evidence", f"{header}\n{row}\n".encode(), "ev.csv", engine=engine)
    assert preview.ok, preview.problems
    change_sets.apply_preview(preview, engine=engine)
    yield engine, code


def test_the_rule_quotes_text_only_and_can_be_undone() -> None:
    assert exports.FORMULA_STARTS == DANGEROUS
    for text in (OWNER, PARTICIPANT, SUMMARY, TAB_NOTE, CR_TITLE, "-2+3", "'=already quoted", "''@x"):
        assert exports.safe_cell(text).startswith("'")
        assert exports.unescape_cell(exports.safe_cell(text)) == text
    for plain in ("plain", "a=b", " =x", "'quoted", "", "1+1"):
        assert exports.safe_cell(plain) == plain and exports.unescape_cell(plain) == plain
    assert exports.safe_cell(-3) == -3 and exports.safe_cell(-0.5) == -0.5 and exports.safe_cell(None) is None
    frame = pd.DataFrame({"n": [-3, 4], "x": [-1.5, None], "t": ["-3", TAB_NOTE], "l": [["=a", "b"], []]})
    cells = check_csv(exports.frame_csv(frame))
    assert cells[:8] == ["n", "x", "t", "l", "-3", "-1.5", "'-3", "'=a; b"]
    book = openpyxl.load_workbook(io.BytesIO(exports.frame_xlsx({"Numbers": frame})))
    sheet = book["Numbers"]
    assert (sheet["A2"].value, sheet["A2"].data_type) == (-3, "n")  # a negative number stays a number
    assert (sheet["B2"].value, sheet["B2"].data_type) == (-1.5, "n")
    assert sheet["C2"].value == "'-3" and sheet["C3"].value == "'" + TAB_NOTE
    check_xlsx(exports.frame_xlsx({"Numbers": frame}))


def test_plan_downloads_keep_the_owner_as_quoted_text(hostile: tuple[Engine, str]) -> None:
    engine, _code = hostile
    plan = action_plan.list_plan_items(engine=engine)
    texts = check_xlsx(action_plan.plan_xlsx(plan))
    assert "'" + OWNER in texts and "'" + TAB_NOTE in texts
    cells = check_csv(action_plan.plan_csv(plan))
    assert "'" + OWNER in cells and "'" + TAB_NOTE in cells


def test_workshop_record_and_submission_tables_keep_names_as_text(hostile: tuple[Engine, str]) -> None:
    engine, code = hostile
    subs = lifecycle.list_submissions(code, engine=engine)
    frame = records.submissions_frame(subs, ["severity", "auto_share"])
    assert "'" + PARTICIPANT in check_csv(table_csv(frame))  # the figure downloads under the table
    assert "'" + PARTICIPANT in check_xlsx(table_xlsx(frame, "Submissions"))
    record = lifecycle.close_workshop(code, engine=engine)
    book = openpyxl.load_workbook(io.BytesIO(records.record_xlsx(record)))
    assert book["Submissions"]["A2"].value == "'" + PARTICIPANT
    assert book["Participant rankings"]["A2"].value == "'" + PARTICIPANT
    check_xlsx(records.record_xlsx(record))


def test_figure_downloads_quote_an_evidence_summary(hostile: tuple[Engine, str]) -> None:
    engine, _code = hostile
    frame = queries.evidence(materials=["zinc"], engine=engine)
    assert SUMMARY in frame["summary"].tolist()
    assert "'" + SUMMARY in check_csv(table_csv(frame))
    assert "'" + SUMMARY in check_xlsx(table_xlsx(frame, "Evidence"))


def test_current_rows_are_quoted_and_upload_again_unchanged(hostile: tuple[Engine, str]) -> None:
    """The quote a download adds is taken off again on upload: the round trip changes nothing."""
    engine, _code = hostile
    frame = upload_tables.current_rows("risk_evidence", materials=["zinc"], engine=engine)
    assert SUMMARY in frame["summary"].tolist()
    payloads = {"zinc.csv": table_csv(frame), "zinc.xlsx": table_xlsx(frame)}
    assert "'" + SUMMARY in check_csv(payloads["zinc.csv"])
    assert "'" + SUMMARY in check_xlsx(payloads["zinc.xlsx"])
    for name, payload in payloads.items():
        preview = change_preview.validate_upload("risk_evidence", payload, name, engine=engine)
        assert preview.ok, preview.problems[:3]
        assert preview.counts["changed"] == 0 and preview.counts["added"] == 0, name
        assert preview.counts["unchanged"] == len(frame)


def test_store_export_zip_csvs_are_quoted(hostile: tuple[Engine, str]) -> None:
    engine, _code = hostile
    data, manifest = store_export(engine)
    archive = zipfile.ZipFile(io.BytesIO(data))
    seen: dict[str, list[str]] = {}
    for name in manifest["files"]:
        if name.startswith("tables/"):
            seen[name] = check_csv(archive.read(name))
    assert "'" + OWNER in seen["tables/action_plan_item.csv"]
    assert "'" + TAB_NOTE in seen["tables/action_plan_item.csv"]
    assert "'" + PARTICIPANT in seen["tables/participant_weights.csv"]
    assert "'" + SUMMARY in seen["tables/risk_evidence.csv"]


def _editor_uploads_evidence(url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[AppTest, bytes]:
    """An editor's data page with one evidence row in the uploader (as ev.csv); returns it and the bytes."""
    at = app_for(url, monkeypatch)
    sign_in(at, "editor")
    at.switch_page("pages/data_management.py")
    no_exception(at.run())
    header = ",".join(upload_tables.SPECS["risk_evidence"].columns)
    row = ",".join(str(EVIDENCE_ROW[c]) for c in upload_tables.SPECS["risk_evidence"].columns)
    upload = f"{header}\n{row}\n".encode()
    at.file_uploader(key="dm_file_0").set_value(("ev.csv", upload, "text/csv"))
    no_exception(at.run())
    return at, upload


def test_the_data_page_checks_an_upload_once(own_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reruns with the same file in the uploader reuse the check; a change to the store checks again."""
    calls: list[str] = []
    real = change_preview.validate_upload

    def counted(*args: object, **kwargs: object) -> change_preview.Preview:
        calls.append(str(args[2] if len(args) > 2 else kwargs.get("file_name")))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(change_preview, "validate_upload", counted)
    at, _ = _editor_uploads_evidence(own_url, monkeypatch)
    assert calls == ["ev.csv"]
    no_exception(at.run())  # a rerun, e.g. a click elsewhere on the page
    no_exception(at.run())
    assert calls == ["ev.csv"]
    at.button(key="dm_apply").click()
    no_exception(at.run())
    assert any("Applied as change set" in s.value for s in at.success)


def test_a_store_change_checks_the_same_file_again(own_url: str, own_engine: Engine,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = change_preview.validate_upload

    def counted(*args: object, **kwargs: object) -> change_preview.Preview:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(change_preview, "validate_upload", counted)
    at, upload = _editor_uploads_evidence(own_url, monkeypatch)
    assert len(calls) == 1 and {m.label: m.value for m in at.metric}["Added"] == "1"
    # Another editor applies the same row meanwhile: the page must not show the old preview.
    change_sets.apply_preview(real("risk_evidence", upload, "other.csv", engine=own_engine),
                    engine=own_engine)
    no_exception(at.run())
    assert len(calls) == 2
    assert any("changes nothing" in i.value for i in at.info)
