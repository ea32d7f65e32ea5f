"""EU lists in a real browser: a material's badges and its 65 % check, and the sidebar filter that
keeps the materials on a list, on a wide screen and on a phone."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from rmo_data import constants
from tests.browser.conftest import close_sidebar, new_page, shot, sign_in, wait_ready

SHORT = constants.REGULATORY_LIST_SHORT


def test_graphite_profile_shows_its_lists_and_the_65_percent_check(server: str, browser) -> None:  # noqa: ANN001
    page = new_page(browser, 1440, 900)
    try:
        page.goto(f"{server}/sign_in")
        wait_ready(page)
        sign_in(page, "partner")
        page.goto(f"{server}/material?material=graphite")
        wait_ready(page)
        main = page.get_by_test_id("stMain")
        main.get_by_role("heading", name=constants.MATERIAL_LABELS["graphite"]).wait_for()
        # Graphite is on all three lists; each badge carries its short name.
        for slug in constants.REGULATORY_LIST_SLUGS:
            expect(main.get_by_text(SHORT[slug]).first).to_be_visible()
        expect(main.get_by_text("Regulation (EU) 2024/1252", exact=False).first).to_be_visible()
        page.get_by_role("tab", name="Producers").click()
        wait_ready(page)
        expect(main.get_by_text("65 % benchmark", exact=False).first).to_be_visible()
        # China held more than 65 % of graphite mining in the latest year: flagged for review.
        expect(main.get_by_text("China", exact=False).filter(
            has_text=constants.BENCHMARK_STATUS_LABELS["fail"]).first).to_be_visible()
        for width, height in ((1440, 900), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            wait_ready(page)
            if width < 700:
                close_sidebar(page)
            assert page.evaluate("() => document.documentElement.scrollWidth") <= width + 1
            shot(page, f"eu-lists-graphite-{width}")
    finally:
        page.context.close()


def test_the_sidebar_keeps_the_materials_on_a_list(server: str, browser) -> None:  # noqa: ANN001
    page = new_page(browser, 1440, 900)
    try:
        page.goto(server)
        wait_ready(page)
        sidebar = page.get_by_test_id("stSidebar")
        box = sidebar.get_by_test_id("stMultiSelect").filter(has_text="On EU lists")
        box.locator("input").click()
        box.locator("input").fill(SHORT["eu_battery_dd"])
        box.locator("input").press("Enter")
        wait_ready(page)
        box.locator("input").press("Escape")  # close the list of options
        # The Batteries Regulation's due-diligence list holds natural graphite and nickel.
        expect(sidebar.get_by_text("In view: Graphite, Nickel (2 of 10).")).to_be_visible()
        expect(page).to_have_url(re.compile(r"lists=eu_battery_dd"))
        shot(page, "eu-lists-overview-filtered-1440")
        # The same address on another device opens the same view.
        other = new_page(browser, 390, 844)
        try:
            other.goto(page.url)
            wait_ready(other)
            # A phone opens with the sidebar drawn over the page; open it when it is collapsed.
            if other.get_by_test_id("stExpandSidebarButton").is_visible():
                other.get_by_test_id("stExpandSidebarButton").click()
            expect(other.get_by_test_id("stSidebar").get_by_text("In view: Graphite, Nickel (2 of 10).")).to_be_visible()
            shot(other, "eu-lists-overview-filtered-390")
        finally:
            other.context.close()
    finally:
        page.context.close()
