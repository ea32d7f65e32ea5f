"""Plain-text labels for the figures the report states in its text (``material_fact`` rows), pure.

A fact is kept as numbers (``value_low``, ``value_high`` for a range, a
``bound``), a unit, a year and what that year rests on; these functions turn one
row of ``report_facts.material_facts`` into what a page or pack prints.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from rmo_data import constants, formatting
from rmo_data.analysis.statements import BOUND_PREFIX


def _number(value: Any) -> str | None:
    if value is None or pd.isna(value):
        return None
    return f"{formatting.number(float(value), None)}"


def fact_value(fact: Mapping[str, Any]) -> str:
    """The figure with its unit: "7–9 % of global emissions", "900 kg per vehicle", "rank 8 among 63 metals".

    "no data recorded" when the row holds no figure.
    """
    low, high = _number(fact.get("value_low")), _number(fact.get("value_high"))
    if low is None:
        return constants.MISSING
    bound = fact.get("bound") if isinstance(fact.get("bound"), str) else "eq"
    number = f"{BOUND_PREFIX.get(bound, '')}{low}" + (f"–{high}" if high is not None and high != low else "")
    unit = str(fact.get("unit") or "").strip()
    if unit.startswith("rank"):
        return f"rank {number} {unit[len('rank'):].strip()}".strip()
    return f"{number} {unit}".strip()


def fact_provenance(fact: Mapping[str, Any]) -> str:
    """Year (and what it rests on), source and section, and the caveat: one line under the figure."""
    year = fact.get("year")
    basis = fact.get("year_basis")
    when = (f"{int(year)} ({constants.YEAR_BASIS_LABELS.get(basis, basis)})"
            if year is not None and not pd.isna(year) else "year not stated")
    parts = [when, f"Source: {fact.get('source_title')}" + (f", {fact['section']}" if fact.get("section") else "")]
    note = fact.get("note")
    if isinstance(note, str) and note.strip():
        parts.append(note.strip())
    return " · ".join(parts)
