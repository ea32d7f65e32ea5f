"""The app's one stylesheet for contrast and focus (WCAG 2.2 SC 1.4.3, 2.4.7), added on every run by ``app.py``.

Streamlit draws captions at 60 % opacity, so their text, and the links in
them, fade to #767d83 on white (4.2:1) and a pale blue (3.0:1), below the
4.5:1 that small text needs (axe-core reported both on every page).  The theme
has no option for it, so this stylesheet draws captions opaque, in a grey and
a link colour that pass (``tests/charts/test_contrast.py`` checks them).
Streamlit's main area takes the keyboard focus (so the arrow keys scroll it)
but shows no sign of it (SC 2.4.7): it gets an outline in the primary colour.
Plotly draws the flows chart's category names over the bands that run into
them (on a phone over most of them); a white halo behind each name keeps it
readable on any band.
"""

from __future__ import annotations

from typing import Final

import streamlit as st

CAPTION_TEXT: Final[str] = "#566573"  # 6.0:1 on white
LINK_TEXT: Final[str] = "#0B5563"  # the theme's primary colour, 8.4:1 on white

CSS: Final[str] = f"""
<style>
[data-testid="stCaptionContainer"] {{color: {CAPTION_TEXT}; opacity: 1;}}
[data-testid="stCaptionContainer"] a {{color: {LINK_TEXT};}}
[data-testid="stMain"]:focus-visible {{outline: 2px solid {LINK_TEXT}; outline-offset: -2px;}}
[data-testid="stPlotlyChart"] text.catlabel, [data-testid="stPlotlyChart"] text.dimlabel {{paint-order: stroke; stroke: #FFFFFF;
  stroke-width: 3px; stroke-linejoin: round;}}
</style>
"""


def inject() -> None:
    """Add the stylesheet (a style-only ``st.html`` takes no room on the page)."""
    st.html(CSS)
