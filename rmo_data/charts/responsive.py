"""Chart settings that change with the width of the chart's container: a phone gets its own.

A Vega-Lite spec is the same on every screen, but Vega can read the width of
the element a chart is drawn in (``containerSize()``).  ``on_phone(phone, wide)``
is a value that is ``phone`` in a container narrower than ``NARROW_PX`` (the
main area of a 360-414 px phone is 328-382 px) and ``wide`` elsewhere, for the
properties Vega-Lite lets an expression set: label limits and angles, legend
columns.  Long category labels then leave a phone's narrow plot some width.
"""

from __future__ import annotations

import json
from typing import Final

import altair as alt

NARROW_PX: Final[int] = 560
NARROW: Final[str] = f"containerSize()[0] < {NARROW_PX}"


def on_phone(phone: float | str, wide: float | str) -> alt.ExprRef:
    """``phone`` in a narrow container, ``wide`` in a wider one (numbers or strings)."""
    return alt.ExprRef(f"{NARROW} ? {json.dumps(phone)} : {json.dumps(wide)}")
