"""The change-set list and the audit log as the Data management page offers them: filters and rollback choices.

Pure functions over the frames of ``rmo_data.store.change_log``
(``list_change_sets``, ``audit_log``), so the page only reads its widgets and
draws.  A choice maps an id to the label its select box shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd


def filter_change_sets(sets: pd.DataFrame, tables: Sequence[str] = (), actors: Sequence[str] = (),
                       statuses: Sequence[str] = ()) -> pd.DataFrame:
    """The change sets of the chosen tables, actors and statuses (an empty choice keeps all).

    A status filter keeps uploads only: a rollback's own status is always "active".
    """
    shown = sets
    if tables:
        shown = shown[shown["table_name"].isin(tables)]
    if actors:
        shown = shown[shown["actor"].isin(actors)]
    if statuses:
        shown = shown[shown["status"].isin(statuses) & (shown["kind"] == "upload")]
    return shown


def rollback_choices(sets: pd.DataFrame) -> dict[int, str]:
    """Upload change sets with rows still to roll back: id → "id · table · file"."""
    active = sets[(sets["kind"] == "upload") & (sets["status"] != "rolled_back")]
    return {int(i): f"{i} · {t} · {f}" for i, t, f in zip(active["id"], active["table_name"],
                                                         active["file_name"], strict=True)}


def is_upload_set(sets: pd.DataFrame, change_set_id: int) -> bool:
    """Whether ``change_set_id`` (0: none chosen) is an upload change set of ``sets``."""
    if not change_set_id or sets.empty:
        return False
    chosen = sets[sets["id"] == change_set_id]
    return not chosen.empty and chosen["kind"].iloc[0] == "upload"


def audit_row_choices(log: pd.DataFrame, reverted: Iterable[int]) -> dict[int, str]:
    """Upload rows of the audit log not rolled back yet: id → "id · action · row"."""
    rows = log[log["action"].str.startswith("upload") & ~log["id"].isin(set(reverted))]
    return {int(i): f"{i} · {a} · {k}" for i, a, k in zip(rows["id"], rows["action"], rows["row_key"], strict=True)}
