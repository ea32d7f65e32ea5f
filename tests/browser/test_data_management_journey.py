"""The editor's journey in a real browser: refused until signed in as an editor, invalid upload → fixed upload → preview → Apply → roll back.

Runs its own server on a private copy of the built store (the other browser tests
share theirs), uploads through the page's real file input and checks the store
after each step.  Screenshots go to test-output/screenshots/data-management-*.png.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from rmo_data.store import schema
from rmo_data.stewardship import upload_tables
from rmo_data.store.engine import make_engine
from tests.browser.conftest import run_server, shot, sign_in, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HEADER = ",".join((*upload_tables.SPECS["risk_evidence"].columns, "action"))
GOOD = "EV-BROWSER-01,zinc,mining,water,Peru,,,2024,3,3,2,A tailings spill,,rmo_report,,"


def _stored(url: str) -> bool:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(schema.risk_evidence.c.id).where(
                schema.risk_evidence.c.id == "EV-BROWSER-01")).first() is not None
    finally:
        engine.dispose()


def test_upload_preview_apply_roll_back(built_db: Path, tmp_path: Path, page) -> None:  # noqa: ANN001
    path = tmp_path / "editor.sqlite"
    source, target = sqlite3.connect(str(built_db)), sqlite3.connect(str(path))
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    url = f"sqlite:///{path}"
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_text(f"{HEADER}\n{GOOD.replace(',zinc,', ',zinkk,')}\n", encoding="utf-8")
    good.write_text(f"{HEADER}\n{GOOD}\n", encoding="utf-8")

    with run_server(url, "streamlit-data-management.log") as base:
        page.goto(f"{base}/data_management")
        wait_ready(page)
        # The address of an editor page refuses the public and offers the sign-in form there.
        expect(page.get_by_text("This page is for editors.")).to_be_visible()
        sign_in(page, "editor")
        expect(page.get_by_role("heading", name="Upload changes")).to_be_visible()
        wait_ready(page)
        # The shared filters would do nothing here, so the sidebar leaves them out (the menu stays).
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar.get_by_test_id("stSidebarNav")).to_be_visible()
        expect(sidebar.get_by_text("Filters", exact=True)).to_have_count(0)
        expect(sidebar.get_by_test_id("stMultiSelect")).to_have_count(0)

        page.locator("input[type=file]").first.set_input_files(str(bad))
        expect(page.get_by_text("1 problem found. Nothing was written.")).to_be_visible()
        wait_ready(page)
        shot(page, "data-management-problems")
        assert not _stored(url)

        page.locator("input[type=file]").first.set_input_files(str(good))
        expect(page.get_by_text("The file is valid")).to_be_visible()
        expect(page.get_by_role("heading", name="Rows added (1)")).to_be_visible()
        wait_ready(page)
        shot(page, "data-management-preview")
        assert not _stored(url)  # a preview writes nothing

        page.get_by_role("button", name="Apply").click()
        expect(page.get_by_text("Applied as change set 1.")).to_be_visible()
        wait_ready(page)
        assert _stored(url)
        shot(page, "data-management-applied")

        page.get_by_role("button", name="Roll back", exact=True).click()
        expect(page.get_by_text("Change set 1 rolled back")).to_be_visible()
        wait_ready(page)
        assert not _stored(url)
