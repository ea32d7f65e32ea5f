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

Kinds: material, criterion, lens (the question a group of criteria answers), stage, risk_category, leverage_category,
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

Kind = Literal["material", "criterion", "lens", "stage", "risk_category", "leverage_category", "quadrant",
               "preset", "actor", "target", "pillar", "organisation_type", "measure", "regulatory_list"]


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
    "lens": _terms("lens", constants.LENS_LABELS, constants.LENS_SHORT),
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


# --- columns of downloaded tables ---------------------------------------------------------
#
# Every CSV and XLSX a figure offers names its columns here, once: the heading a reader
# sees, its unit, and how its numbers are rounded (``ROUNDING``).  A column of slugs
# (``values``) is written with the names of that kind.  ``drop_with`` leaves a slug
# column out when the frame also holds the column of its names.

Rule = Literal["text", "int", "pct1", "fraction_pct1", "score2", "mean2", "one_decimal", "flag", "default"]

# What each rounding rule does, in the words the About sheet and the README use.
ROUNDING: Final[dict[str, str]] = {
    "text": "text as stored",
    "int": "whole numbers (years, counts, ranks, HHI, scale 1–5 ratings)",
    "pct1": "percent, 1 decimal",
    "fraction_pct1": "a 0–1 share written as percent, 1 decimal",
    "score2": "scores and index values, 2 decimals",
    "mean2": "means of ratings, 2 decimals",
    "one_decimal": "quantities as published and median ranks, at most 1 decimal",
    "flag": "yes / no",
    "default": "numbers the vocabulary does not name, 2 decimals",
}


@dataclass(frozen=True)
class Column:
    """A downloaded column: its heading, unit, rounding rule, the kind of slugs it holds, and its partner."""

    label: str
    unit: str = ""
    rule: Rule = "text"
    values: str = ""  # a vocabulary kind (or "category": risk or leverage category) whose slugs it holds
    drop_with: str = ""  # left out when the frame also has this column (the same thing, named)

    @property
    def heading(self) -> str:
        """The column's heading in a download: its label, and its unit in parentheses."""
        return f"{self.label} ({self.unit})" if self.unit else self.label


def _c(label: str, unit: str = "", rule: Rule = "text", values: str = "", drop_with: str = "") -> Column:
    return Column(label, unit, rule, values, drop_with)


_PCT, _HHI = "%", "HHI 0–10 000"
COLUMNS: Final[dict[str, Column]] = {
    # who and what
    "material": _c("Material", values="material", drop_with="material_name"),
    "material_name": _c("Material"), "material_names": _c("Materials"),
    "name": _c("Name"), "short": _c("Short name"), "slug": _c("Identifier"), "id": _c("Identifier"),
    "acronym": _c("Acronym"), "title": _c("Title"), "description": _c("Description"), "summary": _c("Summary"),
    "action": _c("Action"), "note": _c("Note"), "statement": _c("Statement"), "metric": _c("Figure"),
    "kind": _c("Kind"), "role": _c("Role"), "status": _c("Status"), "label": _c("Label"),
    "stage": _c("Value-chain stage", values="stage", drop_with="stage_name"),
    "stage_name": _c("Value-chain stage"), "stage_label": _c("Value-chain stage"),
    "stages": _c("Value-chain stages", values="stage"),
    "category": _c("Category", values="category", drop_with="category_name"),
    "category_name": _c("Risk category"), "category_label": _c("Risk category"),
    "risks": _c("Risk categories", values="risk_category"), "pillar": _c("E/S/G"),
    "actor": _c("Actor", values="actor"), "targets": _c("Targets", values="target"),
    "organisations": _c("Organisations"), "partners": _c("Co-/by-product links"), "joint": _c("Joint group"),
    "type": _c("Organisation type", values="organisation_type", drop_with="type_name"),
    "type_name": _c("Organisation type"), "quadrant": _c("Quadrant"), "level": _c("Level"),
    "subject": _c("Subject"), "sector": _c("Sector"), "basis": _c("Basis"), "scope": _c("Scope"),
    "criterion": _c("Criterion"), "eu_lists": _c("EU lists"),
    "country": _c("Country"), "country_name": _c("Country"), "iso3": _c("ISO 3166 code"),
    "company": _c("Company"), "site": _c("Site"), "producers": _c("Producers"), "countries": _c("Countries"),
    # sources and years
    "source": _c("Source"), "source_title": _c("Source"), "source_id": _c("Source identifier"),
    "source_url": _c("Source address"), "sources": _c("Sources"), "url": _c("Address"), "link": _c("Link"),
    "section": _c("Report section"), "passage": _c("Report passage"), "passage_text": _c("Report passage"),
    "publisher": _c("Publisher"), "licence": _c("Licence"), "feeds": _c("Feeds"), "tables": _c("Tables"),
    "edition": _c("Edition"), "year": _c("Year", rule="int"), "years": _c("Years"), "year_text": _c("Year"),
    "year_basis": _c("Year basis"), "measured_year": _c("Measured year", rule="int"),
    "measured_source": _c("Measured source"), "measured_estimate": _c("Measured value is an estimate", rule="flag"),
    "is_estimate": _c("Estimate", rule="flag"), "value_flag": _c("Source's flag"),
    "confidence": _c("Confidence", drop_with="confidence_name"), "confidence_name": _c("Confidence"),
    "confidence_reason": _c("Why this confidence"), "reason": _c("Why this confidence (summary)"),
    # numbers
    "quantity": _c("Quantity", "in the unit column", "one_decimal"), "unit": _c("Unit"),
    "value_low": _c("Value, low", "in the unit column", "one_decimal"),
    "value_high": _c("Value, high", "in the unit column", "one_decimal"),
    "bound": _c("Bound"), "share_pct": _c("Share", _PCT, "pct1"),
    "measured_share": _c("Measured share", _PCT, "pct1"),
    "auto_share_pct": _c("Automotive share", "% of use", "pct1"), "auto_basis": _c("Automotive share basis"),
    "auto_scope": _c("Automotive share scope"), "auto_year": _c("Automotive share year", rule="int"),
    "auto_source": _c("Automotive share source"), "auto_sector": _c("Automotive sector"),
    "is_automotive": _c("Automotive", rule="flag"),
    "hhi": _c("Concentration", _HHI, "int"), "top1_country": _c("Largest producer"),
    "top1_share": _c("Largest producer's share", _PCT, "pct1"),
    "eol_rir_pct": _c("End-of-life recycling input rate", _PCT, "pct1"),
    "risk_breadth": _c("Salient risk categories", "count", "int"),
    "evidence_count": _c("Evidence cases", "count", "int"), "n": _c("Evidence cases", "count", "int"),
    "size": _c("Evidence cases", "count", "int"), "cards": _c("Leverage cards", "count", "int"),
    "rows": _c("Rows", "count", "int"), "n_leverages": _c("Leverage cards", "count", "int"),
    "leverage_count": _c("Leverage cards", "count", "int"),
    "is_material_standard": _c("Material-specific standard", rule="flag"),
    "severity": _c("Severity", "1–5", "int"), "scale": _c("Scale", "1–5", "int"),
    "irremediability": _c("Irremediability", "1–5", "int"),
    "max_severity": _c("Highest severity", "1–5", "int"), "severity_max": _c("Highest severity", "1–5", "int"),
    "severity_mean": _c("Mean severity", "1–5", "mean2"),
    "severity_text": _c("Severity"), "likelihood_text": _c("Likelihood"), "cases": _c("Cases"),
    "salience": _c("Salience", "1–25; scaled 0–1 in the salience × leverage matrix", "score2"),
    "salience_raw": _c("Salience before scaling", "1–25", "score2"),
    "leverage": _c("Industry leverage", "0–1", "score2"),
    "salience_missing": _c("Salience has no data recorded", rule="flag"),
    "leverage_missing": _c("Leverage has no data recorded", rule="flag"),
    "missing_inputs": _c("Inputs with no data recorded"),
    # the ranking
    "rank": _c("Rank", "1 = first", "int"), "score": _c("Score", "0–1", "score2"),
    "raw_text": _c("Raw value"), "value": _c("Scaled value", "0–1", "score2"),
    "weight": _c("Share of weight", _PCT, "fraction_pct1"),
    "contribution": _c("Contribution to the score", "0–1", "score2"),
    "gap_share": _c("Rests on gaps", "% of weight", "fraction_pct1"), "gap_flag": _c("Top-3 place flag"),
    "missing": _c("No data recorded for"),
    "p_top": _c("Chance of a top-3 place", _PCT, "fraction_pct1"),
    "rank_min": _c("Best rank", rule="int"), "rank_max": _c("Worst rank", rule="int"),
    "rank_p05": _c("Rank, 5th percentile", rule="int"), "rank_p95": _c("Rank, 95th percentile", rule="int"),
    "rank_median": _c("Median rank", rule="one_decimal"),
    "rank_a": _c("Rank in A", rule="int"), "rank_b": _c("Rank in B", rule="int"),
    "moved": _c("Change"), "change": _c("Rank changes", rule="flag"),
    "supply_risk": _c("EU supply risk", "EU CRM score", "score2"),
}
# Mining and processing columns of the overview: the same columns per stage.
for _stage, _label in (("mining", "Mining"), ("processing", "Processing")):
    COLUMNS.update({
        f"{_stage}_hhi": _c(f"{_label} concentration", _HHI, "int"),
        f"{_stage}_hhi_wgi": _c(f"{_label} governance-weighted concentration", "0–10 scale", "score2"),
        f"{_stage}_top1_country": _c(f"{_label}: largest producer"),
        f"{_stage}_top1_share": _c(f"{_label}: largest producer's share", _PCT, "pct1"),
        f"{_stage}_top3_share": _c(f"{_label}: three largest producers' share", _PCT, "pct1"),
        f"{_stage}_year": _c(f"{_label} year", rule="int"),
        f"{_stage}_source_title": _c(f"{_label} source"),
        f"{_stage}_commodity_name": _c(f"{_label} commodity"),
        f"{_stage}_unit": _c(f"{_label} unit"),
    })
# Technical columns a reader has no use for: left out of downloads.
HIDDEN_COLUMNS: Final[frozenset[str]] = frozenset({"sort_order", "iso_numeric", "key", "is_gap"})


def column(name: str) -> Column | None:
    """The download column called ``name`` (criteria by their names and units); None when not named here.

    A name that is already a heading (it holds a space or a capital, e.g. "Share of score")
    is not looked up: it is kept as it is.
    """
    if name in COLUMNS:
        return COLUMNS[name]
    if name in constants.CRITERION_LABELS and name not in COLUMNS:
        return Column(constants.CRITERION_LABELS[name], constants.CRITERION_UNITS[name], "score2")
    return None


def column_heading(name: str) -> str:
    """The heading ``name`` gets in a download: the vocabulary's, else the name as it is.

    A name not in ``COLUMNS`` is kept unchanged rather than guessed at, so a
    download that still shows an internal name (``some_column``) is caught by
    the download tests (tests/pages/test_downloads.py) instead of looking finished.
    """
    found = column(name)
    return found.heading if found is not None else name


def value_name(kind: str, slug: object) -> object:
    """The display name of ``slug`` in ``kind`` ("category": risk or leverage category); other values unchanged."""
    if not isinstance(slug, str):
        return slug
    kinds = ("risk_category", "leverage_category") if kind == "category" else (kind,)
    for k in kinds:
        found = _INDEX.get((k, slug))
        if found is not None:
            return found.name
    return slug
