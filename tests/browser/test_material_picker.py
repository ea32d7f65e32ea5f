"""The Material profile's own picker on a phone: one tap away, and the link and the sidebar follow it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from rmo_data import constants
from tests.browser.conftest import new_page, open_sidebar, shot, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_phone_picks_the_material_on_the_page(server: str, browser) -> None:  # noqa: ANN001
    page = new_page(browser, 390, 844)
    try:
        page.goto(f"{server}/material?material=graphite")
        wait_ready(page)
        # A phone opens with the sidebar closed (on a desktop it is open): the page is not covered.
        expect(page.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "true")
        main = page.get_by_test_id("stMain")
        main.get_by_role("heading", name=constants.MATERIAL_LABELS["graphite"]).wait_for()
        picker = main.get_by_test_id("stSelectbox").filter(has_text="Material")
        expect(picker).to_be_in_viewport()  # no scrolling and no sidebar needed to change material
        picker.locator("input").click()
        page.keyboard.type(constants.MATERIAL_LABELS["nickel"])
        page.get_by_role("option", name=constants.MATERIAL_LABELS["nickel"], exact=True).click()
        wait_ready(page)
        main.get_by_role("heading", name=constants.MATERIAL_LABELS["nickel"]).wait_for()
        expect(page).to_have_url(re.compile(r"[?&]material=nickel(&|$)"))
        shot(page, "material-picker-390")
        # The sidebar's focus material says the same.
        page.set_viewport_size({"width": 1440, "height": 900})
        wait_ready(page)
        open_sidebar(page)
        sidebar_box = page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text="Focus material")
        expect(sidebar_box.locator("input")).to_have_value(constants.MATERIAL_LABELS["nickel"])
    finally:
        page.context.close()
