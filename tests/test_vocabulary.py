"""The vocabulary (``rmo_data.vocabulary``): one name and one short name per thing, and the rule that checks pages.

The names are read from the vocabulary, never typed in, except in the
examples of the rule (``tests/vocabulary_rule.py``), which show what it lets
through and what it refuses.
"""

from __future__ import annotations

import re

import pytest

from rmo_data import constants, vocabulary
from tests.shown_names import Shown
from tests.vocabulary_rule import STEMS, entries_in, is_name, names_covered, problems

TERMS = [t for terms in vocabulary.all_names().values() for t in terms]


def _words(text: str) -> list[str]:
    """Lower-case words of a name; "&", "/" and hyphens separate, parentheses and colons drop."""
    return [w for w in re.split(r"[\s/\-–:,()]+", text.lower()) if w and w != "&"]


def _shortens(short: str, name: str) -> bool:
    """Each word of ``short`` is a word of ``name``, its plural or singular, or a shortening of one.

    A shortening is an abbreviation with a full stop ("conc.") or a leading part of four letters or
    more ("Auto" for "Automotive").
    """
    words = _words(name)
    for w in _words(short):
        stem = w.rstrip(".")
        if w.endswith(".") or len(w) >= 4 and any(n.startswith(w) for n in words):
            if not any(n.startswith(stem) for n in words):
                return False
        elif not any(n in (w, w + "s", w.removesuffix("s")) for n in words):
            return False
    return True


def test_every_kind_names_every_slug_of_constants() -> None:
    assert {t.slug for t in vocabulary.terms("material")} == set(constants.MATERIAL_SLUGS)
    assert {t.slug for t in vocabulary.terms("criterion")} == set(constants.CRITERION_SLUGS)
    assert {t.slug for t in vocabulary.terms("stage")} == set(constants.STAGE_SLUGS)
    assert {t.slug for t in vocabulary.terms("risk_category")} == set(constants.RISK_CATEGORY_SLUGS)
    assert {t.slug for t in vocabulary.terms("leverage_category")} == set(constants.LEVERAGE_CATEGORY_SLUGS)
    assert {t.slug for t in vocabulary.terms("quadrant")} == {q.slug for q in constants.QUADRANTS}
    assert {t.slug for t in vocabulary.terms("preset")} == set(constants.WEIGHT_PRESETS)
    assert {t.slug for t in vocabulary.terms("actor")} == set(constants.ACTOR_SLUGS)
    assert {t.slug for t in vocabulary.terms("target")} == set(constants.TARGET_SLUGS)
    assert all(vocabulary.terms(kind) for kind in vocabulary.kinds())


@pytest.mark.parametrize("kind", vocabulary.kinds())
def test_names_and_short_names_are_unique_within_their_kind(kind: str) -> None:
    terms = vocabulary.terms(kind)
    names = [t.name for t in terms]
    shorts = [t.short for t in terms]
    assert len(set(names)) == len(names), names
    assert len(set(shorts)) == len(shorts), shorts
    # No spelling names two things: one term's short name is never another's name.
    owner: dict[str, str] = {}
    for t in terms:
        for spelled in {t.name, t.short}:
            assert owner.setdefault(spelled, t.slug) == t.slug, (spelled, owner[spelled], t.slug)


@pytest.mark.parametrize("term", TERMS, ids=lambda t: f"{t.kind}:{t.slug}")
def test_a_short_name_is_a_shortening_of_its_name(term: vocabulary.Term) -> None:
    assert term.name and term.short
    assert len(term.short) <= len(term.name), term
    assert _shortens(term.short, term.name), f"{term.short!r} is not a shortening of {term.name!r}"


def test_the_shortening_check_refuses_unrelated_short_names() -> None:
    # The short names this project used before: each says something its name does not.
    assert not _shortens("REE", "Rare earth elements")
    assert not _shortens("Mining HHI", "Mining concentration")
    assert not _shortens("Governance HHI", "Governance-weighted concentration")
    assert not _shortens("Worker safety", "Occupational health & safety")
    assert _shortens("Gov.-weighted conc.", "Governance-weighted concentration")


def test_accessors_read_the_constants() -> None:
    assert vocabulary.name("material", "ree") == constants.MATERIAL_LABELS["ree"]
    assert vocabulary.short("material", "ree") == constants.MATERIAL_SHORT["ree"]
    assert vocabulary.names("criterion") == constants.CRITERION_LABELS
    assert vocabulary.shorts("criterion") == constants.CRITERION_SHORT
    assert vocabulary.with_unit("criterion", "mining_hhi") == (
        f"{constants.CRITERION_LABELS['mining_hhi']} ({constants.CRITERION_UNITS['mining_hhi']})")
    assert vocabulary.with_unit("stage", "mining") == constants.STAGE_LABELS["mining"]  # no unit
    with pytest.raises(KeyError):
        vocabulary.name("material", "unobtainium")


# --- the rule the page test applies (tests/vocabulary_rule.py) ----------------------------

@pytest.mark.parametrize("term", TERMS, ids=lambda t: f"{t.kind}:{t.slug}")
def test_every_term_has_stems_that_find_its_own_names(term: vocabulary.Term) -> None:
    assert (term.kind, term.slug) in STEMS, "add stems for the new term to tests/vocabulary_rule.py"
    for spelled in {term.name, term.short}:
        assert (term.kind, term.slug) in entries_in(spelled), spelled
        assert is_name(spelled, term.kind) and names_covered(spelled)


def test_the_strict_rule_takes_names_with_units_markers_and_lists() -> None:
    mining = vocabulary.name("criterion", "mining_hhi")
    assert is_name(vocabulary.with_unit("criterion", "mining_hhi"))
    assert is_name(f"{vocabulary.short('material', 'ree')} *")
    assert is_name(f"{vocabulary.short('stage', 'mining')} (12)")
    assert is_name(f"{mining} · detail")
    assert is_name(f"{vocabulary.name('material', 'zinc')}, {vocabulary.name('material', 'nickel')}")
    assert is_name("Participant 1")  # no stem: not a name, not checked


@pytest.mark.parametrize("text", ["REE", "REE *", "Iron/steel", "Mining HHI", "Governance HHI",
                                  "HHI (0–10 000)", "Rare earths elements", "mining concentration"])
def test_the_strict_rule_refuses_other_spellings(text: str) -> None:
    assert not is_name(text)


def test_a_kind_narrows_the_strict_rule() -> None:
    severity = vocabulary.name("measure", "case_severity")
    assert is_name(severity) and not is_name(severity, "criterion")
    assert is_name(vocabulary.name("criterion", "severity"), "criterion")


def test_the_loose_rule_wants_every_name_in_full() -> None:
    auto, mining = vocabulary.short("criterion", "auto_share"), vocabulary.short("criterion", "mining_hhi")
    assert names_covered(f"Which should count more: {auto} or {mining}?")
    assert names_covered(f"Highest {vocabulary.name('measure', 'case_severity').lower()} (1–5)")
    assert names_covered(f"{vocabulary.name('criterion', 'gov_hhi')} (mining)")  # parentheses: a qualifier
    assert not names_covered(f"Which should count more: {auto} or Mining HHI?")
    assert not names_covered("Governance-weighted HHI (mining)")
    assert not names_covered("Top REE producer")


def test_problems_check_groups_that_hold_names_and_skip_data() -> None:
    nickel = vocabulary.name("material", "nickel")
    materials = [Shown("m", nickel, True, "multiselect materials"), Shown("m", "REE", True, "multiselect materials")]
    companies = [Shown("c", "American Zinc", True, "company options"), Shown("c", "Nickel Institute", True,
                                                                           "company options")]
    assert problems(companies) == []  # no option is a vocabulary name: a list of data
    (found,) = problems(materials)
    assert found.startswith("m: 'REE' is not one of") and vocabulary.name("material", "ree") in found
    # A column headed by a kind is checked even when no cell is right; a weight slider by its key.
    assert problems([Shown("t", "REE", True, "table Material", "material")])
    slider = Shown("slider wt_severity label", vocabulary.name("measure", "case_severity"), key="wt_severity")
    assert problems([slider]) == []  # any vocabulary name passes a label with no kind ...
    assert problems([slider], {r"wt_": "criterion"})  # ... a weight slider must name a criterion
