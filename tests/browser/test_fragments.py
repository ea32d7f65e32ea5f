"""Controls inside fragments still update everything that depends on them, in a real browser.

The Prioritisation weights and the leverage-card filters live in ``st.fragment``s
(a click reruns only what it changes, see issue 17).  A fragment's run does not
run the rest of the page, nor app.py's ``state.write_to_url`` at its end; these
journeys check that after such a run the address, the downloads and the
briefing pack follow, and that a change the rest of the page shows (a card
added to the plan) still reaches it.  Each test first checks that the browser
really asked for a fragment run (``__stRun.sentFull`` of ``WATCH_RUNS``), so it
tests the fragment path, not a full rerun.  Expected values come from the store
through rmo_data.  Screenshots: test-output/screenshots/fragment-*.png.
"""

from __future__ import annotations

import re
import zipfile
import uuid

import pandas as pd
import pytest
from playwright.sync_api import expect

from rmo_data import constants, vocabulary
from rmo_data.analysis import scoring
from rmo_data.store import queries
from rmo_data.store.criteria import criteria_table
from tests.browser.conftest import add_to_plan, open_sign_in, shot, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _open(page, server: str, title: str) -> None:  # noqa: ANN001
    """Sign in as a partner, then open ``title`` from the menu."""
    page.goto(server)
    wait_ready(page)
    expect(page.get_by_test_id("stSidebar").get_by_text("Filters", exact=True)).to_be_visible()
    open_sign_in(page, "partner")
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    wait_ready(page)
    page.get_by_role("heading", name=title).first.wait_for()


def _was_fragment_run(page) -> bool:  # noqa: ANN001
    return page.evaluate("() => window.__stRun.sentFull") is False


def _csv(page, button, tmp_path, name: str) -> pd.DataFrame:  # noqa: ANN001
    """The table of a CSV download: the one CSV beside about.csv in the zip the button downloads."""
    with page.expect_download() as info:
        button.click()
    path = tmp_path / name
    info.value.save_as(path)
    with zipfile.ZipFile(path) as archive:
        (table,) = [n for n in archive.namelist() if n != "about.csv"]
        return pd.read_csv(archive.open(table))


def test_a_weight_moved_in_its_fragment_updates_url_download_and_pack(server: str, page, built_engine,
                                                                      tmp_path) -> None:  # noqa: ANN001
    _open(page, server, "Prioritisation")
    main = page.get_by_test_id("stMain")

    # A pack built for the current weights (the box near the top): its downloads replace the prepare button.
    main.get_by_text("Briefing pack (PowerPoint and PDF)").click()
    wait_ready(page)  # the box is built when opened (a rerun)
    main.get_by_role("button", name="Prepare briefing pack").click()
    wait_ready(page)
    expect(main.get_by_role("button", name="Download PowerPoint")).to_be_visible()
    shot(page, "fragment-00-pack-near-the-top")

    crit = "severity"
    slider = page.get_by_test_id("stSlider").filter(
        has_text=constants.CRITERION_LABELS[crit]).get_by_role("slider")
    slider.focus()
    page.keyboard.press("End")  # the weight to its maximum
    wait_ready(page)
    assert _was_fragment_run(page), "moving a weight should rerun only its fragment"
    expect(slider).to_have_value(str(constants.WEIGHT_MAX))
    shot(page, "fragment-01-weight-moved")

    # The address holds the new weight although app.py did not run.
    expect(page).to_have_url(re.compile(rf"[?&]wt_{crit}={constants.WEIGHT_MAX}(&|$)"))
    # The pack's inputs changed: the pack built for the old weights is gone, the button is back.
    expect(main.get_by_role("button", name="Prepare briefing pack")).to_be_visible()
    expect(main.get_by_role("button", name="Download PowerPoint")).to_have_count(0)

    # The first download of the Ranking tab is "Why each material ranks": the new weights' figures.
    weights = {**constants.WEIGHT_PRESETS["balanced"], crit: constants.WEIGHT_MAX}
    raw = criteria_table(built_engine).raw
    expected = scoring.explained(raw, scoring.normalise(raw), weights)
    got = _csv(page, main.get_by_role("button", name="Download CSV").first, tmp_path, "contrib.zip")
    # Readable headings; the weight's share in % to 1 decimal and scores to 2 (rmo_data.vocabulary.ROUNDING).
    criterion, weight, score, name = (vocabulary.column_heading(c) for c in ("criterion", "weight", "score", "name"))
    want_weight = float(expected.loc[expected["criterion"] == crit, "weight"].iloc[0])
    got_weight = got.loc[got[criterion] == constants.CRITERION_LABELS[crit], weight]  # named, not a slug
    assert len(got_weight) == len(raw.index) and (got_weight - 100 * want_weight).abs().max() <= 0.05 + 1e-9
    want_scores = expected.drop_duplicates("material").set_index("material")["score"]
    got_scores = got.drop_duplicates(name).set_index(name)[score]
    for slug, value in want_scores.items():
        assert abs(got_scores[constants.MATERIAL_LABELS[slug]] - value) <= 0.005 + 1e-9


def test_a_card_search_in_its_fragment_updates_url_download_and_plan(server: str, page, built_engine,
                                                                     tmp_path) -> None:  # noqa: ANN001
    _open(page, server, "Leverage cards")
    main = page.get_by_test_id("stMain")
    text = "audit"
    expected = queries.leverage_cards(text=text, engine=built_engine)
    assert 0 < len(expected) < len(queries.leverage_cards(engine=built_engine)), "the search must narrow"

    box = main.get_by_label("Search action text")
    box.fill(text)
    box.press("Enter")
    wait_ready(page)
    assert _was_fragment_run(page), "a card search should rerun only its fragment"
    metric = page.get_by_test_id("stMetric").filter(has_text="Cards shown").get_by_test_id("stMetricValue")
    expect(metric).to_have_text(str(len(expected)))
    expect(page).to_have_url(re.compile(rf"[?&]lc_text={text}(&|$)"))
    shot(page, "fragment-02-card-search")

    # The cards download (the last of the Cards tab) holds exactly the cards found.
    got = _csv(page, main.get_by_role("button", name="Download CSV").last, tmp_path, "cards.zip")
    assert sorted(got[vocabulary.column_heading("id")]) == sorted(expected["id"])

    # A card added to the plan from inside the fragment: the message at the top of the page
    # and the plan tab (both outside the fragment) show it.
    card_id, note = str(expected["id"].iloc[0]), f"fragment-{uuid.uuid4().hex[:8]}"
    add_to_plan(page, card_id, "Procurement", note)
    page.get_by_role("tab", name="Action plan").click()
    wait_ready(page)
    shot(page, "fragment-03-plan-after-add")
    plan = _csv(page, page.get_by_role("button", name="Plan (CSV)"), tmp_path, "plan.zip")
    assert list(plan.loc[plan["Note"].fillna("") == note, "Card"]) == [card_id]


def test_a_scenario_loaded_in_the_fragment_sets_the_sidebar_too(server: str, page, browser_store: str) -> None:  # noqa: ANN001
    """Loading a scenario sets the weights (in the fragment) and the sidebar's materials (outside it)."""
    from rmo_data.store import scenarios
    from rmo_data.store.engine import get_engine

    name, chosen = f"fragment-{uuid.uuid4().hex[:8]}", ["graphite", "nickel", "zinc"]
    weights = dict(constants.WEIGHT_PRESETS["supply_security"])
    scenarios.save_scenario(name, weights, materials=chosen, engine=get_engine(browser_store))
    _open(page, server, "Prioritisation")
    page.get_by_role("tab", name="Scenarios").click()
    wait_ready(page)
    main = page.get_by_test_id("stMain")
    main.get_by_test_id("stSelectbox").filter(has_text=re.compile(r"^Scenario(?! [AB])")).locator("input").click()
    page.keyboard.type(name)
    page.get_by_role("option", name=name, exact=True).click()
    wait_ready(page)
    main.get_by_role("button", name="Load", exact=True).click()
    wait_ready(page)
    sidebar = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(has_text="Materials in view")
    for slug in chosen:
        expect(sidebar.get_by_text(constants.MATERIAL_LABELS[slug], exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(rf"[?&]materials={'(,|%2C)'.join(chosen)}(&|$)"))  # comma maybe encoded
    slider = page.get_by_test_id("stSlider").filter(
        has_text=constants.CRITERION_LABELS["supply_risk"]).get_by_role("slider")
    expect(slider).to_have_value(str(weights["supply_risk"]))
    shot(page, "fragment-04-scenario-loaded")
