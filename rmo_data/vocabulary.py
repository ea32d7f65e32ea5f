"""One name and one short name for everything the app names: ``name(kind, slug)``, ``short(kind, slug)``.

The names themselves live in ``rmo_data.constants``; this module is the one
way to read them, by kind and slug, so that a chart, a table and a slider can
never call one criterion two things.

The rule:

* the **name** is what tables, headings, downloads, briefing packs, workshop
  records and slider labels show;
* the **short** name is a recognisable shortening of it for narrow places:
  chart legends, axes, marks' labels and the phone's question buttons;
* a unit, when one is shown, follows the name in parentheses
  (``with_unit("criterion", "mining_hhi")`` → "Mining concentration (HHI 0–10,000)");
* a qualifier follows the same way ("Governance-weighted concentration (mining)").

A value that is not recorded has one wording too, ``NO_DATA`` ("no data recorded"), which
``rmo_data.formatting`` writes wherever a figure is missing.

Kinds: material, criterion, stage, risk_category, leverage_category,
quadrant, preset, actor, target, pillar, organisation_type, measure (the
values that are not criteria but are shown beside them: a case's severity,
one stage's concentration, the matrix's two axes) and regulatory_list (the EU
lists a material may be on).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from rmo_data import constants

Kind = Literal["material", "criterion", "stage", "risk_category", "leverage_category", "quadrant", "preset",
               "actor", "target", "pillar", "organisation_type", "measure", "regulatory_list"]


@dataclass(frozen=True)
class Term:
    """One named thing: its kind, slug, display name and short name."""

    kind: str
    slug: str
    name: str
    short: str


def _terms(kind: str, names: Mapping[str, str], shorts: Mapping[str, str] | None = None) -> tuple[Term, ...]:
    # A kind without short forms uses its names where space is narrow too.
    return tuple(Term(kind, slug, label, (shorts or {}).get(slug) or label) for slug, label in names.items())


NO_DATA: Final[str] = constants.MISSING  # what a missing figure reads, everywhere

_KINDS: Final[dict[str, tuple[Term, ...]]] = {
    "material": _terms("material", constants.MATERIAL_LABELS, constants.MATERIAL_SHORT),
    "criterion": _terms("criterion", constants.CRITERION_LABELS, constants.CRITERION_SHORT),
    "stage": _terms("stage", constants.STAGE_LABELS, constants.STAGE_SHORT),
    "risk_category": _terms("risk_category", constants.RISK_CATEGORY_LABELS, constants.RISK_CATEGORY_SHORT),
    "leverage_category": _terms("leverage_category", constants.LEVERAGE_CATEGORY_LABELS,
                                constants.LEVERAGE_CATEGORY_SHORT),
    "quadrant": _terms("quadrant", constants.QUADRANT_LABELS),
    "preset": _terms("preset", constants.PRESET_LABELS),
    "actor": _terms("actor", constants.ACTOR_LABELS),
    "target": _terms("target", constants.TARGET_LABELS),
    "pillar": _terms("pillar", constants.PILLARS),
    "organisation_type": _terms("organisation_type", constants.ORGANISATION_TYPE_LABELS),
    "measure": _terms("measure", constants.MEASURE_LABELS, constants.MEASURE_SHORT),
    "regulatory_list": _terms("regulatory_list", constants.REGULATORY_LIST_LABELS, constants.REGULATORY_LIST_SHORT),
}
_INDEX: Final[dict[tuple[str, str], Term]] = {(t.kind, t.slug): t for terms in _KINDS.values() for t in terms}
_UNITS: Final[dict[str, Mapping[str, str]]] = {"criterion": constants.CRITERION_UNITS,
                                                "measure": constants.MEASURE_UNITS}


def kinds() -> tuple[str, ...]:
    """Every kind of name, in a fixed order."""
    return tuple(_KINDS)


def terms(kind: Kind | str) -> tuple[Term, ...]:
    """The terms of ``kind`` in their display order; KeyError for an unknown kind."""
    return _KINDS[kind]


def term(kind: Kind | str, slug: str) -> Term:
    """The term of ``kind`` called ``slug``; KeyError when there is none."""
    return _INDEX[(kind, slug)]


def name(kind: Kind | str, slug: str) -> str:
    """The display name of ``slug`` (tables, headings, downloads, packs, slider labels)."""
    return term(kind, slug).name


def short(kind: Kind | str, slug: str) -> str:
    """The short name of ``slug`` (legends, axes, marks' labels, narrow buttons)."""
    return term(kind, slug).short


def names(kind: Kind | str) -> dict[str, str]:
    """Slug → display name for every term of ``kind``."""
    return {t.slug: t.name for t in terms(kind)}


def shorts(kind: Kind | str) -> dict[str, str]:
    """Slug → short name for every term of ``kind``."""
    return {t.slug: t.short for t in terms(kind)}


def unit(kind: Kind | str, slug: str) -> str:
    """The unit ``slug`` is measured in ('' when it has none)."""
    return _UNITS.get(kind, {}).get(slug, "")


def with_unit(kind: Kind | str, slug: str, *, use_short: bool = False) -> str:
    """The (short) name followed by its unit in parentheses, e.g. "Mining concentration (HHI 0–10,000)"."""
    label = short(kind, slug) if use_short else name(kind, slug)
    u = unit(kind, slug)
    return f"{label} ({u})" if u else label


def all_names() -> dict[str, tuple[Term, ...]]:
    """Every kind with its terms: what the vocabulary tests walk."""
    return dict(_KINDS)
