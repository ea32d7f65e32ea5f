"""Workshops: a group sets its own weights, the app aggregates them, closing freezes the result.

A facilitator creates a workshop (a name, the materials in scope, the
criteria to weigh) and gets a six-character join code; the workshop records
who created it (``created_by``), and only they or an editor may close it
(``may_close``).  Participants submit weights 0-10 for those criteria under
their own name, and may flag up to ``FLAG_MAX`` materials they think matter
most.

Participants own their submission through a private token: the first
submission draws one (``secrets.token_urlsafe``), stores only its SHA-256 on
the row and hands the token back once; the page keeps it in the participant's
address (``?join=CODE&p=TOKEN``).  Revising needs that token; a name alone
never reopens a submission, and a new participant whose name is already taken
in the workshop (compared without case or surrounding spaces) is refused, so
nobody can read or replace another's weights by typing their name.

Closing a workshop writes its whole record (submissions with their times,
the group result, the model default, the criterion values and sources used)
to ``workshop.result_json``; from then on everything about that workshop is
read back from that record, never recomputed, so a later rebuild of the
store cannot change what the group decided.

Aggregation (``aggregate_from``, pure):

* every participant's weights are rescaled to sum 1 (their *shares*);
* the **group weights** are the mean of the shares, so every participant
  counts the same however many points they handed out; the **group
  ranking** is ``scoring.ranking`` with those weights on criteria scaled
  0-1 across the workshop's materials (``scoring.normalise``);
* the **Borda count** ranks each material by each participant's own
  ranking: with *n* materials, first place earns *n* − 1 points and last
  place 0; tied materials share the points of the places they cover.  It
  shows whether the mean of weights hides a split group;
* the **spread** per criterion (mean, standard deviation, quartiles of the
  shares) and per material (best, median and worst rank among
  participants) is where disagreement shows; a criterion whose shares have
  a standard deviation of at least ``WEIGHT_STD_FLAG``, or a material whose
  ranks span at least ``RANK_RANGE_FLAG`` places, is flagged;
* the **model default** is the balanced preset (equal weights) on the same
  criteria and materials.

Concurrency: every write runs in one transaction that first takes the
database's write lock (``BEGIN IMMEDIATE`` on SQLite; a row lock on the
workshop on PostgreSQL), so reading the workshop's status and writing the
submission cannot interleave with a close, and two new participants cannot
both take one name.  Under that lock a submission either updates the row its
token owns or inserts a new one; the ``(workshop_id, participant)`` unique
constraint still backs it up: a lost insert race ends in an
``IntegrityError`` and the retry then refuses the taken name.  "Database is
locked" and serialization failures are retried a few times with a short,
growing, jittered pause.  Every write appends an ``audit_log`` row in the same
transaction.  No streamlit here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import re
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from rmo_data.access import roles
from rmo_data import constants
from rmo_data.store import schema
from rmo_data.store.criteria import criteria_table
from rmo_data.analysis import scoring
from rmo_data.store.engine import get_engine
from rmo_data.exports import frame_xlsx

# The same audit row and text checks as scenarios and the action plan.
from rmo_data.store.writes import audit, begin_write, clean_text, now, to_json, whole_weights

# Join codes: no 0/O and no 1/I, so a code read off a projector cannot be mistyped.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 6
CODE_TRIES = 20
NAME_MAX = 120  # workshop name
PARTICIPANT_MAX = 60
FLAG_MAX = 3
MIN_MATERIALS = 2
TOKEN_BYTES = 16  # a participant's private token: 128 random bits
TOKEN_MAX = 200  # longest token text looked up (a crafted link may carry anything)
NAME_TAKEN = ("That name is taken in this workshop; add an initial (for example “Ana K.”) so your "
              "weights can be told apart.")

# Disagreement thresholds (documented on the page).
WEIGHT_STD_FLAG = 0.05  # standard deviation of a criterion's share of the score (0-1)
RANK_RANGE_FLAG = 3  # worst rank minus best rank among participants

WRITE_RETRIES = 8
BACKOFF_FIRST = 0.05  # seconds; doubled each retry, capped, jittered
BACKOFF_CAP = 1.0

OPEN, CLOSED = "open", "closed"
RECORD_VERSION = 1

T = TypeVar("T")


# --- small helpers ---------------------------------------------------------------------

def normalise_code(code: Any) -> str:
    """A join code as typed (any case, spaces or dashes) in its stored form; "" when empty."""
    if not isinstance(code, str):
        return ""
    return re.sub(r"[\s\-]", "", code).upper()


def valid_code(code: str) -> bool:
    """True when ``code`` has the form of a join code (it may still be unknown)."""
    return len(code) == CODE_LENGTH and all(ch in CODE_ALPHABET for ch in code)


def new_code() -> str:
    """A random join code from ``CODE_ALPHABET`` (about a billion possibilities)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def clean_participant(name: Any) -> str:
    """A participant name stripped, inner runs of spaces collapsed; 1-``PARTICIPANT_MAX`` characters.

    Raises
    ------
    ValueError
        When the name is empty, too long or not text.
    """
    if not isinstance(name, str):
        raise ValueError("Your name must be text.")
    text = re.sub(r"\s+", " ", name).strip()
    if not text:
        raise ValueError("Give your name (1 to 60 characters) so your weights can be told apart.")
    if len(text) > PARTICIPANT_MAX:
        raise ValueError(f"The name is too long: at most {PARTICIPANT_MAX} characters, got {len(text)}.")
    return text


def name_key(name: str) -> str:
    """The form in which two participant names are compared: cleaned and case-folded."""
    return re.sub(r"\s+", " ", name).strip().casefold()


def new_token() -> str:
    """A participant's private token: random, URL-safe, about 22 characters."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """What the store keeps of a token: its SHA-256 in hex (the token itself is never stored)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _usable_token(token: Any) -> str | None:
    """``token`` when it is non-empty text of a sane length, else None (it can own nothing)."""
    if isinstance(token, str) and 0 < len(token.strip()) <= TOKEN_MAX:
        return token.strip()
    return None


def may_close(workshop: Mapping[str, Any], user: str, role: str) -> bool:
    """True when ``user`` with ``role`` may close ``workshop``.

    An editor may close any workshop; a partner the ones they created.  A
    workshop with no recorded creator (made before creators were recorded, or
    by a script with no one signed in) may be closed by any partner.
    """
    if roles.allows(role, roles.EDITOR):
        return True
    if not roles.allows(role, roles.PARTNER):
        return False
    creator = workshop.get("created_by")
    return not creator or creator == user


def utc(value: Any) -> dt.datetime | None:
    """A stored time as an aware UTC datetime (SQLite hands times back without their zone)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _iso(value: Any) -> str | None:
    when = utc(value)
    return when.isoformat() if when else None


def _transient(err: DBAPIError) -> bool:
    """True for errors that a retry can cure: a busy SQLite file, a PostgreSQL serialization failure."""
    text = str(getattr(err, "orig", err)).lower()
    state = getattr(getattr(err, "orig", None), "sqlstate", None) or getattr(
        getattr(err, "orig", None), "pgcode", None)
    return "database is locked" in text or "database is busy" in text or state in {"40001", "40P01"}


def _write(engine: Engine, work: Callable[[Connection], T], sleep: Callable[[float], None] = time.sleep) -> T:
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
            if not _transient(err):
                raise
            if attempt == WRITE_RETRIES - 1:
                raise ValueError("The data store stayed busy: please submit again in a moment.") from err
        # A short pause that grows, with jitter so retrying writers do not collide again.
        sleep(min(BACKOFF_CAP, BACKOFF_FIRST * 2 ** attempt) * random.uniform(0.5, 1.0))
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _engine(engine: Engine | None) -> Engine:
    return engine or get_engine()


def _workshop_row(conn: Connection, code: str, lock: bool = False) -> dict[str, Any]:
    """The workshop row for ``code`` (locked for update on PostgreSQL); ValueError when unknown."""
    clean = normalise_code(code)
    if not valid_code(clean):
        raise ValueError(f"“{code}” is not a join code: a code has {CODE_LENGTH} letters and digits, "
                         "such as K7PX3M.")
    query = select(schema.workshop).where(schema.workshop.c.code == clean)
    if lock:
        query = query.with_for_update()  # SQLite ignores it: BEGIN IMMEDIATE already holds the lock
    row = conn.execute(query).mappings().first()
    if row is None:
        raise ValueError(f"No workshop has the code {clean}. Check the code with your facilitator.")
    return dict(row)


def _decode(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": int(row["id"]), "code": row["code"], "name": row["name"],
        "materials": json.loads(row["materials_json"]), "criteria": json.loads(row["criteria_json"]),
        "status": row["status"], "created_at": utc(row["created_at"]), "closed_at": utc(row["closed_at"]),
        "record": json.loads(row["result_json"]) if row["result_json"] else None,
        "created_by": row.get("created_by"),
    }


# --- writes ------------------------------------------------------------------------------

def create_workshop(name: str, materials: Sequence[str], criteria: Sequence[str],
                    engine: Engine | None = None, actor: str = constants.DEFAULT_ACTOR,
                    code_factory: Callable[[], str] = new_code) -> tuple[int, str]:
    """Create an open workshop and return its id and join code.

    Parameters
    ----------
    name : str
        1 to ``NAME_MAX`` characters.
    materials : sequence of str
        At least ``MIN_MATERIALS`` material slugs held by the store.
    criteria : sequence of str
        At least one slug of ``constants.CRITERIA`` (kept in that order).
    engine : sqlalchemy.Engine, optional
        The store; the default engine when omitted.
    actor : str
        Who created it: kept as the workshop's ``created_by`` (they may close
        it) and named in the audit log.
    code_factory : callable
        Makes a candidate code; a code already in use is drawn again (up to
        ``CODE_TRIES`` times), so codes stay unique.

    Raises
    ------
    ValueError
        Empty or long name, too few or unknown materials, no or unknown criteria.
    """
    clean_name = clean_text(name, NAME_MAX, "workshop name", required=True)
    mats = list(dict.fromkeys(materials))
    if len(mats) < MIN_MATERIALS:
        raise ValueError(f"Choose at least {MIN_MATERIALS} materials: a ranking needs something to compare.")
    unknown = sorted(set(criteria) - set(constants.CRITERION_SLUGS))
    if unknown:
        raise ValueError(f"Unknown criteria: {', '.join(map(str, unknown))}.")
    crits = [c for c in constants.CRITERION_SLUGS if c in set(criteria)]
    if not crits:
        raise ValueError("Choose at least one criterion for the participants to weigh.")
    eng = _engine(engine)
    with eng.connect() as conn:
        known = set(conn.execute(select(schema.material.c.slug)).scalars())
    bad = [m for m in mats if m not in known]
    if bad:
        raise ValueError(f"Unknown materials: {', '.join(map(str, bad))}.")

    for _ in range(CODE_TRIES):
        code = normalise_code(code_factory())
        if not valid_code(code):
            raise ValueError(f"The code maker returned {code!r}, which is not a join code.")
        values = {"code": code, "name": clean_name, "materials_json": to_json(mats),
                  "criteria_json": to_json(crits), "status": OPEN, "created_at": now(),
                  # The generic actor (no one signed in: a script, the CLI) is no one in particular.
                  "created_by": None if actor == constants.DEFAULT_ACTOR else actor}

        def work(conn: Connection, values: dict[str, Any] = values) -> int | None:
            if conn.execute(select(schema.workshop.c.id).where(schema.workshop.c.code == values["code"])).first():
                return None  # taken: draw another code
            new_id = int(conn.execute(insert(schema.workshop).values(**values)).inserted_primary_key[0])
            audit(conn, actor, "create", schema.workshop.name, new_id, None,
                   {**values, "materials_json": mats, "criteria_json": crits})
            return new_id

        new_id = _write(eng, work)
        if new_id is not None:
            return new_id, code
    raise ValueError("Could not find a free join code; try again.")


def submit_weights(code: str, participant: str | None, weights: Mapping[str, Any],
                   flagged: Iterable[str] = (), engine: Engine | None = None, token: str | None = None,
                   token_factory: Callable[[], str] = new_token) -> dict[str, Any]:
    """Store a participant's weights for an open workshop, or revise them with their token.

    Parameters
    ----------
    code : str
        The join code (any case; spaces and dashes ignored).
    participant : str or None
        A new participant's name, 1-``PARTICIPANT_MAX`` characters; refused
        when another participant of the workshop has it (in any case).
        Ignored when ``token`` is given: a revision keeps the stored name.
    weights : mapping of str to int
        Whole numbers 0-10 for the workshop's criteria (criteria not given
        weigh 0); at least one above 0.
    flagged : iterable of str
        Up to ``FLAG_MAX`` of the workshop's materials that the participant
        thinks matter most.
    engine : sqlalchemy.Engine, optional
    token : str, optional
        The private token handed back by the participant's first submission:
        it revises that submission.  None submits as a new participant.
    token_factory : callable
        Draws a new participant's token (``new_token``).

    Returns
    -------
    dict
        participant (as stored), weights, flagged, submitted_at (UTC),
        revised (True when an earlier submission was replaced) and token
        (the participant's private token: keep it to revise later).

    Raises
    ------
    ValueError
        Unknown code, closed workshop, bad or taken name, a token that owns no
        submission of this workshop, bad weights or flags.
    """
    own = _usable_token(token) if token is not None else None
    if token is not None and own is None:
        raise ValueError("This private link is not valid: submit under your name as a new participant.")
    name = None if own else clean_participant(participant)
    flags = list(dict.fromkeys(flagged))
    new = None if own else token_factory()  # drawn outside the lock; only its hash is stored

    def work(conn: Connection) -> dict[str, Any]:
        ws = _workshop_row(conn, code, lock=True)
        if ws["status"] != OPEN:
            closed = utc(ws["closed_at"])
            when = f" on {closed:%d %b %Y at %H:%M} UTC" if closed else ""
            raise ValueError(f"The workshop “{ws['name']}” was closed{when}: it takes no more "
                             "submissions. Its result is shown below.")
        crits = json.loads(ws["criteria_json"])
        mats = json.loads(ws["materials_json"])
        clean = _clean_weights(weights, crits)
        bad = [m for m in flags if m not in mats]
        if bad:
            raise ValueError(f"Only materials of this workshop can be flagged, not {', '.join(map(str, bad))}.")
        if len(flags) > FLAG_MAX:
            raise ValueError(f"Flag at most {FLAG_MAX} materials, not {len(flags)}.")
        t = schema.participant_weights
        stamp = now()
        values = {"weights_json": to_json(clean), "flagged_json": to_json(flags), "submitted_at": stamp}
        if own is None:
            assert name is not None and new is not None
            # Names are compared in Python: SQL lower() folds only ASCII on SQLite.
            taken = conn.execute(select(t.c.participant).where(t.c.workshop_id == ws["id"])).scalars()
            if any(name_key(other) == name_key(name) for other in taken):
                raise ValueError(NAME_TAKEN)
            row_id = int(conn.execute(insert(t).values(workshop_id=ws["id"], participant=name,
                                                       token_hash=hash_token(new), **values))
                         .inserted_primary_key[0])
            audit(conn, name, "create", t.name, row_id, None,
                   {"workshop": ws["code"], "participant": name, "weights": clean, "flagged": flags,
                    "submitted_at": stamp})
            return {"participant": name, "weights": clean, "flagged": flags, "submitted_at": utc(stamp),
                    "revised": False, "token": new}
        existing = conn.execute(select(t).where(
            t.c.workshop_id == ws["id"], t.c.token_hash == hash_token(own))).mappings().first()
        if existing is None:
            raise ValueError("This private link does not belong to a submission of this workshop: "
                             "submit under your name as a new participant.")
        conn.execute(update(t).where(t.c.id == existing["id"]).values(**values))
        audit(conn, existing["participant"], "update", t.name, existing["id"],
               {"weights": json.loads(existing["weights_json"]),
                "flagged": json.loads(existing["flagged_json"] or "[]"),
                "submitted_at": existing["submitted_at"]},
               {"weights": clean, "flagged": flags, "submitted_at": stamp})
        return {"participant": existing["participant"], "weights": clean, "flagged": flags,
                "submitted_at": utc(stamp), "revised": True, "token": own}

    return _write(_engine(engine), work)


def _clean_weights(weights: Mapping[str, Any], criteria: Sequence[str]) -> dict[str, int]:
    """Whole numbers 0-``WEIGHT_MAX`` for exactly the workshop's criteria; at least one above 0."""
    unknown = sorted(set(weights) - set(criteria))
    if unknown:
        labels = ", ".join(constants.CRITERION_LABELS.get(u, str(u)) for u in unknown)
        raise ValueError(f"This workshop does not weigh: {labels}.")
    out = whole_weights(weights, criteria)
    if not any(out.values()):
        raise ValueError("All your weights are zero: give at least one criterion a weight above 0.")
    return out


def close_workshop(code: str, engine: Engine | None = None, actor: str = constants.DEFAULT_ACTOR,
                   criteria: scoring.CriteriaData | None = None,
                   role: str = roles.PARTNER) -> dict[str, Any]:
    """Close an open workshop and freeze its record; returns the record.

    The record holds the workshop, every submission with its time, the group
    result (``GroupResult.to_record``) with the model default, the criterion
    values and sources it rests on, and the store's build time.  It is
    computed and written in the transaction that sets the status, so a
    submission either made it in before the close or is refused.

    Parameters
    ----------
    actor : str
        Who closes it (the record's ``closed_by`` and the audit row).
    criteria : scoring.CriteriaData, optional
        Criterion values of the store (read when omitted).
    role : str
        The actor's role: a partner may close only a workshop they created
        (``may_close``), an editor any.

    Raises
    ------
    ValueError
        Unknown code, the workshop is already closed, or ``actor`` may not close it.
    """
    eng = _engine(engine)
    # Reference data is read before the write lock is taken, to keep the lock short.
    crit = criteria if criteria is not None else criteria_table(eng)
    with eng.connect() as conn:
        built = conn.execute(select(schema.build_info.c.value).where(schema.build_info.c.key == "finished_at")).scalar()

    def work(conn: Connection) -> dict[str, Any]:
        ws = _workshop_row(conn, code, lock=True)
        if ws["status"] != OPEN:
            raise ValueError(f"The workshop “{ws['name']}” is already closed.")
        if not may_close(ws, actor, role):
            raise ValueError(f"Only {ws['created_by']}, who created the workshop “{ws['name']}”, or an "
                             "editor can close it.")
        subs = _submissions(conn, ws["id"])
        closed_at = now()
        info = _decode(ws)
        result = aggregate_from(info, subs, crit)
        record = {
            "version": RECORD_VERSION,
            "workshop": {"code": info["code"], "name": info["name"], "materials": info["materials"],
                         "criteria": info["criteria"], "created_at": _iso(info["created_at"]),
                         "closed_at": _iso(closed_at), "closed_by": actor},
            "submissions": _submission_records(subs),
            "result": result.to_record(),
            "store_built": built,
        }
        text = json.dumps(record, ensure_ascii=False, sort_keys=True, allow_nan=False)
        conn.execute(update(schema.workshop).where(schema.workshop.c.id == ws["id"]).values(
            status=CLOSED, closed_at=closed_at, result_json=text))
        audit(conn, actor, "close", schema.workshop.name, ws["id"], {"status": OPEN},
               {"status": CLOSED, "closed_at": closed_at, "submissions": len(subs)})
        return json.loads(text)

    return _write(eng, work)


# --- reads ---------------------------------------------------------------------------------

def get_workshop(code: str, engine: Engine | None = None) -> dict[str, Any]:
    """One workshop: id, code, name, materials, criteria, status, created_at, closed_at, record.

    ``record`` is the frozen record (a dict) once the workshop is closed, else None.

    Raises
    ------
    ValueError
        When the code is malformed or unknown.
    """
    with _engine(engine).connect() as conn:
        return _decode(_workshop_row(conn, code))


def list_workshops(status: str | None = None, engine: Engine | None = None) -> pd.DataFrame:
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
    with _engine(engine).connect() as conn:
        rows = conn.execute(query).mappings().all()
    columns = ["id", "code", "name", "status", "created_at", "closed_at", "n_materials", "submissions"]
    return pd.DataFrame([{"id": r["id"], "code": r["code"], "name": r["name"], "status": r["status"],
                          "created_at": utc(r["created_at"]), "closed_at": utc(r["closed_at"]),
                          "n_materials": len(json.loads(r["materials_json"])),
                          "submissions": int(r["submissions"])} for r in rows], columns=columns)


SUBMISSION_COLUMNS = ["participant", "weights", "flagged", "submitted_at"]


def _submissions(conn: Connection, workshop_id: int) -> pd.DataFrame:
    t = schema.participant_weights
    rows = conn.execute(select(t).where(t.c.workshop_id == workshop_id)
                        .order_by(t.c.submitted_at, t.c.id)).mappings().all()
    return pd.DataFrame([{"participant": r["participant"], "weights": json.loads(r["weights_json"]),
                          "flagged": json.loads(r["flagged_json"] or "[]"),
                          "submitted_at": utc(r["submitted_at"])} for r in rows],
                        columns=SUBMISSION_COLUMNS)


def _submission_records(subs: pd.DataFrame) -> list[dict[str, Any]]:
    return [{"participant": r.participant, "weights": dict(r.weights), "flagged": list(r.flagged),
             "submitted_at": _iso(r.submitted_at)} for r in subs.itertuples(index=False)]


def list_submissions(code: str, engine: Engine | None = None) -> pd.DataFrame:
    """Submissions of a workshop, oldest first: participant, weights (dict), flagged (list), submitted_at.

    For a closed workshop they come from its frozen record.
    """
    with _engine(engine).connect() as conn:
        ws = _workshop_row(conn, code)
        if ws["status"] == CLOSED and ws["result_json"]:
            subs = json.loads(ws["result_json"])["submissions"]
            return pd.DataFrame([{**s, "submitted_at": utc(s["submitted_at"])} for s in subs],
                                columns=SUBMISSION_COLUMNS)
        return _submissions(conn, ws["id"])


def own_submission(code: str, token: str | None, engine: Engine | None = None) -> dict[str, Any] | None:
    """The submission ``token`` owns in the workshop ``code``, or None (no token, or not this one's).

    A dict with participant, weights, flagged and submitted_at: only what its
    owner entered, nobody else's.
    """
    own = _usable_token(token)
    if own is None:
        return None
    t = schema.participant_weights
    with _engine(engine).connect() as conn:
        ws = _workshop_row(conn, code)
        row = conn.execute(select(t).where(t.c.workshop_id == ws["id"], t.c.token_hash == hash_token(own))
                           ).mappings().first()
    if row is None:
        return None
    return {"participant": row["participant"], "weights": json.loads(row["weights_json"]),
            "flagged": json.loads(row["flagged_json"] or "[]"), "submitted_at": utc(row["submitted_at"])}


def name_taken(code: str, participant: str, engine: Engine | None = None) -> bool:
    """True when a participant of the workshop already has this name (in any case or spacing)."""
    wanted = name_key(participant) if isinstance(participant, str) else ""
    if not wanted:
        return False
    t = schema.participant_weights
    with _engine(engine).connect() as conn:
        ws = _workshop_row(conn, code)
        names = conn.execute(select(t.c.participant).where(t.c.workshop_id == ws["id"])).scalars().all()
    return any(name_key(n) == wanted for n in names)


def frozen_record(code: str, engine: Engine | None = None) -> dict[str, Any]:
    """The record written when the workshop was closed.

    Raises
    ------
    ValueError
        When the workshop is unknown or still open.
    """
    ws = get_workshop(code, engine)
    if ws["record"] is None:
        raise ValueError(f"The workshop “{ws['name']}” is still open: it has no frozen record yet.")
    return ws["record"]


def aggregate(code: str, engine: Engine | None = None,
              criteria: scoring.CriteriaData | None = None) -> GroupResult:
    """The group result of a workshop.

    Open: computed now from the stored submissions and the store's criterion
    values (``criteria`` when given, e.g. a page's cached copy).  Closed: read
    from the frozen record, never recomputed.
    """
    eng = _engine(engine)
    ws = get_workshop(code, eng)
    if ws["record"] is not None:
        return GroupResult.from_record(ws["record"]["result"])
    crit = criteria if criteria is not None else criteria_table(eng)
    return aggregate_from(ws, list_submissions(code, eng), crit)


# --- aggregation (pure) --------------------------------------------------------------------

RANKING_COLUMNS = ["material", "name", "score", "rank", "borda_points", "borda_rank", "default_score",
                   "default_rank", "rank_best", "rank_median", "rank_worst", "rank_range",
                   "flagged_by", "disagree"]
SPREAD_COLUMNS = ["criterion", "mean", "std", "min", "q1", "median", "q3", "max", "iqr", "disagree"]
SHARE_COLUMNS = ["participant", "criterion", "weight", "share"]
PRANK_COLUMNS = ["participant", "material", "score", "rank", "borda_points"]


@dataclass
class GroupResult:
    """What a workshop's participants decided together, in plain frames.

    Attributes
    ----------
    code, name : str
        The workshop.
    materials, criteria : list of str
        Materials ranked (those of the workshop the store holds) and criteria weighed.
    names : dict
        Display name of every material, as at aggregation time.
    n : int
        Number of participants who submitted.
    group_weights, default_weights : dict of str to float
        Mean of the participants' shares (sum 1; empty with no submission),
        and the balanced preset's shares.
    ranking : pandas.DataFrame
        One row per material, group rank first (``RANKING_COLUMNS``, then one
        contribution column per criterion slug that adds up to ``score``).
        Group columns are empty when nobody submitted.
    spread : pandas.DataFrame
        Per criterion: statistics of the participants' shares (``SPREAD_COLUMNS``).
    shares : pandas.DataFrame
        Long: every participant's weight (0-10) and share (0-1) per criterion.
    participant_ranks : pandas.DataFrame
        Long: every participant's own score, rank and Borda points per material.
    sources, years : list
        Sources and data years behind the criteria.
    missing_materials : list of str
        Workshop materials the store no longer holds (left out of the ranking).
    thresholds : dict
        The disagreement thresholds used.
    """

    code: str
    name: str
    materials: list[str]
    criteria: list[str]
    names: dict[str, str]
    n: int
    group_weights: dict[str, float]
    default_weights: dict[str, float]
    ranking: pd.DataFrame
    spread: pd.DataFrame
    shares: pd.DataFrame
    participant_ranks: pd.DataFrame
    sources: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    missing_materials: list[str] = field(default_factory=list)
    thresholds: dict[str, float] = field(default_factory=lambda: {
        "weight_std": WEIGHT_STD_FLAG, "rank_range": RANK_RANGE_FLAG})

    FRAMES = ("ranking", "spread", "shares", "participant_ranks")

    def to_record(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN as null) that ``from_record`` turns back into the same result."""
        out: dict[str, Any] = {k: getattr(self, k) for k in (
            "code", "name", "materials", "criteria", "names", "n", "group_weights", "default_weights",
            "sources", "years", "missing_materials", "thresholds")}
        for frame in self.FRAMES:
            df = getattr(self, frame)
            out[frame] = {"columns": list(df.columns), "rows": [
                [_plain(v) for v in row] for row in df.itertuples(index=False, name=None)]}
        return json.loads(json.dumps(out, allow_nan=False, default=_plain))

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> GroupResult:
        """The result stored by ``to_record`` (a frozen workshop's, for instance)."""
        frames = {f: pd.DataFrame(record[f]["rows"], columns=record[f]["columns"]) for f in cls.FRAMES}
        for df in frames.values():
            for col in df.columns:
                # JSON null stands for NaN; a column of nothing but nulls (no submission) is numeric.
                if len(df) and df[col].isna().all():
                    df[col] = df[col].astype(float)
        plain = {k: record[k] for k in ("code", "name", "materials", "criteria", "names", "n",
                                        "group_weights", "default_weights", "sources", "years",
                                        "missing_materials", "thresholds")}
        return cls(**plain, **frames)

    def pack_weights(self) -> dict[str, float]:
        """Group weights as percentages (one decimal), the form a briefing pack prints."""
        return {c: round(100 * w, 1) for c, w in self.group_weights.items()}

    def group_order(self) -> list[str]:
        """Materials in group order (default order when nobody submitted)."""
        column = "rank" if self.n else "default_rank"
        return self.ranking.sort_values([column], kind="stable")["material"].tolist()


def _plain(value: Any) -> Any:
    """A JSON-friendly scalar: numpy numbers to Python, NaN to None, times to ISO text."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def borda_points(ranks: pd.Series) -> pd.Series:
    """Borda points from one ranking: n − 1 for first place down to 0 for last.

    Materials that tie share the points of the places they cover (the mean),
    so every ranking hands out the same n(n − 1)/2 points.

    Parameters
    ----------
    ranks : pandas.Series
        Scores or ranks do not matter here: pass the *scores* (higher = better).
    """
    n = len(ranks)
    position = ranks.rank(ascending=False, method="average")  # 1 = best, ties averaged
    return (n - position).astype(float)


def aggregate_from(workshop: Mapping[str, Any], submissions: pd.DataFrame,
                   criteria: scoring.CriteriaData) -> GroupResult:
    """Aggregate submissions into a group result (pure; see the module docstring for the method).

    Parameters
    ----------
    workshop : mapping
        code, name, materials, criteria (as ``get_workshop`` returns).
    submissions : pandas.DataFrame
        participant, weights (dict), flagged (list), submitted_at.
    criteria : scoring.CriteriaData
        Criterion values of the store; only the workshop's materials and
        criteria are used and scaled 0-1 among themselves.
    """
    crits = list(workshop["criteria"])
    held = [m for m in workshop["materials"] if m in criteria.raw.index]
    missing = [m for m in workshop["materials"] if m not in criteria.raw.index]
    raw = criteria.raw.loc[held, crits]
    norm = scoring.normalise(raw)
    context_names = criteria.context["name"].to_dict() if "name" in criteria.context else {}
    names = {m: str(context_names.get(m, constants.MATERIAL_LABELS.get(m, m))) for m in held}

    default_weights = {c: float(constants.WEIGHT_PRESETS["balanced"].get(c, constants.WEIGHT_DEFAULT)) for c in crits}
    default = scoring.ranking(norm, default_weights)
    default_shares = scoring.normalise_weights(default_weights, crits)

    share_rows, rank_rows = [], []
    for sub in submissions.itertuples(index=False):
        weights = {c: float(sub.weights.get(c, 0)) for c in crits}
        shares = scoring.normalise_weights(weights, crits)
        for c in crits:
            share_rows.append({"participant": sub.participant, "criterion": c, "weight": weights[c],
                               "share": float(shares[c])})
        own = scoring.ranking(norm, weights)
        points = borda_points(own["score"])
        for m in held:
            rank_rows.append({"participant": sub.participant, "material": m,
                              "score": float(own.at[m, "score"]), "rank": int(own.at[m, "rank"]),
                              "borda_points": float(points[m])})
    shares_long = pd.DataFrame(share_rows, columns=SHARE_COLUMNS)
    pranks = pd.DataFrame(rank_rows, columns=PRANK_COLUMNS)
    n = int(len(submissions))

    flag_counts = {m: 0 for m in held}
    for flagged in submissions["flagged"] if n else []:
        for m in flagged:
            if m in flag_counts:
                flag_counts[m] += 1

    ranking = pd.DataFrame({"material": held, "name": [names[m] for m in held]})
    ranking["default_score"] = ranking["material"].map(default["score"]).astype(float)
    ranking["default_rank"] = ranking["material"].map(default["rank"]).astype(int)
    ranking["flagged_by"] = ranking["material"].map(flag_counts).astype(int)
    if n:
        group_weights = shares_long.groupby("criterion", sort=False)["share"].mean().reindex(crits)
        group = scoring.ranking(norm, group_weights.to_dict())
        ranking["score"] = ranking["material"].map(group["score"]).astype(float)
        ranking["rank"] = ranking["material"].map(group["rank"]).astype(int)
        totals = pranks.groupby("material")["borda_points"].sum()
        ranking["borda_points"] = ranking["material"].map(totals).astype(float)
        ranking["borda_rank"] = ranking["borda_points"].rank(ascending=False, method="min").astype(int)
        stats = pranks.groupby("material")["rank"].agg(["min", "median", "max"])
        ranking["rank_best"] = ranking["material"].map(stats["min"]).astype(int)
        ranking["rank_median"] = ranking["material"].map(stats["median"]).astype(float)
        ranking["rank_worst"] = ranking["material"].map(stats["max"]).astype(int)
        ranking["rank_range"] = ranking["rank_worst"] - ranking["rank_best"]
        ranking["disagree"] = ranking["rank_range"] >= RANK_RANGE_FLAG
        contrib = norm.mul(group_weights, axis=1)
        for c in crits:
            ranking[c] = ranking["material"].map(contrib[c]).astype(float)
        # Group rank first; the display order of materials breaks ties, as in scoring.ranking.
        order = {m: i for i, m in enumerate(group.index)}
        ranking = ranking.sort_values("material", key=lambda s: s.map(order), kind="stable")
        group_w = {c: float(group_weights[c]) for c in crits}
    else:
        for col in ("score", "rank", "borda_points", "borda_rank", "rank_best", "rank_median",
                    "rank_worst", "rank_range"):
            ranking[col] = np.nan
        ranking["disagree"] = False
        for c in crits:
            ranking[c] = np.nan
        ranking = ranking.sort_values("default_rank", kind="stable")
        group_w = {}
    ranking = ranking[[*RANKING_COLUMNS, *crits]].reset_index(drop=True)

    spread_rows = []
    for c in crits:
        values = shares_long.loc[shares_long["criterion"] == c, "share"].to_numpy(dtype=float)
        if len(values):
            q1, median, q3 = np.percentile(values, [25, 50, 75])
            std = float(values.std(ddof=0))  # spread among those present, defined for one participant
            spread_rows.append({"criterion": c, "mean": float(values.mean()), "std": std,
                                "min": float(values.min()), "q1": float(q1), "median": float(median),
                                "q3": float(q3), "max": float(values.max()), "iqr": float(q3 - q1),
                                "disagree": bool(std >= WEIGHT_STD_FLAG)})
        else:
            spread_rows.append({"criterion": c, "mean": float(default_shares[c]), "std": np.nan,
                                "min": np.nan, "q1": np.nan, "median": np.nan, "q3": np.nan,
                                "max": np.nan, "iqr": np.nan, "disagree": False})
    spread = pd.DataFrame(spread_rows, columns=SPREAD_COLUMNS)

    sources = sorted({s for c in crits for s in criteria.sources.get(c, [])})
    years = sorted({int(y) for c in crits for y in criteria.years.get(c, [])})
    return GroupResult(
        code=str(workshop["code"]), name=str(workshop["name"]), materials=held, criteria=crits,
        names=names, n=n, group_weights=group_w,
        default_weights={c: float(default_shares[c]) for c in crits},
        ranking=ranking, spread=spread, shares=shares_long, participant_ranks=pranks,
        sources=sources, years=years, missing_materials=missing)


# --- exports ---------------------------------------------------------------------------------

def ranking_frame(result: GroupResult) -> pd.DataFrame:
    """The group ranking with readable headers (what the ranking chart shows)."""
    r = result.ranking
    return pd.DataFrame({
        "Group rank": r["rank"], "Material": r["name"], "Group score (0–1)": r["score"],
        "Borda points": r["borda_points"], "Borda rank": r["borda_rank"],
        "Model default rank": r["default_rank"], "Model default score (0–1)": r["default_score"],
        "Best participant rank": r["rank_best"], "Worst participant rank": r["rank_worst"],
        "Rank range (places)": r["rank_range"], "Flagged by (participants)": r["flagged_by"],
        "Disagreement": r["disagree"].map({True: "yes", False: "no"}),
    })


def spread_frame(result: GroupResult) -> pd.DataFrame:
    """Spread of the participants' shares per criterion, in % of the score."""
    s = result.spread
    pct = {col: s[col] * 100 for col in ("mean", "std", "min", "q1", "median", "q3", "max", "iqr")}
    return pd.DataFrame({
        "Criterion": s["criterion"].map(constants.CRITERION_LABELS), "Mean share (%)": pct["mean"],
        "Standard deviation (points)": pct["std"], "Lowest (%)": pct["min"], "Lower quartile (%)": pct["q1"],
        "Median (%)": pct["median"], "Upper quartile (%)": pct["q3"], "Highest (%)": pct["max"],
        "Interquartile range (points)": pct["iqr"],
        "Disagreement": s["disagree"].map({True: "yes", False: "no"}),
    })


def submissions_frame(submissions: Sequence[Mapping[str, Any]] | pd.DataFrame, criteria: Sequence[str],
                      names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per participant: time (UTC), weight 0-10 per criterion, flagged materials."""
    rows = submissions.to_dict("records") if isinstance(submissions, pd.DataFrame) else list(submissions)
    label = names or {}
    out = pd.DataFrame({
        "Participant": [r["participant"] for r in rows],
        "Submitted at (UTC)": [(utc(r["submitted_at"]) or dt.datetime.min).strftime("%Y-%m-%d %H:%M:%S")
                               for r in rows],
        # Short criterion names keep the columns narrow enough to read on screen.
        **{f"{constants.CRITERION_SHORT[c]} (0–10)": [int(r["weights"].get(c, 0)) for r in rows] for c in criteria},
        "Flagged materials": ["; ".join(label.get(m, constants.MATERIAL_LABELS.get(m, m)) for m in r["flagged"])
                              for r in rows],
    })
    return out


def participant_ranks_frame(result: GroupResult) -> pd.DataFrame:
    """Every participant's own ranking (long)."""
    p = result.participant_ranks
    return pd.DataFrame({"Participant": p["participant"], "Material": p["material"].map(result.names),
                         "Own score (0–1)": p["score"], "Own rank": p["rank"],
                         "Borda points": p["borda_points"]})


def record_frames(record: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """The sheets of a frozen record's workbook, by sheet title."""
    result = GroupResult.from_record(record["result"])
    ws = record["workshop"]
    about = pd.DataFrame({
        "Field": ["Workshop", "Join code", "Created (UTC)", "Closed (UTC)", "Participants",
                  "Materials", "Criteria", "Group weights", "Sources", "Data years", "Store built",
                  "Method"],
        "Value": [ws["name"], ws["code"], ws["created_at"], ws["closed_at"], str(result.n),
                  "; ".join(result.names.get(m, m) for m in result.materials),
                  "; ".join(constants.CRITERION_LABELS[c] for c in result.criteria),
                  "; ".join(f"{constants.CRITERION_LABELS[c]} {w:.1%}" for c, w in result.group_weights.items())
                  or "no submission",
                  "; ".join(result.sources), ", ".join(map(str, result.years)) or "not stated",
                  str(record.get("store_built") or ""),
                  "Group ranking = mean of each participant's weights rescaled to 100 %; Borda = "
                  "n − 1 points for a participant's first place down to 0 for the last."],
    })
    return {"Workshop": about, "Group ranking": ranking_frame(result),
            "Criterion spread": spread_frame(result),
            "Submissions": submissions_frame(record["submissions"], result.criteria, result.names),
            "Participant rankings": participant_ranks_frame(result)}


def record_xlsx(record: Mapping[str, Any]) -> bytes:
    """A frozen record as one workbook, a sheet per table (``exports.frame_xlsx``: names stay text)."""
    return frame_xlsx(record_frames(record))


def record_json(record: Mapping[str, Any]) -> bytes:
    """A frozen record as indented UTF-8 JSON."""
    return json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
