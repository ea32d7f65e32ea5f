"""Leverage cards by category and material in one click each, the counts on the pills true to the store.

Before, 200 cards were reached ten at a time through a page-number box.  Now a category pill
and a material pill each name how many cards they hold under the other filters; one click
shows those cards, the address keeps the choice, and the shared "Add to plan" dialog still
works on a card reached this way.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy.engine import Engine

from rmo_data import constants
from rmo_data.store import queries
from tests.browser.conftest import add_to_plan, open_sign_in, shot, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _pill(page, label: str, option: str):  # noqa: ANN001, ANN202
    group = page.get_by_test_id("stMain").get_by_role("toolbar", name=label)
    return group.get_by_role("button", name=re.compile("^" + re.escape(option) + r" \((\d+)\)$"))


def _count(pill) -> int:  # noqa: ANN001
    return int(re.search(r"\((\d+)\)$", pill.inner_text().strip()).group(1))


def test_one_click_reaches_a_categorys_cards(server: str, page, built_engine: Engine) -> None:  # noqa: ANN001
    page.goto(server)
    wait_ready(page)
    open_sign_in(page, "partner")
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Leverage cards", exact=True).click()
    wait_ready(page)
    metric = page.get_by_test_id("stMetric").filter(has_text="Cards shown").get_by_test_id("stMetricValue")
    # Every category's pill says how many cards it holds, as the store counts them.
    for cat in constants.LEVERAGE_CATEGORY_SLUGS:
        pill = _pill(page, "Leverage category", constants.LEVERAGE_CATEGORY_LABELS[cat])
        assert _count(pill) == len(queries.leverages(categories=[cat], engine=built_engine)), cat
    internal = _pill(page, "Leverage category", constants.LEVERAGE_CATEGORY_LABELS["internal"])
    expected = _count(internal)
    assert 0 < expected < len(queries.leverages(engine=built_engine))
    internal.click()  # one click
    wait_ready(page)
    expect(internal).to_have_attribute("aria-pressed", "true")
    expect(metric).to_have_text(str(expected))
    expect(page).to_have_url(re.compile(r"[?&]lc_cat=internal(&|$)"))
    # The material pills now count within that category.
    nickel = _pill(page, "Material", constants.MATERIAL_LABELS["nickel"])
    in_both = queries.leverages(materials=["nickel"], include_cross=False, categories=["internal"],
                                engine=built_engine)
    assert _count(nickel) == len(in_both) > 0
    nickel.click()
    wait_ready(page)
    expect(metric).to_have_text(str(len(in_both)))
    expect(page).to_have_url(re.compile(r"[?&]lc_mat=nickel(&|$)"))
    shot(page, "glance-cards-by-category")
    # A card reached this way goes into the plan through the shared dialog.
    card_id = str(in_both.sort_values("id")["id"].iloc[0])
    add_to_plan(page, card_id, "Procurement", f"browsing {uuid.uuid4().hex[:8]}")
