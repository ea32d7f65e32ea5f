"""A workshop's life in the store: create it, take the participants' weights, close it, read it back.

A facilitator creates a workshop (a name, the materials in scope, the
criteria to weigh) and gets a six-character join code; the workshop records
who created it (``created_by``), and only they or an editor may close it
(``participants.may_close``).  Participants submit weights 0-10 for those
criteria under their own name, and may flag up to ``participants.FLAG_MAX``
materials they think matter most.

Participants own their submission through a private token: the first
submission draws one, stores only its SHA-256 on the row and hands the token
back once; the page keeps it in the participant's address
(``?join=CODE&p=TOKEN``).  Revising needs that token; a name alone never
reopens a submission, and a new participant whose name is already taken in
the workshop (compared without case or surrounding spaces) is refused, so
nobody can read or replace another's weights by typing their name.

Closing a workshop freezes its record (``records.build_record``) in the same
transaction that sets its status; a closed workshop is read back from that
record only (see ``rmo_data.workshops.records``).

Concurrency: every write runs in one transaction that first takes the
database's write lock (``store.workshops.write_with_retries``: ``BEGIN
IMMEDIATE`` on SQLite; a row lock on the workshop on PostgreSQL), so reading
the workshop's status and writing the submission cannot interleave with a
close, and two new participants cannot both take one name.  Under that lock a
submission either updates the row its token owns or inserts a new one; the
``(workshop_id, participant)`` unique constraint still backs it up: a lost
insert race ends in an ``IntegrityError`` and the retry then refuses the taken
name.  Every write appends an ``audit_log`` row in the same transaction.  No
streamlit here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine

from rmo_data import constants
from rmo_data.access import roles
from rmo_data.analysis import scoring
from rmo_data.store.criteria import criteria_table
from rmo_data.store import schema
from rmo_data.store import workshops as workshop_store
from rmo_data.store.engine import get_engine
from rmo_data.store.workshops import SUBMISSION_COLUMNS, utc
from rmo_data.store.writes import audit, clean_text, now, to_json
from rmo_data.workshops import participants, records
from rmo_data.workshops.group_result import GroupResult, aggregate_from

NAME_MAX = 120  # workshop name
MIN_MATERIALS = 2
CODE_TRIES = 20

OPEN, CLOSED = "open", "closed"


def _engine(engine: Engine | None) -> Engine:
    return engine or get_engine()


def _workshop_row(conn: Connection, code: str, lock: bool = False) -> dict[str, Any]:
    """The stored workshop row for ``code`` as typed (locked on PostgreSQL); ValueError when unknown."""
    clean = participants.normalise_code(code)
    if not participants.valid_code(clean):
        raise ValueError(participants.malformed_code_text(code))
    row = workshop_store.workshop_row(conn, clean, lock=lock)
    if row is None:
        raise ValueError(f"No workshop has the code {clean}. Check the code with your facilitator.")
    return row


# --- writes ------------------------------------------------------------------------------

def create_workshop(name: str, materials: Sequence[str], criteria: Sequence[str],
                    engine: Engine | None = None, actor: str = constants.DEFAULT_ACTOR,
                    code_factory: Callable[[], str] = participants.new_code) -> tuple[int, str]:
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
    known = workshop_store.material_slugs(eng)
    bad = [m for m in mats if m not in known]
    if bad:
        raise ValueError(f"Unknown materials: {', '.join(map(str, bad))}.")

    for _ in range(CODE_TRIES):
        code = participants.normalise_code(code_factory())
        if not participants.valid_code(code):
            raise ValueError(f"The code maker returned {code!r}, which is not a join code.")
        values = {"code": code, "name": clean_name, "materials_json": to_json(mats),
                  "criteria_json": to_json(crits), "status": OPEN, "created_at": now(),
                  # The generic actor (no one signed in: a script, the CLI) is no one in particular.
                  "created_by": None if actor == constants.DEFAULT_ACTOR else actor}

        def work(conn: Connection, values: dict[str, Any] = values) -> int | None:
            if workshop_store.code_in_use(conn, values["code"]):
                return None  # taken: draw another code
            new_id = workshop_store.insert_workshop(conn, values)
            audit(conn, actor, "create", schema.workshop.name, new_id, None,
                  {**values, "materials_json": mats, "criteria_json": crits})
            return new_id

        new_id = workshop_store.write_with_retries(eng, work)
        if new_id is not None:
            return new_id, code
    raise ValueError("Could not find a free join code; try again.")


def submit_weights(code: str, participant: str | None, weights: Mapping[str, Any],
                   flagged: Iterable[str] = (), engine: Engine | None = None, token: str | None = None,
                   token_factory: Callable[[], str] = participants.new_token) -> dict[str, Any]:
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
        Draws a new participant's token (``participants.new_token``).

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
    own = participants.usable_token(token) if token is not None else None
    if token is not None and own is None:
        raise ValueError("This private link is not valid: submit under your name as a new participant.")
    name = None if own else participants.clean_participant(participant)
    flags = list(dict.fromkeys(flagged))
    new = None if own else token_factory()  # drawn outside the lock; only its hash is stored

    def work(conn: Connection) -> dict[str, Any]:
        ws = _workshop_row(conn, code, lock=True)
        if ws["status"] != OPEN:
            closed = utc(ws["closed_at"])
            when = f" on {closed:%d %b %Y at %H:%M} UTC" if closed else ""
            raise ValueError(f"The workshop “{ws['name']}” was closed{when}: it takes no more "
                             "submissions. Its result is shown below.")
        clean = participants.clean_weights(weights, json.loads(ws["criteria_json"]))
        participants.check_flags(flags, json.loads(ws["materials_json"]))
        table = schema.participant_weights.name
        stamp = now()
        values = {"weights_json": to_json(clean), "flagged_json": to_json(flags), "submitted_at": stamp}
        if own is None:
            assert name is not None and new is not None
            if participants.name_among(name, workshop_store.participant_names(conn, ws["id"])):
                raise ValueError(participants.NAME_TAKEN)
            row_id = workshop_store.insert_submission(conn, {
                "workshop_id": ws["id"], "participant": name, "token_hash": participants.hash_token(new),
                **values})
            audit(conn, name, "create", table, row_id, None,
                  {"workshop": ws["code"], "participant": name, "weights": clean, "flagged": flags,
                   "submitted_at": stamp})
            return {"participant": name, "weights": clean, "flagged": flags, "submitted_at": utc(stamp),
                    "revised": False, "token": new}
        existing = workshop_store.submission_by_token_hash(conn, ws["id"], participants.hash_token(own))
        if existing is None:
            raise ValueError("This private link does not belong to a submission of this workshop: "
                             "submit under your name as a new participant.")
        workshop_store.update_submission(conn, existing["id"], values)
        audit(conn, existing["participant"], "update", table, existing["id"],
              {"weights": json.loads(existing["weights_json"]),
               "flagged": json.loads(existing["flagged_json"] or "[]"),
               "submitted_at": existing["submitted_at"]},
              {"weights": clean, "flagged": flags, "submitted_at": stamp})
        return {"participant": existing["participant"], "weights": clean, "flagged": flags,
                "submitted_at": utc(stamp), "revised": True, "token": own}

    return workshop_store.write_with_retries(_engine(engine), work)


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
        (``participants.may_close``), an editor any.

    Raises
    ------
    ValueError
        Unknown code, the workshop is already closed, or ``actor`` may not close it.
    """
    eng = _engine(engine)
    # Reference data is read before the write lock is taken, to keep the lock short.
    crit = criteria if criteria is not None else criteria_table(eng)
    built = workshop_store.store_built_at(eng)

    def work(conn: Connection) -> dict[str, Any]:
        ws = _workshop_row(conn, code, lock=True)
        if ws["status"] != OPEN:
            raise ValueError(f"The workshop “{ws['name']}” is already closed.")
        if not participants.may_close(ws, actor, role):
            raise ValueError(f"Only {ws['created_by']}, who created the workshop “{ws['name']}”, or an "
                             "editor can close it.")
        subs = workshop_store.submissions(conn, ws["id"])
        closed_at = now()
        info = workshop_store.decode_workshop(ws)
        record = records.build_record(info, subs, aggregate_from(info, subs, crit), closed_at, actor, built)
        text = json.dumps(record, ensure_ascii=False, sort_keys=True, allow_nan=False)
        workshop_store.close_workshop_row(conn, ws["id"], CLOSED, closed_at, text)
        audit(conn, actor, "close", schema.workshop.name, ws["id"], {"status": OPEN},
              {"status": CLOSED, "closed_at": closed_at, "submissions": len(subs)})
        return json.loads(text)

    return workshop_store.write_with_retries(eng, work)


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
        return workshop_store.decode_workshop(_workshop_row(conn, code))


def status_of(code: str, engine: Engine | None = None) -> str | None:
    """The workshop's status (``OPEN``, ``CLOSED``) read alone, or None for a malformed or unknown code.

    Open participant pages poll it, so it reads one column of one row and never the frozen record.
    """
    clean = participants.normalise_code(code)
    if not participants.valid_code(clean):
        return None
    return workshop_store.workshop_status(_engine(engine), clean)


def list_workshops(status: str | None = None, engine: Engine | None = None) -> pd.DataFrame:
    """Workshops, newest first: id, code, name, status, created_at, closed_at, n_materials, submissions."""
    return workshop_store.list_workshops(_engine(engine), status)


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
        return workshop_store.submissions(conn, ws["id"])


def own_submission(code: str, token: str | None, engine: Engine | None = None) -> dict[str, Any] | None:
    """The submission ``token`` owns in the workshop ``code``, or None (no token, or not this one's).

    A dict with participant, weights, flagged and submitted_at: only what its
    owner entered, nobody else's.
    """
    own = participants.usable_token(token)
    if own is None:
        return None
    with _engine(engine).connect() as conn:
        ws = _workshop_row(conn, code)
        row = workshop_store.submission_by_token_hash(conn, ws["id"], participants.hash_token(own))
    return None if row is None else workshop_store.decode_submission(row)


def first_owned(code: str, tokens: Iterable[str | None],
                engine: Engine | None = None) -> tuple[str | None, dict[str, Any] | None]:
    """The first of ``tokens`` (empty ones and repeats skipped) that owns a submission, and that submission.

    (None, None) when none does.  A page passes the token of its address first,
    then one kept from an earlier submission.
    """
    for token in dict.fromkeys(t for t in tokens if t):
        row = own_submission(code, token, engine)
        if row is not None:
            return token, row
    return None, None


def name_taken(code: str, participant: str, engine: Engine | None = None) -> bool:
    """True when a participant of the workshop already has this name (in any case or spacing)."""
    if not isinstance(participant, str) or not participants.name_key(participant):
        return False
    with _engine(engine).connect() as conn:
        ws = _workshop_row(conn, code)
        names = workshop_store.participant_names(conn, ws["id"])
    return participants.name_among(participant, names)


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


def result_of(workshop: Mapping[str, Any], engine: Engine | None = None,
              criteria: scoring.CriteriaData | None = None) -> GroupResult:
    """The group result of a workshop already read (``get_workshop``).

    Open: computed now from the stored submissions and the store's criterion
    values (``criteria`` when given, e.g. a page's cached copy).  Closed: read
    from the frozen record, never recomputed.
    """
    if workshop["record"] is not None:
        return records.record_result(workshop["record"])
    eng = _engine(engine)
    crit = criteria if criteria is not None else criteria_table(eng)
    return aggregate_from(workshop, list_submissions(workshop["code"], eng), crit)


def aggregate(code: str, engine: Engine | None = None,
              criteria: scoring.CriteriaData | None = None) -> GroupResult:
    """The group result of the workshop ``code`` (``result_of``)."""
    eng = _engine(engine)
    return result_of(get_workshop(code, eng), eng, criteria)
