"""The look every chart shares: colours, title style, fonts, number text.

Chart modules (``material_charts``, ``priority_charts``, ``workshop_charts``) and
the briefing packs import it, so a chart looks the same on a page and in a pack.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any, TypeVar

import altair as alt

from rmo_data import formatting

Chart = TypeVar("Chart", bound=alt.TopLevelMixin)

# Altair's debug mode validates every schema object as it is built, so one chart
# is validated dozens of times; with it off, the chart is still validated once,
# in full, when streamlit converts it (``to_dict``).  That halves the cost of a
# chart on every rerun without letting an invalid spec through.
alt.utils.schemapi.disable_debug_mode()

NO_DATA_COLOUR = "#D5D8DC"
HIGHLIGHT = "#C0392B"
BASE = "#0B5563"
FONT_SIZE = 13
CHART_TEXT = "#566573"  # axis, legend and panel text: 6:1 on white (tests/charts/test_contrast.py)


# Vega-Lite never wraps a title: longer lines are cut at the chart's edge. About 50 characters of
# 12-13 px text fit the narrowest chart (a 360 px phone), so longer texts are split into lines.
WRAP_CHARS = 50


def wrap_lines(text: str, width: int = WRAP_CHARS) -> str | list[str]:
    """``text`` as it is when short, else as lines of at most ``width`` characters (Vega-Lite draws a
    list of strings as one line each)."""
    if len(text) <= width:
        return text
    return textwrap.wrap(text, width=width, break_long_words=False, break_on_hyphens=False)


def chart_title(text: str, subtitle: str | None = None) -> alt.TitleParams:
    """A chart title (and optional subtitle, wrapped to fit a phone) in the app's one style."""
    return alt.TitleParams(text=text, subtitle=wrap_lines(subtitle) if subtitle else "", anchor="start",
                           fontSize=16, subtitleFontSize=12, subtitleColor=CHART_TEXT)


# About 30 characters of the 16 px bold title fit a 360 px phone's chart; a character of it is
# at most about 9 px wide.
PHONE_TITLE_CHARS = 30
_TITLE_CHAR_PX = 9


def title_on_phone(chart: Chart) -> Chart:
    """``chart`` (already described: ``alt_text.describe``) with its title in lines of at most
    ``PHONE_TITLE_CHARS`` where its container is narrower than the title's one line, which ran
    past a phone's edge.

    The container's width is known only in the browser (``responsive``), so the title is an
    expression; the description keeps the one-line title.
    """
    title = chart.title  # type: ignore[attr-defined]
    text = title.text if isinstance(title, alt.TitleParams) else alt.Undefined
    if not isinstance(text, str) or len(text) <= PHONE_TITLE_CHARS:
        return chart
    out = chart.copy(deep=False)  # type: ignore[attr-defined]
    narrow = f"containerSize()[0] < {len(text) * _TITLE_CHAR_PX + 20}"
    out.title = alt.TitleParams(**{**title.to_dict(validate=False), "text": alt.ExprRef(
        f"{narrow} ? {json.dumps(wrap_lines(text, PHONE_TITLE_CHARS))} : {json.dumps(text)}")})
    return out


def configure(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Apply the shared fonts and axis styles (call once, on the outermost chart)."""
    # What configure_axis().configure_legend().configure_view() do, with one copy of the
    # chart instead of three: each copy rebuilds a layered chart, ~3 ms a time.
    out = chart.copy(deep=["config"])  # type: ignore[attr-defined]
    if out.config is alt.Undefined:
        out.config = alt.Config()
    # Text in CHART_TEXT: Streamlit's chart theme greys it to #808495, 3.8:1 on white (WCAG asks 4.5:1).
    out.config["axis"] = alt.AxisConfig(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE,
                                        labelColor=CHART_TEXT, titleColor=CHART_TEXT)
    # A chart's own legend layout (the Overview bubble chart stacks its legends on a phone) is kept.
    layout = getattr(getattr(out.config, "legend", alt.Undefined), "layout", alt.Undefined)
    out.config["legend"] = alt.LegendConfig(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE,
                                            labelColor=CHART_TEXT, titleColor=CHART_TEXT, layout=layout)
    out.config["header"] = alt.HeaderConfig(labelColor=CHART_TEXT, titleColor=CHART_TEXT)
    out.config["view"] = alt.ViewConfig(strokeWidth=0)
    return out


# How a chart drawn in the page's width sizes itself: its width fits the container, axes and
# legends included, and its height is what the spec asks for plus its title, axes and legends.
# Left to itself Streamlit gives a chart of fixed height Vega's "fit" in both directions: the
# whole chart is squeezed into that height, so a title, a bottom legend or a y-axis title longer
# than the squeezed plot pushed the title above the canvas, where it was cut (issue 15: the
# Material profile's production chart).  ``tests/charts/test_chart_text.py`` renders with the same.
FIT_WIDTH = {"type": "fit-x", "contains": "padding"}


def fit_width(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` (a converted chart) with ``FIT_WIDTH`` unless it sizes itself or is faceted.

    Facets and concatenations keep what Streamlit gives them ("pad": their panels have a
    fixed width, which "fit-x" cannot share out).
    """
    if "autosize" in spec or any(k in spec for k in ("facet", "hconcat", "vconcat", "concat", "repeat")):
        return spec
    return {**spec, "autosize": dict(FIT_WIDTH)}


def number_text(value: Any, unit: str = "", digits: int = 0) -> str:
    """A number with thousands separators and its unit; the missing-value mark when there is none
    (``rmo_data.formatting.number``, kept under this name for the briefing packs)."""
    return formatting.number(value, digits, unit)
