"""AppTest of the Data management page on a private copy of the built store.

The upload goes through AppTest's own file uploader (supported in Streamlit 1.67),
then the preview, Apply, the rollback button and the export button are driven as an
editor would.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from components.safe import escape_html
from rmo_data.store import schema
from rmo_data.stewardship import change_sets, upload_tables
from rmo_data.store import change_log
from rmo_data.store.engine import make_engine
from tests.apptest import app_for
from tests.signin import USERS, sign_in
from tests.pages.test_act import WRITE_FAULTS, assert_one_plain_fault, failing

ROOT = Path(__file__).resolve().parents[2]
PAGE = "pages/data_management.py"
HEADER = ",".join(upload_tables.SPECS["risk_evidence"].columns)
ROW = "EV-PAGE-01,zinc,mining,water,Peru,,,2024,3,3,2,<b>Tailings</b> spill **reported**,,rmo_report,"


@pytest.fixture()
def page(own_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    at = app_for(own_url, monkeypatch)
    sign_in(at, "editor")  # the page is for editors
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    yield at


def _ok(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _evidence(url: str, evidence_id: str) -> dict | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(select(schema.risk_evidence).where(schema.risk_evidence.c.id == evidence_id)).mappings().first()
            return dict(row) if row else None
    finally:
        engine.dispose()


def test_page_upload_preview_apply_and_roll_back(page: AppTest, own_url: str) -> None:
    at = page
    assert [t.value for t in at.title] == ["Data management"]
    assert at.download_button(key="dm_template") is not None
    assert any(escape_html(USERS["editor"][0]) in c.value for c in at.caption)  # changes are logged under the editor
    at.file_uploader(key="dm_file_0").set_value(("new.csv", f"{HEADER}\n{ROW}\n".encode(), "text/csv"))
    _ok(at)
    assert not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Added"] == "1" and metrics["Changed"] == "0"
    added = at.dataframe[0].value  # the first table of the page: rows added
    assert added["summary"].tolist() == ["<b>Tailings</b> spill **reported**"]  # a table cell, never HTML
    assert all("<b>" not in m.value for m in at.markdown)
    assert _evidence(own_url, "EV-PAGE-01") is None  # nothing before Apply

    at.button(key="dm_apply").click()
    _ok(at)
    assert any("Applied as change set" in s.value for s in at.success)
    stored = _evidence(own_url, "EV-PAGE-01")
    assert stored is not None and stored["iso3"] == "PER" and stored["severity"] == 3
    sets = change_log.list_change_sets(make_engine(own_url))
    assert sets["actor"].tolist() == [USERS["editor"][0]]
    assert len(at.file_uploader) == 2 and at.file_uploader(key="dm_file_1") is not None  # emptied

    at.selectbox(key="dm_rb_set").set_value(int(sets["id"].iloc[0]))
    at.button(key="dm_rb_set_go").click()
    _ok(at)
    assert any("rolled back" in s.value for s in at.success)
    assert _evidence(own_url, "EV-PAGE-01") is None


def test_page_rolls_back_one_audit_row(page: AppTest, own_url: str) -> None:
    at = page
    second = ROW.replace("EV-PAGE-01", "EV-PAGE-02")
    at.file_uploader(key="dm_file_0").set_value(("two.csv", f"{HEADER}\n{ROW}\n{second}\n".encode(), "text/csv"))
    _ok(at)
    at.button(key="dm_apply").click()
    _ok(at)
    set_id = int(change_log.list_change_sets(make_engine(own_url))["id"].iloc[0])
    at.number_input(key="dm_a_set").set_value(set_id)
    _ok(at)
    options = at.selectbox(key="dm_rb_row").options
    assert len(options) == 2 and all("upload add" in o for o in options)
    row_two = next(o for o in options if "EV-PAGE-02" in o)
    at.selectbox(key="dm_rb_row").set_value(int(row_two.split(" · ")[0]))
    at.button(key="dm_rb_row_go").click()
    _ok(at)
    assert any("Audit row" in s.value and "rolled back" in s.value for s in at.success)
    assert _evidence(own_url, "EV-PAGE-02") is None and _evidence(own_url, "EV-PAGE-01") is not None
    status = change_log.list_change_sets(make_engine(own_url)).set_index("id").loc[set_id, "status"]
    assert status == "partly_rolled_back"


def test_page_lists_problems_and_writes_nothing(page: AppTest, own_url: str) -> None:
    at = page
    bad = ROW.replace(",zinc,", ",<i>zinc</i>,").replace(",Peru,", ",Atlantis,")
    at.file_uploader(key="dm_file_0").set_value(("bad.csv", f"{HEADER}\n{bad}\n{ROW}\n{ROW}\n".encode(),
                                                 "text/csv"))
    _ok(at)
    assert at.error and "Nothing was written" in at.error[0].value
    problems = at.dataframe[0].value
    assert {"file", "row", "column", "problem"} <= set(problems.columns)
    assert (problems["file"] == "bad.csv").all()
    assert set(problems["row"]) == {2, 4}  # the unknown material, then the duplicate
    assert any("<i>zinc</i>" in p for p in problems["problem"])  # shown as text in a cell
    assert all(b.key != "dm_apply" for b in at.button)  # no Apply for an invalid file
    assert _evidence(own_url, "EV-PAGE-01") is None

    at.file_uploader(key="dm_file_0").set_value(("junk.xlsx", b"\x00\x01 not a workbook", "application/zip"))
    _ok(at)
    assert at.error and "cannot be read as an Excel workbook" in at.dataframe[0].value["problem"].iloc[0]


def test_page_offers_the_store_export(page: AppTest) -> None:
    button = page.download_button(key="dm_export")
    assert button is not None
    assert any(h.value == "Export the store" for h in page.header)


@pytest.mark.parametrize("fault", list(WRITE_FAULTS))
def test_apply_and_roll_back_on_a_full_disk_say_so_and_keep_the_upload(
        page: AppTest, own_url: str, monkeypatch: pytest.MonkeyPatch, fault: str) -> None:
    at = page
    at.file_uploader(key="dm_file_0").set_value(("new.csv", f"{HEADER}\n{ROW}\n".encode(), "text/csv"))
    _ok(at)
    real_apply = change_sets.apply_preview
    monkeypatch.setattr(change_sets, "apply_preview", failing(fault))
    at.button(key="dm_apply").click()
    at.run()
    assert_one_plain_fault(at, "The upload could not be saved")
    assert not any("Applied" in s.value for s in at.success)
    assert _evidence(own_url, "EV-PAGE-01") is None
    # The file is still in its uploader and its preview is shown: Apply can be tried again.
    assert [u.key for u in at.file_uploader] == ["dm_file_0", "dm_sources_0"]
    assert {m.label: m.value for m in at.metric}["Added"] == "1"

    monkeypatch.setattr(change_sets, "apply_preview", real_apply)
    at.button(key="dm_apply").click()
    _ok(at)
    assert any("Applied as change set" in s.value for s in at.success)
    assert _evidence(own_url, "EV-PAGE-01") is not None

    monkeypatch.setattr(change_sets, "rollback_change_set", failing(fault))
    at.button(key="dm_rb_set_go").click()
    at.run()
    assert_one_plain_fault(at, "The rollback could not be saved")
    assert _evidence(own_url, "EV-PAGE-01") is not None


def test_the_upload_boxes_state_the_apps_own_size_limit(page: AppTest) -> None:
    """The boxes said Streamlit's default "200MB per file" while the reader refuses more than 5 MB."""
    import math

    from rmo_data.stewardship import upload_reader

    limits = {u.proto.max_upload_size_mb for u in page.file_uploader}
    assert limits == {math.ceil(upload_reader.MAX_UPLOAD_BYTES / 1_000_000)} == {5}
