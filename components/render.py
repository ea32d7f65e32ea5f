"""Draw the charts of ``rmo_data.charts.material_charts`` without rebuilding them on every rerun.

Building an Altair chart and converting it to Vega-Lite costs 30-100 ms per
chart (Altair resolves and validates every encoding against the schema), and a
page draws several on every rerun although most reruns leave their data
unchanged.  ``chart(builder, *args)`` keeps the converted spec in a bounded cache
keyed by the builder and the content of its arguments, and hands it to
``st.vega_lite_chart``: the same spec ``st.altair_chart`` would send (it is made
by streamlit's own converter), so the browser sees no difference, but a rerun
with unchanged data costs about a millisecond per chart.

Large static data that must not pass through Altair (the world map geometry)
is joined to the spec after the cache as a named dataset.

Every chart carries a text alternative (``rmo_data.charts.alt_text``): its
description reaches screen readers as the chart's label, and its short
summary is shown under the chart as a caption, for every reader.

Each drawn chart is remembered (``ChartRef``: builder, arguments, datasets)
until the next ``components.provenance.figure_footer`` of the same run takes it
(``take_drawn``) and offers it as PNG and SVG files; the image is built from the
same builder only when one of those buttons is clicked.  Charts drawn outside
``chart`` are remembered the same way: a Plotly figure through ``plotly``
(``PlotlyRef``), a workshop chart drawn with ``st.altair_chart`` through
``remember``.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from components.safe import escape_html
from rmo_data.charts import alt_text, style

MAX_SPECS = 128


@dataclass(frozen=True)
class ChartRef:
    """A chart as drawn: its builder and arguments and the named datasets added to its spec."""

    builder: Callable[..., alt.TopLevelMixin]
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    datasets: Mapping[str, Any] | None = None

    def build(self) -> alt.TopLevelMixin:
        """The Altair chart, built again from the same builder and arguments."""
        return self.builder(*self.args, **self.kwargs)


@dataclass(frozen=True)
class PlotlyRef:
    """A Plotly figure as drawn: its pure builder (``rmo_data.charts.plotly_charts``) and arguments."""

    builder: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    def build(self) -> Any:
        """The ``plotly.graph_objects.Figure``, built again from the same builder and arguments."""
        return self.builder(*self.args, **self.kwargs)


# Each script run has its own thread: the chart last drawn in it waits here for its footer.
_DRAWN = threading.local()


def _check_builder(builder: Callable[..., Any]) -> None:
    module = getattr(builder, "__module__", "")
    name = getattr(builder, "__name__", "")
    if not module.startswith("rmo_data.charts.") or getattr(importlib.import_module(module), name, None) is not builder:
        raise ValueError(f"{module}.{name} is not a chart builder of rmo_data.charts")


def remember(builder: Callable[..., alt.TopLevelMixin], *args: Any,
             datasets: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
    """Remember an Altair chart a caller draws itself (``st.altair_chart``) for the next footer's images."""
    _check_builder(builder)
    _DRAWN.ref = ChartRef(builder, args, dict(kwargs), dict(datasets) if datasets else None)


def plotly(builder: Callable[..., Any], *args: Any, key: str | None = None,
           config: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
    """Draw ``builder(*args, **kwargs)`` with ``st.plotly_chart`` and remember it for the next footer.

    ``builder`` is a pure figure builder of ``rmo_data.charts.plotly_charts``;
    the footer offers the figure as PNG and SVG, built again on click.
    """
    _check_builder(builder)
    drawn = st.plotly_chart(builder(*args, **kwargs), width="stretch", key=key,
                            config=dict(config) if config else {"displaylogo": False})
    _DRAWN.ref = PlotlyRef(builder, args, dict(kwargs))
    return drawn


def take_drawn() -> ChartRef | PlotlyRef | None:
    """The chart drawn since the last call in this run (None when none was), forgotten once taken."""
    ref = getattr(_DRAWN, "ref", None)
    _DRAWN.ref = None
    return ref
TTL_SECONDS = 3600

try:  # streamlit's converter: Arrow datasets, its theme handling, the same spec as st.altair_chart
    from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec as _to_spec
except ImportError:  # pragma: no cover - a streamlit without it: Altair's own, equivalent output
    def _to_spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
        with alt.theme.enable("none"):
            return chart.to_dict()


class _Unvalidated:
    """Hands a chart to the converter with schema validation off.

    ``to_dict()`` validates the whole spec against the Vega-Lite schema, a third
    of the cost of a chart; the builders are validated by the unit tests
    (tests/test_charts*.py convert them with validation), so it is not repeated
    on the rerun path.
    """

    def __init__(self, chart: alt.TopLevelMixin) -> None:
        self._chart = chart

    def to_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return self._chart.to_dict(validate=False)


@st.cache_data(ttl=TTL_SECONDS, max_entries=MAX_SPECS, show_spinner=False)
def _spec(module: str, builder_name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    # Keyed by the builder's module and name and the content of its arguments (frames hashed by value).
    builder = getattr(importlib.import_module(module), builder_name)
    return style.fit_width(_to_spec(_Unvalidated(style.configure(builder(*args, **kwargs)))))  # type: ignore[arg-type]


def chart(builder: Callable[..., alt.TopLevelMixin], *args: Any,
          datasets: Mapping[str, Any] | None = None, key: str | None = None,
          on_select: Any = "ignore", selection_mode: str | None = None,
          width: str | int = "stretch", shown: bool = True, summary: str | None = None, **kwargs: Any) -> Any:
    """Draw ``builder(*args, **kwargs)`` like ``st.altair_chart(style.configure(builder(...)))``.

    ``builder`` is a pure chart builder of a ``components`` module (``charts``,
    ``charts_priority``, ...): the same arguments always give the same chart.
    ``datasets`` are named datasets (e.g. ``material_charts.world_datasets()``) added to
    the spec after the cache.  ``key``, ``on_select``, ``selection_mode`` and
    ``width`` mean what they mean for ``st.altair_chart``; its return value is
    returned.  With ``shown=False`` (a tab that is not open, for tabs made with
    ``on_change="rerun"``) nothing is built or drawn and None is returned: the
    chart is drawn by the rerun that opening its tab starts.  ``summary`` replaces the
    builder's summary of the data (a chart whose rows arrive in ``datasets`` knows them only
    here); the summary is shown as a caption under the chart.
    """
    if not shown:
        return None
    _check_builder(builder)
    module, name = builder.__module__, builder.__name__
    spec = _spec(module, name, tuple(_hashable(a) for a in args),
                 {k: _hashable(v) for k, v in kwargs.items()})
    if datasets:
        spec["datasets"] = {**spec.get("datasets", {}), **datasets}
    if summary:
        spec = alt_text.with_summary(spec, summary)
    _DRAWN.ref = ChartRef(builder, args, dict(kwargs), dict(datasets) if datasets else None)
    drawn = st.vega_lite_chart(spec=spec, key=key, on_select=on_select, selection_mode=selection_mode,
                               width=width)
    text = alt_text.summary_of(spec)
    if text:  # names in it come from data: shown as written, never as markdown
        st.caption(escape_html(text))
    return drawn


def _hashable(value: Any) -> Any:
    """Frames with list cells (stages of a risk, say) as tuples, so the cache can hash them by value.

    Without this streamlit falls back to pickling the frame, slower and with a
    warning in the log on every rerun; the builders only iterate over the cells.
    """
    if not isinstance(value, pd.DataFrame):
        return value
    listy = [c for c in value.columns if value[c].dtype == object
             and value[c].map(lambda v: isinstance(v, list)).any()]
    if not listy:
        return value
    return value.assign(**{c: value[c].map(lambda v: tuple(v) if isinstance(v, list) else v) for c in listy})


def clear() -> None:
    """Forget cached chart specs."""
    _spec.clear()
