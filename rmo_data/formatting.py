"""The one way the app writes a number or a missing value, in text, in charts and in tables.

The heat map said "2,141" and "no data" where the table beside it said "2141" and "no data
recorded".  Every figure a page, a chart or a table shows is now written here, in one style:

* thousands grouped with a comma ("2,141"; Streamlit's tables can group with nothing else),
  decimals only where the measure has them, a percentage with a space before its sign
  ("35 %"), a year as it is ("2025", never "2,025");
* a missing value as ``NO_DATA`` ("no data recorded", from ``rmo_data.vocabulary``), never
  as zero, a dash or "n/a".

Three outputs of the same rule: Python text (``number``, ``percent``, ``year``), d3-format
specifiers and label expressions for Vega-Lite charts (``vega_format``, ``vega_label``), and
printf formats for ``st.column_config.NumberColumn`` (``table_format``).  ``tests/test_formatting.py``
fails on a format written anywhere else.  No streamlit here.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any, Final

from rmo_data import vocabulary

NO_DATA: Final[str] = vocabulary.NO_DATA
PERCENT: Final[str] = " %"  # the unit of a share in percent, as the app writes it

# Vega-Lite: a year or an identifier as it is (no grouping), ranks and counts as whole numbers.
VEGA_YEAR: Final[str] = "d"
VEGA_INTEGER: Final[str] = ",d"
# Tables (sprintf-js, as st.column_config takes it): the same.
TABLE_YEAR: Final[str] = "%d"  # years and identifiers (change set 12), never grouped
TABLE_INTEGER: Final[str] = "%,d"
# A share in percent in a table ("35 %"): a fraction 0-1 is shown times 100 (``as_percent``), since a
# printf format cannot multiply and Streamlit's own "percent" writes "35%", unlike the rest of the app.
TABLE_PERCENT: Final[str] = "%,.0f" + PERCENT.replace("%", "%%")


def is_missing(value: Any) -> bool:
    """True for None, NaN, pandas' NA and NaT: a value that is not recorded."""
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN and NaT are not equal to themselves
    except (TypeError, ValueError):  # pandas.NA refuses a truth value
        return True


def number(value: Any, digits: int | None = 0, unit: str = "") -> str:
    """``value`` with thousands grouped and ``digits`` decimals, then ``unit``; ``NO_DATA`` when missing.

    ``digits=None`` keeps the decimals the value has (at most three), as ``:g`` would, but
    grouped: 1500 → "1,500", 0.5 → "0.5".  Halves round up, as people and the tables
    (sprintf-js) round them: 50.5 → "51" (Python's own format rounds it to even, "50",
    so a chart label read 50 % above a table cell of 51 %).
    """
    if is_missing(value):
        return NO_DATA
    # The shortest decimal that is the float (repr), so 2.675 rounds as written, to 2.68.
    exact = Decimal(repr(float(value)))
    places = 3 if digits is None else digits
    rounded: Decimal | float = (exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
                                if exact.is_finite() else float(value))
    if digits is None:
        text = f"{rounded:,.3f}".rstrip("0").rstrip(".")
    else:
        text = f"{rounded:,.{digits}f}"
    if text in {"-0", "-0.0", "-0.00"}:  # a rounded tiny negative is still zero
        text = text[1:]
    return f"{text}{unit}"


def percent(value: Any, digits: int | None = 0) -> str:
    """A share already in percent: 35.2 → "35 %"."""
    return number(value, digits, PERCENT)


def fraction_percent(value: Any, digits: int | None = 0) -> str:
    """A fraction 0–1 as a percentage: 0.352 → "35 %"."""
    return NO_DATA if is_missing(value) else percent(float(value) * 100, digits)


def shares(values: Iterable[Any], digits: int = 0) -> list[float]:
    """Each value's share of their total in percent, rounded to ``digits`` so that the shares add up to 100.

    Rounded one by one, weights of 87.5 % and 12.5 % read "88 %" and "13 %" beside each
    other, 101 % in all. Here every share is first cut down to ``digits`` and the units
    left over go to the largest remainders (largest share first on a tie): 88 % and 12 %.
    A missing or negative value counts as nothing and stays missing; with no total every
    share is missing (NaN), never a made-up zero.
    """
    raw = [None if is_missing(v) or float(v) < 0 else Decimal(repr(float(v))) for v in values]
    total = sum((v for v in raw if v is not None), Decimal(0))
    if not total:
        return [math.nan] * len(raw)
    unit = Decimal(1).scaleb(-digits)
    exact = [None if v is None else v / total * 100 for v in raw]
    floors = [None if e is None else e.quantize(unit, rounding=ROUND_FLOOR) for e in exact]
    left = int(round((Decimal(100) - sum(f for f in floors if f is not None)) / unit))
    order = sorted((i for i, e in enumerate(exact) if e is not None),
                   key=lambda i: (-(exact[i] - floors[i]), -exact[i], i))
    for i in order[:max(left, 0)]:
        floors[i] += unit
    return [math.nan if f is None else float(f) for f in floors]


def as_shares(frame: Any, column: str) -> Any:
    """``frame`` with ``column`` (weights or fractions) as percent shares that add up to 100 (``shares``),
    for a table that shows them with ``TABLE_PERCENT``; the frame itself (and its downloads) is unchanged."""
    return frame.assign(**{column: shares(frame[column])})


def as_percent(frame: Any, *columns: str) -> Any:
    """``frame`` with its fraction (0–1) ``columns`` in percent (0–100), for a table that shows them
    with ``TABLE_PERCENT``; the frame itself (and its downloads) keeps the fractions."""
    return frame.assign(**{c: frame[c] * 100 for c in columns})


def year(value: Any) -> str:
    """A year as written ("2025"); ``NO_DATA`` when none is recorded."""
    return NO_DATA if is_missing(value) else str(int(value))


def moment(value: Any) -> str:
    """A stored ISO time as people read it, "7 Dec 2026, 14:59 UTC" (missing: ``NO_DATA``)."""
    if is_missing(value):
        return NO_DATA
    try:
        when = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)  # not a time this helper knows: shown as stored rather than lost
    if when.tzinfo is not None:
        when = when.astimezone(dt.timezone.utc)
    return f"{when.day} {when:%b %Y, %H:%M} UTC"


def count(value: Any) -> str:
    """A whole number of things (cases, cards): "1,204"."""
    return number(value, 0)


# --- charts (Vega-Lite, d3-format) -----------------------------------------------------------

def vega_format(digits: int = 0) -> str:
    """The d3-format specifier of ``number(value, digits)`` (tooltips, axes, legends): ",.0f"."""
    return f",.{digits}f"


def vega_label(digits: int = 0, unit: str = "", scale: float = 1) -> str:
    """A Vega expression for an axis or legend ``labelExpr``: the label as ``number`` writes it.

    d3-format has no percentage with a space ("35 %"); this writes the unit after the number,
    the value first multiplied by ``scale`` (100 for a fraction shown in percent).
    """
    factor = "" if scale == 1 else f" * {scale:g}"
    suffix = f" + '{unit}'" if unit else ""
    return f"format(datum.value{factor}, '{vega_format(digits)}'){suffix}"


# --- tables (st.column_config.NumberColumn, sprintf-js) -------------------------------------------

def table_format(digits: int = 0, unit: str = "") -> str:
    """The NumberColumn format of ``number(value, digits, unit)``: "%,.0f", "%,.1f %%"."""
    return f"%,.{digits}f" + unit.replace("%", "%%")
