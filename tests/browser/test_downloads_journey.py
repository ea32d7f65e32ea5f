"""A partner saves the ranking as CSV, XLSX, SVG and PNG in a real browser, then follows the link it carries.

The files are the ones the browser saves (Playwright's downloads), opened as a
reader would: the zip's CSV and about.csv with pandas, the workbook with
openpyxl, the SVG as text and the PNG with Pillow.  The link the About file
gives is opened in a new tab of the same browser, and the ranking downloaded
there must be the same table: the link reproduces the view.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from PIL import Image
from playwright.sync_api import expect

from rmo_data import constants, vocabulary
from tests.browser.conftest import ROOT, open_sign_in, shot, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _save(page, key: str, path: Path) -> Path:  # noqa: ANN001
    """Click the download button keyed ``key`` and keep the file the browser saves at ``path``."""
    with page.expect_download() as info:
        page.locator(f".st-key-{key}").get_by_role("button").click()
    info.value.save_as(path)
    return path


def _ranking(page, tmp_path: Path, name: str) -> tuple[pd.DataFrame, pd.DataFrame]:  # noqa: ANN001
    with zipfile.ZipFile(_save(page, "dl_pr_rank", tmp_path / name)) as archive:
        assert sorted(archive.namelist()) == ["about.csv", "ranking.csv"]
        table = pd.read_csv(archive.open("ranking.csv"))
        facts = pd.read_csv(archive.open("about.csv"), dtype=str, keep_default_na=False)
    return table, facts


def test_ranking_files_carry_provenance_and_their_link_reproduces_the_view(server: str, page, tmp_path) -> None:  # noqa: ANN001
    page.goto(server)
    wait_ready(page)
    open_sign_in(page, "partner")
    # A view of its own: severity weighted 10, automotive share left out.
    page.goto(f"{server}/prioritisation?wt_severity=10&wt_auto_share=0")
    wait_ready(page)
    page.get_by_role("heading", name="Prioritisation").first.wait_for()
    expect(page.locator(".st-key-dl_pr_contrib-png")).to_be_visible()
    page.locator(".st-key-dl_pr_rank").scroll_into_view_if_needed()
    shot(page, "downloads-01-ranking-buttons")

    table, facts = _ranking(page, tmp_path, "ranking.zip")
    assert vocabulary.column_heading("score") in table.columns and "gap_share" not in table.columns
    view = facts[facts["Section"] == "View"].set_index("Item")["Value"]
    link = view["Link that reproduces it"]
    assert link.startswith(f"{server}/prioritisation?") and "wt_severity=10" in link and "wt_auto_share=0" in link
    weights = facts[facts["Section"] == "Weights"].set_index("Item")["Value"]
    assert weights[vocabulary.name("criterion", "severity")].startswith(f"10 of {constants.WEIGHT_MAX}")
    assert weights[vocabulary.name("criterion", "auto_share")].startswith(f"0 of {constants.WEIGHT_MAX} · 0.0 %")

    book = openpyxl.load_workbook(_save(page, "dl_pr_rank-xlsx", tmp_path / "ranking.xlsx"))
    assert book.sheetnames == ["Ranking", "About"]
    about_rows = {(r[0], r[1]): r[2] for r in book["About"].iter_rows(min_row=2, values_only=True)}
    assert about_rows[("View", "Link that reproduces it")] == link

    svg = _save(page, "dl_pr_contrib-svg", tmp_path / "contrib.svg").read_text(encoding="utf-8")
    assert ">Why each material ranks where it does<" in svg and "Sources and licences:" in svg
    png = _save(page, "dl_pr_contrib-png", tmp_path / "contrib.png")
    with Image.open(png) as picture:
        assert picture.format == "PNG" and picture.size[0] > 1000
    kept = ROOT / "test-output" / "screenshots" / "downloads-02-contribution-chart.png"
    kept.write_bytes(png.read_bytes())  # for a person to look at

    # The link, opened in a new tab of the same signed-in browser, gives the same ranking.
    again = page.context.new_page()
    again.goto(link)
    wait_ready(again)
    again.get_by_role("heading", name="Prioritisation").first.wait_for()
    table_again, _facts = _ranking(again, tmp_path, "again.zip")
    pd.testing.assert_frame_equal(table, table_again)
    again.close()
