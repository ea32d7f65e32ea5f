"""Saved weight scenarios: save, list, load and delete, each change audited.

Every write validates its input first (``ValueError`` with a sentence the page
can show) and writes the row and its ``audit_log`` row in one transaction.
Nothing here is cached, so a read right after a write sees it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from rmo_data import constants
from rmo_data.store import schema
from rmo_data.store.writes import ACTOR_MAX, audit, clean_text, engine_or_default, now, to_json, whole_weights

NAME_MAX = 80
NOTE_MAX = 1000


def _clean_weights(weights: Mapping[str, Any]) -> dict[str, int]:
    """Weights as whole numbers 0-WEIGHT_MAX for known criteria; at least one above 0."""
    unknown = sorted(set(weights) - set(constants.CRITERION_SLUGS))
    if unknown:
        raise ValueError(f"Unknown criteria in the weights: {', '.join(unknown)}.")
    out = whole_weights(weights, constants.CRITERION_SLUGS)
    if not any(out.values()):
        raise ValueError("All weights are zero: a scenario needs at least one weight above 0.")
    return out


def _scenario_record(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "weights": json.loads(row["weights_json"]),
            "materials": json.loads(row["materials_json"]) if row["materials_json"] else [],
            "note": row["note"], "created_by": row["created_by"], "created_at": row["created_at"]}


def save_scenario(name: str, weights: Mapping[str, Any], materials: Sequence[str] = (),
                  note: str | None = None, actor: str = constants.DEFAULT_ACTOR,
                  engine: Engine | None = None) -> int:
    """Store a named set of weights (and the materials in view) and return its id.

    Parameters
    ----------
    name : str
        1 to ``NAME_MAX`` characters, unique (compared without surrounding spaces).
    weights : mapping of str to int
        Criterion slug → whole number 0-10; criteria not given weigh 0.
    materials : sequence of str
        Materials in view when saved (empty = all).
    note, actor : str
        Free note; who saved it (for the audit log).
    engine : sqlalchemy.Engine, optional
        The store; the default engine when omitted.

    Raises
    ------
    ValueError
        Empty, too long or duplicate name; invalid weights; a material the store
        does not hold.
    """
    clean_name = clean_text(name, NAME_MAX, "scenario name", required=True)
    clean_weights = _clean_weights(weights)
    mats = list(dict.fromkeys(materials))
    clean_note = clean_text(note, NOTE_MAX, "note")
    values = {"name": clean_name, "weights_json": to_json(clean_weights), "materials_json": to_json(mats),
              "note": clean_note, "created_by": clean_text(actor, ACTOR_MAX, "actor") or constants.DEFAULT_ACTOR,
              "created_at": now()}
    try:
        with engine_or_default(engine).begin() as conn:
            known = set(conn.execute(select(schema.material.c.slug)).scalars())
            bad = [m for m in mats if m not in known]
            if bad:
                raise ValueError(f"Unknown materials: {', '.join(map(str, bad))}.")
            exists = conn.execute(select(schema.scenario.c.id).where(schema.scenario.c.name == clean_name)).first()
            if exists:
                raise ValueError(f"A scenario named “{clean_name}” already exists: choose another name "
                                 "or delete the old one first.")
            new_id = int(conn.execute(insert(schema.scenario).values(**values)).inserted_primary_key[0])
            audit(conn, actor, "create", schema.scenario.name, new_id, None,
                   {**values, "weights_json": clean_weights, "materials_json": mats})
    except IntegrityError:  # a concurrent save took the name between check and insert
        raise ValueError(f"A scenario named “{clean_name}” already exists.") from None
    return new_id


def list_scenarios(engine: Engine | None = None) -> pd.DataFrame:
    """Saved scenarios, newest first: id, name, weights (dict), materials (list), note, created_by/at."""
    with engine_or_default(engine).connect() as conn:
        rows = conn.execute(select(schema.scenario).order_by(schema.scenario.c.created_at.desc(),
                                                         schema.scenario.c.id.desc())).mappings().all()
    return pd.DataFrame([_scenario_record(r) for r in rows],
                        columns=["id", "name", "weights", "materials", "note", "created_by", "created_at"])


def load_scenario(key: int | str, engine: Engine | None = None) -> dict[str, Any]:
    """One scenario by id or by name, as a dict (weights and materials decoded).

    Weights of criteria the app no longer knows are dropped; criteria added
    since the scenario was saved weigh 0.

    Raises
    ------
    ValueError
        When no scenario has that id or name.
    """
    column = schema.scenario.c.id if isinstance(key, int) else schema.scenario.c.name
    with engine_or_default(engine).connect() as conn:
        row = conn.execute(select(schema.scenario).where(column == key)).mappings().first()
        known = set(conn.execute(select(schema.material.c.slug)).scalars())
    if row is None:
        raise ValueError(f"No saved scenario {key!r}.")
    record = _scenario_record(row)
    record["weights"] = {c: int(record["weights"].get(c, 0)) for c in constants.CRITERION_SLUGS}
    # A rebuild keeps scenarios; a material it no longer holds is dropped from the view.
    record["materials"] = [m for m in record["materials"] if m in known]
    return record


def delete_scenario(scenario_id: int, actor: str = constants.DEFAULT_ACTOR, engine: Engine | None = None) -> None:
    """Delete one scenario (audited).

    Raises
    ------
    ValueError
        When no scenario has that id.
    """
    with engine_or_default(engine).begin() as conn:
        row = conn.execute(select(schema.scenario).where(schema.scenario.c.id == scenario_id)).mappings().first()
        if row is None:
            raise ValueError(f"No saved scenario with id {scenario_id}.")
        conn.execute(delete(schema.scenario).where(schema.scenario.c.id == scenario_id))
        audit(conn, actor, "delete", schema.scenario.name, scenario_id, dict(row), None)
