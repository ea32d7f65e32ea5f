"""Criterion weights from pairwise comparisons, asked one pair at a time on a phone (AHP).

An alternative to the weight sliders: ``pairwise_input`` shows a small card
for every pair of criteria.  The participant taps the criterion that should
count more (or "Equal"), then how much more, in the plain words of
``constants.PAIRWISE_SCALE``.  Two rows of buttons (``st.segmented_control``)
rather than one slider: an untouched pair is visibly "not compared" (a
slider always has a value), and a small style sheet (``CSS``) keeps each row
one row on a 390 px screen, 44 px high, a long name breaking between its
words inside its button (Streamlit would put the third button on a row of
its own).  Questions, their help and the warning name the criteria in full;
the buttons and the bar list by their short names (``rmo_data.vocabulary``).

There is no form: each tap reruns the page, so the progress line, the weights
they give (a bar list, largest first) and the consistency check follow every
answer.  Until every pair is compared the function returns None and the
progress line says how many remain; pairs not yet compared count as equal in
the weights shown meanwhile.  The consistency check (``pairwise.ahp_weights``)
is shown once all pairs are in, as a warning naming the three criteria that
contradict each other most when the ratio is above 0.1.

``stored`` (a ``PairwiseAnswer.to_dict()``) fills the buttons in once, when
it is new to this session or the buttons' state was lost (the component was
not drawn in a run), so a reload or a revision starts from the answers sent.
Every widget key starts with ``key``.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from rmo_data import constants, formatting
from rmo_data.workshops import pairwise

# The "how much more" buttons: every word of the scale but "Equal", which is a side of its own.
AMOUNTS: tuple[str, ...] = tuple(w.word for w in constants.PAIRWISE_SCALE[1:])
SHORT_WORDS: dict[str, str] = {w.word: w.short for w in constants.PAIRWISE_SCALE}
EQUAL_LABEL = constants.PAIRWISE_SCALE[0].short
PREFILLED = "_pw_prefilled"  # suffix of the key that records which stored answer was filled in
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]+")  # the key goes into a CSS class name (st-key-…)
# Each row of buttons stays one row on a 390 px screen: the buttons share it by their text's width,
# a long name breaks between words inside its button, and every button is a finger's height (44 px).
# Constant CSS, scoped to this input's cards; only the checked key goes into it.
CSS = """
<style>
.st-key-{key}_pairs [data-testid="stButtonGroup"] [role="radiogroup"] {{flex-wrap: nowrap; width: 100%;}}
.st-key-{key}_pairs [data-testid="stButtonGroup"] button[role="radio"] {{
  flex: 1 1 auto; min-width: 0; min-height: 2.75rem; padding: 0.25rem 0.45rem;}}
.st-key-{key}_pairs [data-testid="stButtonGroup"] button[role="radio"] p {{
  white-space: normal; line-height: 1.15; overflow-wrap: normal;}}
</style>
"""


def side_key(key: str, a: str, b: str) -> str:
    """Session-state key of the pair's "which counts more" buttons (FIRST, EQUAL, SECOND or None)."""
    return f"{key}_side_{a}_{b}"


def amount_key(key: str, a: str, b: str) -> str:
    """Session-state key of the pair's "how much more" buttons (a word of the scale or None)."""
    return f"{key}_amount_{a}_{b}"


def card_key(key: str, a: str, b: str) -> str:
    """Key of the pair's card (its container: the page gives it the class ``st-key-<key>``)."""
    return f"{key}_card_{a}_{b}"


def _name(slug: str) -> str:
    """A criterion on a button or in the bar list: its short name (narrow on a phone)."""
    return constants.CRITERION_SHORT.get(slug, slug)


def _label(slug: str) -> str:
    """A criterion in a question or a sentence: its display name."""
    return constants.CRITERION_LABELS.get(slug, slug)


def _prefill(criteria: list[str], key: str, stored: Mapping[str, Any] | None) -> None:
    """Put ``stored``'s answers into the buttons, once per stored answer (or after their state was lost)."""
    if not stored:
        return
    mark = f"{key}{PREFILLED}"
    stamp = json.dumps(stored.get("comparisons"), sort_keys=True, default=str)
    sides = [side_key(key, a, b) for a, b in pairwise.pairs(criteria)]
    if st.session_state.get(mark) == stamp and any(k in st.session_state for k in sides):
        return  # already filled in: what the participant changed since stays
    st.session_state[mark] = stamp
    try:
        answer = pairwise.PairwiseAnswer.from_dict(stored, criteria)
    except ValueError:
        return  # an answer for other criteria, or unreadable: the buttons start empty
    for a, b in pairwise.pairs(criteria):
        value = answer.comparisons.get((a, b))
        side, word = pairwise.word_choice(value) if value is not None else (None, None)
        st.session_state[side_key(key, a, b)] = side
        if side in (pairwise.FIRST, pairwise.SECOND):
            st.session_state[amount_key(key, a, b)] = word
        else:
            st.session_state.pop(amount_key(key, a, b), None)


def _pair_card(key: str, a: str, b: str) -> float | None:
    """One pair's card: which counts more, then how much; its Saaty value, or None until answered."""
    names = {pairwise.FIRST: _name(a), pairwise.EQUAL: EQUAL_LABEL, pairwise.SECOND: _name(b)}
    plain = (f"**{_label(a)}**: {constants.CRITERION_PLAIN.get(a, _label(a))}\n\n"
             f"**{_label(b)}**: {constants.CRITERION_PLAIN.get(b, _label(b))}")
    with st.container(border=True, key=card_key(key, a, b)):
        side = st.segmented_control(f"Which should count more: {_label(a)} or {_label(b)}?",
                                    list(pairwise.SIDES), format_func=names.__getitem__,
                                    key=side_key(key, a, b), help=plain, width="stretch")
        if side is None:
            return None
        if side == pairwise.EQUAL:
            return 1.0
        winner = a if side == pairwise.FIRST else b
        word = st.segmented_control(f"How much more should {_label(winner)} count?", list(AMOUNTS),
                                    format_func=SHORT_WORDS.__getitem__, key=amount_key(key, a, b),
                                    width="stretch")
    return None if word is None else pairwise.choice_value(side, word)


def weight_bars(weights: Mapping[str, float]) -> str:
    """The weights as an HTML bar list, largest first: name, bar, per cent (names from constants)."""
    rows = []
    shown = dict(zip(weights, formatting.shares(weights.values())))  # they add up to 100 as shown
    for slug, w in sorted(weights.items(), key=lambda kv: -kv[1]):
        colour = constants.CRITERION_COLOURS.get(slug, "#555555")
        rows.append(
            '<li style="display:flex;align-items:center;gap:0.5rem;margin:0.2rem 0">'
            f'<span style="flex:0 0 9.5rem;overflow-wrap:anywhere">{html.escape(_name(slug))}</span>'
            '<span aria-hidden="true" style="flex:1 1 auto;min-width:2rem;height:0.7rem;'
            'background:rgba(128,128,128,0.18);border-radius:0.35rem">'
            f'<span style="display:block;width:{100 * w:.1f}%;height:100%;background:{colour};'
            'border-radius:0.35rem"></span></span>'
            f'<span style="flex:0 0 3rem;text-align:right;font-variant-numeric:tabular-nums">'
            f'{formatting.percent(shown[slug])}</span></li>')
    return ('<ul aria-label="Weights from your comparisons" data-pw="weights" '
            f'style="list-style:none;margin:0;padding:0">{"".join(rows)}</ul>')


def _scale_note() -> str:
    """How the words read as numbers in the warning ("Clearly more" is 5 times as important)."""
    steps = ", ".join(f"{w.short} {w.value}" for w in constants.PAIRWISE_SCALE[1:])
    return f"In these numbers the words count as: {steps} times as important."


def pairwise_input(criteria: Sequence[str], key: str,
                   stored: Mapping[str, Any] | None = None) -> pairwise.PairwiseAnswer | None:
    """Ask for every pair of ``criteria``; the answer once every pair is compared, else None.

    Parameters
    ----------
    criteria : sequence of str
        Criterion slugs (1 to 10), in the order the pairs are asked.
    key : str
        Prefix of every widget key (``side_key``, ``amount_key``).
    stored : mapping, optional
        A ``PairwiseAnswer.to_dict()`` to fill the buttons in with (once).
    """
    crits = list(criteria)
    if not crits:
        raise ValueError("pairwise_input needs at least one criterion.")
    if not KEY_PATTERN.fullmatch(key):
        raise ValueError("pairwise_input's key may hold only letters, digits, '_' and '-'.")
    _prefill(crits, key, stored)
    everything = pairwise.pairs(crits)
    comparisons: dict[tuple[str, str], float] = {}
    if everything:
        st.html(CSS.format(key=key))
        st.caption(f"{len(everything)} pairs: for each, tap the criterion that should count more "
                   f"(or {EQUAL_LABEL}), then how much more.")
        with st.container(key=f"{key}_pairs", gap="small"):
            for a, b in everything:
                value = _pair_card(key, a, b)
                if value is not None:
                    comparisons[(a, b)] = value
    done, total = len(comparisons), len(everything)
    answer = pairwise.PairwiseAnswer.of(crits, comparisons, labels=constants.CRITERION_LABELS)  # its warning: a sentence
    if total:
        left = total - done
        st.progress(done / total, text=f"{done} of {total} compared" + (f": {left} to go." if left else "."))
    if done == 0 and total:
        return None
    st.markdown("**Your weights**" if answer.complete else "**Your weights so far**")
    st.html(weight_bars(answer.result.weights))
    if not answer.complete:
        st.caption("Pairs you have not compared yet count as equal here.")
        return None
    if len(crits) >= 3:  # with one pair there is nothing to contradict
        if answer.result.consistent:
            st.caption(f":material/check_circle: Your answers are consistent (consistency ratio "
                       f"{formatting.number(answer.result.ratio, 2)}; up to {formatting.number(pairwise.CR_LIMIT, 2)} is fine).")
        else:
            st.warning(answer.result.warning, icon=":material/warning:")
            st.caption(_scale_note())
    return answer
