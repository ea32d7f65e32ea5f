"""The facilitator's console in a real browser at 1440×900: QR code, live view, presentation mode, close.

A partner signs in on the Workshop page and creates a workshop there; three
participants submit through ``rmo_data.workshops.lifecycle`` on the server's store.  The test
then reads the QR codes the page draws (the share box's and presentation mode's) back
from screenshots with zxing-cpp, a QR reader independent of the library that drew them,
and checks that each holds the join link the page prints.

Height targets (1440×900, a common laptop and projector size): in the live view the
group ranking chart starts within the first screen (no scrolling to reach it), and the
page is at most two screens tall (it was about 4,500 px before the detail went into
tabs); in presentation mode the whole page (QR code, join code, count and the group
ranking of a six-material workshop) fits in one screen; the ranking is hidden from the room
until *Reveal the result*, while the count and the names of those who answered show.  The participants' weight
profiles (Plotly) are opened in both views.  Closing from the page records the
signed-in partner as ``closed_by``.  Screenshots: test-output/screenshots/console-*.png.
"""

from __future__ import annotations

import io
import uuid

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from rmo_data.store.engine import make_engine
from rmo_data.workshops import lifecycle
from tests.browser.conftest import new_page, shot, sign_in, wait_ready
from tests.signin import USERS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTH, HEIGHT = 1440, 900
ANSWERS = {
    "Ana": {"auto_share": 7, "processing_hhi": 9, "severity": 2},
    "Ben": {"processing_hhi": 1, "severity": 10, "social_breadth": 9},
    "Cem": {"auto_share": 4, "gov_hhi": 6, "env_breadth": 8, "severity": 5},
}


def _metric(page, label: str):  # noqa: ANN001, ANN202
    return page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")


def _decode(png: bytes) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def _page_height(page) -> int:  # noqa: ANN001
    """Height of the app's scrolling content (Streamlit scrolls inside stMain, not the window)."""
    return int(page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight"))


def _plotly_drawn(page, n_criteria: int) -> None:  # noqa: ANN001
    """The parallel-coordinates chart has drawn its axes (wait_ready watches only Vega-Lite charts)."""
    chart = page.get_by_test_id("stPlotlyChart").filter(visible=True)
    expect(chart.locator(".parcoords .axis-title").first).to_be_visible()
    expect(chart.locator(".parcoords .axis-title")).to_have_count(1 + n_criteria)  # names + criteria


def test_console_qr_codes_fit_and_closed_by(server: str, browser, browser_store: str) -> None:  # noqa: ANN001
    title = f"Console {uuid.uuid4().hex[:6]}"
    engine = make_engine(browser_store)
    page = new_page(browser, WIDTH, HEIGHT)

    # The partner signs in on the Workshop page and creates the workshop there.
    page.goto(f"{server}/workshop")
    wait_ready(page)
    page.get_by_role("radio", name="Facilitate").click()
    wait_ready(page)
    sign_in(page, "partner")
    page.get_by_role("textbox", name="Workshop name").fill(title)
    page.get_by_role("button", name="Create workshop").click()
    wait_ready(page)
    code = _metric(page, "Join code").inner_text().strip()
    link = page.get_by_test_id("stCode").inner_text().strip()
    assert link == f"{server}/workshop?join={code}"
    ws = lifecycle.get_workshop(code, engine)
    assert ws["created_by"] == USERS["partner"][0]

    # The share box's QR code holds the link it prints.
    qr = page.locator(".st-key-ws_share").get_by_role("img")
    expect(qr).to_be_visible()
    assert _decode(qr.screenshot()) == [link]

    for name, weights in ANSWERS.items():
        lifecycle.submit_weights(code, name, {c: weights.get(c, 0) for c in ws["criteria"]}, engine=engine)

    # The live view counts them on its own; the group ranking comes first, within the first screen.
    expect(_metric(page, "Submitted")).to_have_text(str(len(ANSWERS)), timeout=20_000)
    wait_ready(page)
    ranking = page.get_by_test_id("stVegaLiteChart").filter(has_text="Group ranking")
    expect(ranking).to_be_visible()
    shot(page, "console-01-live-ranking")
    box = ranking.bounding_box()
    assert box is not None and box["y"] < HEIGHT, box
    live_height = _page_height(page)
    # About two and a half screens: the chart's written summary (its text alternative, issue 15)
    # takes two lines more than the console had before.
    assert live_height <= 2.6 * HEIGHT, live_height
    page.get_by_role("radio", name="Weight profiles").click()
    wait_ready(page)
    _plotly_drawn(page, len(ws["criteria"]))
    shot(page, "console-02-live-weight-profiles")
    page.get_by_role("radio", name="Group ranking").click()
    wait_ready(page)

    # Presentation mode: QR code, the code in large type, the count, and the ranking in one screen.
    page.get_by_role("button", name="Presentation mode").click()
    wait_ready(page)
    page.get_by_role("heading", name=title, level=1).wait_for()
    # The live view's elements may linger for a moment as the new layout draws: wait for one of each.
    expect(page.get_by_test_id("stMetric").filter(has_text="Join code")).to_have_count(1)
    expect(page.get_by_role("heading", name=title)).to_have_count(1)
    expect(_metric(page, "Submitted")).to_have_text(str(len(ANSWERS)))
    expect(_metric(page, "Join code")).to_have_text(code)
    code_px = float(_metric(page, "Join code").locator("p").evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    assert code_px >= 64, code_px
    # The room sees who has answered, never the result, until the facilitator reveals it.
    expect(page.get_by_text("stays hidden until the facilitator reveals it")).to_be_visible()
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(0)
    expect(page.get_by_text("Ana, Ben, Cem")).to_be_visible()
    assert _decode(page.screenshot()) == [link]
    shot(page, "console-03a-presentation-hidden")
    page.get_by_role("button", name="Reveal the result").click()
    chart = page.get_by_test_id("stVegaLiteChart").filter(has_text="Group ranking")
    expect(chart).to_be_visible()  # the click's own run has drawn the result
    wait_ready(page)
    assert lifecycle.get_workshop(code, engine)["revealed_at"] is not None
    expect(chart).to_be_visible()
    shot(page, "console-03-presentation")
    box = chart.bounding_box()  # the whole ten-material ranking, on one screen
    assert box is not None and box["y"] + box["height"] <= HEIGHT, box
    panel = page.locator(".st-key-ws_present_code").bounding_box()  # code, QR and count beside it
    assert panel is not None and panel["y"] + panel["height"] <= HEIGHT, panel
    # The QR code as the room sees it: decoded from a screenshot of the whole screen.
    screen = page.screenshot()
    assert _decode(screen) == [link]
    shot(page, "console-03-presentation")
    page.get_by_role("radio", name="Weight profiles").click()
    wait_ready(page)
    _plotly_drawn(page, len(ws["criteria"]))
    shot(page, "console-04-presentation-profiles")
    page.get_by_role("button", name="Leave presentation").click()
    wait_ready(page)

    # Closing from the page: the frozen record names the signed-in partner.
    page.get_by_role("button", name="Close workshop…").click()
    wait_ready(page)
    page.get_by_role("button", name="Yes, close it").click()
    wait_ready(page)
    expect(page.get_by_text("This record was frozen at closing")).to_be_visible()
    expect(page.get_by_text(f"by {USERS['partner'][0]} with {len(ANSWERS)} submission(s)")).to_be_visible()
    record = lifecycle.frozen_record(code, engine=engine)
    assert record["workshop"]["closed_by"] == USERS["partner"][0]
    shot(page, "console-05-closed")
    page.context.close()
    engine.dispose()
