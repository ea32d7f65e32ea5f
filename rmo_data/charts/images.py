"""A page's chart as a PNG or SVG file that carries its title, source line and provenance.

The same pure builders of ``rmo_data.charts`` that draw the chart on a page
are rendered without a browser by ``vl-convert`` (as the briefing packs do).
The figure's title becomes the image's title and the About lines
(``rmo_data.about.about_lines``: source line, data version, date, filters,
weights, link) its subtitle, so a saved image says where it came from.  Built
only when a download is clicked.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd

from rmo_data.charts import style

IMAGE_WIDTH = 900  # pixels of a chart drawn "container" wide on a page
PNG_SCALE = 2  # a PNG sharp enough for a slide


def walk(node: Any, visit: Callable[[dict[str, Any]], None]) -> None:
    """Call ``visit`` on every object of a Vega-Lite spec, depth first (the packs' images use it too)."""
    if isinstance(node, dict):
        visit(node)
        for value in list(node.values()):
            walk(value, visit)
    elif isinstance(node, list):
        for value in node:
            walk(value, visit)


def _dataset(value: Any) -> Any:
    """A named dataset as Vega-Lite inline values (frames become records; JSON-safe cells)."""
    if isinstance(value, pd.DataFrame):
        return json.loads(value.to_json(orient="records", date_format="iso"))
    return value


# Top-level keys that stay on the outer spec when the chart is stacked over its provenance lines.
_OUTER = ("$schema", "config", "datasets", "params", "background", "padding", "usermeta")
LINE_HEIGHT = 14


def image_spec(chart: alt.TopLevelMixin, title: str, source: str, lines: Sequence[str],
               datasets: Mapping[str, Any] | None = None, width: int = IMAGE_WIDTH) -> dict[str, Any]:
    """The Vega-Lite spec of ``chart`` for a file: ``title`` and ``source`` over it, ``lines`` under it.

    The chart is drawn at a fixed width where a page draws it "container" wide;
    ``datasets`` are the named datasets a page adds after building the spec (the
    world map's geometry, the contribution chart's rows).
    """
    with alt.data_transformers.disable_max_rows():
        spec = style.configure(chart).to_dict()

    def visit(node: dict[str, Any]) -> None:
        if node.get("width") == "container":
            node["width"] = width

    walk(spec, visit)
    if datasets:
        spec["datasets"] = {**spec.get("datasets", {}), **{k: _dataset(v) for k, v in datasets.items()}}
    outer = {k: spec.pop(k) for k in _OUTER if k in spec}
    spec.pop("title", None)  # the file's title says what the chart is
    footer = {
        "data": {"values": [{"i": i, "line": line} for i, line in enumerate(lines)]},
        "mark": {"type": "text", "align": "left", "baseline": "middle", "fontSize": 10, "color": "#424949",
                 "font": "sans-serif"},
        "encoding": {"y": {"field": "i", "type": "ordinal", "axis": None},
                     "x": {"value": 0}, "text": {"field": "line", "type": "nominal"}},
        "width": max(int(spec["width"]) if isinstance(spec.get("width"), int) else width, 600),
        "height": LINE_HEIGHT * max(len(lines), 1),
    }
    return {
        **outer,
        "title": {"text": title, "subtitle": list(_wrapped(source)), "anchor": "start", "fontSize": 16,
                  "subtitleFontSize": 11, "subtitleColor": "#424949", "subtitlePadding": 4, "offset": 10},
        "vconcat": [spec, footer], "spacing": 18,
        "padding": outer.get("padding", 12), "background": "white",
        "config": {**outer.get("config", {}), "view": {**outer.get("config", {}).get("view", {}), "stroke": None}},
    }


def _wrapped(text: str, width: int = 150) -> list[str]:
    words, out, line = text.split(" "), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*out, line] if line else out


def svg(spec: Mapping[str, Any]) -> str:
    """The spec drawn as SVG text (vl-convert, no browser)."""
    import vl_convert  # imported on use: only a click on an image download needs it

    return vl_convert.vegalite_to_svg(json.dumps(spec))


def png(spec: Mapping[str, Any], scale: float = PNG_SCALE) -> bytes:
    """The spec drawn as PNG bytes at ``scale`` times its size in pixels."""
    import vl_convert

    return vl_convert.vegalite_to_png(json.dumps(spec), scale=scale)
