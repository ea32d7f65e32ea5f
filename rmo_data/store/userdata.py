"""User-made state: saved weight scenarios and the action plan, each change audited.

Every write validates its input first (a ``ValueError`` with a sentence the
page can show as it is) and then changes the row and appends an ``audit_log``
row (actor, action, table, row key, before and after as JSON) in one
transaction, so the log never disagrees with the data.  Portable SQLAlchemy
Core only; nothing here imports streamlit and nothing is cached, so a read
right after a write sees it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from rmo_data import constants
from rmo_data.store import schema
from rmo_data.store.engine import get_engine
from rmo_data.exports import frame_csv, frame_xlsx

NAME_MAX = 80
NOTE_MAX = 1000
OWNER_MAX = 120
ACTOR_MAX = 120

PLAN_COLUMNS = ["id", "leverage_id", "title", "material", "category", "actor", "owner", "due_date",
                "status", "note", "created_at", "updated_at"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v),
                      sort_keys=True, ensure_ascii=False)


def _audit(conn: Connection, actor: str, action: str, table: str, key: Any,
           before: Mapping[str, Any] | None, after: Mapping[str, Any] | None,
           change_set_id: int | None = None) -> int:
    """Append one audit row in the caller's transaction and return its id."""
    values: dict[str, Any] = {
        "at": _now(), "actor": _clean_text(actor, ACTOR_MAX, "actor") or constants.DEFAULT_ACTOR,
        "action": action, "table_name": table, "row_key": str(key),
        "before_json": _json(dict(before) if before else None),
        "after_json": _json(dict(after) if after else None)}
    if change_set_id is not None:  # only editors' change sets: older stores lack the column
        values["change_set_id"] = change_set_id
    return int(conn.execute(insert(schema.audit_log).values(**values)).inserted_primary_key[0])


def _clean_text(value: Any, limit: int, what: str, required: bool = False) -> str | None:
    """Strip a text field; None when empty; ValueError when too long or required and empty."""
    if value is None or (isinstance(value, float) and value != value):
        text = ""
    elif not isinstance(value, str):
        raise ValueError(f"The {what} must be text.")
    else:
        text = value.strip()
    if required and not text:
        raise ValueError(f"Give a {what}.")
    if len(text) > limit:
        raise ValueError(f"The {what} is too long: at most {limit} characters, got {len(text)}.")
    return text or None


def _engine(engine: Engine | None) -> Engine:
    return engine or get_engine()


# --- scenarios ------------------------------------------------------------------

def _whole_weights(weights: Mapping[str, Any], criteria: Sequence[str]) -> dict[str, int]:
    """Each of ``criteria`` from ``weights`` (0 when absent) as a whole number 0-``WEIGHT_MAX``.

    Raises ValueError naming the criterion for a weight that is not a number or out of range;
    scenarios and workshop submissions share it and add their own other checks.
    """
    out: dict[str, int] = {}
    for slug in criteria:
        raw = weights.get(slug, 0)
        try:
            number = float(raw)
        except (TypeError, ValueError):
            raise ValueError(f"The weight of {constants.CRITERION_LABELS[slug]} is not a number: {raw!r}.") from None
        if not 0 <= number <= constants.WEIGHT_MAX or number != int(number):
            raise ValueError(f"The weight of {constants.CRITERION_LABELS[slug]} must be a whole number from 0 "
                             f"to {constants.WEIGHT_MAX}, got {raw!r}.")
        out[slug] = int(number)
    return out


def _clean_weights(weights: Mapping[str, Any]) -> dict[str, int]:
    """Weights as whole numbers 0-WEIGHT_MAX for known criteria; at least one above 0."""
    unknown = sorted(set(weights) - set(constants.CRITERION_SLUGS))
    if unknown:
        raise ValueError(f"Unknown criteria in the weights: {', '.join(unknown)}.")
    out = _whole_weights(weights, constants.CRITERION_SLUGS)
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
    clean_name = _clean_text(name, NAME_MAX, "scenario name", required=True)
    clean_weights = _clean_weights(weights)
    mats = list(dict.fromkeys(materials))
    clean_note = _clean_text(note, NOTE_MAX, "note")
    values = {"name": clean_name, "weights_json": _json(clean_weights), "materials_json": _json(mats),
              "note": clean_note, "created_by": _clean_text(actor, ACTOR_MAX, "actor") or constants.DEFAULT_ACTOR,
              "created_at": _now()}
    try:
        with _engine(engine).begin() as conn:
            known = set(conn.execute(select(schema.material.c.slug)).scalars())
            bad = [m for m in mats if m not in known]
            if bad:
                raise ValueError(f"Unknown materials: {', '.join(map(str, bad))}.")
            exists = conn.execute(select(schema.scenario.c.id).where(schema.scenario.c.name == clean_name)).first()
            if exists:
                raise ValueError(f"A scenario named “{clean_name}” already exists: choose another name "
                                 "or delete the old one first.")
            new_id = int(conn.execute(insert(schema.scenario).values(**values)).inserted_primary_key[0])
            _audit(conn, actor, "create", schema.scenario.name, new_id, None,
                   {**values, "weights_json": clean_weights, "materials_json": mats})
    except IntegrityError:  # a concurrent save took the name between check and insert
        raise ValueError(f"A scenario named “{clean_name}” already exists.") from None
    return new_id


def list_scenarios(engine: Engine | None = None) -> pd.DataFrame:
    """Saved scenarios, newest first: id, name, weights (dict), materials (list), note, created_by/at."""
    with _engine(engine).connect() as conn:
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
    with _engine(engine).connect() as conn:
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
    with _engine(engine).begin() as conn:
        row = conn.execute(select(schema.scenario).where(schema.scenario.c.id == scenario_id)).mappings().first()
        if row is None:
            raise ValueError(f"No saved scenario with id {scenario_id}.")
        conn.execute(delete(schema.scenario).where(schema.scenario.c.id == scenario_id))
        _audit(conn, actor, "delete", schema.scenario.name, scenario_id, dict(row), None)


# --- action plan ------------------------------------------------------------------

def _clean_date(value: Any) -> dt.date | None:
    if value is None or value == "" or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"The due date must be a date (YYYY-MM-DD), got {value!r}.")


def _clean_status(value: Any) -> str:
    if value not in constants.PLAN_STATUS_SLUGS:
        allowed = ", ".join(constants.PLAN_STATUS_LABELS[s].lower() for s in constants.PLAN_STATUS_SLUGS)
        raise ValueError(f"Unknown status {value!r}: use one of {allowed}.")
    return str(value)


def add_plan_item(leverage_id: str, owner: str | None = None, due_date: Any = None,
                  status: str = "planned", note: str | None = None, actor: str = constants.DEFAULT_ACTOR,
                  engine: Engine | None = None) -> int:
    """Add a leverage card to the action plan and return the new item's id.

    Parameters
    ----------
    leverage_id : str
        Id of a stored leverage card.
    owner : str, optional
        Who carries it (at most ``OWNER_MAX`` characters).
    due_date : datetime.date or ISO string, optional
        When it is due (YYYY-MM-DD).
    status : str
        One of ``constants.PLAN_STATUS_SLUGS``.
    note : str, optional
        At most ``NOTE_MAX`` characters.
    actor : str
        Who made the change, for the audit log.
    engine : sqlalchemy.Engine, optional
        The store; the default engine when omitted.

    Raises
    ------
    ValueError
        Unknown card, bad status or date, text too long.
    """
    values = {"leverage_id": leverage_id, "owner": _clean_text(owner, OWNER_MAX, "owner"),
              "due_date": _clean_date(due_date), "status": _clean_status(status),
              "note": _clean_text(note, NOTE_MAX, "note")}
    now = _now()
    with _engine(engine).begin() as conn:
        known = conn.execute(select(schema.leverage.c.id).where(schema.leverage.c.id == leverage_id)).first()
        if known is None:
            raise ValueError(f"No leverage card with id {leverage_id!r}.")
        new_id = int(conn.execute(insert(schema.action_plan_item).values(
            **values, created_at=now, updated_at=now)).inserted_primary_key[0])
        _audit(conn, actor, "create", schema.action_plan_item.name, new_id, None, values)
    return new_id


def update_plan_item(item_id: int, actor: str = constants.DEFAULT_ACTOR, engine: Engine | None = None,
                     **changes: Any) -> None:
    """Change owner, due_date, status and/or note of a plan item (audited).

    Raises
    ------
    ValueError
        Unknown item or field, or an invalid value.
    """
    allowed = {"owner", "due_date", "status", "note"}
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise ValueError(f"Cannot change {', '.join(unknown)}: only owner, due date, status and note.")
    cleaners = {"owner": lambda v: _clean_text(v, OWNER_MAX, "owner"), "due_date": _clean_date,
                "status": _clean_status, "note": lambda v: _clean_text(v, NOTE_MAX, "note")}
    values = {k: cleaners[k](v) for k, v in changes.items()}
    t = schema.action_plan_item
    with _engine(engine).begin() as conn:
        row = conn.execute(select(t).where(t.c.id == item_id)).mappings().first()
        if row is None:
            raise ValueError(f"No plan item with id {item_id}.")
        before = {k: row[k] for k in values}
        if before == values:
            return  # nothing changed: no write, no audit row
        conn.execute(update(t).where(t.c.id == item_id).values(**values, updated_at=_now()))
        _audit(conn, actor, "update", t.name, item_id, before, values)


def delete_plan_item(item_id: int, actor: str = constants.DEFAULT_ACTOR, engine: Engine | None = None) -> None:
    """Remove a plan item (audited).

    Raises
    ------
    ValueError
        When no item has that id.
    """
    t = schema.action_plan_item
    with _engine(engine).begin() as conn:
        row = conn.execute(select(t).where(t.c.id == item_id)).mappings().first()
        if row is None:
            raise ValueError(f"No plan item with id {item_id}.")
        conn.execute(delete(t).where(t.c.id == item_id))
        _audit(conn, actor, "delete", t.name, item_id, dict(row), None)


def list_plan_items(engine: Engine | None = None) -> pd.DataFrame:
    """The action plan with each card's title, material, category and actor, by due date.

    Items whose card is no longer in the store keep their row; the card
    fields are then empty.
    """
    t, lv = schema.action_plan_item, schema.leverage
    query = (select(t.c.id, t.c.leverage_id, lv.c.title, lv.c.material, lv.c.category,
                    lv.c.actor, t.c.owner, t.c.due_date, t.c.status, t.c.note, t.c.created_at,
                    t.c.updated_at)
             .outerjoin(lv, lv.c.id == t.c.leverage_id)
             .order_by(t.c.due_date.is_(None), t.c.due_date, t.c.id))
    with _engine(engine).connect() as conn:
        rows = conn.execute(query).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=PLAN_COLUMNS)


def audit_rows(table: str | None = None, engine: Engine | None = None) -> pd.DataFrame:
    """Audit log rows, oldest first (optionally of one table)."""
    query = select(schema.audit_log).order_by(schema.audit_log.c.id)
    if table:
        query = query.where(schema.audit_log.c.table_name == table)
    with _engine(engine).connect() as conn:
        result = conn.execute(query)
        return pd.DataFrame(result.mappings().all(), columns=list(result.keys()))


# --- export -----------------------------------------------------------------------------

def plan_export_frame(plan: pd.DataFrame) -> pd.DataFrame:
    """The plan with readable labels, ready for CSV or XLSX."""
    out = pd.DataFrame({
        "Card": plan["leverage_id"],
        "Action": plan["title"],
        "Owner": plan["owner"],
        "Due date": [d.isoformat() if isinstance(d, dt.date) else (d or "") for d in plan["due_date"]],
        "Status": plan["status"].map(constants.PLAN_STATUS_LABELS),
        "Note": plan["note"],
        "Material": [constants.MATERIAL_LABELS.get(m, m) if isinstance(m, str) else constants.CROSS_MATERIAL_LABEL
                     for m in plan["material"]],
        "Leverage category": plan["category"].map(constants.LEVERAGE_CATEGORY_LABELS),
        "Actor": plan["actor"].map(constants.ACTOR_LABELS),
    })
    return out


def plan_csv(plan: pd.DataFrame) -> bytes:
    """The plan as CSV (``exports.frame_csv``: an owner typed as a formula stays text)."""
    return frame_csv(plan_export_frame(plan))


def plan_xlsx(plan: pd.DataFrame) -> bytes:
    """The plan as an Excel workbook, one sheet "Action plan" (``exports.frame_xlsx``)."""
    return frame_xlsx({"Action plan": plan_export_frame(plan)})
