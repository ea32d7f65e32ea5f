"""Every page answers at a glance: at 1440 × 900 its main chart or table starts on the first screen.

An editor (who may open every page) opens each page of ``rmo_data.access.roles.PAGES`` from
the menu; once the script has finished, the page's answer, its first chart or data table
(or, on the pages that are forms, the form's first field), must begin inside the window
without scrolling.  A screenshot of each first screen is saved under test-output/glance/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rmo_data.access import roles
from tests.browser.conftest import ROOT, new_page, sign_in, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTH, HEIGHT = 1440, 900
SHOTS = ROOT / "test-output" / "glance"
FIGURE = ("[data-testid='stVegaLiteChart'], [data-testid='stPlotlyChart'], [data-testid='stDataFrame'], "
          "[data-testid='stTable']")
# Pages whose answer is a form, not a figure: the field a visitor fills in first.
FORM_PAGES = {
    "pages/workshop.py": "[data-testid='stTextInput']",
    "pages/data_management.py": "[data-testid='stSelectbox']",
    "pages/sign_in.py": "[data-testid='stTextInput'], [data-testid='stButton']",
}
# Top of the first answer in the main area, in px from the window's top (None when there is none).
FIRST_TOP = """(selector) => {
  const main = document.querySelector('[data-testid="stMain"]');
  const tops = [...main.querySelectorAll(selector)].map(e => e.getBoundingClientRect())
    .filter(r => r.height > 0).map(r => r.top);
  return tops.length ? Math.min(...tops) : null;
}"""


def test_every_page_shows_its_answer_on_the_first_screen(server: str, browser) -> None:  # noqa: ANN001
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = new_page(browser, WIDTH, HEIGHT)
    late: list[str] = []
    try:
        page.goto(f"{server}/sign_in")
        wait_ready(page)
        sign_in(page, "editor")
        menu = page.get_by_test_id("stSidebarNav")
        for spec in roles.PAGES:
            title = "Account" if spec.path == "pages/sign_in.py" else spec.title
            menu.get_by_role("link", name=title, exact=True).click()
            wait_ready(page)
            page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, 0)")
            top = page.evaluate(FIRST_TOP, FORM_PAGES.get(spec.path, FIGURE))
            page.screenshot(path=str(SHOTS / f"{Path(spec.path).stem}-{WIDTH}x{HEIGHT}.png"))
            if top is None or top >= HEIGHT - 80:  # at least a sliver of it: its top and its first row
                late.append(f"{spec.title}: first answer at {top} px")
        assert not late, late
    finally:
        page.context.close()
