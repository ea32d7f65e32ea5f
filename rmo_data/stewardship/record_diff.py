"""Whether two records of a reference table hold the same values, and which columns differ.

A preview lists the columns an upload changes; an apply or a rollback refuses
when a row is no longer what it was.  Both compare the same way: numbers as
numbers (a spreadsheet's 2019.0 equals 2019, and Excel's 15 significant digits
are allowed for), lists whatever their order, and a table's database-assigned
id left out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from rmo_data.store.reference_rows import RowShape


def _normalised(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list | tuple):
        return sorted(map(str, value))
    return value


def values_equal(a: Any, b: Any) -> bool:
    """Whether two cell values are the same value."""
    a, b = _normalised(a), _normalised(b)
    if isinstance(a, float) and isinstance(b, float):
        # Excel keeps 15 significant digits: 1091.0770000000002 comes back as 1091.077.
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0)
    return bool(a == b)


def changed_columns(shape: RowShape, before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[str, ...]:
    """The columns whose values differ (a surrogate id does not count)."""
    names = [c for c in dict.fromkeys((*before, *after)) if not (shape.surrogate and c == "id")]
    return tuple(c for c in names if not values_equal(before.get(c), after.get(c)))


def same_record(shape: RowShape, a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    """Whether two records (or two absences, None) are the same."""
    if a is None or b is None:
        return a is None and b is None
    return not changed_columns(shape, a, b)
