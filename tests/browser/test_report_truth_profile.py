"""The Material profile in a real browser: report figures with their year and source, and each
concentration statement beside the measured share, on a wide screen and on a phone."""

from __future__ import annotations

from playwright.sync_api import expect

from rmo_data import constants
from tests.browser.conftest import new_page, shot, wait_ready


def test_rare_earth_profile_shows_statements_beside_the_measured_share(server: str, browser) -> None:  # noqa: ANN001
    page = new_page(browser, 1440, 900)
    try:
        page.goto(f"{server}/material?material=ree")
        wait_ready(page)
        page.get_by_role("heading", name=constants.MATERIAL_LABELS["ree"]).wait_for()
        page.get_by_role("tab", name="Producers").click()
        wait_ready(page)
        main = page.get_by_test_id("stMain")
        expect(main.get_by_text("Figures the report gives")).to_be_visible()
        expect(main.get_by_text("report (2021): ≥ 80 % · USGS", exact=False).first).to_be_visible()
        expect(main.get_by_text("IEA 2024", exact=False).first).to_be_visible()
        for width, height in ((1440, 900), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            wait_ready(page)
            # Nothing wider than the screen: the statements wrap on a phone.
            assert page.evaluate("() => document.documentElement.scrollWidth") <= width + 1
            shot(page, f"material-ree-statements-{width}")
    finally:
        page.context.close()
