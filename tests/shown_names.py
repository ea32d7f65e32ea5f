"""Collect the names a page shows, for the vocabulary test (``tests/pages/test_vocabulary.py``).

``collect(at)`` walks the element tree of an AppTest run and returns every
short piece of text that names something: widget labels and options, table
column headers and the values of their name columns, chart encoding titles,
legend and axis values (Vega-Lite and Plotly) and metric labels.  Each comes
with where it was found, so a failure points at the element.

Prose (captions, markdown, help texts, chart titles, tab labels) is not
collected: a sentence may say "mining" or "steel" in passing.  Each piece says
whether it stands for one thing (``Shown.strict``: an option, a legend entry, a
cell of a name column) or is a label that may qualify a name.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa
from streamlit.testing.v1 import AppTest

# Headers (as shown, case-insensitive) whose cells, or encoding titles whose field's values, are
# names of one vocabulary kind; None: names of any kind.
KIND_HEADERS: dict[str, str | None] = {
    "material": "material", "materials": "material", "criterion": "criterion", "criteria": "criterion",
    "stage": "stage", "stages": "stage", "risk category": "risk_category", "risk": "risk_category",
    "leverage category": "leverage_category", "category": None, "quadrant": "quadrant", "actor": "actor",
    "target": "target", "targets": "target", "pillar": "pillar", "e/s/g": "pillar", "preset": "preset",
    "type": "organisation_type", "organisation type": "organisation_type",
}
# Vega-Lite channels whose field values a reader sees as axis ticks, legend entries or marks' text.
SHOWN_CHANNELS = ("x", "y", "color", "fill", "stroke", "shape", "text", "row", "column", "facet",
                  "xOffset", "yOffset")


@dataclass(frozen=True)
class Shown:
    """One piece of text a page shows.

    ``where`` says in which element and part.  ``strict``: the text stands
    for one thing (an option, a table cell of a name column, a legend entry, a
    trace name, a weight slider's label) and must be a name; otherwise it is a
    label or title that may qualify a name ("Highest severity (1–5)").
    ``group`` ties the options of one widget or the values of one field
    together; ``kind`` is the vocabulary kind the place holds, when known.
    """

    where: str
    text: str
    strict: bool = False
    group: str = ""
    kind: str | None = None
    key: str = ""


def kind_of(header: str) -> tuple[bool, str | None]:
    """Whether ``header`` names a vocabulary kind, and which (None: any kind)."""
    h = header.strip().lower()
    return (h in KIND_HEADERS, KIND_HEADERS.get(h))


def _widgets(at: AppTest) -> Iterator[Shown]:
    for kind in ("slider", "select_slider", "selectbox", "multiselect", "radio", "checkbox", "toggle",
                 "segmented_control", "pills", "number_input", "text_input", "text_area", "date_input"):
        for w in getattr(at, kind):
            key = str(getattr(w, "key", None) or "")
            label = str(w.label)
            yield Shown(f"{kind} {key or label!r} label", label, key=key)
            group = f"{kind} {key or label!r} options"
            named, k = kind_of(label)
            for option in getattr(w, "options", None) or ():
                yield Shown(group, str(option), True, group, k if named else None, key)
    for m in at.metric:
        yield Shown("metric label", str(m.label))


def _config(proto: Any) -> dict[str, dict[str, Any]]:
    """The column configuration by raw column name ("col:name" keys in newer streamlit versions)."""
    try:
        config = json.loads(proto.columns or "{}")
    except json.JSONDecodeError:
        return {}
    return {(n.split(":", 1)[1] if n.startswith("col:") else n): c for n, c in config.items() if isinstance(c, dict)}


def _frame_names(where: str, frame: pd.DataFrame, config: dict[str, dict[str, Any]]) -> Iterator[Shown]:
    for column in frame.columns:
        conf = config.get(str(column), {})
        if conf.get("hidden"):
            continue
        header = str(conf.get("label") or column)
        yield Shown(f"{where} column header", header)
        named, kind = kind_of(header)
        if named:
            group = f"{where} column {header!r}"
            for value in pd.unique(frame[column].dropna().astype(str)):
                yield Shown(group, value, True, group, kind)


def _tables(at: AppTest) -> Iterator[Shown]:
    for i, df in enumerate(at.dataframe):
        key = getattr(df.proto, "id", "") or i
        value = df.value
        if isinstance(value, pd.DataFrame):
            yield from _frame_names(f"table {key}", value, _config(df.proto))
    for i, table in enumerate(at.table):
        if isinstance(table.value, pd.DataFrame):
            yield from _frame_names(f"static table {i}", table.value, {})


def _arrow(data: bytes) -> pd.DataFrame:
    if not data:
        return pd.DataFrame()
    return pa.ipc.open_stream(io.BytesIO(data)).read_all().to_pandas()


def _vega_data(proto: Any, spec: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Every dataset of a chart by name ('' for the main data): Arrow datasets and inline values."""
    frames: dict[str, pd.DataFrame] = {}
    if proto.HasField("data") and proto.data.data:
        frames[""] = _arrow(proto.data.data)
    for named in proto.datasets:
        frames[named.name] = _arrow(named.data.data)
    for name, values in (spec.get("datasets") or {}).items():
        if isinstance(values, list):
            frames[name] = pd.DataFrame(values)
    return frames


def _view_data(view: dict[str, Any], frames: dict[str, pd.DataFrame], inherited: pd.DataFrame | None
               ) -> pd.DataFrame | None:
    data = view.get("data")
    if isinstance(data, dict):
        if "name" in data:
            return frames.get(data["name"])
        if isinstance(data.get("values"), list):
            return pd.DataFrame(data["values"])
    return inherited


def _encodings(view: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for channel, enc in (view.get("encoding") or {}).items():
        for item in enc if isinstance(enc, list) else [enc]:
            if isinstance(item, dict):
                yield channel, item


def _vega(where: str, spec: dict[str, Any], frames: dict[str, pd.DataFrame]) -> Iterator[Shown]:
    def visit(view: dict[str, Any], data: pd.DataFrame | None) -> Iterator[Shown]:
        data = _view_data(view, frames, data)
        for channel, enc in _encodings(view):
            title = enc.get("title")
            titles = [t for t in (title if isinstance(title, list) else [title]) if isinstance(t, str) and t]
            for t in titles:
                yield Shown(f"{where} {channel} title", t)
            field = enc.get("field")
            named, kind = kind_of(" ".join(titles)) if titles else kind_of(str(field or ""))
            group = f"{where} {channel} {field!r}"
            scale = enc.get("scale")
            if isinstance(scale, dict) and isinstance(scale.get("domain"), list):
                for v in scale["domain"]:
                    if isinstance(v, str):
                        yield Shown(f"{where} {channel} domain", v, True, group, kind if named else None)
            if (channel in SHOWN_CHANNELS and isinstance(field, str) and data is not None
                    and enc.get("type") in ("nominal", "ordinal") and field in data.columns):
                for v in pd.unique(data[field].dropna().astype(str)):
                    yield Shown(f"{where} {channel} value of {field!r}", v, True, group, kind if named else None)
        for key in ("layer", "hconcat", "vconcat", "concat"):
            for sub in view.get(key, []) or []:
                if isinstance(sub, dict):
                    yield from visit(sub, data)
        if isinstance(view.get("spec"), dict):
            yield from visit(view["spec"], data)

    yield from visit(spec, frames.get(""))


def _plotly(where: str, figure: dict[str, Any]) -> Iterator[Shown]:
    for t, trace in enumerate(figure.get("data", [])):
        if isinstance(trace.get("name"), str) and trace["name"]:
            yield Shown(f"{where} trace name", trace["name"], True, f"{where} traces")
        dims = trace.get("dimensions", []) or []  # parallel coordinates / categories
        for d, dim in enumerate(dims):
            if isinstance(dim.get("label"), str):
                yield Shown(f"{where} dimension label", dim["label"], True, f"{where} trace {t} dimensions")
            for v in [*(dim.get("ticktext", []) or []), *(dim.get("categoryarray", []) or [])]:
                yield Shown(f"{where} dimension {d} value", str(v), True, f"{where} trace {t} dimension {d}")
        node = trace.get("node")
        if isinstance(node, dict):  # a Sankey diagram's node labels
            for v in node.get("label", []) or []:
                yield Shown(f"{where} node label", str(v), True, f"{where} trace {t} nodes")
    layout = figure.get("layout", {})
    for name, axis in layout.items():
        if name.startswith(("xaxis", "yaxis")) and isinstance(axis, dict):
            title = axis.get("title")
            text = title.get("text") if isinstance(title, dict) else title
            if isinstance(text, str) and text:
                yield Shown(f"{where} {name} title", text)
            for v in axis.get("ticktext", []) or []:
                yield Shown(f"{where} {name} tick", str(v), True, f"{where} {name} ticks")
    for ann in layout.get("annotations", []) or []:  # column titles drawn as annotations
        if isinstance(ann.get("text"), str):
            yield Shown(f"{where} annotation", ann["text"])


def _charts(at: AppTest) -> Iterator[Shown]:
    for i, el in enumerate(at.get("vega_lite_chart")):
        spec = json.loads(el.proto.spec)
        yield from _vega(f"vega chart {getattr(el.proto, 'id', '') or i}", spec, _vega_data(el.proto, spec))
    for i, el in enumerate(at.get("plotly_chart")):
        yield from _plotly(f"plotly chart {i}", json.loads(el.proto.spec))


def collect(at: AppTest) -> list[Shown]:
    """Every name-like text of the last run of ``at``, main area and sidebar, without repeats."""
    seen: dict[tuple[str, str], Shown] = {}
    for shown in [*_widgets(at), *_tables(at), *_charts(at)]:
        seen.setdefault((shown.where, shown.text), shown)
    return list(seen.values())


