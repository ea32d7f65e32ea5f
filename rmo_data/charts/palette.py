"""Colour-blind-safe colours for categories, each at least 3:1 against the white background.

Based on the Okabe–Ito palette, which stays apart for the common forms of
colour blindness; its orange, yellow and sky blue are below the 3:1 that
chart marks need on white (WCAG 2.2 SC 1.4.11), so darker forms of those hues
take their place, and two of Paul Tol's colour-blind-safe hues make ten (the
organisation types).  ``tests/charts/test_contrast.py`` checks every colour here.
Charts name their categories in a legend, a label or a tooltip as well:
colour is never the only key.
"""

from __future__ import annotations

from typing import Final

CATEGORICAL: Final[tuple[str, ...]] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#8E6200",  # ochre (Okabe–Ito orange, darkened)
    "#2B8CC4",  # sky blue, darkened
    "#332288",  # indigo
    "#882255",  # wine (Paul Tol)
    "#117733",  # green (Paul Tol)
    "#6F6F6F",  # grey, last: "all other" where a chart has it
)
