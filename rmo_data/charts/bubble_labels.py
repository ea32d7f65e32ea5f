"""Where the Overview bubble chart puts each material's name: beside its bubble, clear of every other.

Vega-Lite has no label placement, so the names are placed here, in Python, from
the data: each goes right, left, above or below its bubble where it hits no other
bubble or name at any plot width from a laptop to a wide screen, and otherwise
stays in the tooltip only.  ``material_charts.overview_scatter`` draws them;
``tests/charts/test_chart_text.py`` checks the rendered chart for overlaps.
"""

from __future__ import annotations

import math

SCATTER_HEIGHT = 380  # px of the plot
BUBBLE_AREA = (60, 900)  # px² of the smallest and largest bubble
LABEL_SIZE = 12
# Labels are placed for a plot at least this wide (a laptop with the sidebar open); a narrower plot
# (a phone) shows a second placement of the short names, made for PHONE_MIN_PLOT_WIDTH up to this.
LABEL_MIN_PLOT_WIDTH = 520
PHONE_MIN_PLOT_WIDTH = 240  # a 360 px phone's plot, the axes and the page's margins taken off
# Widest plot the labels are checked for (a wide screen with the sidebar closed), as a multiple.
LABEL_MAX_STRETCH = 4.0
LABEL_GAP = 3  # px between a bubble's edge and its label
# An upper bound of a bold 12 px character's width in the app's font ("m" and "W" included).
_CHAR_WIDTH = 0.62 * LABEL_SIZE


def _label_box(x: float, y: float, r: float, width: float, where: str) -> tuple[float, float, float, float]:
    """The box (x1, y1, x2, y2) of a label of ``width`` px placed ``where`` of a bubble at (x, y)."""
    h, gap = LABEL_SIZE + 2, r + LABEL_GAP
    if where == "right":
        return x + gap, y - h / 2, x + gap + width, y + h / 2
    if where == "left":
        return x - gap - width, y - h / 2, x - gap, y + h / 2
    if where == "above":
        return x - width / 2, y - gap - h, x + width / 2, y - gap
    return x - width / 2, y + gap, x + width / 2, y + gap + h  # below


# Vega mark properties for each placement: offset from the bubble's centre, alignment, baseline.
_PLACEMENTS = ("right", "left", "above", "below")


def bubble_labels(x_share: list[float], y_count: list[float], areas: list[float], names: list[str],
                  y_max: float, min_width: float = LABEL_MIN_PLOT_WIDTH,
                  max_stretch: float = LABEL_MAX_STRETCH) -> list[str | None]:
    """Where each bubble's name goes (one of ``_PLACEMENTS``), or None when it fits nowhere.

    Greedy, first come first served, in the order given: a label must stay inside the plot
    and clear of every other label and every bubble, for every plot width from
    ``min_width`` to ``max_stretch`` times it (the chart takes the page's width:
    labels keep their size while the bubbles spread apart, so a label is checked at each).
    A name left without a label is still in the bubble's tooltip.
    """
    radii = [(a / math.pi) ** 0.5 + 1 for a in areas]  # + half the 1 px outline
    widths = [len(n) * _CHAR_WIDTH for n in names]
    stretches = [1 + i * (max_stretch - 1) / 24 for i in range(25)]
    placed: dict[int, str] = {}

    def at(i: int, stretch: float) -> tuple[float, float]:
        return (x_share[i] / 100 * min_width * stretch,
                SCATTER_HEIGHT - y_count[i] / y_max * SCATTER_HEIGHT)

    def clear(i: int, where: str) -> bool:
        for stretch in stretches:
            x, y = at(i, stretch)
            box = _label_box(x, y, radii[i], widths[i], where)
            if box[0] < 0 or box[1] < 0 or box[2] > min_width * stretch or box[3] > SCATTER_HEIGHT:
                return False
            for j in range(len(names)):
                cx, cy = at(j, stretch)
                nx, ny = min(max(cx, box[0]), box[2]), min(max(cy, box[1]), box[3])
                if math.hypot(nx - cx, ny - cy) < radii[j]:
                    return False
                if j in placed:
                    other = _label_box(cx, cy, radii[j], widths[j], placed[j])
                    if (min(box[2], other[2]) > max(box[0], other[0])
                            and min(box[3], other[3]) > max(box[1], other[1])):
                        return False
        return True

    for i in range(len(names)):
        where = next((w for w in _PLACEMENTS if clear(i, w)), None)
        if where is not None:
            placed[i] = where
    return [placed.get(i) for i in range(len(names))]
