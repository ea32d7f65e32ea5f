"""A page's Plotly chart as a PNG or SVG file with its title, source line and provenance.

The Altair charts become files through ``rmo_data.charts.images`` (vl-convert,
no browser).  Plotly has no such renderer: its static export, ``kaleido``
(version 1), drives a headless Chrome or Chromium found on the machine
(Debian's ``/usr/bin/chromium`` here).  So ``missing`` says, cheaply and
before any button is drawn, whether this server can make the files at all,
and why not; the page then says so in a sentence instead of offering a button
that would fail.

``image_figure`` lays the figure out for a file exactly as ``images.image_spec``
does for an Altair chart: the figure's title and source line on top, the About
lines (``rmo_data.about.about_lines``: date, data version, link, sources with
years and licences, filters, weights) under it, at a fixed width.  The figure
is built again from the page's pure builder (``rmo_data.charts.plotly_charts``)
only when a download is clicked, and drawn by ``plotly_worker`` in a child
process with a time limit (kaleido has none for a Chromium that never
answers).  No streamlit here.
"""

from __future__ import annotations

import contextlib
import functools
import html
import importlib.util
import os
import signal
import subprocess
import sys
from collections.abc import Sequence

import plotly.graph_objects as go

from rmo_data import formatting, workers
from rmo_data.charts.images import IMAGE_WIDTH, PNG_SCALE

TITLE_PX = 34  # the title's band at the top of the file
SOURCE_LINE_PX = 16
FOOTER_LINE_PX = 14
SIDE_PX = 12  # text starts this far from the file's left edge
INK = "#1B2631"
MUTED = "#424949"
SOURCE_WRAP = 130  # characters per line of the source line (13 px text at 900 px)
# A drawing takes 1-3 s (a Chromium started, the figure drawn); a loaded 2-core machine ten times that.
EXPORT_TIMEOUT_S = 60.0


@functools.lru_cache(maxsize=1)
def missing() -> str | None:
    """Why this server cannot make Plotly images, in a sentence; None when it can.

    Looked up once per process: whether ``kaleido`` is installed and a Chrome or
    Chromium can be found (``BROWSER_PATH``, or the names kaleido's browser
    finder looks for on the ``PATH``).  Nothing is started here.
    """
    if importlib.util.find_spec("kaleido") is None:
        return "the Plotly image exporter (kaleido) is not installed on this server"
    path = os.environ.get("BROWSER_PATH")
    if path:
        return None if os.access(path, os.X_OK) else "the browser that BROWSER_PATH names cannot be run"
    from choreographer.browsers.chromium import Chromium  # kaleido's own browser finder

    if Chromium.find_browser(skip_local=False) is None:
        return "no Chrome or Chromium is installed on this server, which Plotly needs to draw an image"
    return None


def _wrapped(text: str, width: int) -> list[str]:
    from rmo_data.about import wrap

    return wrap([text], width) if text else []


def image_figure(fig: go.Figure, title: str, source: str, lines: Sequence[str],
                 width: int = IMAGE_WIDTH) -> go.Figure:
    """A copy of ``fig`` for a file: ``title`` and ``source`` over it, ``lines`` under it, ``width`` wide.

    The figure keeps its own plot and margins; its title (if any) gives way to
    ``title``, and the margins grow by the bands the text needs.  Text from the
    data is escaped, since Plotly reads a few HTML tags in its text.
    """
    out = go.Figure(fig)
    layout = out.layout
    margin = layout.margin
    top, bottom = int(margin.t if margin.t is not None else 80), int(margin.b if margin.b is not None else 80)
    left = int(margin.l if margin.l is not None else 80)
    height = int(layout.height if layout.height is not None else 450)
    had_title = bool(layout.title.text)
    source_lines = _wrapped(source, SOURCE_WRAP)
    # A figure with a title of its own kept room for it; one without gets a band for the file's.
    extra_top = (0 if had_title else TITLE_PX) + SOURCE_LINE_PX * len(source_lines) + 6
    extra_bottom = FOOTER_LINE_PX * len(lines) + 16
    new_top, new_bottom = top + extra_top, bottom + extra_bottom
    out.update_layout(
        width=width, height=height + extra_top + extra_bottom,
        margin={"t": new_top, "b": new_bottom},
        title={"text": f"<b>{html.escape(title, quote=False)}</b>", "x": SIDE_PX / width, "xanchor": "left",
               "xref": "container", "y": 1, "yanchor": "top", "yref": "container", "pad": {"t": 10},
               "font": {"size": 16, "color": INK}})
    if source_lines:
        out.add_annotation(text="<br>".join(html.escape(s, quote=False) for s in source_lines),
                           xref="paper", yref="paper", x=0, y=1, xanchor="left", yanchor="top", align="left",
                           xshift=SIDE_PX - left, yshift=new_top - TITLE_PX, showarrow=False,
                           font={"size": 12, "color": MUTED})
    if lines:
        out.add_annotation(text="<br>".join(html.escape(s, quote=False) for s in lines),
                           xref="paper", yref="paper", x=0, y=0, xanchor="left", yanchor="top", align="left",
                           xshift=SIDE_PX - left, yshift=-(bottom + 6), showarrow=False,
                           font={"size": 10, "color": MUTED, "family": "sans-serif"})
    return out


class ExportTimeout(RuntimeError):
    """The image was not drawn in time, twice (its Chromium was stopped each time)."""


def _draw(fig: go.Figure, fmt: str, scale: float, timeout: float) -> bytes:
    """The figure as ``fmt``, drawn by ``plotly_worker`` in a process group ended after ``timeout`` s."""
    width = int(fig.layout.width or IMAGE_WIDTH)
    height = int(fig.layout.height or 450)
    proc = subprocess.Popen(
        [sys.executable, "-m", "rmo_data.charts.plotly_worker", fmt, str(width), str(height), repr(float(scale))],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, env=workers.child_env())
    try:
        out, err = proc.communicate(fig.to_json().encode("utf-8"), timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the worker and the Chromium kaleido started
        proc.communicate()
        raise
    if proc.returncode != 0:
        last = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
        raise RuntimeError(f"the Plotly image exporter failed: {last[0]}")
    return out


def export(fig: go.Figure, fmt: str, scale: float = 1, timeout: float = EXPORT_TIMEOUT_S) -> bytes:
    """The figure as a PNG or SVG file; one more try when the first did not finish in ``timeout`` s.

    Raises ``ExportTimeout`` when neither did: a download then fails with a
    sentence, where it used to wait for ever.
    """
    for attempt in range(2):
        try:
            return _draw(fig, fmt, scale, timeout)
        except subprocess.TimeoutExpired:
            if attempt:
                raise ExportTimeout(f"the image was not drawn within {formatting.number(timeout, None)} s, twice; "
                                    "its data are in the CSV and XLSX") from None
    raise AssertionError("unreachable")


def png(fig: go.Figure) -> bytes:
    """The figure as a PNG at ``PNG_SCALE`` times its size (sharp enough for a slide)."""
    return export(fig, "png", PNG_SCALE)


def svg(fig: go.Figure) -> bytes:
    """The figure as an SVG at its own size."""
    return export(fig, "svg")
