"""The pairwise input (``components.workshop_pairwise``) in AppTest: choices, progress, weights, warning, prefill.

The component runs alone in a tiny script (``AppTest.from_function``); what
it returns goes into session state as ``to_dict()``, so each test checks both
what the participant sees and what a caller would store.  Expected weights
are the hand-computed ones of ``tests/workshops/test_pairwise.py``.
"""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from components.workshop_pairwise import amount_key, side_key
from rmo_data import constants
from rmo_data.workshops import pairwise
from tests.apptest import no_exception

THREE = ["auto_share", "mining_hhi", "severity"]
AUTO, MINING, SEVERITY = (constants.CRITERION_SHORT[c] for c in THREE)  # buttons and bars: short names
AUTO_NAME, MINING_NAME, SEVERITY_NAME = (constants.CRITERION_LABELS[c] for c in THREE)  # questions: names
FOUR = ["auto_share", "mining_hhi", "severity", "standards_gap"]


def _script(criteria: list[str]) -> None:
    import streamlit as st

    from components.workshop_pairwise import pairwise_input

    answer = pairwise_input(criteria, "pw", stored=st.session_state.get("stored"))
    st.session_state["answer"] = None if answer is None else answer.to_dict()


def _app(criteria: list[str], stored: dict | None = None) -> AppTest:
    at = AppTest.from_function(_script, args=(criteria,), default_timeout=30)
    if stored is not None:
        at.session_state["stored"] = stored
    return no_exception(at.run())


def _answer(at: AppTest, a: str, b: str, side: int, word: str | None = None) -> AppTest:
    """Tap the pair's side, then (unless equal) its amount, as a participant does: one run per tap."""
    no_exception(at.segmented_control(key=side_key("pw", a, b)).set_value(side).run())
    if word is not None:
        no_exception(at.segmented_control(key=amount_key("pw", a, b)).set_value(word).run())
    return at


def _progress(at: AppTest) -> str:
    return at.get("progress")[0].proto.text


def _bar_lists(at: AppTest) -> list[str]:
    """The weights' bar lists drawn (the input's other HTML is its style sheet)."""
    return [h.value for h in at.html if 'data-pw="weights"' in h.value]


def _shown_weights(at: AppTest) -> list[tuple[str, int]]:
    """(name, per cent) of the bar list, in the order shown."""
    (bars,) = _bar_lists(at)
    return [(name, int(pct)) for name, pct in
            re.findall(r'overflow-wrap:anywhere">([^<]+)</span>.*?(\d+) %</span>', bars)]


def test_nothing_compared_yet_shows_one_card_per_pair_and_returns_none() -> None:
    at = _app(FOUR)
    assert [s.key for s in at.segmented_control] == [side_key("pw", a, b) for a, b in pairwise.pairs(FOUR)]
    assert all(s.value is None for s in at.segmented_control)
    assert at.segmented_control[0].label == f"Which should count more: {AUTO_NAME} or {MINING_NAME}?"
    assert at.segmented_control[0].options == [AUTO, "Equal", MINING]
    assert _progress(at) == "0 of 6 compared: 6 to go."
    assert not _bar_lists(at) and not at.warning and at.session_state["answer"] is None


def test_consistent_choices_give_the_hand_computed_weights_and_say_so() -> None:
    # Automotive share a little more than mining concentration and than severity, those two equal: 60/20/20 %.
    at = _app(THREE)
    no_exception(at.segmented_control(key=side_key("pw", "auto_share", "mining_hhi")).set_value(pairwise.FIRST).run())
    amount = at.segmented_control(key=amount_key("pw", "auto_share", "mining_hhi"))
    assert amount.label == f"How much more should {AUTO_NAME} count?"
    assert amount.options == [w.short for w in constants.PAIRWISE_SCALE[1:]]
    assert _progress(at) == "0 of 3 compared: 3 to go."  # a side without an amount is not an answer yet
    no_exception(amount.set_value("A little more").run())
    assert _progress(at) == "1 of 3 compared: 2 to go."
    assert "**Your weights so far**" in [m.value for m in at.markdown]
    assert at.session_state["answer"] is None
    _answer(at, "auto_share", "severity", pairwise.FIRST, "A little more")
    _answer(at, "mining_hhi", "severity", pairwise.EQUAL)
    assert _progress(at) == "3 of 3 compared."
    assert "**Your weights**" in [m.value for m in at.markdown]
    assert _shown_weights(at) == [(AUTO, 60), (MINING, 20), (SEVERITY, 20)]
    assert not at.warning
    assert any(c.value.endswith("Your answers are consistent (consistency ratio 0.00; up to 0.10 is fine).")
               for c in at.caption)
    stored = at.session_state["answer"]
    assert stored["weights"] == {"auto_share": 0.6, "mining_hhi": 0.2, "severity": 0.2}
    assert stored["comparisons"] == [["auto_share", "mining_hhi", 3], ["auto_share", "severity", 3],
                                     ["mining_hhi", "severity", 1]]


def test_a_circle_of_choices_warns_in_plain_words() -> None:
    # Automotive share clearly more than mining concentration, that clearly more than severity, but severity
    # a little more than Automotive share: w = 39/33/28 %, CR 2.12 (hand-computed in test_pairwise.py).
    at = _app(THREE)
    _answer(at, "auto_share", "mining_hhi", pairwise.FIRST, "Clearly more")
    _answer(at, "mining_hhi", "severity", pairwise.FIRST, "Clearly more")
    _answer(at, "auto_share", "severity", pairwise.SECOND, "A little more")
    assert _shown_weights(at) == [(AUTO, 39), (MINING, 33), (SEVERITY, 28)]
    assert len(at.warning) == 1
    text = at.warning[0].value
    # Named in full, as in the questions, with the ratio.
    assert text.startswith(f"Your answers contradict each other: you rated {AUTO_NAME} 5 times as important "
                           f"as {MINING_NAME}, and {MINING_NAME} 5 times as important as {SEVERITY_NAME}")
    assert "Consistency ratio 2.12" in text
    assert any("A little 3, Clearly 5, Much 7, Overwhelmingly 9" in c.value for c in at.caption)
    assert at.session_state["answer"]["cr"] == pytest.approx(2.1158)
    # Taking one answer back: not complete any more, no answer and no warning.
    no_exception(at.segmented_control(key=side_key("pw", "auto_share", "severity")).set_value(None).run())
    assert _progress(at) == "2 of 3 compared: 1 to go."
    assert not at.warning and at.session_state["answer"] is None


def test_a_stored_answer_fills_the_buttons_once_and_changes_stay() -> None:
    crits = FOUR
    v = pairwise.choice_value
    stored = pairwise.PairwiseAnswer.of(crits, {
        ("auto_share", "mining_hhi"): v(pairwise.SECOND, "Much more"),
        ("auto_share", "severity"): v(pairwise.EQUAL),
        ("auto_share", "standards_gap"): v(pairwise.FIRST, "Overwhelmingly more"),
        ("mining_hhi", "severity"): v(pairwise.FIRST, "Clearly more"),
        ("mining_hhi", "standards_gap"): v(pairwise.FIRST, "Overwhelmingly more"),
        ("severity", "standards_gap"): v(pairwise.FIRST, "Much more")}).to_dict()
    at = _app(crits, stored)
    assert at.segmented_control(key=side_key("pw", "auto_share", "mining_hhi")).value == pairwise.SECOND
    assert at.segmented_control(key=amount_key("pw", "auto_share", "mining_hhi")).value == "Much more"
    assert at.segmented_control(key=side_key("pw", "auto_share", "severity")).value == pairwise.EQUAL
    assert at.segmented_control(key=amount_key("pw", "severity", "standards_gap")).value == "Much more"
    assert _progress(at) == "6 of 6 compared."
    assert at.session_state["answer"] == stored
    # A change is not undone by the stored answer on later runs.
    _answer(at, "auto_share", "severity", pairwise.FIRST, "A little more")
    no_exception(at.run())
    assert at.segmented_control(key=side_key("pw", "auto_share", "severity")).value == pairwise.FIRST
    assert at.session_state["answer"] != stored
    assert ["auto_share", "severity", 3] in at.session_state["answer"]["comparisons"]


def test_a_stored_answer_for_other_criteria_leaves_the_buttons_empty() -> None:
    other = pairwise.PairwiseAnswer.of(["gov_hhi", "top_share"], {("gov_hhi", "top_share"): 3}).to_dict()
    at = _app(THREE, other)
    assert all(s.value is None for s in at.segmented_control)
    assert _progress(at) == "0 of 3 compared: 3 to go."


def test_two_criteria_have_one_pair_and_nothing_to_contradict() -> None:
    at = _app(["auto_share", "severity"])
    _answer(at, "auto_share", "severity", pairwise.SECOND, "Much more")  # severity 7× → 1/8, 7/8
    assert _progress(at) == "1 of 1 compared."
    # 87.5 % and 12.5 %: shown beside each other they add up to 100 (formatting.shares), not 88 + 13.
    assert _shown_weights(at) == [(SEVERITY, 88), (AUTO, 12)]
    assert not at.warning and not any("consistent" in c.value for c in at.caption)
    assert at.session_state["answer"]["weights"] == {"auto_share": 0.125, "severity": 0.875}


def _keyed(key: str) -> None:
    import streamlit as st

    from components.workshop_pairwise import pairwise_input

    try:
        pairwise_input(["auto_share", "severity"], key)
    except ValueError as err:  # the app's config redacts uncaught errors, so the script keeps the message
        st.session_state["refused"] = str(err)


def test_a_key_that_cannot_name_a_css_class_is_refused() -> None:
    at = no_exception(AppTest.from_function(_keyed, args=('x"}</style>',)).run())
    assert "key may hold only" in at.session_state["refused"] and not at.segmented_control
    at = no_exception(AppTest.from_function(_keyed, args=("ws-pair_1",)).run())
    assert "refused" not in at.session_state and at.segmented_control
