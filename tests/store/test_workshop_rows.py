"""The workshops' rows in the store: the write transaction (a busy store is retried with a growing pause,
a refusal is not), stored times in UTC, rows written, read and decoded."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, insert
from sqlalchemy.exc import OperationalError

from rmo_data.store import schema, writes
from rmo_data.store import workshops as workshop_store


def test_a_busy_store_is_retried_then_reported(empty_engine: Engine) -> None:
    """"database is locked" is retried with a growing pause; a refusal is not retried."""
    calls: list[int] = []
    pauses: list[float] = []

    def flaky(conn: object) -> str:
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("BEGIN", {}, Exception("database is locked"))
        return "done"

    assert workshop_store.write_with_retries(empty_engine, flaky, sleep=pauses.append) == "done"
    assert len(calls) == 3 and len(pauses) == 2 and pauses[1] > 0

    def always_locked(conn: object) -> None:
        raise OperationalError("BEGIN", {}, Exception("database is locked"))

    with pytest.raises(ValueError, match="stayed busy"):
        workshop_store.write_with_retries(empty_engine, always_locked, sleep=pauses.append)
    assert all(p <= workshop_store.BACKOFF_CAP for p in pauses)

    refused: list[int] = []

    def refuse(conn: object) -> None:
        refused.append(1)
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        workshop_store.write_with_retries(empty_engine, refuse, sleep=pauses.append)
    assert refused == [1]

    def broken(conn: object) -> None:
        raise OperationalError("SELECT", {}, Exception("no such table: nothing"))

    with pytest.raises(OperationalError):
        workshop_store.write_with_retries(empty_engine, broken, sleep=pauses.append)




def test_stored_times_come_back_in_utc() -> None:
    naive = dt.datetime(2026, 5, 5, 9, 0)
    assert workshop_store.utc(naive) == naive.replace(tzinfo=dt.UTC)
    assert workshop_store.utc("2026-05-05T11:00:00+02:00") == naive.replace(tzinfo=dt.UTC)
    assert workshop_store.utc(None) is None and workshop_store.utc(float("nan")) is None
    assert workshop_store.iso_utc(naive) == "2026-05-05T09:00:00+00:00"
    assert workshop_store.iso_utc(None) is None


def test_rows_are_written_read_and_decoded(empty_engine: Engine) -> None:
    with empty_engine.begin() as conn:
        conn.execute(insert(schema.source).values(id="rep", title="Test report", publisher="Test", kind="report"))
        conn.execute(insert(schema.material).values(slug="zinc", name="Zinc", short_name="Zinc", sort_order=0,
                                                    source_id="rep"))
    assert workshop_store.material_slugs(empty_engine) == {"zinc"}

    def work(conn: object) -> int:
        assert not workshop_store.code_in_use(conn, "ABCDEF")
        new_id = workshop_store.insert_workshop(conn, {
            "code": "ABCDEF", "name": "W", "materials_json": '["zinc"]', "criteria_json": '["severity"]',
            "status": "open", "created_at": writes.now(), "created_by": None})
        workshop_store.insert_submission(conn, {
            "workshop_id": new_id, "participant": "Ana", "token_hash": "h" * 64,
            "weights_json": '{"severity": 4}', "flagged_json": '["zinc"]', "submitted_at": writes.now()})
        return new_id

    new_id = workshop_store.write_with_retries(empty_engine, work)
    with empty_engine.connect() as conn:
        assert workshop_store.code_in_use(conn, "ABCDEF")
        row = workshop_store.workshop_row(conn, "ABCDEF")
        assert row is not None and workshop_store.workshop_row(conn, "ZZZZZZ") is None
        ws = workshop_store.decode_workshop(row)
        assert (ws["id"], ws["materials"], ws["criteria"], ws["record"]) == (new_id, ["zinc"], ["severity"], None)
        assert ws["created_at"].tzinfo is not None
        assert workshop_store.participant_names(conn, new_id) == ["Ana"]
        subs = workshop_store.submissions(conn, new_id)
        assert subs.columns.tolist() == workshop_store.SUBMISSION_COLUMNS
        assert subs.iloc[0]["weights"] == {"severity": 4} and subs.iloc[0]["flagged"] == ["zinc"]
        own = workshop_store.submission_by_token_hash(conn, new_id, "h" * 64)
        assert own is not None and workshop_store.submission_by_token_hash(conn, new_id, "x") is None
    listed = workshop_store.list_workshops(empty_engine, "open")
    assert listed[["code", "n_materials", "submissions"]].values.tolist() == [["ABCDEF", 1, 1]]
    assert workshop_store.list_workshops(empty_engine, "closed").empty
