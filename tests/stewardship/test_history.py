"""The page's view of change sets and the audit log: filters and what can still be rolled back."""

from __future__ import annotations

import pandas as pd

from rmo_data.stewardship import history
from rmo_data.store.change_log import CHANGE_SET_COLUMNS

SETS = pd.DataFrame([
    {"id": 3, "kind": "rollback", "table_name": "leverage", "actor": "Bo", "file_name": "lev.csv",
     "status": "active"},
    {"id": 2, "kind": "upload", "table_name": "leverage", "actor": "Ana", "file_name": "lev.csv",
     "status": "rolled_back"},
    {"id": 1, "kind": "upload", "table_name": "risk_evidence", "actor": "Ana", "file_name": "ev.csv",
     "status": "partly_rolled_back"},
]).reindex(columns=CHANGE_SET_COLUMNS)
LOG = pd.DataFrame([
    {"id": 12, "action": "rollback", "row_key": "EV-1"},
    {"id": 11, "action": "upload change", "row_key": "EV-2"},
    {"id": 10, "action": "upload add", "row_key": "EV-1"},
])


def test_filters_keep_all_when_empty_and_statuses_keep_uploads_only() -> None:
    assert history.filter_change_sets(SETS)["id"].tolist() == [3, 2, 1]
    assert history.filter_change_sets(SETS, tables=["leverage"])["id"].tolist() == [3, 2]
    assert history.filter_change_sets(SETS, actors=["Ana"], tables=["leverage"])["id"].tolist() == [2]
    assert history.filter_change_sets(SETS, statuses=["active", "partly_rolled_back"])["id"].tolist() == [1]


def test_rollback_choices_are_the_uploads_not_wholly_rolled_back() -> None:
    assert history.rollback_choices(SETS) == {1: "1 · risk_evidence · ev.csv"}
    assert history.rollback_choices(SETS.iloc[0:0]) == {}


def test_single_rows_of_an_upload_set_not_rolled_back_yet() -> None:
    assert history.is_upload_set(SETS, 1) and history.is_upload_set(SETS, 2)
    assert not history.is_upload_set(SETS, 3) and not history.is_upload_set(SETS, 0)
    assert not history.is_upload_set(SETS, 9) and not history.is_upload_set(SETS.iloc[0:0], 1)
    assert history.audit_row_choices(LOG, [10]) == {11: "11 · upload change · EV-2"}
    assert history.audit_row_choices(LOG, []) == {11: "11 · upload change · EV-2", 10: "10 · upload add · EV-1"}
