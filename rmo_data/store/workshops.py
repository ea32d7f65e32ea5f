"""Workshop rows in the store: every SQL statement of ``rmo_data.workshops``, and its write transaction.

The ``workshop`` table holds one row per workshop (join code, name, materials
and criteria as JSON, status, times, creator, mode, method, capacity, reveal
time, round, the earlier rounds and, once closed, the frozen record in
``result_json``); ``participant_weights`` one row per participant (name or
"Participant N", weights, flags and pairwise comparisons as JSON, the SHA-256
of their private token, time); ``workshop_device`` one row per device that
opened the join link (its token's SHA-256, its number, when it joined).

``write_with_retries`` runs one unit of work in a single transaction that first
takes the database's write lock (``writes.begin_write``: ``BEGIN IMMEDIATE`` on
SQLite, a transaction on PostgreSQL whose ``workshop_row(..., lock=True)``
takes a row lock), so reading a workshop's status and writing a submission
cannot interleave with a close.  A lost insert race (``IntegrityError``) and a
busy store ("database is locked", serialization failures) are retried a few
times with a short, growing, jittered pause.

Rows come back as plain dicts and frames with times as aware UTC datetimes
(``utc``): SQLite hands times back without their zone.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import pandas as pd
from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from rmo_data.store import schema
from rmo_data.store.writes import begin_write

WRITE_RETRIES = 8
BACKOFF_FIRST = 0.05  # seconds; doubled each retry, capped, jittered
BACKOFF_CAP = 1.0

SUBMISSION_COLUMNS = ["participant", "weights", "flagged", "submitted_at", "pairwise"]
WORKSHOP_LIST_COLUMNS = ["id", "code", "name", "status", "created_at", "closed_at", "n_materials",
                         "submissions"]

Result = TypeVar("Result")


# --- times -----------------------------------------------------------------------------------

def utc(value: Any) -> dt.datetime | None:
    """A stored time as an aware UTC datetime (SQLite hands times back without their zone)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def iso_utc(value: Any) -> str | None:
    """A stored time as ISO text in UTC (``utc``), or None when there is none."""
    when = utc(value)
    return when.isoformat() if when else None


# --- the write transaction -------------------------------------------------------------------

def transient(err: DBAPIError) -> bool:
    """True for errors that a retry can cure: a busy SQLite file, a PostgreSQL serialization failure."""
    text = str(getattr(err, "orig", err)).lower()
    state = getattr(getattr(err, "orig", None), "sqlstate", None) or getattr(
        getattr(err, "orig", None), "pgcode", None)
    return "database is locked" in text or "database is busy" in text or state in {"40001", "40P01"}


def write_with_retries(engine: Engine, work: Callable[[Connection], Result],
                       sleep: Callable[[float], None] = time.sleep) -> Result:
    """Run ``work(conn)`` in one write transaction, retrying lost races and a busy store.

    ``ValueError`` from ``work`` (a refusal) rolls back and propagates at once.
    An ``IntegrityError`` (another writer inserted the same key first) and a
    transient lock or serialization error are retried up to ``WRITE_RETRIES``
    times; then a ``ValueError`` says the store is busy.
    """
    for attempt in range(WRITE_RETRIES):
        try:
            with engine.connect() as conn:
                begin_write(conn)
                result = work(conn)
                conn.commit()
                return result
        except IntegrityError:
            if attempt == WRITE_RETRIES - 1:
                raise
        except DBAPIError as err:
            if not transient(err):
                raise
            if attempt == WRITE_RETRIES - 1:
                raise ValueError("The data store stayed busy: please submit again in a moment.") from err
        # A short pause that grows, with jitter so retrying writers do not collide again.
        sleep(min(BACKOFF_CAP, BACKOFF_FIRST * 2 ** attempt) * random.uniform(0.5, 1.0))
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


# --- workshops -------------------------------------------------------------------------------

def workshop_row(conn: Connection, code: str, lock: bool = False) -> dict[str, Any] | None:
    """The stored row of the workshop with join code ``code`` (as stored), or None.

    ``lock`` locks it for update on PostgreSQL; SQLite ignores that, since
    ``BEGIN IMMEDIATE`` already holds the database's write lock.
    """
    query = select(schema.workshop).where(schema.workshop.c.code == code)
    if lock:
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    return None if row is None else dict(row)


def workshop_status(engine: Engine, code: str) -> str | None:
    """Only the status of the workshop with join code ``code`` (as stored), or None: the cheap read
    an open participant page repeats every second or so."""
    with engine.connect() as conn:
        return conn.execute(select(schema.workshop.c.status).where(schema.workshop.c.code == code)).scalar()


def workshop_phase(engine: Engine, code: str) -> tuple[str, int, bool] | None:
    """Only (status, round, revealed) of the workshop ``code`` (as stored), or None: the cheap read an
    open participant page repeats every second or so."""
    w = schema.workshop
    with engine.connect() as conn:
        row = conn.execute(select(w.c.status, w.c.round, w.c.revealed_at).where(w.c.code == code)).first()
    return None if row is None else (str(row[0]), int(row[1] or 1), row[2] is not None)


def room_counts(engine: Engine, code: str) -> dict[str, Any] | None:
    """How many devices joined the workshop ``code`` and who submitted, or None when it is unknown.

    A dict with joined (devices), submitted (participants with weights) and
    names (the submitted participants' names or labels, oldest first): the
    facilitator's count, read every second, so two small queries and no weights.
    """
    w, p, d = schema.workshop, schema.participant_weights, schema.workshop_device
    with engine.connect() as conn:
        ws_id = conn.execute(select(w.c.id).where(w.c.code == code)).scalar()
        if ws_id is None:
            return None
        joined = conn.execute(select(func.count()).select_from(d).where(d.c.workshop_id == ws_id)).scalar()
        names = list(conn.execute(select(p.c.participant).where(p.c.workshop_id == ws_id)
                                  .order_by(p.c.id)).scalars())
    return {"joined": int(joined or 0), "submitted": len(names), "names": names}


def decode_workshop(row: Mapping[str, Any]) -> dict[str, Any]:
    """A workshop row with its JSON read: id, code, name, materials, criteria, status, times, record,
    creator, mode, method, capacity, revealed_at, round and rounds (the earlier rounds, oldest first)."""
    return {
        "id": int(row["id"]), "code": row["code"], "name": row["name"],
        "materials": json.loads(row["materials_json"]), "criteria": json.loads(row["criteria_json"]),
        "status": row["status"], "created_at": utc(row["created_at"]), "closed_at": utc(row["closed_at"]),
        "record": json.loads(row["result_json"]) if row["result_json"] else None,
        "created_by": row.get("created_by"),
        "mode": row.get("mode") or "named", "method": row.get("method") or "sliders",
        "capacity": row.get("capacity"), "revealed_at": utc(row.get("revealed_at")),
        "round": int(row.get("round") or 1),
        "rounds": json.loads(row["rounds_json"]) if row.get("rounds_json") else [],
    }


def update_workshop(conn: Connection, workshop_id: int, values: Mapping[str, Any]) -> None:
    """Set some columns of one workshop row (a reveal, a new round)."""
    conn.execute(update(schema.workshop).where(schema.workshop.c.id == workshop_id).values(**values))


def material_slugs(engine: Engine) -> set[str]:
    """Slugs of every material the store holds."""
    with engine.connect() as conn:
        return set(conn.execute(select(schema.material.c.slug)).scalars())


def code_in_use(conn: Connection, code: str) -> bool:
    """True when a workshop already has the join code ``code``."""
    return conn.execute(select(schema.workshop.c.id).where(schema.workshop.c.code == code)).first() is not None


def insert_workshop(conn: Connection, values: Mapping[str, Any]) -> int:
    """Insert a workshop row (column values as stored) and return its id."""
    return int(conn.execute(insert(schema.workshop).values(**values)).inserted_primary_key[0])


def close_workshop_row(conn: Connection, workshop_id: int, status: str, closed_at: dt.datetime,
                       result_json: str) -> None:
    """Set a workshop's status and closing time and store its frozen record (JSON text)."""
    conn.execute(update(schema.workshop).where(schema.workshop.c.id == workshop_id).values(
        status=status, closed_at=closed_at, result_json=result_json))


def store_built_at(engine: Engine) -> str | None:
    """When the store's last build finished (``build_info.finished_at``), as stored."""
    info = schema.build_info
    with engine.connect() as conn:
        return conn.execute(select(info.c.value).where(info.c.key == "finished_at")).scalar()


def list_workshops(engine: Engine, status: str | None = None) -> pd.DataFrame:
    """Workshops, newest first: id, code, name, status, created_at, closed_at, n_materials, submissions."""
    w, p = schema.workshop, schema.participant_weights
    counts = (select(p.c.workshop_id, func.count().label("submissions")).group_by(p.c.workshop_id)
              .subquery())
    query = (select(w.c.id, w.c.code, w.c.name, w.c.status, w.c.created_at, w.c.closed_at,
                    w.c.materials_json, func.coalesce(counts.c.submissions, 0).label("submissions"))
             .outerjoin(counts, counts.c.workshop_id == w.c.id)
             .order_by(w.c.created_at.desc(), w.c.id.desc()))
    if status:
        query = query.where(w.c.status == status)
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return pd.DataFrame([{"id": r["id"], "code": r["code"], "name": r["name"], "status": r["status"],
                          "created_at": utc(r["created_at"]), "closed_at": utc(r["closed_at"]),
                          "n_materials": len(json.loads(r["materials_json"])),
                          "submissions": int(r["submissions"])} for r in rows], columns=WORKSHOP_LIST_COLUMNS)


# --- devices ---------------------------------------------------------------------------------

def device_by_token_hash(conn: Connection, token_hash: str) -> dict[str, Any] | None:
    """The device row whose token has this hash (in any workshop), or None."""
    d = schema.workshop_device
    row = conn.execute(select(d).where(d.c.token_hash == token_hash)).mappings().first()
    return None if row is None else dict(row)


def device_count(conn: Connection, workshop_id: int) -> int:
    """How many devices joined the workshop (its capacity counts these)."""
    d = schema.workshop_device
    return int(conn.execute(select(func.count()).select_from(d).where(d.c.workshop_id == workshop_id)).scalar()
               or 0)


def insert_device(conn: Connection, workshop_id: int, token_hash: str, joined_at: dt.datetime) -> int:
    """Register a device with the next number of the workshop; returns that number (``seq``).

    Called under the write lock (``write_with_retries``), so the next number cannot be taken twice;
    the unique (workshop_id, seq) constraint backs that up.
    """
    d = schema.workshop_device
    seq = int(conn.execute(select(func.coalesce(func.max(d.c.seq), 0)).where(d.c.workshop_id == workshop_id))
              .scalar() or 0) + 1
    conn.execute(insert(d).values(workshop_id=workshop_id, token_hash=token_hash, seq=seq, joined_at=joined_at))
    return seq


# --- submissions -----------------------------------------------------------------------------

def participant_names(conn: Connection, workshop_id: int) -> list[str]:
    """Names of the workshop's participants, as stored."""
    t = schema.participant_weights
    return list(conn.execute(select(t.c.participant).where(t.c.workshop_id == workshop_id)).scalars())


def insert_submission(conn: Connection, values: Mapping[str, Any]) -> int:
    """Insert a participant's row (column values as stored) and return its id."""
    return int(conn.execute(insert(schema.participant_weights).values(**values)).inserted_primary_key[0])


def submission_by_token_hash(conn: Connection, workshop_id: int, token_hash: str) -> dict[str, Any] | None:
    """The stored row of the workshop's participant whose token has this hash, or None."""
    t = schema.participant_weights
    row = conn.execute(select(t).where(t.c.workshop_id == workshop_id, t.c.token_hash == token_hash)
                       ).mappings().first()
    return None if row is None else dict(row)


def update_submission(conn: Connection, row_id: int, values: Mapping[str, Any]) -> None:
    """Replace the stored values (weights, flags, time) of one participant's row."""
    t = schema.participant_weights
    conn.execute(update(t).where(t.c.id == row_id).values(**values))


def decode_submission(row: Mapping[str, Any]) -> dict[str, Any]:
    """A participant's row with its JSON read: participant, weights, flagged, submitted_at (UTC) and
    pairwise (the comparisons behind pairwise weights, else None)."""
    pairwise = row.get("pairwise_json")
    return {"participant": row["participant"], "weights": json.loads(row["weights_json"]),
            "flagged": json.loads(row["flagged_json"] or "[]"), "submitted_at": utc(row["submitted_at"]),
            "pairwise": json.loads(pairwise) if pairwise else None}


def submissions(conn: Connection, workshop_id: int) -> pd.DataFrame:
    """The workshop's stored submissions, oldest first (``SUBMISSION_COLUMNS``)."""
    t = schema.participant_weights
    rows = conn.execute(select(t).where(t.c.workshop_id == workshop_id)
                        .order_by(t.c.submitted_at, t.c.id)).mappings().all()
    return pd.DataFrame([decode_submission(r) for r in rows], columns=SUBMISSION_COLUMNS)
