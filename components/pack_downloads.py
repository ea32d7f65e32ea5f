"""The "Prepare briefing pack" button: builds a PowerPoint and a PDF only when clicked.

Building a pack takes seconds, so a normal rerun never builds one.  A click
builds both formats at once under a status box with a progress bar; the files
are then kept in ``st.session_state`` under a signature of everything that
went into them (materials, ranking, weights, plan, title, store), so reruns
offer the same downloads without rebuilding.  When any input changes the old
files are dropped and the button comes back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Mapping, Sequence

import pandas as pd
import streamlit as st

from components import signin
from components import cached
from components.safe import escape_html
from rmo_data.briefing import model, pack
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
              title: str = model.DEFAULT_TITLE) -> str:
    """A short hash of every input of a pack, the store and its build time included."""
    built = cached.read(queries.build_info).get("finished_at", "")
    parts = [database_url(), built, title, "|".join(materials), _frame_text(ranking),
             json.dumps(sorted((weights or {}).items()), default=str), _frame_text(plan)]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def _file_stem(materials: Sequence[str]) -> str:
    what = materials[0] if len(materials) == 1 else f"{len(materials)}-materials"
    return f"rmo-briefing-{what}-{dt.date.today().isoformat()}"


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
    if not materials:
        st.info("Choose at least one material to prepare a briefing pack.", icon=":material/info:")
        return
    if plan is None:
        plan = action_plan.list_plan_items(engine=get_engine())
    state_key = STATE_PREFIX + key
    sig = signature(materials, ranking, weights, plan, title)
    held = st.session_state.get(state_key)
    if held is not None and held.get("sig") != sig:
        del st.session_state[state_key]  # built for other inputs: free the memory
        held = None
    n = len(materials)
    st.caption(f"A PowerPoint deck and a PDF on {n} material{'s' if n != 1 else ''}: the "
               f"{'ranking and its weights' if ranking is not None else 'overview comparison'}, one "
               "page per material (end use, concentration, risks with evidence, leverages, "
               "organisations to engage), the action plan and the sources. Prepared only on request; "
               "it takes a few seconds.")
    slot = st.empty()  # the button goes once the pack is built, in this very run
    if held is None and slot.button("Prepare briefing pack", key=f"{key}_prepare", type="primary",
                                    icon=":material/slideshow:"):
        slot.empty()
        held = _build(materials, sig, ranking, weights, plan, title)
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
           title: str) -> dict[str, object] | None:
    """Build both formats under a status box; None (with the error shown) when it fails."""
    with st.status("Preparing the briefing pack…", expanded=True) as status:
        bar = st.progress(0.0, text="Starting")

        def progress(step: str, fraction: float) -> None:
            bar.progress(min(1.0, max(0.0, fraction)), text=step)

        started = time.perf_counter()
        try:
            files = pack.build_packs(materials, get_engine(), progress=progress, ranking=ranking,
                                         weights=weights, plan=plan, title=title)
        except Exception as err:  # noqa: BLE001 - a plain message; the page keeps working
            status.update(label="The briefing pack could not be prepared", state="error")
            st.error(f"Nothing was downloaded: {type(err).__name__}: {escape_html(str(err))}. The page and its data "
                     "are unchanged; try again, or with fewer materials.", icon=":material/error:")
            return None
        seconds = time.perf_counter() - started
        status.update(label=f"Briefing pack ready ({seconds:.1f} s)", state="complete", expanded=False)
    return {"sig": sig, "files": files, "seconds": seconds}
