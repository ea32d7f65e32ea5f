"""Briefing packs: the PowerPoint and PDF files of a pack, built once per click.

A pack is made in three steps, each in its own module so it can be tested alone:
``content.collect`` reads the store into a ``model.BriefingData`` and starts
drawing the app's own charts as PNGs in the background (``chart_images``: each
once, shared by both formats, kept per spec for the process); ``pptx`` and
``pdf`` lay the same content out as slides and pages, with concluding titles
(``headlines``) and a footer naming sources and years on every slide and page.  Nothing is built until a caller
asks: the UI calls ``build_packs`` only after a click.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine

from rmo_data.briefing import pdf, pptx
from rmo_data.briefing.chart_images import ChartImages
from rmo_data.briefing.content import collect
from rmo_data.briefing.model import BriefingData, Progress, no_progress

# --- output ---------------------------------------------------------------------------


def _scaled(progress: Progress, start: float, end: float) -> Progress:
    """A progress callback that maps 0-1 onto ``start``-``end`` of the caller's bar."""
    return lambda step, fraction: progress(step, start + (end - start) * max(0.0, min(1.0, fraction)))


def to_pptx(data: BriefingData, progress: Progress | None = None) -> bytes:
    """The pack as a PowerPoint file (see ``rmo_data.briefing.pptx``)."""
    start_charts(data)
    return pptx.render(data, progress or no_progress)


def to_pdf(data: BriefingData, progress: Progress | None = None) -> bytes:
    """The pack as a PDF file (see ``rmo_data.briefing.pdf``)."""
    start_charts(data)
    return pdf.render(data, progress or no_progress)


def start_charts(data: BriefingData) -> ChartImages:
    """Start rendering any chart of ``data`` not yet submitted (a ``BriefingData`` made by hand has none)."""
    if data.images is None:
        data.images = ChartImages()
    images = data.images
    for key, spec in data.chart_specs().items():
        images.submit(key, spec)
    return images


FORMATS = {"pptx": to_pptx, "pdf": to_pdf}
MIME = {"pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "pdf": "application/pdf"}


def build_packs(materials: Sequence[str], engine: Engine, formats: Sequence[str] = ("pptx", "pdf"),
                progress: Progress | None = None, **kw: Any) -> dict[str, bytes]:
    """Collect once, render the charts once, and write every format asked for.

    Keyword arguments go to ``collect`` (ranking, weights, plan, title).
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown format(s): {', '.join(unknown)}")
    report = progress or no_progress
    # The charts render in the background from the moment collect knows them; each
    # layout waits only for the image it is about to place.
    data = collect(materials, engine, progress=_scaled(report, 0.0, 0.3), **kw)
    out: dict[str, bytes] = {}
    share = 0.7 / max(1, len(formats))
    for i, fmt in enumerate(formats):
        label = "PowerPoint" if fmt == "pptx" else "PDF"
        step = _scaled(report, 0.3 + i * share, 0.3 + (i + 1) * share)
        out[fmt] = FORMATS[fmt](data, lambda s, f, label=label, step=step: step(f"{label}: {s}", f))
    report("Briefing pack ready", 1.0)
    return out


def build_pack(materials: Sequence[str], engine: Engine, fmt: str = "pptx", **kw: Any) -> bytes:
    """One briefing pack file (``fmt`` "pptx" or "pdf"); see ``build_packs``."""
    return build_packs(materials, engine, (fmt,), **kw)[fmt]
