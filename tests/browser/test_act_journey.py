"""The Act journey in a real browser: weights → matrix → cards of the top material → plan → download.

Screenshots go to test-output/screenshots/act-*.png.  Expected rankings and
counts come from the store through rmo_data, never typed in.  The server's
store is shared with other browser tests, so plan rows are told apart by a
note unique to this run.  The user signs in as a partner first.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile

import openpyxl
import pandas as pd
import pytest
from playwright.sync_api import expect

from rmo_data import constants
from rmo_data.store import queries
from rmo_data.analysis import prioritisation
from rmo_data.store.criteria import criteria_table
from tests.browser.conftest import add_to_plan, new_page, open_sign_in, shot, sign_in, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _slider(page, label: str):  # noqa: ANN001, ANN202
    return page.get_by_test_id("stSlider").filter(has_text=label).get_by_role("slider")


def test_weights_matrix_cards_plan_download(server: str, page, built_engine, tmp_path) -> None:  # noqa: ANN001
    token = f"act-journey-{uuid.uuid4().hex[:8]}"

    # 1. Prioritisation, reached from the navigation as a user would.
    page.goto(server)
    wait_ready(page)
    # Wait for the router's own sidebar (its filters) before clicking in the navigation.
    expect(page.get_by_test_id("stSidebar").get_by_text("Filters", exact=True)).to_be_visible()
    open_sign_in(page, "partner")  # the Act pages are for partners
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Prioritisation", exact=True).click()
    wait_ready(page)
    page.get_by_role("heading", name="Prioritisation").wait_for()

    # A preset, then one slider moved to its maximum with the keyboard.
    page.get_by_role("button", name="Human rights first").click()
    wait_ready(page)
    expect(page.get_by_text("Now: Human rights first")).to_be_visible()
    slider = _slider(page, constants.CRITERION_LABELS["auto_share"])
    slider.focus()
    page.keyboard.press("End")
    wait_ready(page)
    expect(slider).to_have_value(str(constants.WEIGHT_MAX))
    expect(page.get_by_text("Now: custom weights")).to_be_visible()

    weights = {**constants.WEIGHT_PRESETS["human_rights"], "auto_share": constants.WEIGHT_MAX}
    data = criteria_table(built_engine)
    prio = prioritisation.prioritise(data, list(data.raw.index), weights)
    ranked = prio.ranked
    top = ranked.index[0]
    # A top-3 place that rests on imputed values carries the page's ⚑ mark.
    flagged = set(prio.gaps.index[prio.gaps["rests_on_gaps"]])
    top3 = ", ".join(constants.MATERIAL_LABELS[m] + (" ⚑" if m in flagged else "") for m in ranked.index[:3])
    expect(page.get_by_text(f"Top 3 with these weights: {top3}.")).to_be_visible()
    # The address bar holds the weights: the link reproduces this ranking.
    expect(page).to_have_url(re.compile(rf"[?&]wt_auto_share={constants.WEIGHT_MAX}(&|$)"))
    expect(page).to_have_url(re.compile(rf"[?&]wt_severity={constants.WEIGHT_PRESETS['human_rights']['severity']}(&|$)"))
    expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible()
    shot(page, "act-01-prioritisation-weights")

    # 2. Robustness and the salience × leverage matrix.
    page.get_by_role("tab", name="Robustness").click()
    wait_ready(page)
    expect(page.get_by_text("How stable is the ranking?")).to_be_visible()
    page.get_by_role("tab", name="Salience × leverage").click()
    wait_ready(page)
    matrix = page.get_by_test_id("stVegaLiteChart").filter(has_text="Salience × leverage")
    expect(matrix).to_be_visible()
    for quad in constants.QUADRANTS:
        expect(page.get_by_text(quad.label, exact=True).first).to_be_visible()
    shot(page, "act-02-matrix")

    # 3. Open the cards of the top material.
    page.get_by_role("tab", name="Ranking").click()
    page.get_by_role("button", name=f"Open leverage cards for {constants.MATERIAL_LABELS[top]}").click()
    wait_ready(page)
    page.get_by_role("heading", name="Leverage cards").wait_for()
    cards = queries.leverages(materials=[top], include_cross=False, engine=built_engine)
    metric = page.get_by_test_id("stMetric").filter(has_text="Cards shown").get_by_test_id("stMetricValue")
    expect(metric).to_have_text(str(len(cards)))
    assert len(cards) >= 2, "the top material needs two cards for this journey"

    # 4. Two cards into the plan.
    first, second = cards["id"].iloc[0], cards["id"].iloc[1]
    add_to_plan(page, first, "Procurement", f"{token} first", due="2026-06-30", shot_name="act-03a-plan-dialog")
    add_to_plan(page, second, "Sustainability team", f"{token} second")
    expect(page.get_by_text("In the action plan").first).to_be_visible()
    shot(page, "act-03-cards-added-to-plan")

    # 5. The plan tab, and its downloads.
    page.get_by_role("tab", name="Action plan").click()
    wait_ready(page)
    expect(page.get_by_role("button", name="Plan (CSV)")).to_be_visible()
    shot(page, "act-04-action-plan")
    with page.expect_download() as info:
        page.get_by_role("button", name="Plan (CSV)").click()
    zip_path = tmp_path / "plan.zip"
    info.value.save_as(zip_path)
    with zipfile.ZipFile(zip_path) as archive:  # the plan's CSV and its about.csv
        assert sorted(archive.namelist()) == ["about.csv", "rmo-action-plan.csv"]
        plan = pd.read_csv(archive.open("rmo-action-plan.csv"))
        facts = pd.read_csv(archive.open("about.csv"), dtype=str, keep_default_na=False)
    view = facts[facts["Section"] == "View"].set_index("Item")["Value"]
    # The link is the page's own address as the browser had it, on this server.
    assert view["Link that reproduces it"].startswith(f"{server}/leverage_cards"), view["Link that reproduces it"]
    assert view["Data version"].startswith("reference data version ")
    sources = facts[facts["Section"] == "Sources"]
    assert sources["Value"].str.contains("licence: ").all() and len(sources) == 1
    mine = plan[plan["Note"].fillna("").str.startswith(token)]
    assert len(mine) == 2
    assert set(mine["Card"]) == {first, second}
    assert mine.set_index("Card").at[first, "Due date"] == "2026-06-30"
    assert set(mine["Status"]) == {constants.PLAN_STATUS_LABELS["planned"]}
    with page.expect_download() as info:
        page.get_by_role("button", name="Plan (XLSX)").click()
    workbook = io.BytesIO(info.value.path().read_bytes())
    book = pd.read_excel(workbook, sheet_name="Action plan")
    assert (book["Note"].fillna("").str.startswith(token)).sum() == 2
    about_sheet = openpyxl.load_workbook(workbook)["About"]
    rows = [[c.value for c in r] for r in about_sheet.iter_rows(min_row=2)]
    assert {r[0] for r in rows} >= {"View", "Sources", "Filters", "Weights"}
    assert [r[2] for r in rows if r[1] == "Title"] == ["Action plan"]


def _pill(page, label: str, option: str):  # noqa: ANN001, ANN202
    """The page's pill ``option`` ("Zinc (7)": its label and a count) in the group labelled ``label``."""
    group = page.get_by_test_id("stMain").get_by_role("toolbar", name=label)
    return group.get_by_role("button", name=re.compile("^" + re.escape(option) + r" \(\d+\)$"))


def _pick(page, label: str, option: str) -> None:  # noqa: ANN001
    """Pick ``option`` among the page's pills labelled ``label``: one click."""
    _pill(page, label, option).click()
    wait_ready(page)


def _menu(page, name: str) -> None:  # noqa: ANN001
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=name, exact=True).click()
    wait_ready(page)
    page.get_by_role("heading", name=name).first.wait_for()


def test_card_filters_survive_the_menu_and_a_shared_link(server: str, page, browser, built_engine) -> None:  # noqa: ANN001
    """The cards page's own filters: in the address on every page, back when the page is, and a link
    to them opens the same cards in another browser."""
    page.goto(server)
    wait_ready(page)
    expect(page.get_by_test_id("stSidebar").get_by_text("Filters", exact=True)).to_be_visible()
    open_sign_in(page, "partner")
    _menu(page, "Leverage cards")
    zinc, peers = constants.MATERIAL_LABELS["zinc"], constants.LEVERAGE_CATEGORY_LABELS["peers"]
    _pick(page, "Material", zinc)
    _pick(page, "Leverage category", peers)
    expected = queries.leverages(materials=["zinc"], include_cross=False, categories=["peers"],
                                 engine=built_engine)
    assert len(expected) > 0
    metric = page.get_by_test_id("stMetric").filter(has_text="Cards shown").get_by_test_id("stMetricValue")
    expect(metric).to_have_text(str(len(expected)))
    in_link = [re.compile(r"[?&]lc_mat=zinc(&|$)"), re.compile(r"[?&]lc_cat=peers(&|$)")]
    for param in in_link:
        expect(page).to_have_url(param)
    shared = page.url

    # Another page through the menu: the address still holds the card filters, and they come back.
    _menu(page, "Overview")
    for param in in_link:
        expect(page).to_have_url(param)
    _menu(page, "Leverage cards")
    expect(_pill(page, "Material", zinc)).to_have_attribute("aria-pressed", "true")
    expect(_pill(page, "Leverage category", peers)).to_have_attribute("aria-pressed", "true")
    expect(metric).to_have_text(str(len(expected)))
    shot(page, "act-05-card-filters-kept")

    # The link in a new browser: the same cards once signed in on the spot.
    fresh = new_page(browser)
    fresh.goto(shared)
    wait_ready(fresh)
    sign_in(fresh, "partner")
    fresh.get_by_role("heading", name="Leverage cards").wait_for()
    expect(fresh.get_by_test_id("stMetric").filter(has_text="Cards shown")
           .get_by_test_id("stMetricValue")).to_have_text(str(len(expected)))
    expect(_pill(fresh, "Material", zinc)).to_have_attribute("aria-pressed", "true")
    fresh.context.close()

