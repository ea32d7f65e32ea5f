"""Many writers at once on one store: 20 processes submitting at the same moment, one name raced by
eight devices, a close during submissions.

The 20-writer test runs against one SQLite file in WAL mode with the app's own
engine settings; the two smaller crowds also run against PostgreSQL.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import queue
import sys
import time
import types
from typing import Any

import pytest
from sqlalchemy import Engine, select

from rmo_data.store import schema
from rmo_data.store import writes
from rmo_data.workshops import lifecycle
from rmo_data.workshops import participants
from rmo_data.store.engine import make_engine
from tests.workshops.sample import CRITS, HAND, MATS, seed_store


WRITERS = 20
REVISERS = 6  # the first six writers submit twice
# Spawned children import pandas and SQLAlchemy before they reach the start line; on a busy
# 2-core CI machine twenty of them can take minutes to start. The start line still releases
# them together, so a generous start-up allowance does not weaken the test.
STARTUP_S = 600


def _weights(index: int, version: int) -> dict[str, int]:
    """Distinct weights per writer and version, so the kept row can be checked."""
    return {"severity": (index + version) % 10 + 1, "auto_share": (index * 3 + version * 5) % 11}


def _writer(url: str, code: str, index: int, start: object, results: object) -> None:
    """One participant in its own process: wait for the start, submit (and maybe revise)."""
    engine = make_engine(url)
    try:
        start.wait(timeout=STARTUP_S)  # type: ignore[attr-defined]
        token = None
        for version in (0, 1) if index < REVISERS else (0,):
            # The first submission hands back the token; the revision is made with it.
            token = lifecycle.submit_weights(code, f"Participant {index:02d}", _weights(index, version),
                                             [MATS[index % 3]], engine=engine, token=token)["token"]
        results.put((index, "ok", ""))  # type: ignore[attr-defined]
    except BaseException as err:  # noqa: BLE001 - reported to the parent, which fails the test
        results.put((index, "error", repr(err)))  # type: ignore[attr-defined]
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.sqlite_only(reason="twenty writers on one SQLite file in WAL mode; PostgreSQL's row lock "
                                 "is raced by the two crowd tests below")
def test_twenty_simultaneous_writers_lose_nothing(empty_url: str) -> None:
    url, engine = _fresh_store(empty_url)
    _, code = lifecycle.create_workshop("Crowd", MATS, CRITS, engine=engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    outcomes = _crowd(url, [(_writer, (code, i)) for i in range(WRITERS)])
    assert [o for o in outcomes if o[1] != "ok"] == []
    assert sorted(o[0] for o in outcomes) == list(range(WRITERS))

    subs = lifecycle.list_submissions(code, engine=engine).set_index("participant")
    assert len(subs) == WRITERS
    for i in range(WRITERS):
        latest = 1 if i < REVISERS else 0
        assert subs.at[f"Participant {i:02d}", "weights"] == _weights(i, latest), i
    with engine.connect() as conn:
        rows = conn.execute(select(schema.participant_weights.c.id)).all()
    assert len(rows) == WRITERS
    audit = writes.audit_rows("participant_weights", engine=engine)
    assert (audit["action"] == "create").sum() == WRITERS
    assert (audit["action"] == "update").sum() == REVISERS
    engine.dispose()


def _same_name_writer(url: str, code: str, index: int, start: object, results: object) -> None:
    """One of several devices submitting at once as a new participant under one name (case varies)."""
    engine = make_engine(url)
    try:
        start.wait(timeout=STARTUP_S)  # type: ignore[attr-defined]
        name = "Same Person" if index % 2 else "same PERSON"
        out = lifecycle.submit_weights(code, name, _weights(index, 0), engine=engine)
        results.put((index, "ok", json.dumps(out["weights"])))  # type: ignore[attr-defined]
    except ValueError as err:
        results.put((index, "refused", str(err)))  # type: ignore[attr-defined]
    except BaseException as err:  # noqa: BLE001 - reported to the parent, which fails the test
        results.put((index, "error", repr(err)))  # type: ignore[attr-defined]
    finally:
        engine.dispose()


def _closer(url: str, code: str, start: object, results: object) -> None:
    """The facilitator closing the workshop while participants are still submitting."""
    engine = make_engine(url)
    try:
        start.wait(timeout=STARTUP_S)  # type: ignore[attr-defined]
        lifecycle.close_workshop(code, engine=engine, criteria=HAND)
        results.put((-1, "ok", ""))  # type: ignore[attr-defined]
    except BaseException as err:  # noqa: BLE001
        results.put((-1, "error", repr(err)))  # type: ignore[attr-defined]
    finally:
        engine.dispose()


def _late_writer(url: str, code: str, index: int, start: object, results: object) -> None:
    """A participant who may submit just before or just after the close."""
    engine = make_engine(url)
    try:
        start.wait(timeout=STARTUP_S)  # type: ignore[attr-defined]
        lifecycle.submit_weights(code, f"Late {index:02d}", _weights(index, 0), engine=engine)
        results.put((index, "ok", ""))  # type: ignore[attr-defined]
    except ValueError as err:
        results.put((index, "refused", str(err)))  # type: ignore[attr-defined]
    except BaseException as err:  # noqa: BLE001
        results.put((index, "error", repr(err)))  # type: ignore[attr-defined]
    finally:
        engine.dispose()


class _StartLine:
    """Holds spawned processes until all are ready, then releases them within a millisecond or two.

    Every child reports ready and polls a flag; the parent raises the flag once all
    have reported.  Unlike ``multiprocessing.Barrier``, the parent sees a child that
    died before the start (its exit code) and fails at once instead of leaving the
    others waiting for the full start-up allowance.
    """

    def __init__(self, ctx: Any) -> None:
        self.ready = ctx.Queue()
        self.go = ctx.Event()

    def wait(self, timeout: float) -> None:
        self.ready.put(1)
        deadline = time.monotonic() + timeout
        while not self.go.is_set():
            if time.monotonic() > deadline:
                raise TimeoutError("the other processes never got ready")
            time.sleep(0.001)

    def release_when_ready(self, procs: list[Any], timeout: float) -> None:
        deadline, ready = time.monotonic() + timeout, 0
        while ready < len(procs):
            try:
                self.ready.get(timeout=1)
                ready += 1
            except queue.Empty:
                dead = [p.exitcode for p in procs if p.exitcode is not None]
                assert not dead, f"{len(dead)} process(es) died before the start, exit codes {dead}"
                assert time.monotonic() < deadline, f"only {ready} of {len(procs)} processes got ready"
        self.go.set()


def _crowd(url: str, jobs: list[tuple]) -> list[tuple]:
    """Start one spawned process per job, release them together, return what each reported."""
    ctx = mp.get_context("spawn")
    start, results = _StartLine(ctx), ctx.Queue()
    procs = [ctx.Process(target=t, args=(url, *args, start, results)) for t, args in jobs]
    # Streamlit's script runner (the AppTest page tests earlier in the session) leaves app.py
    # installed as __main__, and a spawned child runs its parent's __main__ again: twenty
    # children would each run the app and build its default store. Start them with a bare one.
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        for proc in procs:
            proc.start()
    finally:
        sys.modules["__main__"] = main
    start.release_when_ready(procs, timeout=STARTUP_S)
    outcomes = [results.get(timeout=STARTUP_S + 120) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
    assert [p.exitcode for p in procs] == [0] * len(procs)
    return outcomes


def _fresh_store(url: str) -> tuple[str, Engine]:
    """The run's fresh store (a SQLite file or a PostgreSQL database) with the workshops' materials."""
    return url, seed_store(make_engine(url))


@pytest.mark.slow
def test_simultaneous_first_submissions_under_one_name_make_one_row(empty_url: str) -> None:
    """Several devices submit the same new name at once: one gets it, the others are told it is taken."""
    url, engine = _fresh_store(empty_url)
    _, code = lifecycle.create_workshop("One name", MATS, CRITS, engine=engine)
    outcomes = _crowd(url, [(_same_name_writer, (code, i)) for i in range(8)])
    assert [o for o in outcomes if o[1] == "error"] == []
    winners = [o for o in outcomes if o[1] == "ok"]
    refused = [o for o in outcomes if o[1] == "refused"]
    assert len(winners) == 1 and len(refused) == 7
    assert all(o[2] == participants.NAME_TAKEN for o in refused)
    subs = lifecycle.list_submissions(code, engine=engine)
    assert len(subs) == 1 and participants.name_key(subs.iloc[0]["participant"]) == "same person"
    audit = writes.audit_rows("participant_weights", engine=engine)
    assert audit["action"].tolist() == ["create"]
    # The row holds the winner's weights, untouched by the others.
    assert subs.iloc[0]["weights"] == json.loads(winners[0][2])
    engine.dispose()


@pytest.mark.slow
def test_a_close_during_submissions_loses_nothing(empty_url: str) -> None:
    """Each submission lands in the frozen record or is refused as late: none is half in."""
    url, engine = _fresh_store(empty_url)
    _, code = lifecycle.create_workshop("Race", MATS, CRITS, engine=engine)
    jobs = [(_late_writer, (code, i)) for i in range(12)]
    jobs.insert(6, (_closer, (code,)))
    outcomes = _crowd(url, jobs)
    assert [o for o in outcomes if o[1] == "error"] == []
    accepted = {f"Late {o[0]:02d}" for o in outcomes if o[1] == "ok" and o[0] >= 0}
    refused = [o for o in outcomes if o[1] == "refused"]
    assert all("was closed" in o[2] for o in refused)
    assert len(accepted) + len(refused) == 12
    record = lifecycle.frozen_record(code, engine=engine)
    assert {s["participant"] for s in record["submissions"]} == accepted
    assert record["result"]["n"] == len(accepted)
    with engine.connect() as conn:
        rows = conn.execute(select(schema.participant_weights.c.participant)).scalars().all()
    assert set(rows) == accepted  # no row slipped in after the close
    engine.dispose()


