"""No chart is cut at its own edge: the Material profile's production charts, for every material and stage.

Issue 15 saw the production chart's title clipped at the top.  Streamlit gave every chart of
fixed height Vega's "fit" in both directions, so the whole chart was squeezed into that height;
with a y-axis title taller than the squeezed plot, Vega drew the title above the canvas.
vl-convert did not reproduce it (it lays out "fit" its own way), so this is checked in the
browser: on the "Production & concentration" tab of every material, at each stage, at 1440 × 900
and on a 390 × 844 phone, every text of every chart lies inside the chart's drawing (Streamlit draws
Vega as SVG, which cuts what lies beyond its edges) and the drawing inside its element.
Screenshots of each state go to test-output/frames/.
"""

from __future__ import annotations

import pytest
from rmo_data import constants
from tests.browser.conftest import ROOT, WATCH_RUNS, wait_ready
from tests.browser.every_page import full_shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OUT = ROOT / "test-output" / "frames"
SCREENS = {"1440x900": (1440, 900, False), "390x844": (390, 844, True)}
TAB = "Production & concentration"

# Every text of every chart (Streamlit draws Vega as SVG) must lie inside the chart's SVG, and the
# SVG inside its element: a text beyond either edge is cut there.
TEXT_OUTSIDE = """
() => {
  const out = [];
  document.querySelectorAll('[data-testid="stMain"] [data-testid="stVegaLiteChart"]').forEach((chart, i) => {
    const svg = chart.querySelector('svg');
    if (!svg) { out.push(`chart ${i}: not drawn`); return; }
    const frame = svg.getBoundingClientRect(), box = chart.getBoundingClientRect();
    if (frame.height > box.height + 1 || frame.width > box.width + 1) {
      out.push(`chart ${i}: drawn ${Math.round(frame.width)} x ${Math.round(frame.height)} px in a box of `
               + `${Math.round(box.width)} x ${Math.round(box.height)} px`);
    }
    svg.querySelectorAll('text').forEach((text) => {
      const r = text.getBoundingClientRect();
      if (r.width === 0 || !text.textContent.trim()) return;
      // A text's box is its font's em box, which reaches about a quarter of the font size above the
      // tallest letters: only more than that past an edge cuts ink.
      const slack = 0.25 * parseFloat(getComputedStyle(text).fontSize || '12');
      const edges = [['top', frame.top - r.top], ['bottom', r.bottom - frame.bottom],
                     ['left', frame.left - r.left], ['right', r.right - frame.right]];
      for (const [edge, by] of edges) {
        if (by > slack) out.push(`chart ${i}: "${text.textContent.slice(0, 50)}" ${Math.round(by)} px past its ${edge} edge`);
      }
    });
  });
  return out;
}
"""


@pytest.mark.parametrize("screen", list(SCREENS))
def test_production_charts_are_never_cut_at_their_edges(server: str, browser, screen: str) -> None:  # noqa: ANN001
    width, height, phone = SCREENS[screen]
    OUT.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=phone, has_touch=phone)
    context.add_init_script(WATCH_RUNS)
    page = context.new_page()
    page.set_default_timeout(45_000)
    cut: list[str] = []
    drawn = 0
    try:
        for material in constants.MATERIAL_SLUGS:
            page.goto(f"{server}/material?material={material}")
            wait_ready(page)
            main = page.get_by_test_id("stMain")
            main.get_by_role("tab", name=TAB, exact=True).click()
            wait_ready(page)
            for stage in ("mining", "processing"):
                if stage != "mining":
                    main.get_by_test_id("stButtonGroup").get_by_text(constants.STAGE_LABELS[stage], exact=True).click()
                    wait_ready(page)
                drawn += main.get_by_test_id("stVegaLiteChart").count()
                cut += [f"{material} {stage}: {problem}" for problem in page.evaluate(TEXT_OUTSIDE)]
                full_shot(page, OUT / f"{screen}-{material}-{stage}.png")
    finally:
        context.close()
    assert drawn >= 20, f"only {drawn} charts drawn: the production tab did not show its charts"
    assert not cut, "\n".join(cut)
