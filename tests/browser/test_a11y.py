"""Accessibility (WCAG 2.2 AA, issue 15 item 6): axe-core on every page, on a laptop and on a phone.

axe-core is the copy the pinned PyPI package ``axe-playwright-python`` ships
(``axe.min.js``, requirements-dev.txt), so the check runs offline once the test
dependencies are installed.  It is injected into every state of every page
that ``tests/browser/every_page.py`` walks (the public's pages, then an
editor's, each tab in turn) at 1440 × 900 and at 390 × 844, and run with the
WCAG 2.0/2.1/2.2 A and AA rules.  Each state's result is saved as JSON under
test-output/a11y/, with a full-page screenshot beside it.  The test fails on any
violation of impact "serious" or "critical", on a chart without its text
alternative (an aria-label), and on chart text (axes, legends, titles) below
4.5:1, which axe-core does not measure inside SVG.

Violations inside Streamlit's own widgets, which the app cannot change, are let
through only by rule and selector together (``ALLOWED``), each with the reason;
anything else counts.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import pytest
from axe_playwright_python.base import AXE_FILE_PATH
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from rmo_data.charts import contrast
from tests.browser.conftest import ROOT, new_page, wait_ready
from tests.browser.every_page import every_state, full_shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OUT = ROOT / "test-output" / "a11y"
VIEWPORTS = {"desktop": (1440, 900), "phone": (390, 844)}
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = ("serious", "critical")
BACKGROUND = "#FFFFFF"  # the theme's backgroundColor (.streamlit/config.toml)


@dataclass(frozen=True)
class Allowed:
    """A violation the app cannot fix: axe's rule id, and the Streamlit element it sits in."""

    rule: str
    selector: str  # CSS: a node that matches it, or lies inside a match, is let through for ``rule``
    why: str


# Streamlit's page menu (``st.navigation`` with sections, data-testid stSidebarNavItems) puts each
# section as a <div> holding its heading and <li> items straight inside the menu's <ul>: the app only
# hands it the pages and section names, and a menu without sections would lose its headings.
NAV_MENU = '[data-testid="stSidebarNavItems"]'
ALLOWED: tuple[Allowed, ...] = (
    Allowed("list", NAV_MENU, "Streamlit's page menu: a section <div> directly inside its <ul>"),
    Allowed("listitem", NAV_MENU, "Streamlit's page menu: its <li> items sit in a section <div>"),
    # st.date_input draws a date as year, month and day segments about 18 px high in one field; its
    # calendar button beside them sets the same date and is large enough (SC 2.5.8's "equivalent").
    Allowed("target-size", '[data-testid="stDateInput"] [role="spinbutton"]',
            "Streamlit's date field: the segments of one date, with a full-size calendar button"),
)

# Runs axe in the page, then sets aside the nodes ``ALLOWED`` lets through (rule and selector both
# match); a violation left with no node is set aside whole.  Both lists come back, to be saved.
RUN_AXE = """
async ([options, allowed]) => {
  const results = await axe.run(document, options);
  const inside = (node, selector) => {
    const target = node.target[node.target.length - 1];
    const el = typeof target === 'string' ? document.querySelector(target) : null;
    return !!(el && el.closest(selector));
  };
  const kept = [], setAside = [];
  for (const v of results.violations) {
    const rules = allowed.filter(a => a.rule === v.id);
    const keep = v.nodes.filter(n => !rules.some(a => inside(n, a.selector)));
    const drop = v.nodes.filter(n => rules.some(a => inside(n, a.selector)));
    if (keep.length) kept.push({...v, nodes: keep});
    if (drop.length) setAside.push({...v, nodes: drop});
  }
  return {url: results.url, testEngine: results.testEngine, violations: kept, allowed: setAside};
}
"""


# Vega puts a chart's description on its element as the aria-label of a graphics document.
UNLABELLED_CHARTS = """
() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
  .filter(c => c.getAttribute('role') !== 'graphics-document' || !(c.getAttribute('aria-label') || '').trim())
  .length
"""


# axe-core does not measure text inside SVG: the colours of the charts' own text (axes, legends,
# titles, panel headers) are read here and measured against the background with WCAG's formula.
CHART_TEXT = """
() => [...new Set([...document.querySelectorAll('[data-testid="stVegaLiteChart"] svg g[class*="role-axis"] text, '
  + '[data-testid="stVegaLiteChart"] svg g[class*="role-legend"] text, '
  + '[data-testid="stVegaLiteChart"] svg g[class*="role-title"] text, '
  + '[data-testid="stVegaLiteChart"] svg g[class*="role-header"] text')]
  .map(t => t.getAttribute('fill') || getComputedStyle(t).fill))]
"""
NAMED = {"black": "#000000", "white": "#FFFFFF"}


def _hex(colour: str) -> str:
    """A colour as SVG gives it ("#abc", "#aabbcc", "black", "rgb(1, 2, 3)") in #RRGGBB."""
    colour = colour.strip()
    if colour.startswith("rgb"):
        r, g, b = (int(float(v)) for v in colour[colour.index("(") + 1:colour.index(")")].split(",")[:3])
        return f"#{r:02x}{g:02x}{b:02x}"
    return NAMED.get(colour.lower(), colour)


def _weak_chart_text(page: object) -> list[str]:
    """The chart text colours on the page below 4.5:1 on the theme's background."""
    fills = page.evaluate(CHART_TEXT)  # type: ignore[attr-defined]
    return [f for f in fills if contrast.ratio(_hex(f), BACKGROUND) < contrast.TEXT_MIN]


def _axe(page: object) -> dict:
    """axe's violations on the page as it is now (axe injected first when this document lacks it)."""
    pg = page
    if not pg.evaluate("() => typeof window.axe !== 'undefined'"):  # type: ignore[attr-defined]
        pg.add_script_tag(path=str(AXE_FILE_PATH))  # type: ignore[attr-defined]
    options = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}
    return pg.evaluate(RUN_AXE, [options, [asdict(a) for a in ALLOWED]])  # type: ignore[attr-defined]


def _nodes(results: dict) -> set[tuple[str, str]]:
    """Each blocking violation's (rule, element) pairs in one axe result."""
    return {(v["id"], json.dumps(n["target"])) for v in results["violations"] if v["impact"] in BLOCKING
            for n in v["nodes"]}


def _confirmed(first: dict, second: dict) -> dict:
    """``second`` with each blocking violation's elements cut to those ``first`` found too.

    A Streamlit widget can be caught between two renders (CI once saw the tab strip's roving focus
    with no tab in the tab order, on a strip the keyboard walk had just moved along): what a reader
    meets is the page once it has settled, so a blocking finding is checked by a second run after
    ``wait_ready`` and counts when both runs found it.  One the second run does not repeat is kept
    under ``transient`` in the saved JSON (as is one only the second run found), rather than dropped
    unseen.
    """
    both = _nodes(first) & _nodes(second)

    def cut(v: dict, keep: bool) -> dict:
        return {**v, "nodes": [n for n in v["nodes"] if ((v["id"], json.dumps(n["target"])) in both) == keep]}

    kept = [cut(v, True) if v["impact"] in BLOCKING else v for v in second["violations"]]
    gone = [cut(v, False) for v in [*first["violations"], *second["violations"]] if v["impact"] in BLOCKING]
    return {**second, "violations": [v for v in kept if v["nodes"]], "transient": [v for v in gone if v["nodes"]]}


def _checked(page: object) -> dict:
    """axe's result for the page as a reader meets it: a blocking finding must survive a second run."""
    first = _axe(page)
    if not _nodes(first):
        return first
    wait_ready(page)
    return _confirmed(first, _axe(page))


def _describe(name: str, violation: dict) -> str:
    nodes = violation["nodes"]
    where = "; ".join(" ".join(map(str, n["target"])) for n in nodes[:3])
    return (f"{name}: {violation['id']} ({violation['impact']}, {len(nodes)} element(s)): "
            f"{violation['help']} at {where}")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_every_page_has_no_serious_accessibility_violation(server: str, browser, viewport: str) -> None:  # noqa: ANN001
    width, height = VIEWPORTS[viewport]
    OUT.mkdir(parents=True, exist_ok=True)
    page = new_page(browser, width, height)
    failures: list[str] = []
    checked: list[str] = []
    try:
        for name in every_state(page, server):
            results = _checked(page)
            state = f"{viewport}-{name}"
            # Every chart is labelled for a screen reader with its description (rmo_data.charts.alt_text);
            # Vega sets the label as it embeds a chart, so a chart drawn again gets it a moment later.
            try:
                page.wait_for_function(f"() => ({UNLABELLED_CHARTS})() === 0", polling=100, timeout=15_000)
            except PlaywrightTimeout:
                pass
            unlabelled = page.evaluate(UNLABELLED_CHARTS)
            if unlabelled:
                failures.append(f"{state}: {unlabelled} chart(s) without a text alternative")
            weak = _weak_chart_text(page)
            if weak:
                failures.append(f"{state}: chart text below {contrast.TEXT_MIN}:1 on {BACKGROUND}: {weak}")
            (OUT / f"{state}.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
            full_shot(page, OUT / f"{state}.png")  # what was checked, to look at
            checked.append(state)
            failures += [_describe(state, v) for v in results["violations"] if v["impact"] in BLOCKING]
    finally:
        page.context.close()  # type: ignore[attr-defined]
    # Every page was reached: at least one state per page for the editor, who may open them all.
    assert len({s.split("-")[2] for s in checked if s.startswith(f"{viewport}-editor-")}) >= 10, checked
    assert not failures, "\n".join(failures)


def test_allowed_violations_are_narrow() -> None:
    """Each exception names one rule, a selector inside a Streamlit element and why the app cannot fix it."""
    for allowed in ALLOWED:
        assert allowed.rule and allowed.why, allowed
        assert allowed.selector.strip() not in ("", "*", "body", "html", "#root"), allowed
        assert "[data-testid=" in allowed.selector or ".st" in allowed.selector, allowed


def test_a_blocking_violation_counts_only_when_the_second_run_finds_it_again() -> None:
    def result(*violations: tuple[str, str, list[str]]) -> dict:
        return {"url": "u", "violations": [{"id": r, "impact": i, "help": r, "nodes": [{"target": [t]} for t in ts]}
                                           for r, i, ts in violations]}

    first = result(("scrollable-region-focusable", "serious", ["#tabs"]), ("label", "critical", ["#a", "#b"]))
    second = result(("label", "critical", ["#b", "#c"]), ("region", "moderate", ["#x"]))
    merged = _confirmed(first, second)
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in merged["violations"]] == [
        ("label", [["#b"]]), ("region", [["#x"]])]
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in merged["transient"]] == [
        ("scrollable-region-focusable", [["#tabs"]]), ("label", [["#a"]]), ("label", [["#c"]])]
