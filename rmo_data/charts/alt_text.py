"""Text alternatives of the charts (WCAG 2.2 SC 1.1.1): a description in the spec, a summary to show.

A chart is drawn on a canvas, which a screen reader cannot read.  Every chart
builder ends with ``describe(chart, summary)``: Vega-Lite's top-level
``description`` (Vega puts it on the chart's element as its ``aria-label``)
becomes the chart's title, subtitle and a short summary of what its data
show, and the summary alone is kept in ``usermeta`` so that the page can
show it under the chart (``components.render.chart``) for every reader.
Charts whose rows arrive as a named dataset know their data only on the page;
the page then passes its own summary, which ``with_summary`` puts in the spec.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import altair as alt

SUMMARY = "summary"  # the key of the summary in the spec's usermeta
TITLE = "title"  # and of the title as one line, for a chart whose drawn title changes with its width
Chart = TypeVar("Chart", bound=alt.TopLevelMixin)


def _plain(text: Any) -> str:
    """A title or subtitle as one line (Vega-Lite takes a list of strings for several lines)."""
    # An expression (a title that changes with the width) has no one text: the builder describes the chart first.
    if text is alt.Undefined or text is None or isinstance(text, (alt.ExprRef, Mapping)):
        return ""
    if isinstance(text, (list, tuple)):
        return " ".join(str(t) for t in text)
    return str(text)


def title_of(chart: alt.TopLevelMixin) -> tuple[str, str]:
    """The chart's title and subtitle as plain text ("" when it has none)."""
    title = getattr(chart, "title", alt.Undefined)
    if isinstance(title, alt.TitleParams):
        return _plain(title.text), _plain(title.subtitle)
    if isinstance(title, Mapping):
        return _plain(title.get("text")), _plain(title.get("subtitle"))
    return _plain(title), ""


def description(title: str, subtitle: str, summary: str) -> str:
    """"Title. Subtitle. Summary." without empty parts or doubled full stops."""
    parts = [p.strip().rstrip(".") for p in (title, subtitle, summary) if p and p.strip()]
    return ". ".join(parts) + "." if parts else ""


def describe(chart: Chart, summary: str) -> Chart:
    """``chart`` with its text alternative: the description for assistive technology, the summary to show."""
    title, subtitle = title_of(chart)
    return chart.properties(description=description(title, subtitle, summary),  # type: ignore[return-value]
                            usermeta={SUMMARY: summary, TITLE: title})


def spec_title(spec: Mapping[str, Any]) -> tuple[str, str]:
    """A converted chart's title and subtitle as plain text; a title drawn from an expression (one for
    a phone, one for a wider screen) reads as the one-line title ``describe`` kept."""
    title = spec.get("title", "")
    text, subtitle = ((title.get("text"), title.get("subtitle")) if isinstance(title, Mapping) else (title, ""))
    meta = spec.get("usermeta")
    if isinstance(text, Mapping) and isinstance(meta, Mapping):
        text = meta.get(TITLE, "")
    return _plain(text), _plain(subtitle)


def summary_of(spec: Mapping[str, Any]) -> str:
    """The summary a spec made by ``describe`` carries ("" for one without)."""
    meta = spec.get("usermeta")
    return str(meta.get(SUMMARY, "")) if isinstance(meta, Mapping) else ""


def chart_summary(chart: alt.TopLevelMixin) -> str:
    """The summary ``describe`` gave ``chart`` ("" for a chart without)."""
    meta = getattr(chart, "usermeta", alt.Undefined)
    return summary_of({"usermeta": meta}) if isinstance(meta, Mapping) else ""


def with_summary(spec: dict[str, Any], summary: str) -> dict[str, Any]:
    """``spec`` (a converted chart) with ``summary`` in place of the one its builder gave."""
    text, subtitle = spec_title(spec)
    return {**spec, "description": description(text, subtitle, summary),
            "usermeta": {**(spec.get("usermeta") or {}), SUMMARY: summary}}


def listing(items: Iterable[str], limit: int = 3) -> str:
    """"a, b and c" of the first ``limit`` items, "and N more" for the rest."""
    values = list(items)
    if not values:
        return "none"
    shown, rest = values[:limit], len(values) - limit
    if rest > 0:
        return ", ".join(shown) + f" and {rest} more"
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
