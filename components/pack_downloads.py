"""Briefing packs on a page: a chooser of the reader's question, then PowerPoint and PDF downloads.

``pack_chooser`` offers the packs that fit a place (all materials, one
material, the current selection, a workshop's frozen record), each with a time
estimate taken from the packs this server has built (``estimate``), and
``pack_buttons`` offers one pack directly.  Building a pack takes seconds, so
a normal rerun never builds one.  A click builds both formats at once under a
status box with a progress bar; the files are then kept in
``st.session_state`` under a signature of everything that went into them
(materials, ranking, weights, plan, title, workshop, store), so reruns offer
the same downloads without rebuilding.  When any input changes the old files
are dropped and the button comes back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

from components import signin, tabs
from components import cached
from components.safe import escape_html
from rmo_data.briefing import chart_images, model, pack
from rmo_data.store import action_plan
from rmo_data.store import queries
from rmo_data.store.engine import database_url, get_engine

STATE_PREFIX = "_briefing_pack_"


def _frame_text(frame: pd.DataFrame | None) -> str:
    """A digest of a frame's columns, index and values (pandas' row hashes: no CSV on every rerun)."""
    if frame is None:
        return "-"
    try:
        rows = pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes()
    except TypeError:  # unhashable cells (lists): fall back to the text of the frame
        rows = frame.to_csv().encode("utf-8")
    return hashlib.sha256("\x1f".join(map(str, frame.columns)).encode("utf-8") + rows).hexdigest()


def signature(materials: Sequence[str], ranking: pd.DataFrame | None = None,
              weights: Mapping[str, float] | None = None, plan: pd.DataFrame | None = None,
              title: str = model.DEFAULT_TITLE, extra: str = "") -> str:
    """A short hash of every input of a pack, the store and its build time included.

    ``extra`` carries the rest (the workshop's decision, the gaps toggle) as text.
    """
    built = cached.read(queries.build_info).get("finished_at", "")
    parts = [database_url(), built, title, "|".join(materials), _frame_text(ranking),
             json.dumps(sorted((weights or {}).items()), default=str), _frame_text(plan), extra]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def _file_stem(materials: Sequence[str]) -> str:
    what = materials[0] if len(materials) == 1 else f"{len(materials)}-materials"
    return f"rmo-briefing-{what}-{dt.date.today().isoformat()}"


# --- time estimate ----------------------------------------------------------------------

# Seconds of both formats measured on the reference machine (two cores, 7 Dec 2026,
# rmo_data.briefing.pack.build_packs on the real store, charts not cached): used only
# until this server has built packs of its own, and said so.
REFERENCE_SECONDS = {1: 1.9, 10: 3.1}
_MEASURED: list[tuple[int, float]] = []  # (materials, seconds) of this server's packs, latest last
_MEASURED_LOCK = threading.Lock()
MEASURED_KEPT = 20


def record(n: int, seconds: float) -> None:
    """Remember how long a pack of ``n`` materials took on this server."""
    with _MEASURED_LOCK:
        _MEASURED.append((n, seconds))
        del _MEASURED[:-MEASURED_KEPT]


def estimate(n: int) -> tuple[float, str]:
    """Seconds a pack of ``n`` materials should take, and what the figure rests on.

    A straight line (fixed part plus a part per material) through this
    server's packs when it has built packs of two sizes; one size scales the
    reference line to it; none gives the reference line itself.
    """
    with _MEASURED_LOCK:
        done = list(_MEASURED)
    (n1, s1), (n2, s2) = sorted(REFERENCE_SECONDS.items())
    per, base = (s2 - s1) / (n2 - n1), s1 - (s2 - s1) / (n2 - n1) * n1
    if not done:
        return max(0.5, base + per * n), "measured on the reference machine; this server has built no pack yet"
    sizes = {m for m, _ in done}
    if len(sizes) >= 2:
        xs = [m for m, _ in done]
        ys = [t for _, t in done]
        mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
        var = sum((x - mean_x) ** 2 for x in xs)
        per = max(0.0, sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / var)
        base = mean_y - per * mean_x
    else:
        factor = sum(t / (base + per * m) for m, t in done) / len(done)
        base, per = base * factor, per * factor
    return max(0.5, base + per * n), f"from the last {len(done)} pack(s) built on this server"


def _estimate_text(n: int) -> str:
    seconds, basis = estimate(n)
    return f"About {seconds:.0f} s for {n} material{'s' if n != 1 else ''} ({basis})."


# --- choosing a pack ----------------------------------------------------------------------


@dataclass
class PackChoice:
    """One pack a place offers: its label, its materials and (computed only when chosen) its inputs.

    ``inputs`` returns keyword arguments of ``pack.build_packs`` (ranking,
    weights, plan, title, workshop, leave_gaps_out); ``pick_one`` lets the
    reader choose the one material among ``materials``.
    """

    key: str
    label: str
    materials: list[str]
    inputs: Callable[[], dict[str, Any]] = field(default=lambda: {})
    pick_one: bool = False


def pack_chooser(choices: Sequence[PackChoice], key: str, labels: Mapping[str, str] | None = None) -> None:
    """A compact "Briefing pack" box: which pack, how long it takes, then prepare and download.

    Placed near the top of a page; the box opens by itself once a pack is ready.
    A role without briefing packs sees a note that partners get them.
    """
    if not signin.can("briefing_pack"):
        signin.partner_note("briefing packs (PowerPoint and PDF) and downloads of the data behind each figure")
        return
    choices = [c for c in choices if c.materials]
    if not choices:
        return
    held = st.session_state.get(STATE_PREFIX + key)

    def body() -> None:
        by_key = {c.key: c for c in choices}
        picked = st.radio("What should the pack answer?", list(by_key), key=f"{key}_kind", horizontal=True,
                          format_func=lambda k: by_key[k].label)
        choice = by_key[picked or choices[0].key]
        materials = list(choice.materials)
        if choice.pick_one:
            names = labels or {}
            one = st.selectbox("Material", materials, key=f"{key}_one", format_func=lambda m: names.get(m, m))
            materials = [one or materials[0]]
        kw = choice.inputs()
        _offer(materials, key, kind=choice.key if choice.key in ("all", "one", "selection", "workshop") else None,
               **kw)

    # Built only while open (components.tabs): the closed box is one line, and its choices, estimate
    # and buttons no longer cost every run of the page.  A pack still held when the page is opened
    # again opens the box with it; the user may close it.  (``expanded`` itself stays fixed: it is
    # part of the expander's identity, so changing it would make a new box and drop its state.)
    box = f"{key}_box"
    if held is not None and box not in st.session_state:
        st.session_state[box] = True
    tabs.lazy_expander("Briefing pack (PowerPoint and PDF)", body, key=box, icon=":material/slideshow:")


def pack_buttons(materials: list[str], key: str, ranking: pd.DataFrame | None = None,
                 weights: Mapping[str, float] | None = None, plan: pd.DataFrame | None = None,
                 title: str = model.DEFAULT_TITLE) -> None:
    """Offer a briefing pack on ``materials``: a prepare button, then PowerPoint and PDF downloads.

    Parameters
    ----------
    materials
        Material slugs, one page (two slides) each.
    key
        Unique per place on a page; keys the widgets and the kept files.
    ranking, weights
        Passed to ``rmo_data.briefing.content.collect`` unchanged; without them the
        pack says that no prioritisation was run.
    plan
        The action plan to print; the plan stored in the database when
        omitted, so every pack carries the team's current plan.
    title
        Title of the pack.

    A role without briefing packs (the public) sees a note that partners get them.
    """
    if not signin.can("briefing_pack"):
        signin.partner_note("briefing packs (PowerPoint and PDF) and downloads of the data behind each "
                          "figure")
        return
    _offer(materials, key, ranking=ranking, weights=weights, plan=plan, title=title)


def _offer(materials: list[str], key: str, ranking: pd.DataFrame | None = None,
           weights: Mapping[str, float] | None = None, plan: pd.DataFrame | None = None,
           title: str = model.DEFAULT_TITLE, workshop: model.WorkshopDecision | None = None,
           leave_gaps_out: bool = False, kind: str | None = None) -> None:
    """The prepare button, its estimate and progress, then the two downloads (files kept per signature)."""
    if not materials:
        st.info("Choose at least one material to prepare a briefing pack.", icon=":material/info:")
        return
    if plan is None:
        plan = action_plan.list_plan_items(engine=get_engine())
    state_key = STATE_PREFIX + key
    extra = json.dumps([kind, leave_gaps_out, None if workshop is None else list(workshop.__dict__.values())],
                       default=str)
    sig = signature(materials, ranking, weights, plan, title, extra)
    held = st.session_state.get(state_key)
    if held is not None and held.get("sig") != sig:
        del st.session_state[state_key]  # built for other inputs: free the memory
        held = None
    n = len(materials)
    basis = ("the workshop's frozen ranking and its decision" if workshop is not None
             else "the ranking and its weights" if ranking is not None else "the overview comparison")
    st.caption(f"A PowerPoint deck and a PDF on {n} material{'s' if n != 1 else ''}: an executive summary first "
               f"(top materials, how robust, data gaps, who acts), {basis}, the salience view, each material's "
               "concentration, risks and leverage, the action plan and the sources. " + _estimate_text(n))
    if held is None:
        chart_images.warm_up()  # the chart workers start while the reader decides (once per server)
    slot = st.empty()  # the button goes once the pack is built, in this very run
    if held is None and slot.button("Prepare briefing pack", key=f"{key}_prepare", type="primary",
                                    icon=":material/slideshow:"):
        slot.empty()
        held = _build(materials, sig, ranking, weights, plan, title,
                      {"workshop": workshop, "leave_gaps_out": leave_gaps_out, "kind": kind})
        if held is not None:
            st.session_state[state_key] = held
    if held is None:
        return
    stem = _file_stem(materials)
    row = st.container(horizontal=True, gap="small")
    # on_click="ignore": downloading needs no rerun of the page.
    row.download_button("Download PowerPoint", held["files"]["pptx"], file_name=f"{stem}.pptx",
                        mime=pack.MIME["pptx"], key=f"{key}_pptx", on_click="ignore",
                        icon=":material/slideshow:")
    row.download_button("Download PDF", held["files"]["pdf"], file_name=f"{stem}.pdf",
                        mime=pack.MIME["pdf"], key=f"{key}_pdf", on_click="ignore",
                        icon=":material/picture_as_pdf:")
    st.caption(f"Prepared in {held['seconds']:.1f} s. Change the materials in view (or the inputs) "
               "to prepare a new pack.")


def _build(materials: list[str], sig: str, ranking: pd.DataFrame | None,
           weights: Mapping[str, float] | None, plan: pd.DataFrame | None,
           title: str, more: Mapping[str, Any] | None = None) -> dict[str, object] | None:
    """Build both formats under a status box; None (with the error shown) when it fails."""
    with st.status("Preparing the briefing pack…", expanded=True) as status:
        bar = st.progress(0.0, text="Starting")

        def progress(step: str, fraction: float) -> None:
            bar.progress(min(1.0, max(0.0, fraction)), text=step)

        started = time.perf_counter()
        try:
            # The pages keep the store's salience cells and criteria: the pack reuses them.
            files = pack.build_packs(materials, get_engine(), progress=progress, ranking=ranking,
                                     weights=weights, plan=plan, title=title, cells=cached.salience(),
                                     criteria=cached.criteria(),
                                     **{k: v for k, v in (more or {}).items() if v is not None})
        except Exception as err:  # noqa: BLE001 - a plain message; the page keeps working
            status.update(label="The briefing pack could not be prepared", state="error")
            st.error(f"The briefing pack could not be prepared ({escape_html(str(err))}). The page and its data "
                     "are unchanged; try again, or with fewer materials.", icon=":material/error:")
            return None
        seconds = time.perf_counter() - started
        record(len(materials), seconds)
        status.update(label=f"Briefing pack ready ({seconds:.1f} s)", state="complete", expanded=False)
    return {"sig": sig, "files": files, "seconds": seconds}
