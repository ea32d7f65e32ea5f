"""Phone layout (issue 15 item 3): every page at 390 × 844 and 360 × 740, in a real browser.

On a phone the sidebar starts closed (``initial_sidebar_state="auto"``) and
one tap on its button opens the filters; no page is wider than the screen
(a table may scroll inside itself: its cells are drawn on a canvas in a box
of the page's width).  Every state that ``tests/browser/every_page.py`` walks
is photographed whole under test-output/phone/ (look at them).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ROOT, WATCH_RUNS, wait_ready
from tests.browser.every_page import every_state, full_shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OUT = ROOT / "test-output" / "phone"
PHONES = {"390x844": (390, 844), "360x740": (360, 740)}

# How far the page reaches sideways: the document's scroll width, that of Streamlit's main area
# (which scrolls by itself), and the elements that stick out past the screen's right edge, outside
# tables (whose cells scroll inside the table) and outside boxes that scroll sideways themselves.
WIDTHS = """
() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const limit = window.innerWidth + 1;
  const scrollsItself = (el) => {
    for (let p = el.parentElement; p && p !== main; p = p.parentElement) {
      const x = getComputedStyle(p).overflowX;
      if ((x === 'auto' || x === 'scroll' || x === 'hidden') && p.clientWidth <= limit) return true;
    }
    return false;
  };
  const out = [];
  for (const el of main.querySelectorAll('*')) {
    if (el.closest('[data-testid="stDataFrame"], [data-testid="stTable"]')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= limit || scrollsItself(el)) continue;
    const id = el.getAttribute('data-testid') || el.className.baseVal || el.className || el.tagName;
    out.push(`${el.tagName.toLowerCase()} ${String(id).slice(0, 60)} right=${Math.round(r.right)}`);
  }
  return {inner: window.innerWidth, doc: document.scrollingElement.scrollWidth,
          main: main.scrollWidth, sticking_out: out.slice(0, 5)};
}
"""


def _phone(browser: object, width: int, height: int) -> object:
    """A page in a new phone-like context: a touch screen with a mobile viewport, recording script runs."""
    context = browser.new_context(viewport={"width": width, "height": height},  # type: ignore[attr-defined]
                                  is_mobile=True, has_touch=True)
    context.add_init_script(WATCH_RUNS)
    pg = context.new_page()
    pg.set_default_timeout(45_000)
    return pg


@pytest.mark.parametrize("phone", list(PHONES))
def test_every_page_fits_a_phone(server: str, browser, phone: str) -> None:  # noqa: ANN001
    width, height = PHONES[phone]
    OUT.mkdir(parents=True, exist_ok=True)
    page = _phone(browser, width, height)
    too_wide: list[str] = []
    seen: list[str] = []
    try:
        # 1. A first visit: the sidebar is closed and one tap on its button opens the filters.
        page.goto(server)
        wait_ready(page)
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar).to_have_attribute("data-collapsed", "true")
        assert page.evaluate("() => document.querySelector('[data-testid=\"stSidebar\"]')"
                             ".getBoundingClientRect().right <= 1"), "the closed sidebar still covers the page"
        page.get_by_test_id("stExpandSidebarButton").tap()
        expect(sidebar).to_have_attribute("data-collapsed", "false")
        page.wait_for_function("() => document.querySelector('[data-testid=\"stSidebar\"]')"
                               ".getBoundingClientRect().left >= 0", polling=100)  # slid fully in
        expect(sidebar.get_by_text("Filters", exact=True)).to_be_in_viewport()
        expect(sidebar.get_by_role("combobox", name="Focus material")).to_be_in_viewport()
        page.screenshot(path=str(OUT / f"{phone}-filters-open.png"))
        # A tap on a page in the open menu shows that page with the menu closed again.
        sidebar.get_by_test_id("stSidebarNav").get_by_role("link", name="Material profile").tap()
        wait_ready(page)
        expect(page.get_by_test_id("stMain").get_by_role("tab").first).to_be_visible()
        expect(sidebar).to_have_attribute("data-collapsed", "true")
        # Opened again, then the page loaded again: Streamlit remembers it open; it opens closed all the same.
        page.get_by_test_id("stExpandSidebarButton").tap()
        expect(sidebar).to_have_attribute("data-collapsed", "false")
        page.reload()
        wait_ready(page)
        expect(sidebar).to_have_attribute("data-collapsed", "true")

        # 2. Every page, every tab: nothing wider than the screen; a photograph of each.
        for name in every_state(page, server):
            seen.append(name)
            # Every page opens with the sidebar closed, though it was open on the page before.
            expect(sidebar).to_have_attribute("data-collapsed", "true")
            widths = page.evaluate(WIDTHS)
            if max(widths["doc"], widths["main"]) > widths["inner"] + 1 or widths["sticking_out"]:
                too_wide.append(f"{name}: {widths}")
            full_shot(page, OUT / f"{phone}-{name}.png")
    finally:
        page.context.close()  # type: ignore[attr-defined]
    assert len({n.split("-")[1] for n in seen if n.startswith("editor-")}) >= 10, seen
    assert not too_wide, "\n".join(too_wide)
