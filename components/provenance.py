"""Source lines under figures, and the downloads of what a figure shows, with their provenance.

Every chart and table on a page is followed by ``figure_footer``: its source
titles and years, its unit, any caveat, and downloads of exactly the data
drawn: a zip of the readable CSV and its ``about.csv``, and a workbook with an
*About* sheet (``rmo_data.exports.figure_csv_zip`` / ``figure_xlsx``).  When a
chart was drawn just before (``components.render``), PNG and SVG files of it
are offered too, with its title, source line and the same About lines.

What a download says about itself (``rmo_data.about.About``) is gathered while
the page is drawn, from session state: the page, its filters (``PAGE_FILTERS``),
the weights on the Prioritisation page, the data version and the address that
reproduces the view.  The files, the source register read and the image are
made only when a button is clicked (``st.download_button`` takes a callable),
so a rerun pays only for that handful of values.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from components import cached, render, router, signin, state
from components.safe import escape_html
from rmo_data import about, constants, vocabulary
from rmo_data.access import roles
from rmo_data.exports import XLSX_MIME, ZIP_MIME, figure_csv_zip, figure_xlsx, readable_frame
from rmo_data.store import queries
from rmo_data.store.engine import get_engine


def source_line(sources: Iterable[str], years: Iterable[object] | pd.DataFrame = (), unit: str | None = None,
                note: str | None = None) -> str:
    """One sentence naming sources, years and unit (empty parts left out), as safe markdown.

    Source titles, unit and note may come from data, so all of them are escaped
    (``components.safe.escape_html``): callers pass plain text, never markup.
    The sentence is ``rmo_data.about.source_text``'s, which the downloads carry unescaped.
    """
    return about.source_text(sources, years, unit, note, escape=escape_html)


def slug_filename(title: str) -> str:
    """A safe file name from a figure title."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:80] or "data"


def slug_filename(title: str) -> str:
    """A safe file name from a figure title."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:80] or "data"


# --- what a download says about itself ---------------------------------------------------

_SIDEBAR = ("materials", "lists")
_WEIGHTS = tuple(f"wt_{slug}" for slug in vocabulary.names("criterion"))
# The registered filters (components.state.PARAMS) each page reads: they are listed in its
# downloads and make up the address that reproduces the view.  Never a participant's key (p).
PAGE_FILTERS: dict[str, tuple[str, ...]] = {
    "pages/overview.py": _SIDEBAR,
    "pages/prioritisation.py": (*_SIDEBAR, *_WEIGHTS, "pr_leave_gaps"),
    "pages/evidence.py": (*_SIDEBAR, "stages", "risks", "ev_country", "ev_company", "ev_min_sev", "ev_text"),
    "pages/material.py": ("material", "stages", "risks"),
    "pages/stakeholders.py": (*_SIDEBAR, "org_type", "org_text", "org"),
    "pages/leverage_cards.py": tuple(state.CARD_FILTERS),
    "pages/sources.py": (),
    "pages/workshop.py": ("ws_mode", "ws", "ws_closed"),
}
# The vocabulary kind of the slugs a filter holds, so a download names them.
_FILTER_KINDS: dict[str, str] = {
    "material": "material", "materials": "material", "lc_mat": "material", "lists": "regulatory_list",
    "stages": "stage", "lc_stage": "stage", "risks": "risk_category", "lc_risk": "risk_category",
    "org_type": "organisation_type", "lc_cat": "leverage_category", "lc_actor": "actor", "lc_target": "target",
}
LEAVE_GAPS_KEY = "pr_leave_gaps"  # the Prioritisation page's toggle: in the address, said in words in the About


def _filter_value(key: str, value: Any, labels: Mapping[str, str]) -> str:
    if isinstance(value, list | tuple):
        if not value:
            return "all (no filter)"
        kind = _FILTER_KINDS.get(key, "")
        return ", ".join(str(labels.get(v, v) if kind == "material" else vocabulary.value_name(kind, v))
                         for v in value)
    if key == "material":
        return str(labels.get(value, value))
    return "none" if value in ("", None) else str(value)


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]  # "EU lists" stays "EU lists"


def view_filters(page: str) -> tuple[tuple[str, str], ...]:
    """(what, value) for every filter ``page`` reads, weights apart, as the download lists them."""
    keys = [k for k in PAGE_FILTERS.get(page, _SIDEBAR) if not k.startswith("wt_") and k != LEAVE_GAPS_KEY]
    labels = cached.material_labels() if any(_FILTER_KINDS.get(k) == "material" for k in keys) else {}
    out = [(_sentence_case(state.PARAMS[k].label), _filter_value(k, state.get(k), labels)) for k in keys]
    if page == "pages/prioritisation.py":
        gaps = bool(st.session_state.get(LEAVE_GAPS_KEY, False))
        out.append(("Gaps", "left out (each material scored on the criteria recorded for it)"
                    if gaps else constants.IMPUTATION_NOTE))
    return tuple(out)


def view_link(page: str) -> str:
    """The address that opens ``page`` with the filters (and weights) of this view."""
    keys = PAGE_FILTERS.get(page, _SIDEBAR)
    query = urlencode(state.url_params({k: state.get(k) for k in keys}))
    spec = roles.page(page)
    path = "/" + (spec.url_path if spec is not None else "")
    url = st.context.url
    if url:
        parts = urlsplit(url)
        base = f"{parts.scheme}://{parts.netloc}{parts.path}"
    else:  # no browser (AppTest): an address relative to the server
        base = path
    return base + (f"?{query}" if query else "")


def view_about(title: str, source_text: str, sources: Iterable[str], uses_weights: bool = True,
               filtered: bool = True) -> about.About:
    """The ``About`` of a figure on the page being drawn (cheap: session state and the cached version).

    ``filtered=False``: the figure ignores the page's filters (the whole action plan), so none is listed.
    """
    page = router.current_page()
    spec = roles.page(page)
    weights = None
    note = "No weights: this view does not rank materials."
    if page == "pages/prioritisation.py":
        if uses_weights:
            weights = {k.removeprefix("wt_"): int(state.get(k)) for k in _WEIGHTS}
        else:
            note = "The weights set on the page do not apply to this view."
    return about.About(
        title=title, page=spec.title if spec is not None else page, source_line=source_text,
        sources=tuple(dict.fromkeys(str(s) for s in sources if s and str(s) != "nan")),
        filters=view_filters(page) if filtered else (), weights=weights, weights_note=note,
        data_version=cached.version(), link=view_link(page))


# Columns whose values name a figure's sources, used when a caller names none.
_SOURCE_COLUMNS = ("source_title", "source", "auto_source", "mining_source_title", "processing_source_title",
                   "measured_source")


def _with_frame_sources(facts: about.About, frame: pd.DataFrame) -> about.About:
    if facts.sources:
        return facts
    named = [v for c in _SOURCE_COLUMNS if c in frame.columns for v in frame[c].dropna().astype(str).unique()]
    return about.About(**{**facts.__dict__, "sources": tuple(dict.fromkeys(named))})


def _about_table(facts: about.About, frame: pd.DataFrame, engine: Engine) -> pd.DataFrame:
    """The About rows of ``facts`` for ``frame``: reads the source register and build facts (on click)."""
    facts = _with_frame_sources(facts, frame)
    return about.about_rows(facts, queries.sources(engine=engine), queries.build_info(engine=engine),
                            readable_frame(frame).attrs["rules"])


# Set while a view that redraws itself on a timer is drawn (downloads_held).
_HELD: ContextVar[bool] = ContextVar("downloads_held", default=False)


@contextlib.contextmanager
def downloads_held() -> Iterator[None]:
    """Draw no download buttons inside this block (figures keep their source lines).

    For views that redraw themselves every few seconds (``st.fragment(run_every=...)``):
    each redraw gives a button a new file id and retires the old one, so a click
    that lands during a redraw failed ("download failed", about one click in forty).
    Such a view offers its downloads once it is paused (the facilitator's live view).
    """
    token = _HELD.set(True)
    try:
        yield
    finally:
        _HELD.reset(token)


def download_buttons(data: pd.DataFrame | Callable[[], pd.DataFrame], title: str, key: str,
                     file_stem: str | None = None,
                     csv_label: str = "Download CSV", xlsx_label: str = "Download XLSX",
                     kind: Literal["primary", "secondary", "tertiary"] = "tertiary",
                     facts: about.About | None = None, chart: render.ChartRef | render.PlotlyRef | None = None,
                     xlsx_key: str | None = None) -> None:
    """CSV (a zip with its About file), XLSX (with an About sheet) and, for a chart, PNG and SVG downloads.

    Every file is made by a callable only when its button is clicked (a page
    has a dozen tables; writing each on every rerun cost 5-10 ms apiece), and a
    click needs no rerun of the page.  The CSV button keeps ``key``; the others
    add "-xlsx" (or take ``xlsx_key``), "-png" and "-svg".  ``data`` may also be a function returning
    the frame (a large table read only when a button is clicked).  ``facts``
    defaults to the page's (``view_about``), its sources read from the frame's
    source columns.  Nothing is drawn for a role without downloads (the public).
    """
    if not signin.can("downloads") or _HELD.get():
        return  # downloads are for partners (rmo_data.access.roles.FEATURES); pages say so once
    stem = file_stem or slug_filename(title)
    if callable(data):
        frame_now = data
    else:
        frame = data.copy()  # the callable runs later, on another thread: keep the rows as shown now

        def frame_now() -> pd.DataFrame:
            return frame
    facts = facts or view_about(title, "", ())
    engine = get_engine()  # the callables run on another thread, outside the page's context

    def csv_file() -> bytes:
        shown = frame_now()
        return figure_csv_zip(shown, stem, _about_table(facts, shown, engine))

    def xlsx_file() -> bytes:
        shown = frame_now()
        return figure_xlsx(shown, title, _about_table(facts, shown, engine))

    row = st.container(horizontal=True, gap="small")
    row.download_button(
        f"{csv_label} (zip)", csv_file, file_name=f"{stem}.zip", mime=ZIP_MIME, key=key,
        icon=":material/download:", on_click="ignore",
        help=f"The data behind “{escape_html(title)}” as CSV, in a zip with about.csv: sources and "
             "licences, filters, weights, data version, date and the link to this view", type=kind,
    )
    row.download_button(
        xlsx_label, xlsx_file, file_name=f"{stem}.xlsx", mime=XLSX_MIME,
        key=xlsx_key or f"{key}-xlsx", icon=":material/table_view:", on_click="ignore",
        help=f"The data behind “{escape_html(title)}” as an Excel workbook, with an About sheet", type=kind,
    )
    if chart is not None:
        image_buttons(chart, title, facts, stem, key, row, frame_now, engine, kind)


def image_buttons(chart: render.ChartRef | render.PlotlyRef, title: str, facts: about.About, stem: str, key: str, row: Any,
                  frame_now: Callable[[], pd.DataFrame], engine: Engine,
                  kind: Literal["primary", "secondary", "tertiary"] = "tertiary") -> None:
    """PNG and SVG downloads of ``chart`` with ``title`` and the About lines in the image (built on click).

    A Plotly figure (``render.PlotlyRef``) is drawn by kaleido with a Chrome of the
    server; where it has none the page says so in a sentence instead.
    """
    if isinstance(chart, render.PlotlyRef):
        plotly_buttons(chart, title, facts, stem, key, row, frame_now, engine, kind)
        return
    from rmo_data.charts import images  # light; vl-convert itself is imported on click

    def spec() -> dict[str, Any]:
        rows = _about_table(facts, frame_now(), engine)
        return images.image_spec(chart.build(), title, about.source_of(rows), about.about_lines(rows), chart.datasets)

    _image_pair(row, lambda: images.png(spec()), lambda: images.svg(spec()), title, stem, key, kind)


def plotly_buttons(chart: render.PlotlyRef, title: str, facts: about.About, stem: str, key: str, row: Any,
                   frame_now: Callable[[], pd.DataFrame], engine: Engine,
                   kind: Literal["primary", "secondary", "tertiary"] = "tertiary") -> None:
    """PNG and SVG downloads of a Plotly figure, laid out like the Altair charts' (``plotly_images``)."""
    from rmo_data.charts import plotly_images

    why_not = plotly_images.missing()
    if why_not:
        st.caption(f"This chart cannot be saved as PNG or SVG here: {why_not}. Its data are in the CSV and XLSX.")
        return

    def figure() -> Any:
        rows = _about_table(facts, frame_now(), engine)
        return plotly_images.image_figure(chart.build(), title, about.source_of(rows), about.about_lines(rows))

    _image_pair(row, lambda: plotly_images.png(figure()), lambda: plotly_images.svg(figure()), title, stem,
                key, kind)


def _image_pair(row: Any, png: Callable[[], bytes], svg: Callable[[], bytes], title: str, stem: str, key: str,
                kind: Literal["primary", "secondary", "tertiary"]) -> None:
    """The PNG and SVG buttons of a chart (Altair or Plotly), each file made by its callable on click."""
    row.download_button("PNG", png, file_name=f"{stem}.png", mime="image/png",
                        key=f"{key}-png", icon=":material/image:", on_click="ignore", type=kind,
                        help=f"“{escape_html(title)}” as a PNG image with its source line and provenance")
    row.download_button("SVG", svg, file_name=f"{stem}.svg", mime="image/svg+xml",
                        key=f"{key}-svg", icon=":material/draw:", on_click="ignore", type=kind,
                        help=f"“{escape_html(title)}” as an SVG image with its source line and provenance")


def figure_footer(data: pd.DataFrame | Callable[[], pd.DataFrame], title: str, sources: Iterable[str],
                  years: Iterable[object] | pd.DataFrame = (), unit: str | None = None,
                  note: str | None = None, key: str | None = None, uses_weights: bool = True) -> None:
    """Source caption and the downloads of ``data`` under a chart or table (PNG and SVG too after a chart).

    ``data`` may be a function returning the frame, run only when a download is
    clicked.  The chart drawn since the last footer (``render.take_drawn``) is
    the one offered as an image.  ``uses_weights=False`` says that the page's
    weights do not apply to this figure (the salience views of Prioritisation).
    """
    sources = list(sources)
    st.caption(source_line(sources, years, unit, note))
    chart = render.take_drawn()
    if not signin.can("downloads"):
        return
    text = about.source_text(sources, years, unit, note)
    download_buttons(data, title, key or f"dl-{slug_filename(title)}",
                     facts=view_about(title, text, sources, uses_weights), chart=chart)
