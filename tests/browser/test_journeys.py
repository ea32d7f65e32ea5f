"""Main user journeys in a real browser: overview → material → evidence → a shared link → flows.

Each step saves a screenshot to test-output/screenshots/ (look at them).
Expected numbers come from the store through rmo_data.store.queries, never typed in.
Overview and material profile are public; before the evidence explorer the
user signs in as a partner through the sidebar's link, and the shared link
opened in a new browser asks to sign in on the spot.
"""

from __future__ import annotations

import contextlib
import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from rmo_data import constants
from rmo_data.store import queries
from tests.browser.conftest import (
    new_page,
    open_sign_in,
    run_server,
    shot,
    sign_in,
    wait_ready,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _sidebar_select(page, label: str, option: str) -> None:  # noqa: ANN001
    """Pick ``option`` in the sidebar multiselect or selectbox labelled ``label``."""
    box = page.get_by_test_id("stSidebar").locator(
        "[data-testid='stMultiSelect'], [data-testid='stSelectbox']").filter(has_text=label)
    box.locator("input").click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")
    wait_ready(page)


def _metric_locator(page, label: str):  # noqa: ANN001, ANN202
    return page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")


def _cases(rows) -> int:  # noqa: ANN001
    """Cases as the page counts them: the rows of one report passage are one case."""
    return int(rows["passage"].fillna(rows["id"]).nunique())


def test_deep_link_on_a_fresh_server_opens_the_right_view(built_url: str, browser) -> None:  # noqa: ANN001
    """A shared link is the first request a newly started server gets (workshop morning)."""
    with run_server(built_url, "streamlit-fresh.log") as base:
        page = new_page(browser)
        context = page.context
        page.goto(f"{base}/material?material=zinc&stages=mining")
        wait_ready(page)
        page.get_by_role("heading", name=constants.MATERIAL_LABELS["zinc"]).wait_for()
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar.get_by_text("Filters", exact=True)).to_be_visible()  # the router's sidebar
        expect(sidebar.locator("[data-testid='stMultiSelect']").filter(has_text="Value-chain stages")
               .get_by_text("Mining")).to_be_visible()
        expect(page.get_by_text("Page not found")).to_have_count(0)
        shot(page, "00-deep-link-fresh-server")
        context.close()


def test_overview_to_material_to_evidence_to_shared_link(server: str, page, browser, built_engine) -> None:  # noqa: ANN001
    # 1. Overview: findings and both charts.
    page.goto(server)
    wait_ready(page)
    page.get_by_role("heading", name="Overview").wait_for()
    expect(page.get_by_text("Headline findings")).to_be_visible()
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(2)
    shot(page, "01-overview")

    # 2. Click a material's row in the "Where each material stands" chart: it becomes the focus.
    heat = page.get_by_test_id("stVegaLiteChart").first
    heat.scroll_into_view_if_needed()
    box = heat.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.62)
    wait_ready(page)
    link = page.get_by_test_id("stPageLink").filter(has_text="Open the profile of")
    picked = link.inner_text().split("Open the profile of", 1)[1].strip()
    assert picked in constants.MATERIAL_LABELS.values()
    assert picked != constants.MATERIAL_LABELS[constants.MATERIAL_SLUGS[0]], "the chart click did not change the focus"
    shot(page, "02-overview-material-picked")

    # 3. Open its profile through the link; the production tab shows a chart with units.
    link.click()
    wait_ready(page)
    page.get_by_role("heading", name=picked).wait_for()
    assert "/material" in page.url
    shot(page, "03-material-profile")
    page.get_by_role("tab", name="Production & concentration").click()
    wait_ready(page)
    expect(page.get_by_text("Countries in").first).to_be_visible()
    shot(page, "04-material-production")
    page.get_by_role("tab", name="Value chain & risks").click()
    wait_ready(page)
    shot(page, "05-material-value-chain")

    # 4. Sign in as a partner, then the evidence explorer, narrowed to zinc and to severe cases.
    expect(page.get_by_test_id("stSidebarNav").get_by_text("Risk evidence")).to_have_count(0)
    open_sign_in(page, "partner")
    page.get_by_test_id("stSidebarNav").get_by_text("Risk evidence").click()
    wait_ready(page)
    page.get_by_role("heading", name="Risk evidence").wait_for()
    expect(_metric_locator(page, "Cases shown")).to_have_text(str(_cases(queries.evidence(engine=built_engine))))
    shot(page, "06-evidence")
    _sidebar_select(page, "Materials in view", constants.MATERIAL_LABELS["zinc"])
    zinc = queries.evidence(materials=["zinc"], engine=built_engine)
    expect(_metric_locator(page, "Cases shown")).to_have_text(str(_cases(zinc)))
    page.get_by_label("Search text").fill("child")
    page.keyboard.press("Enter")
    wait_ready(page)
    child = queries.evidence(materials=["zinc"], text="child", engine=built_engine)
    assert len(child) > 0
    expect(_metric_locator(page, "Cases shown")).to_have_text(str(_cases(child)))
    page.wait_for_url(re.compile(r"materials=zinc.*ev_text=child|ev_text=child.*materials=zinc"))
    shot(page, "07-evidence-filtered")

    # 5. Follow the shared link in a new browser: the same view comes back.
    shared = page.url
    fresh = new_page(browser)
    other = fresh.context
    fresh.goto(shared)
    wait_ready(fresh)
    expect(fresh.get_by_text("Sign in as a partner to open this page")).to_be_visible()
    sign_in(fresh, "partner")  # on the refusal itself: the same address then holds the page
    fresh.get_by_role("heading", name="Risk evidence").wait_for()
    expect(_metric_locator(fresh, "Cases shown")).to_have_text(str(_cases(child)))
    # Waits: on a loaded machine the box can fill a moment after the count is shown.
    expect(fresh.get_by_label("Search text")).to_have_value("child")
    shot(fresh, "08-shared-link-reopened")
    other.close()

    # 6. The evidence flows (Plotly parallel categories) with the default filters, on a wide
    #    screen and on a phone: drawn, one column per dimension, and nothing wider than the screen.
    flows_page = new_page(browser, 1440, 900)
    flows_page.goto(f"{server}/evidence")
    wait_ready(flows_page)
    sign_in(flows_page, "partner")
    flows_page.get_by_role("heading", name="Risk evidence").wait_for()
    flows_page.get_by_role("tab", name="Flows").click()
    wait_ready(flows_page)
    every = queries.evidence(engine=built_engine)
    for width, height in ((1440, 900), (390, 844)):
        flows_page.set_viewport_size({"width": width, "height": height})
        _flows_drawn(flows_page, every)
        # Each category's name sits on a white halo: on a phone most of them lie over bands.
        halos = flows_page.evaluate("() => [...document.querySelectorAll('[data-testid=\"stPlotlyChart\"] "
                                    "text.catlabel')].map(t => getComputedStyle(t).paintOrder + ' ' "
                                    "+ getComputedStyle(t).stroke)")
        assert halos and all(h.startswith("stroke") and "255, 255, 255" in h for h in halos), halos[:3]
        shot(flows_page, f"evidence-parcats-{width}")
    # Hovering over a category names its number of cases.
    flows_page.set_viewport_size({"width": 1440, "height": 900})
    # Back on a wide screen the sidebar slides open again and main narrows under the table, which
    # follows a moment later (a CI run under load saw the table 161 px too wide just then).
    expect(flows_page.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "false")
    flows_page.wait_for_function("() => document.querySelector('[data-testid=\"stSidebar\"]')"
                                 ".getBoundingClientRect().left >= 0", polling=100)
    _flows_drawn(flows_page, every)  # redrawn at this width before its boxes are measured
    severe = constants.SEVERITY_LABELS[int(every["severity"].max())]
    chart = flows_page.get_by_test_id("stPlotlyChart")
    # The bands of that severity: a report passage once per band, at its highest severity.
    keyed = every.assign(key=every["passage"].fillna(every["id"]))
    keyed = keyed.assign(severity=keyed.groupby("key")["severity"].transform("max"))
    bands = keyed.groupby(["stage", "category", "severity", "material"])["key"].nunique().reset_index()
    expected = int(bands.loc[bands["severity"] == every["severity"].max(), "key"].sum())
    tip = chart.locator(".hoverlayer")
    for _ in range(10):  # Plotly may still be laying out after a resize: measure and point again
        box = chart.locator(".parcats .category").filter(has_text=severe).locator(".catrect").bounding_box()
        assert box is not None
        # The mouse itself, not hover(): the category's band rectangle sits on top of its frame.
        flows_page.mouse.move(0, 0)
        flows_page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        try:
            expect(tip).to_contain_text(f"{severe}: {expected} case(s)", timeout=3_000)
            break
        except AssertionError:
            continue
    expect(tip).to_contain_text(f"{severe}: {expected} case(s)")
    flows_page.context.close()


# The elements of main whose right edge passes main's (what a failed width check names).
WIDEST = ("() => { const m = document.querySelector('[data-testid=\"stMain\"]'); const lim = m.clientWidth;"
          " return [...m.querySelectorAll('[data-testid]')].map(e => [e.getAttribute('data-testid'),"
          " Math.round(e.getBoundingClientRect().right - m.getBoundingClientRect().left)])"
          ".filter(([, r]) => r > lim + 1).slice(0, 8); }")


def _flows_drawn(page, cases) -> None:  # noqa: ANN001
    """The flows chart has drawn its four columns with the stages of ``cases``; no sideways scroll."""
    chart = page.get_by_test_id("stPlotlyChart")
    expect(chart.locator(".parcats .catlabel").first).to_be_visible()  # wait_ready watches Vega-Lite only
    expect(chart.locator(".parcats .dimension")).to_have_count(4)
    stages = {constants.STAGE_SHORT[s] for s in cases["stage"]}
    expect(chart.locator(".parcats .dimension").first.locator(".category")).to_have_count(len(stages))
    page.wait_for_function("() => { const svg = document.querySelector('[data-testid=\"stPlotlyChart\"] svg');"
                           " return svg && svg.getBoundingClientRect().right <= window.innerWidth; }")
    overflow = ("() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
                " return [document.documentElement.scrollWidth - window.innerWidth,"
                " m.scrollWidth - m.clientWidth]; }")
    # Just after a resize the layout may still be moving (seen on a loaded machine: main 137 px too
    # wide for a moment): wait for it to settle; an overflow that lasts still fails below.
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(f"() => ({overflow})().every((x) => x === 0)", timeout=30_000)
    wide = page.evaluate(overflow)
    assert wide == [0, 0], f"wider than the screen by {wide} px (page, main): {page.evaluate(WIDEST)}"


def test_stakeholders_and_sources_pages(server: str, page, built_engine) -> None:  # noqa: ANN001
    page.goto(f"{server}/stakeholders")
    wait_ready(page)
    sign_in(page, "partner")  # the stakeholders page is for partners: its address asks first
    page.get_by_role("heading", name="Stakeholders & initiatives").wait_for()
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    shot(page, "09-stakeholders")
    page.goto(f"{server}/stakeholders?materials=nickel,zinc")
    wait_ready(page)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stSidebarNav").get_by_role("link", name="Sources & method").click()
    page.get_by_role("heading", name="Sources & method").wait_for()
    wait_ready(page)
    expect(page.get_by_text("No country production data recorded")).to_be_visible()
    # Nothing on this page follows the shared filters, so the sidebar leaves them out...
    expect(sidebar.get_by_test_id("stSidebarNav")).to_be_visible()
    expect(sidebar.get_by_test_id("stMultiSelect")).to_have_count(0)
    shot(page, "10-sources")
    # ...and keeps them: back on a page with filters, the two materials are still the view.
    sidebar.get_by_test_id("stSidebarNav").get_by_role("link", name="Stakeholders & initiatives").click()
    page.get_by_role("heading", name="Stakeholders & initiatives").wait_for()
    wait_ready(page)
    expect(sidebar.get_by_test_id("stMultiSelect").filter(has_text="Materials in view")).to_be_visible()
    assert re.search(r"materials=nickel(,|%2C)zinc", page.url), page.url
