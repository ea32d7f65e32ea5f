"""The pack's charts as static images: the app's own chart builders, rendered to PNG without a browser.

``vl-convert-python`` turns a Vega-Lite spec into PNG bytes; each chart is
rendered once per ``BriefingData`` and shared by the PowerPoint and PDF files.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import altair as alt
import pandas as pd

from rmo_data.briefing.model import (END_USE_WIDTH, PRODUCTION_HEIGHT, PRODUCTION_WIDTH, BriefingData, Progress,
                                     clean, no_progress)
from rmo_data.charts import material_charts, style

# --- static chart specs ---------------------------------------------------------------


def _walk(node: Any, visit: Callable[[dict[str, Any]], None]) -> None:
    if isinstance(node, dict):
        visit(node)
        for value in list(node.values()):
            _walk(value, visit)
    elif isinstance(node, list):
        for value in node:
            _walk(value, visit)


def _fix_wrapped_labels(encoding: dict[str, Any]) -> None:
    """Make multi-line axis labels render in a static image as they do in the app.

    The builders wrap long labels with ``split(datum.label, ' ')`` and anchor
    them with ``labelBaseline: line-bottom``.  Vega's SVG output (which
    vl-convert uses) ignores that anchor for the extra lines and draws them
    over the plot, so here every label is padded with empty first lines to the
    same count and the axis is moved up by the height of those lines.
    """
    for channel in ("x", "y"):
        enc = encoding.get(channel)
        if not isinstance(enc, dict) or not isinstance(enc.get("axis"), dict):
            continue
        axis = enc["axis"]
        if "split(" not in str(axis.get("labelExpr", "")):
            continue
        labels = enc.get("sort") if isinstance(enc.get("sort"), list) else []
        lines = max((len(str(label).split(" ")) for label in labels), default=1)
        words = "split(datum.label, ' ')"
        expr = ""
        for count in range(1, lines):
            padded = ", ".join(["''"] * (lines - count) + [f"{words}[{i}]" for i in range(count)])
            expr += f"length({words}) == {count} ? [{padded}] : "
        axis["labelExpr"] = expr + words
        axis["labelBaseline"] = "alphabetic"
        axis["labelPadding"] = (lines - 1) * int(axis.get("labelLineHeight", 14)) + 6


def static_spec(chart: alt.TopLevelMixin, width: int) -> str:
    """Vega-Lite JSON of a builder's chart, ready to render without a page around it.

    ``width="container"`` has no container here, so it becomes ``width``
    pixels; wrapped axis labels are fixed as ``_fix_wrapped_labels`` says.
    """
    spec = style.configure(chart).to_dict()
    if spec.get("width") == "container":
        spec["width"] = width

    def visit(node: dict[str, Any]) -> None:
        if isinstance(node.get("encoding"), dict):
            _fix_wrapped_labels(node["encoding"])
        if node.get("width") == "container":
            node["width"] = width

    _walk(spec, visit)
    return json.dumps(spec)


def render_png(spec: str, scale: float = 2) -> bytes:
    """PNG of a Vega-Lite spec through vl-convert (no browser)."""
    import vl_convert  # imported late: only pack building needs it

    return vl_convert.vegalite_to_png(spec, scale=scale)


def render_charts(data: BriefingData, progress: Progress | None = None) -> dict[str, bytes]:
    """Render every chart of ``data`` once; later calls reuse the PNGs kept on ``data``.

    Two worker threads: vl-convert does its work outside Python, so two
    charts render at once on a two-core machine.
    """
    report = progress or no_progress
    todo = {k: v for k, v in data.chart_specs().items() if k not in data.pngs}
    if todo:
        done = 0
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = {key: pool.submit(render_png, spec) for key, spec in todo.items()}
            for key, future in futures.items():
                data.pngs[key] = future.result()
                done += 1
                report(f"Drawing charts ({done} of {len(todo)})", done / len(todo))
    return data.pngs




def material_chart_specs(name: str, shares: pd.DataFrame, production: pd.DataFrame) -> dict[str, str]:
    out: dict[str, str] = {}
    if not shares.empty:
        out["end_use"] = static_spec(material_charts.end_use_chart(shares, width=END_USE_WIDTH), END_USE_WIDTH)
    if not production.empty:
        unit = clean(production["unit"].iloc[0])
        title = clean(production["commodity_name"].iloc[0]) or f"{name} production"
        # The app's chart is 320 px tall beside a table; in a pack it shares a row, so it is lower.
        chart = material_charts.production_chart(production, unit, title).properties(height=PRODUCTION_HEIGHT)
        out["production"] = static_spec(chart, PRODUCTION_WIDTH)
    return out


