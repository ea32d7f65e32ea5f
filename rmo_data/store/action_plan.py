"""The action plan: cards a company commits to, with owner, due date and status, each change audited.

Also the plan as a download (CSV and XLSX through ``rmo_data.exports``, so an
owner typed as a formula stays text).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import Engine, delete, insert, select, update

from rmo_data import constants
from rmo_data.exports import frame_csv, frame_xlsx
from rmo_data.store import schema
from rmo_data.store.writes import audit, clean_text, engine_or_default, now

NOTE_MAX = 1000
OWNER_MAX = 120

PLAN_COLUMNS = ["id", "leverage_id", "title", "material", "category", "actor", "owner", "due_date",
                "status", "note", "created_at", "updated_at"]



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
        Unknown card, a card already in the plan, bad status or date, text too long.
    """
    values = {"leverage_id": leverage_id, "owner": clean_text(owner, OWNER_MAX, "owner"),
              "due_date": _clean_date(due_date), "status": _clean_status(status),
              "note": clean_text(note, NOTE_MAX, "note")}
    stamp = now()
    with engine_or_default(engine).begin() as conn:
        known = conn.execute(select(schema.leverage.c.id).where(schema.leverage.c.id == leverage_id)).first()
        if known is None:
            raise ValueError(f"No leverage card with id {leverage_id!r}.")
        # One item per card: a second would split owners and statuses of one action.
        held = conn.execute(select(schema.action_plan_item.c.id)
                            .where(schema.action_plan_item.c.leverage_id == leverage_id)).first()
        if held is not None:
            raise ValueError(f"{leverage_id} is already in the action plan (item #{int(held[0])}); "
                             "edit that item instead.")
        new_id = int(conn.execute(insert(schema.action_plan_item).values(
            **values, created_at=stamp, updated_at=stamp)).inserted_primary_key[0])
        audit(conn, actor, "create", schema.action_plan_item.name, new_id, None, values)
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
    cleaners = {"owner": lambda v: clean_text(v, OWNER_MAX, "owner"), "due_date": _clean_date,
                "status": _clean_status, "note": lambda v: clean_text(v, NOTE_MAX, "note")}
    values = {k: cleaners[k](v) for k, v in changes.items()}
    t = schema.action_plan_item
    with engine_or_default(engine).begin() as conn:
        row = conn.execute(select(t).where(t.c.id == item_id)).mappings().first()
        if row is None:
            raise ValueError(f"No plan item with id {item_id}.")
        before = {k: row[k] for k in values}
        if before == values:
            return  # nothing changed: no write, no audit row
        conn.execute(update(t).where(t.c.id == item_id).values(**values, updated_at=now()))
        audit(conn, actor, "update", t.name, item_id, before, values)


def delete_plan_item(item_id: int, actor: str = constants.DEFAULT_ACTOR, engine: Engine | None = None) -> None:
    """Remove a plan item (audited).

    Raises
    ------
    ValueError
        When no item has that id.
    """
    t = schema.action_plan_item
    with engine_or_default(engine).begin() as conn:
        row = conn.execute(select(t).where(t.c.id == item_id)).mappings().first()
        if row is None:
            raise ValueError(f"No plan item with id {item_id}.")
        conn.execute(delete(t).where(t.c.id == item_id))
        audit(conn, actor, "delete", t.name, item_id, dict(row), None)


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
    with engine_or_default(engine).connect() as conn:
        rows = conn.execute(query).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=PLAN_COLUMNS)


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
