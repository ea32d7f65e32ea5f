"""Keyboard only (WCAG 2.2 SC 2.1.1, issue 15 item 6): the Overview's controls are reached and used with Tab and Enter.

A reader without a mouse presses Tab from the top of the page: focus moves
through the menu and the sidebar's filters to the page's own controls, each
one marked while it has the focus (SC 2.4.7), and the arrow key and Enter on
the bubble chart's stage switch it, as a click does.  (``every_page.py`` opens every tab of every page with
the arrow keys for the other checks.)
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import new_page, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MAX_TABS = 120  # more presses than the page has stops before the stage buttons

# Name of the focused element, and whether it shows that it has the focus: an outline or a ring on
# it or a close ancestor, or a frame in the theme's primary colour (how Streamlit marks a focused
# select box or text field; its unfocused frame is grey).
FOCUSED = """
(primary) => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const name = el.getAttribute('aria-label') || (el.innerText || '').trim().split('\\n')[0];
  let marked = false;
  for (let e = el, i = 0; e && i < 5; e = e.parentElement, i++) {
    const s = getComputedStyle(e);
    marked = marked || (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none'
      || (parseFloat(s.borderTopWidth) > 0 && s.borderTopColor === primary);
  }
  return {name, marked, inSidebar: !!el.closest('[data-testid="stSidebar"]')};
}
"""
PRIMARY = "rgb(11, 85, 99)"  # the theme's primaryColor #0B5563 (.streamlit/config.toml), as CSS reports it


def _tab_to(page, wanted: str) -> list[dict]:  # noqa: ANN001
    """Press Tab until the element named ``wanted`` has the focus; returns every stop on the way."""
    stops: list[dict] = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED, PRIMARY)
        if focused:
            stops.append(focused)
            if focused["name"] == wanted:
                return stops
    raise AssertionError(f"{wanted!r} was not reached in {MAX_TABS} presses of Tab: {[s['name'] for s in stops]}")


def test_the_overview_is_used_with_the_keyboard_alone(server: str, browser) -> None:  # noqa: ANN001
    page = new_page(browser, 1440, 900)
    try:
        page.goto(server)
        wait_ready(page)
        stops = _tab_to(page, "Focus material")  # the sidebar's first filter
        assert stops[-1]["inSidebar"] and stops[-1]["marked"], stops[-1]
        # On to the page's own controls: Tab stops once in the stage buttons (a radio group, on the
        # chosen one), an arrow key moves to the other and Enter chooses it.
        stops = _tab_to(page, "Mining")
        assert not stops[-1]["inSidebar"]
        unmarked = [s["name"] for s in stops if not s["marked"]]
        assert not unmarked, f"focus not shown on: {unmarked}"
        page.keyboard.press("ArrowRight")
        assert page.evaluate(FOCUSED, PRIMARY)["name"] == "Processing"
        page.keyboard.press("Enter")
        wait_ready(page)
        expect(page.get_by_role("radio", name="Processing")).to_have_attribute("aria-checked", "true")
        # The bubble chart now shows processing, and says so to a screen reader too.
        chart = page.locator(".st-key-ov_scatter [data-testid='stVegaLiteChart']")
        expect(chart).to_have_attribute("aria-label", re.compile("^Concentration at processing"))
    finally:
        page.context.close()
