"""A workshop's life in the store: create it, take the participants' weights, close it, read it back.

A facilitator creates a workshop (a name, the materials in scope, the
criteria to weigh) and gets a six-character join code; the workshop records
who created it (``created_by``), and only they or an editor may close it
(``participants.may_close``).  Participants submit weights 0-10 for those
criteria under their own name, and may flag up to ``participants.FLAG_MAX``
materials they think matter most.

Participants own their submission through a private token, drawn when their
device first opens the join link (``join``): the store keeps only its SHA-256
on a ``workshop_device`` row with the device's number, and the page keeps the
token in the participant's address (``?join=CODE&p=TOKEN``).  A first
submission is stored under that token and every later one revises it, so a
reload, a double press or a submit sent again after a lost connection never
makes a second participant.  A name alone never reopens a submission, and a
new participant whose name is already taken in the workshop (compared without
case or surrounding spaces) is refused.  An anonymous workshop asks for no
name and stores "Participant N"; a pairwise workshop derives the weights from
the comparisons here (AHP, ``rmo_data.workshops.pairwise``); a workshop with a
capacity refuses devices beyond it.

The facilitator may reveal the group result to the room and open a second
round (``rmo_data.workshops.rounds``); ``phase_of`` is the short text open
pages poll to notice any of these steps.

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
from rmo_data.store import data_version, schema
from rmo_data.store import workshops as workshop_store
from rmo_data.store.engine import get_engine
from rmo_data.store.workshops import SUBMISSION_COLUMNS, utc
from rmo_data.store.writes import audit, clean_text, now, to_json
from rmo_data.workshops import pairwise as pairwise_method
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
                    code_factory: Callable[[], str] = participants.new_code,
                    mode: str = participants.NAMED, method: str = participants.SLIDERS,
                    capacity: int | None = None) -> tuple[int, str]:
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
    mode : str
        ``participants.NAMED`` (participants give a name) or ``ANONYMOUS``
        (no name is asked or stored: "Participant N").
    method : str
        ``participants.SLIDERS`` (a weight 0-10 per criterion) or ``PAIRWISE``
        (criteria compared two at a time, weights derived as in AHP).
    capacity : int, optional
        The most devices that may join (2 to ``participants.CAPACITY_MAX``); None for no limit.

    Raises
    ------
    ValueError
        Empty or long name, too few or unknown materials, no or unknown
        criteria, an unknown mode or method, a bad capacity; pairwise with
        fewer than two criteria or more than the consistency check handles (10).
    """
    clean_name = clean_text(name, NAME_MAX, "workshop name", required=True)
    places = participants.check_setup(mode, method, capacity)
    mats = list(dict.fromkeys(materials))
    if len(mats) < MIN_MATERIALS:
        raise ValueError(f"Choose at least {MIN_MATERIALS} materials: a ranking needs something to compare.")
    unknown = sorted(set(criteria) - set(constants.CRITERION_SLUGS))
    if unknown:
        raise ValueError(f"Unknown criteria: {', '.join(map(str, unknown))}.")
    crits = [c for c in constants.CRITERION_SLUGS if c in set(criteria)]
    if not crits:
        raise ValueError("Choose at least one criterion for the participants to weigh.")
    if method == participants.PAIRWISE and len(crits) < 2:
        raise ValueError("Pairwise weighing compares criteria two at a time: choose at least two criteria.")
    most = max(pairwise_method.RANDOM_INDEX)
    if method == participants.PAIRWISE and len(crits) > most:
        # Refused here, not when the first participant submits: the consistency check stops at this many.
        raise ValueError(f"Pairwise weighing works for at most {most} criteria: choose fewer.")
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
                  "created_by": None if actor == constants.DEFAULT_ACTOR else actor,
                  "mode": mode, "method": method, "capacity": places, "round": 1}

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


def _closed_text(ws: Mapping[str, Any]) -> str:
    closed = utc(ws["closed_at"])
    when = f" on {closed:%d %b %Y at %H:%M} UTC" if closed else ""
    return (f"The workshop “{ws['name']}” was closed{when}: it takes no more submissions. Its result is "
            "shown below.")


def join(code: str, token: str | None = None, engine: Engine | None = None,
         token_factory: Callable[[], str] = participants.new_token) -> dict[str, Any]:
    """Register this device in an open workshop on its first open, or find it again by its token.

    The token is drawn and registered before the participant enters anything,
    so a reload, a double submit or a submit retried after a lost connection
    all find the same participant: nothing is created twice.

    Parameters
    ----------
    token : str, optional
        A token this device already holds (from its address or session). When
        it belongs to this workshop (a device, or a submission made before
        devices were registered) the device is found again; otherwise a new one
        is registered, as with None.

    Returns
    -------
    dict
        token (keep it: it is the device's private key), seq (the device's
        number in the workshop) and new (True when registered by this call).

    Raises
    ------
    ValueError
        Unknown code, a closed workshop, or a full one (``participants.FULL``).
    """
    own = participants.usable_token(token)
    new = token_factory()  # drawn outside the lock; only its hash is stored

    def work(conn: Connection) -> dict[str, Any]:
        ws = _workshop_row(conn, code, lock=True)
        if own is not None:
            hashed = participants.hash_token(own)
            device = workshop_store.device_by_token_hash(conn, hashed)
            if device is not None and device["workshop_id"] == ws["id"]:
                return {"token": own, "seq": int(device["seq"]), "new": False}
            if device is None and workshop_store.submission_by_token_hash(conn, ws["id"], hashed) is not None:
                if ws["status"] != OPEN:
                    return {"token": own, "seq": 0, "new": False}
                # A submission made before devices were registered: register its device now.
                seq = workshop_store.insert_device(conn, ws["id"], hashed, now())
                data_version.bump(conn, data_version.WORKSHOPS)  # not audited, still a change of the room
                return {"token": own, "seq": seq, "new": False}
        if ws["status"] != OPEN:
            raise ValueError(_closed_text(ws))
        if ws.get("capacity") and workshop_store.device_count(conn, ws["id"]) >= ws["capacity"]:
            raise ValueError(participants.FULL.format(capacity=ws["capacity"]))
        hashed = participants.hash_token(new)
        seq = workshop_store.insert_device(conn, ws["id"], hashed, now())
        device_id = workshop_store.device_by_token_hash(conn, hashed)["id"]  # the audit names the row
        audit(conn, participants.anonymous_label(seq), "join", schema.workshop_device.name, device_id, None,
              {"workshop": ws["code"], "seq": seq})
        return {"token": new, "seq": seq, "new": True}

    return workshop_store.write_with_retries(_engine(engine), work)


def submit_weights(code: str, participant: str | None, weights: Mapping[str, Any] | None,
                   flagged: Iterable[str] = (), engine: Engine | None = None, token: str | None = None,
                   token_factory: Callable[[], str] = participants.new_token,
                   pairwise: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Store a participant's weights for an open workshop, or revise them with their token.

    Parameters
    ----------
    code : str
        The join code (any case; spaces and dashes ignored).
    participant : str or None
        A named workshop's new participant's name, 1-``PARTICIPANT_MAX``
        characters; refused when another participant of the workshop has it
        (in any case).  Ignored when the token already owns a submission (a
        revision keeps the stored name) and in an anonymous workshop, which
        stores "Participant N" and no name at all.
    weights : mapping of str to int, or None
        Sliders: whole numbers 0-10 for the workshop's criteria (criteria not
        given weigh 0); at least one above 0.  Ignored for a pairwise workshop.
    flagged : iterable of str
        Up to ``FLAG_MAX`` of the workshop's materials that the participant
        thinks matter most.
    engine : sqlalchemy.Engine, optional
    token : str, optional
        The device's private token (``join``): a first submission is stored
        under it, a later one revises that submission.  None registers a new
        device first (as ``join`` does) and submits under its token.
    token_factory : callable
        Draws a new device's token when ``token`` is None.
    pairwise : mapping, optional
        A pairwise workshop's comparisons (``{"comparisons": [[a, b, value], ...]}``);
        the weights are derived from them here (``rmo_data.workshops.pairwise``).

    Returns
    -------
    dict
        participant (as stored), weights, flagged, submitted_at (UTC),
        revised (True when an earlier submission was replaced), token (the
        participant's private token: keep it to revise later) and pairwise
        (what was stored of the comparisons, or None).

    Raises
    ------
    ValueError
        Unknown code, closed or full workshop, bad or taken name, a token that
        belongs to another workshop or to nothing, bad weights, comparisons or flags.
    """
    own = participants.usable_token(token) if token is not None else None
    if token is not None and own is None:
        raise ValueError("This private link is not valid: open the workshop's join link again.")
    flags = list(dict.fromkeys(flagged))
    new = None if own else token_factory()  # drawn outside the lock; only its hash is stored

    def work(conn: Connection) -> dict[str, Any]:
        ws = _workshop_row(conn, code, lock=True)
        if ws["status"] != OPEN:
            raise ValueError(_closed_text(ws))
        crits = json.loads(ws["criteria_json"])
        if (ws.get("method") or participants.SLIDERS) == participants.PAIRWISE:
            answer = pairwise_method.submitted_answer(pairwise, crits)  # the weights derived here, never sent
            clean, kept = pairwise_method.answer_shares(answer), answer.to_dict()
        else:
            clean, kept = participants.clean_weights(weights or {}, crits), None
        participants.check_flags(flags, json.loads(ws["materials_json"]))
        table = schema.participant_weights.name
        stamp = now()
        values = {"weights_json": to_json(clean), "flagged_json": to_json(flags), "submitted_at": stamp,
                  "pairwise_json": to_json(kept) if kept is not None else None}
        hashed = participants.hash_token(own or new or "")
        existing = workshop_store.submission_by_token_hash(conn, ws["id"], hashed) if own else None
        if existing is not None:
            workshop_store.update_submission(conn, existing["id"], values)
            audit(conn, existing["participant"], "update", table, existing["id"],
                  {"weights": json.loads(existing["weights_json"]),
                   "flagged": json.loads(existing["flagged_json"] or "[]"),
                   "submitted_at": existing["submitted_at"]},
                  {"weights": clean, "flagged": flags, "submitted_at": stamp})
            return {"participant": existing["participant"], "weights": clean, "flagged": flags,
                    "submitted_at": utc(stamp), "revised": True, "token": own, "pairwise": kept}
        device = workshop_store.device_by_token_hash(conn, hashed)
        if own is not None and (device is None or device["workshop_id"] != ws["id"]):
            raise ValueError("This private link does not belong to this workshop: open the workshop's "
                             "join link again.")
        if device is None:  # no token yet (a script, an old page): register the device first
            if ws.get("capacity") and workshop_store.device_count(conn, ws["id"]) >= ws["capacity"]:
                raise ValueError(participants.FULL.format(capacity=ws["capacity"]))
            seq = workshop_store.insert_device(conn, ws["id"], hashed, stamp)
        else:
            seq = int(device["seq"])
        if (ws.get("mode") or participants.NAMED) == participants.ANONYMOUS:
            name = participants.anonymous_label(seq)  # no name is asked for or stored
        else:
            name = participants.clean_participant(participant)
            if participants.name_among(name, workshop_store.participant_names(conn, ws["id"])):
                raise ValueError(participants.NAME_TAKEN)
        row_id = workshop_store.insert_submission(conn, {
            "workshop_id": ws["id"], "participant": name, "token_hash": hashed, **values})
        audit(conn, name, "create", table, row_id, None,
              {"workshop": ws["code"], "participant": name, "weights": clean, "flagged": flags,
               "submitted_at": stamp})
        return {"participant": name, "weights": clean, "flagged": flags, "submitted_at": utc(stamp),
                "revised": False, "token": own or new, "pairwise": kept}

    return workshop_store.write_with_retries(_engine(engine), work)


def facilitated_row(conn: Connection, code: str, actor: str, role: str, verb: str) -> dict[str, Any]:
    """The open workshop ``code``, locked, when ``actor`` may run it (ValueError otherwise)."""
    ws = _workshop_row(conn, code, lock=True)
    if ws["status"] != OPEN:
        raise ValueError(f"The workshop “{ws['name']}” is already closed.")
    if not participants.may_close(ws, actor, role):
        raise ValueError(f"Only {ws['created_by']}, who created the workshop “{ws['name']}”, or an "
                         f"editor can {verb} it.")
    return ws


def close_workshop(code: str, engine: Engine | None = None, actor: str = constants.DEFAULT_ACTOR,
                   criteria: scoring.CriteriaData | None = None,
                   role: str = roles.PARTNER) -> dict[str, Any]:
    """Close an open workshop and freeze its record; returns the record.

    The record holds the workshop (with its mode, method and who closed it),
    every submission of the last round with its time, the group result
    (``GroupResult.to_record``) with the model default, every round
    (``round_record``; one for a one-round workshop), and the data version it
    was computed on (``records.data_version``: the store's build version and
    time, a SHA-256 of the criterion values).  It is computed and written in
    the transaction that sets the status, so a submission either made it in
    before the close or is refused.

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
        ws = facilitated_row(conn, code, actor, role, "close")
        subs = workshop_store.submissions(conn, ws["id"])
        closed_at = now()
        info = workshop_store.decode_workshop(ws)
        result = aggregate_from(info, subs, crit)
        rounds = [*info["rounds"], records.round_record(info, subs, result, closed_at)]
        version = records.data_version(crit, info["materials"], info["criteria"], built)
        record = records.build_record(info, subs, result, closed_at, actor, built, rounds, version)
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


def phase_of(code: str, engine: Engine | None = None) -> str | None:
    """The workshop's phase (``participants.phase``: status, round, revealed) read alone, or None for
    a malformed or unknown code.  Open pages poll it, so it reads three columns of one row."""
    clean = participants.normalise_code(code)
    if not participants.valid_code(clean):
        return None
    found = workshop_store.workshop_phase(_engine(engine), clean)
    return None if found is None else participants.phase(*found)


def room_counts(code: str, engine: Engine | None = None) -> dict[str, Any] | None:
    """Devices joined, participants submitted and their names or labels (``store.workshops.room_counts``)."""
    clean = participants.normalise_code(code)
    if not participants.valid_code(clean):
        return None
    return workshop_store.room_counts(_engine(engine), clean)


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
