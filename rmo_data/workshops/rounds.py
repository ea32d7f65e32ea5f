"""A workshop's rounds: reveal the group result to the room, then optionally a second round.

The room does not see the group result until the facilitator reveals it
(``reveal``: ``workshop.revealed_at``); once it has seen it, ``next_round``
freezes round 1 (its submissions and group result, never recomputed) into the
workshop's rounds and opens round 2, in which everyone may revise.  Closing
(``lifecycle.close_workshop``) then keeps every round in the record.  Only the
workshop's creator or an editor may take these steps
(``lifecycle.facilitated_row``).  Every step is one write transaction with its
audit row.  No streamlit here.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Engine

from rmo_data import constants
from rmo_data.access import roles
from rmo_data.analysis import scoring
from rmo_data.store import schema
from rmo_data.store import workshops as workshop_store
from rmo_data.store.criteria import criteria_table
from rmo_data.store.engine import get_engine
from rmo_data.store.writes import audit, now
from rmo_data.workshops import lifecycle, participants, records
from rmo_data.workshops.group_result import aggregate_from


def reveal(code: str, engine: Engine | None = None, actor: str = constants.DEFAULT_ACTOR,
           role: str = roles.PARTNER) -> dict[str, Any]:
    """Show the current round's group result to the room (participants' pages and the projector).

    Returns the workshop as ``get_workshop`` reads it.  Revealing twice is harmless (the first time stays).

    Raises
    ------
    ValueError
        Unknown or closed workshop, or ``actor`` may not run it.
    """
    def work(conn: Connection) -> None:
        ws = lifecycle.facilitated_row(conn, code, actor, role, "reveal")
        if ws["revealed_at"] is None:
            stamp = now()
            workshop_store.update_workshop(conn, ws["id"], {"revealed_at": stamp})
            audit(conn, actor, "reveal", schema.workshop.name, ws["id"], {"revealed_at": None},
                  {"revealed_at": stamp, "round": ws["round"]})

    eng = engine or get_engine()
    workshop_store.write_with_retries(eng, work)
    return lifecycle.get_workshop(code, eng)


def next_round(code: str, engine: Engine | None = None, actor: str = constants.DEFAULT_ACTOR,
               role: str = roles.PARTNER, criteria: scoring.CriteriaData | None = None) -> dict[str, Any]:
    """Freeze the current round and open round 2: participants see round 1's result and may revise.

    Round 1's submissions and group result go into the workshop's rounds (they
    are never recomputed); every participant's answer is carried into round 2
    as it stands, so whoever does not revise keeps their round-1 answer.

    Raises
    ------
    ValueError
        Unknown or closed workshop, ``actor`` may not run it, no submission
        yet, the result not revealed yet, or already in the last round.
    """
    eng = engine or get_engine()
    crit = criteria if criteria is not None else criteria_table(eng)

    def work(conn: Connection) -> None:
        ws = lifecycle.facilitated_row(conn, code, actor, role, "start a new round of")
        info = workshop_store.decode_workshop(ws)
        if info["round"] >= participants.ROUNDS_MAX:
            raise ValueError(f"This workshop is in its last round ({participants.ROUNDS_MAX}): close it "
                             "to freeze the record.")
        if info["revealed_at"] is None:
            raise ValueError("Reveal the group result first: a second round lets participants revise "
                             "after they have seen it.")
        subs = workshop_store.submissions(conn, ws["id"])
        if subs.empty:
            raise ValueError("Nobody has submitted yet: there is no first round to compare with.")
        stamp = now()
        done = records.round_record(info, subs, aggregate_from(info, subs, crit), stamp)
        rounds = [*info["rounds"], done]
        workshop_store.update_workshop(conn, ws["id"], {
            "round": info["round"] + 1, "revealed_at": None,
            "rounds_json": json.dumps(rounds, ensure_ascii=False, sort_keys=True, allow_nan=False)})
        audit(conn, actor, "next_round", schema.workshop.name, ws["id"], {"round": info["round"]},
              {"round": info["round"] + 1, "submissions": len(subs)})

    workshop_store.write_with_retries(eng, work)
    return lifecycle.get_workshop(code, eng)
