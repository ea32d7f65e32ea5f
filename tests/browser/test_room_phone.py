"""An anonymous, pairwise workshop with two places, on phones (390 × 844, touch), in a real browser.

The facilitator's steps (create, reveal, round 2, close) go through
``rmo_data.workshops`` on the server's own store; what is tested is what the
phones show.  Two phones join: neither is asked for a name, each is told the
label it is stored under ("Participant 1", "Participant 2"); a third is told
the room is full.  Phone 1 compares the three criteria pair by pair and
submits; the weights stored are those the pure AHP module derives from the
same taps.  The reveal reaches both open phones by itself (no reload) within a
few seconds, and so does round 2, in which phone 1 sees round 1's result and
revises.  The frozen record holds both rounds and no name at all.
Screenshots: test-output/screenshots/room-*.png.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest
from playwright.sync_api import expect

from components.workshop_pairwise import card_key
from components.workshop_participant import PAIRS_KEY
from rmo_data import constants
from rmo_data.store.engine import make_engine
from rmo_data.workshops import lifecycle, pairwise, participants, rounds
from tests.browser.conftest import WATCH_RUNS, shot, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTH, HEIGHT = 390, 844
MATS = ["nickel", "graphite", "ree", "zinc"]
CRITS = ["auto_share", "processing_hhi", "severity"]
F, E, S = pairwise.FIRST, pairwise.EQUAL, pairwise.SECOND
# What phone 1 taps for each pair, in the order of pairwise.pairs(CRITS).
TAPS: dict[tuple[str, str], tuple[int, str | None]] = {
    ("auto_share", "processing_hhi"): (S, "A little more"),
    ("auto_share", "severity"): (S, "Clearly more"),
    ("processing_hhi", "severity"): (S, "A little more"),
}
PHASE_SLACK_S = 4.0  # a phase change shows within ~1.5 s on an idle machine; a busy CI machine gets slack


def _phone(browser, url: str):  # noqa: ANN001, ANN202
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, has_touch=True, is_mobile=True)
    context.add_init_script(WATCH_RUNS)
    page = context.new_page()
    page.set_default_timeout(45_000)
    page.goto(url)
    wait_ready(page)
    return page


def _no_sideways_scroll(page) -> None:  # noqa: ANN001
    assert page.evaluate("() => document.documentElement.scrollWidth") <= WIDTH


def _tap(page, card, name: str) -> None:  # noqa: ANN001
    button = card.get_by_role("radio", name=name, exact=True)
    button.tap()
    # The touch becomes a click after tap() returns: wait until the button shows it is chosen.
    expect(button).to_have_attribute("aria-checked", "true")
    wait_ready(page)


def _answer(page, a: str, b: str, side: int, word: str | None) -> None:  # noqa: ANN001
    card = page.locator(f".st-key-{card_key(PAIRS_KEY, a, b)}")
    names = {F: constants.CRITERION_SHORT[a], E: constants.PAIRWISE_SCALE[0].short, S: constants.CRITERION_SHORT[b]}
    _tap(page, card, names[side])
    if word is not None:
        _tap(page, card, next(w.short for w in constants.PAIRWISE_SCALE if w.word == word))


def _seen_within(page, text: str) -> float:  # noqa: ANN001
    """Seconds until ``text`` shows on an open page that nobody touches."""
    start = time.monotonic()
    expect(page.get_by_text(text)).to_be_visible(timeout=20_000)
    return time.monotonic() - start


def test_anonymous_pairwise_room_with_reveal_and_a_second_round(server: str, browser,  # noqa: ANN001
                                                               browser_store: str) -> None:
    title = f"Quiet room {uuid.uuid4().hex[:6]}"
    engine = make_engine(browser_store)
    _, code = lifecycle.create_workshop(title, MATS, CRITS, engine=engine, actor="fac",
                                        mode=participants.ANONYMOUS, method=participants.PAIRWISE, capacity=2)
    link = f"{server}/workshop?join={code}"

    # Two phones join; neither is asked for a name.
    one = _phone(browser, link)
    one.get_by_role("heading", name=title).wait_for()
    expect(one.get_by_text("no name is asked for or kept")).to_be_visible()
    expect(one.get_by_text("Participant 1", exact=True)).to_be_visible()
    expect(one.get_by_role("textbox", name="Your name")).to_have_count(0)
    expect(one.get_by_text("0 of 3 compared: 3 to go.")).to_be_visible()
    expect(one.get_by_role("button", name="Submit my weights")).to_be_disabled()
    _no_sideways_scroll(one)
    shot(one, "room-01-anonymous-pairwise")
    two = _phone(browser, link)
    expect(two.get_by_text("Participant 2", exact=True)).to_be_visible()

    # A third device finds the room full, and nothing is registered for it.
    third = _phone(browser, link)
    expect(third.get_by_text("This workshop is full")).to_be_visible()
    expect(third.get_by_role("button", name="Submit my weights")).to_have_count(0)
    shot(third, "room-02-full")
    assert lifecycle.room_counts(code, engine)["joined"] == 2
    third.context.close()

    # Phone 1 compares every pair and submits: the weights are those AHP derives from the same taps.
    for (a, b), (side, word) in TAPS.items():
        _answer(one, a, b, side, word)
        _no_sideways_scroll(one)
    expect(one.get_by_text("Your answers are consistent")).to_be_visible()
    one.get_by_role("button", name="Submit my weights").click()
    wait_ready(one)
    expect(one.get_by_text("Your answer is in.")).to_be_visible()
    expected = pairwise.PairwiseAnswer.of(CRITS, {p: pairwise.choice_value(s, w) for p, (s, w) in TAPS.items()})
    subs = lifecycle.list_submissions(code, engine)
    assert subs["participant"].tolist() == ["Participant 1"]
    assert subs["weights"].iloc[0] == pairwise.answer_shares(expected)
    shot(one, "room-03-answer-in")

    # The facilitator reveals: both open phones show the group's result by themselves.
    rounds.reveal(code, engine=engine, actor="fac")
    took = [_seen_within(page, "The facilitator has revealed the group's result") for page in (one, two)]
    print(f"reveal seen after {', '.join(f'{t:.2f}' for t in took)} s")
    assert max(took) < PHASE_SLACK_S, took
    wait_ready(one)
    expect(one.get_by_text("The group's result", exact=True)).to_be_visible()
    expect(one.get_by_test_id("stVegaLiteChart").filter(has_text="Group ranking")).to_be_visible()
    _no_sideways_scroll(one)
    shot(one, "room-04-revealed")

    # Round 2: round 1's result stays on the phones, and phone 1 revises one answer.
    rounds.next_round(code, engine=engine, actor="fac")
    assert _seen_within(one, "Round 2.") < PHASE_SLACK_S
    wait_ready(one)
    expect(one.get_by_text("The group's result in round 1")).to_be_visible()
    expect(one.get_by_role("button", name="Revise my weights")).to_be_enabled()
    _answer(one, "auto_share", "severity", E, None)
    one.get_by_role("button", name="Revise my weights").click()
    wait_ready(one)
    expect(one.get_by_text("your weights were revised")).to_be_visible()
    shot(one, "room-05-round-2-revised")

    record = lifecycle.close_workshop(code, engine=engine, actor="fac")
    assert [r["round"] for r in record["rounds"]] == [1, 2]
    assert record["workshop"]["mode"] == participants.ANONYMOUS
    assert record["rounds"][0]["submissions"][0]["weights"] == pairwise.answer_shares(expected)
    assert record["submissions"][0]["weights"] != record["rounds"][0]["submissions"][0]["weights"]
    assert "Participant 1" in json.dumps(record) and "name" not in {k for s in record["submissions"] for k in s}
    for page in (one, two):
        expect(page.get_by_text("This workshop is closed")).to_be_visible(timeout=20_000)
    shot(two, "room-06-closed")
    for page in (one, two):
        page.context.close()
    engine.dispose()
