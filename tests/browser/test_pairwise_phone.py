"""The pairwise input on a phone (390 × 844, touch), in a real browser.

``tests/browser/pairwise_page.py`` (the component alone, on the criteria
its address names) is served by ``streamlit run``; it needs no store,
so this test starts its own server rather than the app's.  All six pairs are
answered by tapping; the weights shown are checked against
``PairwiseAnswer.of`` of the same answers; one answer is then changed into a
contradiction and the warning checked.  Nothing may be wider than the screen.
Screenshots: test-output/screenshots/pairwise-*.png.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from components.workshop_pairwise import card_key
from rmo_data import constants, formatting
from rmo_data.workshops import pairwise
from scripts.live_server import ServerDidNotStart, running_server
from tests.browser.conftest import ROOT, WATCH_RUNS, shot, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTH, HEIGHT = 390, 844
# The four criteria with the longest short names: the cards are as wide as they get.
CRITERIA = ["auto_share", "gov_hhi", "social_breadth", "env_breadth"]
F, E, S = pairwise.FIRST, pairwise.EQUAL, pairwise.SECOND
# (first, second) → (side, word): what the participant taps, in the order of pairwise.pairs(CRITERIA).
ANSWERS: dict[tuple[str, str], tuple[int, str | None]] = {
    ("auto_share", "gov_hhi"): (F, "A little more"),
    ("auto_share", "social_breadth"): (E, None),
    ("auto_share", "env_breadth"): (F, "Clearly more"),
    ("gov_hhi", "social_breadth"): (S, "A little more"),
    ("gov_hhi", "env_breadth"): (F, "A little more"),
    ("social_breadth", "env_breadth"): (F, "Clearly more"),
}


@pytest.fixture(scope="module")
def pairwise_server() -> Iterator[str]:
    """``streamlit run tests/browser/pairwise_page.py`` on a free loopback port, until the module ends."""
    (ROOT / "test-output").mkdir(exist_ok=True)
    log = ROOT / "test-output" / "pairwise-server.log"
    try:
        # The page needs no store: the URL is never opened.
        with running_server("sqlite:///unused.sqlite", log, script="tests/browser/pairwise_page.py") as server:
            yield server.base_url
    except ServerDidNotStart as exc:
        pytest.fail(f"the pairwise page's server did not start: {exc}")


def _no_sideways_scroll(page) -> None:  # noqa: ANN001
    assert page.evaluate("() => document.documentElement.scrollWidth") <= WIDTH


def _cards(page):  # noqa: ANN001, ANN202
    return page.locator('[class*="st-key-pw_card_"]')


def _card(page, a: str, b: str):  # noqa: ANN001, ANN202
    """The card of the pair (a, b) (its container's key), which asks about the two by name."""
    card = page.locator(f".st-key-{card_key('pw', a, b)}")
    expect(card).to_contain_text(f"Which should count more: {constants.CRITERION_LABELS[a]} or "
                                 f"{constants.CRITERION_LABELS[b]}?")
    return card


def _tap(page, card, name: str) -> None:  # noqa: ANN001
    button = card.get_by_role("radio", name=name, exact=True)
    box = button.bounding_box()
    assert box and box["height"] >= 44, f"{name!r} is {box} : too small for a finger"
    button.tap()
    # The browser turns the touch into a click after tap() has returned: wait until the button shows
    # it is chosen (the run it asks for is sent by then), then for that run.
    expect(button).to_have_attribute("aria-checked", "true")
    wait_ready(page)


def _answer(page, a: str, b: str, side: int, word: str | None) -> None:  # noqa: ANN001
    card = _card(page, a, b)
    expect(card).to_have_count(1)
    names = {F: constants.CRITERION_SHORT[a], E: constants.PAIRWISE_SCALE[0].short, S: constants.CRITERION_SHORT[b]}
    _tap(page, card, names[side])
    if word is not None:
        _tap(page, card, next(w.short for w in constants.PAIRWISE_SCALE if w.word == word))


def _expect_weights(page, answers: dict[tuple[str, str], tuple[int, str | None]]) -> None:  # noqa: ANN001
    """The bar list shows the weights the pure module computes for ``answers``, largest first."""
    answer = pairwise.PairwiseAnswer.of(CRITERIA, {p: pairwise.choice_value(s, w) for p, (s, w) in answers.items()})
    ordered = sorted(answer.result.weights.items(), key=lambda kv: -kv[1])
    # Whole percent that add up to 100 as shown (formatting.shares), not each rounded alone (99 here).
    shown = dict(zip(answer.result.weights, formatting.shares(answer.result.weights.values())))
    assert sum(shown.values()) == 100
    lines = [re.compile(rf"^{re.escape(constants.CRITERION_SHORT[c])}\s*{int(shown[c])} %$") for c, _ in ordered]
    expect(page.locator('ul[data-pw="weights"] li')).to_have_text(lines)
    if answer.complete:  # and the component returned those weights, as the shares a submission stores
        expect(page.get_by_text(f"Returned: {json.dumps(pairwise.answer_shares(answer))}")).to_be_visible()


def test_all_six_pairs_tapped_on_a_phone(pairwise_server: str, browser) -> None:  # noqa: ANN001
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, has_touch=True, is_mobile=True)
    context.add_init_script(WATCH_RUNS)
    page = context.new_page()
    page.set_default_timeout(45_000)
    page.goto(f"{pairwise_server}/?criteria={','.join(CRITERIA)}")
    wait_ready(page)
    page.get_by_role("heading", name="Compare the criteria").wait_for()
    expect(_cards(page)).to_have_count(6)
    expect(page.get_by_text("0 of 6 compared: 6 to go.")).to_be_visible()
    expect(page.get_by_text("Returned: nothing yet")).to_be_visible()
    _no_sideways_scroll(page)
    shot(page, "pairwise-01-start")

    pairs = pairwise.pairs(CRITERIA)
    assert list(ANSWERS) == pairs
    for i, (a, b) in enumerate(pairs, start=1):
        _answer(page, a, b, *ANSWERS[(a, b)])
        left = len(pairs) - i
        expect(page.get_by_text(f"{i} of 6 compared" + (f": {left} to go." if left else "."),
                                exact=True)).to_be_visible()
        _no_sideways_scroll(page)
        if i == 3:
            # Half-way: the weights so far, with the pairs not yet compared counted as equal.
            expect(page.get_by_text("Your weights so far")).to_be_visible()
            _expect_weights(page, dict(list(ANSWERS.items())[:3]))
            shot(page, "pairwise-02-half-way")

    _expect_weights(page, ANSWERS)
    expect(page.get_by_text("Your weights", exact=True)).to_be_visible()
    expect(page.get_by_text("Your answers are consistent")).to_be_visible()
    expect(page.get_by_test_id("stAlert")).to_have_count(0)
    shot(page, "pairwise-03-all-compared")

    # Turn one answer round: Climate & env. risks now overwhelmingly more than Automotive share,
    # against everything else said about them: the warning names the contradiction.
    changed = {**ANSWERS, ("auto_share", "env_breadth"): (S, "Overwhelmingly more")}
    _answer(page, "auto_share", "env_breadth", S, "Overwhelmingly more")
    _expect_weights(page, changed)
    warning = page.get_by_test_id("stAlert")
    expect(warning).to_have_count(1)
    expect(warning).to_contain_text("Your answers contradict each other")
    _no_sideways_scroll(page)
    shot(page, "pairwise-04-contradiction")
    context.close()
