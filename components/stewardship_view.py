"""Reusable UI for editors' uploads: problems, the preview of a change, change sets and the audit log.

Everything that comes from an uploaded file or the store is drawn as table
cells or plain text (``st.dataframe``, ``st.text``), never as Markdown or HTML,
so a cell holding ``<script>`` or ``**bold**`` shows exactly those characters.
The logic lives in ``rmo_data.stewardship`` (``change_preview``); this module only draws, and
keeps the last validation of a session (``validated``) so that the reruns a
page makes while an upload sits in the uploader do not read the file again.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pandas as pd
import streamlit as st

from components import tables

from rmo_data import formatting
from rmo_data.stewardship import change_preview
from rmo_data.store import change_log

VALIDATED = "_dm_validated"  # session key: (what was checked, its Preview); one entry per session
KIND_LABELS = {"upload": "Upload", "rollback": "Rollback"}
STATUS_LABELS = {"active": "Active", "partly_rolled_back": "Partly rolled back", "rolled_back": "Rolled back"}
MODE_LABELS = {
    "upsert": "Add or update (rows marked 'delete' in the action column are removed)",
    "replace": "Replace all rows of the materials in the file (stored rows it leaves out are removed)",
}


def _digest(data: bytes | None) -> str:
    return hashlib.sha256(data).hexdigest() if data is not None else "-"


def validated(table: str, upload: Any, mode: str, sources_upload: Any = None, engine: Any = None) -> change_preview.Preview:
    """``change_preview.validate_upload`` of an uploaded file, checked once per file and store state.

    Every widget click reruns the page while the file stays in the uploader; the preview of
    the same bytes (same table, mode and sources file) is reused until the store changes
    (an apply, a rollback or a rebuild: ``change_log.store_state``).
    """
    data = upload.getvalue()
    sources = (sources_upload.name, sources_upload.getvalue()) if sources_upload is not None else None
    state = change_log.store_state(engine)
    key = (table, mode, upload.name, _digest(data), sources[0] if sources else None,
           _digest(sources[1] if sources else None), state)
    held = st.session_state.get(VALIDATED)
    if state is not None and held is not None and held[0] == key:
        return held[1]
    preview = change_preview.validate_upload(table, data, upload.name, mode=mode, sources=sources, engine=engine)
    st.session_state[VALIDATED] = (key, preview)
    return preview


def show_problems(preview: change_preview.Preview) -> None:
    """The reasons an upload cannot be applied, one table row per problem."""
    n = len(preview.problems)
    st.error(f"The upload cannot be applied: {n} problem{'s' if n != 1 else ''} found. Nothing was written. "
             "Fix the file and upload it again.", icon=":material/error:")
    tables.dataframe(change_preview.problems_frame(preview.problems), hide_index=True, width="stretch",
                 column_config={"row": st.column_config.NumberColumn("Row", format=formatting.TABLE_YEAR),
                                "file": "File", "column": "Column",
                                "problem": st.column_config.TextColumn("Problem", width="large")})


def show_preview(preview: change_preview.Preview) -> None:
    """Counts and tables of the rows the upload adds, changes and removes."""
    counts = preview.counts
    cols = st.columns(5)
    for col, (label, value) in zip(cols, counts.items(), strict=True):
        col.metric(label.capitalize(), value)
    frames = change_preview.preview_frames(preview)
    sections = [("added", "Rows added"), ("changed", "Changed columns (before → after)"),
                ("removed", "Rows removed"), ("sources", "Sources added")]
    for name, title in sections:
        frame = frames[name]
        if frame.empty:
            continue
        st.subheader(f"{title} ({len(frame) if name != 'changed' else counts['changed']})")
        tables.dataframe(frame, placeholder="—", hide_index=True, width="stretch", key=f"dm_preview_{name}")


def change_sets_table(sets: pd.DataFrame) -> None:
    """Change sets with readable kind and status."""
    shown = sets.assign(
        kind=sets["kind"].map(lambda k: KIND_LABELS.get(k, k)),
        status=[("Applied" if k == "rollback" else STATUS_LABELS.get(s, s))
                for k, s in zip(sets["kind"], sets["status"], strict=True)],
        reverts_id=pd.array(sets["reverts_id"].tolist(), dtype="Int64") if len(sets) else sets["reverts_id"],
        counts=sets["counts"].map(_counts_text),
    )
    tables.dataframe(shown, placeholder="—", hide_index=True, width="stretch", key="dm_sets",
                 column_config={"id": st.column_config.NumberColumn("Change set", format=formatting.TABLE_YEAR),
                                "created_at": "When", "actor": "Who", "kind": "Kind",
                                "table_name": "Table", "file_name": "File", "mode": "Mode",
                                "status": "Status",
                                "reverts_id": st.column_config.NumberColumn("Rolls back", format=formatting.TABLE_YEAR),
                                "counts": "Rows", "note": st.column_config.TextColumn("Rebuild note",
                                                                                      width="medium")})


def _counts_text(value: str) -> str:
    try:
        counts = json.loads(value) if value else {}
    except ValueError:
        return str(value)
    return ", ".join(f"{v} {k}" for k, v in counts.items() if v)


def audit_table(log: pd.DataFrame) -> None:
    """Audit rows in the order given (newest first from ``change_log.audit_log``), JSON as text."""
    columns = [c for c in ("id", "at", "actor", "action", "table_name", "row_key", "change_set_id",
                           "before_json", "after_json") if c in log.columns]
    shown = log[columns]
    if "change_set_id" in shown:
        shown = shown.assign(change_set_id=pd.array(shown["change_set_id"].tolist(), dtype="Int64"))
    tables.dataframe(shown, placeholder="—", hide_index=True, width="stretch", key="dm_audit",
                 column_config={"id": st.column_config.NumberColumn("Audit row", format=formatting.TABLE_YEAR),
                                "at": "When", "actor": "Who", "action": "What", "table_name": "Table",
                                "row_key": "Row", "change_set_id": st.column_config.NumberColumn(
                                    "Change set", format=formatting.TABLE_YEAR),
                                "before_json": st.column_config.TextColumn("Before", width="medium"),
                                "after_json": st.column_config.TextColumn("After", width="medium")})


def refusal(message: str) -> None:
    """A refused write: a fixed sentence, then the reason as plain text (it may quote data)."""
    st.error("Nothing was written.", icon=":material/block:")
    st.text(message)
