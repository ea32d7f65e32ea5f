"""Where every piece of text of a rendered chart lies, to find texts that collide or leave the frame.

The chart is rendered by vl-convert (the renderer the briefing packs use) to Vega's scenegraph:
every mark item with its position, text, font size, alignment, baseline and angle.  Each text
item's box is computed as vega-scenegraph's own ``text`` bound does (``marks/text.js``: the
anchor, ``dx``/``dy``, the baseline offset, then rotation about the anchor), with the width
measured in Liberation Sans, an Arial-metric font a little wider than the app's Source Sans,
so a box is never smaller than the text the browser draws.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import vl_convert as vlc
from PIL import ImageFont

FONTS = Path("/usr/share/fonts/truetype/liberation")
# Two boxes that share less than this (px, in both directions) are touching, not colliding.
TOLERANCE = 1.0


@dataclass(frozen=True)
class Box:
    """One text item's box in the canvas's pixels (y down) and what it says."""

    text: str
    role: str
    cut: bool  # wider than its ``limit``: Vega shortens it with an ellipsis
    x1: float
    y1: float
    x2: float
    y2: float

    def overlaps(self, other: Box) -> bool:
        return (min(self.x2, other.x2) - max(self.x1, other.x1) > TOLERANCE
                and min(self.y2, other.y2) - max(self.y1, other.y1) > TOLERANCE)


@lru_cache(maxsize=64)
def _font(size: int, bold: bool) -> ImageFont.FreeTypeFont:
    path = FONTS / ("LiberationSans-Bold.ttf" if bold else "LiberationSans-Regular.ttf")
    if not path.is_file():
        raise FileNotFoundError(f"{path} is needed to measure chart text (Debian: fonts-liberation)")
    return ImageFont.truetype(str(path), size)


def _width(text: str, size: float, bold: bool) -> float:
    # Measured at 10x and scaled down, so fractional font sizes keep their width.
    return _font(round(size * 10), bold).getlength(text) / 10


def _bold(weight: Any) -> bool:
    return weight in ("bold", "bolder") or (isinstance(weight, (int, float)) and weight >= 600)


def _baseline_offset(baseline: str, h: float, line_height: float) -> float:
    # vega-scenegraph text.js ``offset``.
    return round({"top": 0.79 * h, "middle": 0.30 * h, "bottom": -0.21 * h,
                  "line-top": 0.29 * h + 0.5 * line_height,
                  "line-bottom": 0.29 * h - 0.5 * line_height}.get(baseline, 0))


def _text_box(item: dict[str, Any], ox: float, oy: float, role: str) -> Box | None:
    text = item.get("text")
    lines = [str(t) for t in text] if isinstance(text, list) else [str(text if text is not None else "")]
    if not any(line.strip() for line in lines) or item.get("opacity", 1) == 0 or item.get("fillOpacity", 1) == 0:
        return None
    size = float(item.get("fontSize", 11))
    bold = _bold(item.get("fontWeight"))
    line_height = float(item.get("lineHeight", size))
    width = max(_width(line, size, bold) for line in lines)
    cut = bool(item.get("limit")) and width > float(item["limit"])
    if cut:
        width = float(item["limit"])
    height = size + line_height * (len(lines) - 1)
    x, y = ox + float(item.get("x", 0)), oy + float(item.get("y", 0))
    dx = float(item.get("dx", 0))
    dy = float(item.get("dy", 0)) + _baseline_offset(item.get("baseline", "alphabetic"), size, line_height) \
        - round(0.8 * size)
    align = item.get("align", "left")
    if align == "center":
        dx -= width / 2
    elif align == "right":
        dx -= width
    corners = [(x + dx, y + dy), (x + dx + width, y + dy), (x + dx, y + dy + height),
               (x + dx + width, y + dy + height)]
    angle = math.radians(float(item.get("angle", 0) or 0))
    if angle:  # rotated about the anchor, as Vega rotates the text
        cos, sin = math.cos(angle), math.sin(angle)
        corners = [(x + (cx - x) * cos - (cy - y) * sin, y + (cx - x) * sin + (cy - y) * cos)
                   for cx, cy in corners]
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    return Box(" ".join(line for line in lines if line), role, cut, min(xs), min(ys), max(xs), max(ys))


@dataclass(frozen=True)
class Circle:
    """A point mark (a bubble): centre and radius in canvas pixels."""

    x: float
    y: float
    r: float

    def covers(self, box: Box) -> bool:
        # The nearest point of the box to the centre lies inside the circle.
        nx, ny = min(max(self.x, box.x1), box.x2), min(max(self.y, box.y1), box.y2)
        return math.hypot(nx - self.x, ny - self.y) < self.r - TOLERANCE


def _walk(mark: dict[str, Any], ox: float, oy: float, out: list[Box], circles: list[Circle],
          role: str = "") -> None:
    role = mark.get("role") or role
    for item in mark.get("items", []):
        if mark.get("marktype") == "group":
            gx, gy = ox + float(item.get("x", 0)), oy + float(item.get("y", 0))
            for child in item.get("items", []):
                _walk(child, gx, gy, out, circles, role)
        elif mark.get("marktype") == "text":
            box = _text_box(item, ox, oy, role)
            if box is not None:
                out.append(box)
        elif mark.get("marktype") == "symbol" and role == "mark" and item.get("opacity", 1) != 0:
            # Vega's symbol size is its area in px²; half the stroke lies outside it.
            r = math.sqrt(float(item.get("size", 64)) / math.pi) + float(item.get("strokeWidth", 0)) / 2
            circles.append(Circle(ox + float(item.get("x", 0)), oy + float(item.get("y", 0)), r))


@dataclass(frozen=True)
class Rendered:
    """The canvas size and the text boxes of one rendered chart."""

    width: float
    height: float
    boxes: list[Box]
    circles: list[Circle]
    plot_width: float = 0.0  # of the chart's own view (the plot), inside its axes and legends

    def collisions(self) -> list[tuple[Box, Box]]:
        """Every pair of text boxes that overlap."""
        return [(a, b) for i, a in enumerate(self.boxes) for b in self.boxes[i + 1:] if a.overlaps(b)]

    def cut(self) -> list[Box]:
        """Texts shortened with an ellipsis because they are wider than Vega lets them be."""
        return [b for b in self.boxes if b.cut]

    def covered(self) -> list[Box]:
        """The marks' own text labels that lie over a point mark (a bubble)."""
        return [b for b in self.boxes if b.role == "mark" and any(c.covers(b) for c in self.circles)]

    def outside(self) -> list[Box]:
        """Text boxes that reach beyond the canvas (cut off where the chart is drawn)."""
        return [b for b in self.boxes
                if b.x1 < -TOLERANCE or b.y1 < -TOLERANCE or b.x2 > self.width + TOLERANCE
                or b.y2 > self.height + TOLERANCE]


def render(spec: dict[str, Any], container: float | None = None) -> Rendered:
    """Render a Vega-Lite spec with vl-convert and return its text boxes in canvas pixels.

    vl-convert draws a chart in no element, so Vega's ``containerSize()`` has no width there;
    with ``container`` its width is that many pixels, as in a browser, so a chart's phone
    settings (``rmo_data.charts.responsive``) are rendered as a phone shows them.
    """
    text = json.dumps(spec)
    if container is not None:
        text = text.replace("containerSize()[0]", f"{container:g}")
    scene = vlc.vegalite_to_scenegraph(text)
    ox, oy = scene.get("origin", [0, 0])
    boxes: list[Box] = []
    circles: list[Circle] = []
    _walk(scene["scenegraph"], float(ox), float(oy), boxes, circles)
    root = scene["scenegraph"].get("items", [{}])[0]
    return Rendered(float(scene["width"]), float(scene["height"]), boxes, circles, float(root.get("width", 0)))


def describe(pairs: list[tuple[Box, Box]]) -> list[str]:
    """The colliding pairs, readably, for an assertion message."""
    return [f"{a.role}:{a.text!r} × {b.role}:{b.text!r}" for a, b in pairs]
