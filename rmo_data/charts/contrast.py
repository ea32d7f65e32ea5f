"""WCAG 2.2 colour contrast: relative luminance, contrast ratios and a text colour for a fill.

Success criteria 1.4.3 and 1.4.11 ask for 4.5:1 between text and its background
(3:1 for large text) and 3:1 between a chart's marks and what surrounds them.
The chart palettes, the pills the pages draw and the tests use these functions,
so a colour is checked by the formula the criteria define, not by eye.
"""

from __future__ import annotations

from typing import Final

TEXT_MIN: Final[float] = 4.5  # normal text (SC 1.4.3)
LARGE_TEXT_MIN: Final[float] = 3.0  # text of 18.66 px bold / 24 px and larger
MARK_MIN: Final[float] = 3.0  # graphical objects that carry meaning (SC 1.4.11)

WHITE: Final[str] = "#FFFFFF"
INK: Final[str] = "#1B2631"  # the theme's text colour (.streamlit/config.toml)


def _channel(value: int) -> float:
    """One sRGB channel (0-255) made linear, as WCAG's relative luminance defines it."""
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """Relative luminance (0 = black, 1 = white) of a "#RRGGBB" or "#RGB" colour."""
    hex_digits = colour.lstrip("#")
    if len(hex_digits) == 3:
        hex_digits = "".join(d * 2 for d in hex_digits)
    if len(hex_digits) != 6:
        raise ValueError(f"not a #RRGGBB colour: {colour!r}")
    r, g, b = (int(hex_digits[i:i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def ratio(first: str, second: str) -> float:
    """WCAG contrast ratio of two colours, from 1 (the same) to 21 (black on white)."""
    a, b = sorted((luminance(first), luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


BLACK: Final[str] = "#000000"


def text_on(fill: str) -> str:
    """A text colour for ``fill``: the theme's ink or white, whichever reads better; black when neither
    reaches 4.5:1 (on mid-tone fills, where black still does)."""
    best = max((INK, WHITE), key=lambda c: ratio(c, fill))
    return best if ratio(best, fill) >= TEXT_MIN else max((BLACK, WHITE), key=lambda c: ratio(c, fill))
