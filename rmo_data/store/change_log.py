"""Editors' change sets and their audit rows: the ``change_set`` and ``audit_log`` tables.

An upload applied on the Data management page is one ``change_set`` row; each
row it wrote is an ``audit_log`` row carrying that set's id (``writes.audit``).
The write functions here run in the caller's transaction (the stewardship's
apply, rollback and re-apply after a rebuild); the read functions open their
own connection and return what the page shows: the change sets, the newest
audit rows filtered in SQL, the audit log's filter options.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, func, inspect, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from rmo_data import constants
from rmo_data.store import schema
from rmo_data.store.writes import engine_or_default, now

CHANGE_SET_COLUMNS = ["id", "created_at", "actor", "kind", "table_name", "file_name", "mode", "status",
                      "reverts_id", "counts", "note"]
AUDIT_LIMIT = 500


# --- in the caller's transaction -------------------------------------------------------------------

def new_change_set(conn: Connection, actor: str, kind: str, table: str, **values: Any) -> int:
    """Add an active change set (``kind`` upload or rollback) and return its id."""
    return int(conn.execute(insert(schema.change_set).values(
        created_at=now(), actor=actor or constants.DEFAULT_ACTOR, kind=kind, table_name=table,
        status="active", **values)).inserted_primary_key[0])


def change_set_row(conn: Connection, change_set_id: int) -> Mapping[str, Any] | None:
    """One change set row, or None."""
    return conn.execute(select(schema.change_set).where(
        schema.change_set.c.id == change_set_id)).mappings().first()


def audit_rows_of(conn: Connection, change_set_id: int) -> list[dict[str, Any]]:
    """The audit rows of one change set, oldest first."""
    return [dict(r) for r in conn.execute(select(schema.audit_log).where(
        schema.audit_log.c.change_set_id == change_set_id).order_by(schema.audit_log.c.id)).mappings()]


def reverted_ids(change_set: Mapping[str, Any]) -> set[int]:
    """Ids of a change set's audit rows rolled back already."""
    return set(json.loads(change_set["reverted_audit_json"] or "[]"))


def mark_reverted(conn: Connection, change_set_id: int, status: str, reverted: set[int]) -> None:
    """Record which audit rows of a change set are rolled back, and its status."""
    conn.execute(update(schema.change_set).where(schema.change_set.c.id == change_set_id).values(
        status=status, reverted_audit_json=json.dumps(sorted(reverted))))


def active_upload_sets(conn: Connection) -> list[Mapping[str, Any]]:
    """Upload change sets not wholly rolled back, oldest first."""
    return list(conn.execute(select(schema.change_set).where(
        schema.change_set.c.kind == "upload", schema.change_set.c.status != "rolled_back").order_by(
        schema.change_set.c.id)).mappings().all())


def set_note(conn: Connection, change_set_id: int, note: str) -> None:
    """Keep what the last rebuild did with a change set."""
    conn.execute(update(schema.change_set).where(schema.change_set.c.id == change_set_id).values(note=note))


# --- reads for the page ------------------------------------------------------------------------------

def audit_row(audit_id: int, engine: Engine | None = None) -> Mapping[str, Any] | None:
    """One audit row, or None."""
    with engine_or_default(engine).connect() as conn:
        return conn.execute(select(schema.audit_log).where(schema.audit_log.c.id == int(audit_id))).mappings().first()


def store_state(engine: Engine | None = None) -> str | None:
    """A short text that changes whenever an upload's check could give another answer.

    Reference rows change only through change sets (applies and rollbacks) and rebuilds, so
    the newest change set and the build time say whether a past validation still holds.
    ``None`` when the store cannot say (then nothing may be reused).
    """
    try:
        with engine_or_default(engine).connect() as conn:
            newest = conn.execute(select(func.max(schema.change_set.c.id))).scalar()
            built = conn.execute(select(schema.build_info.c.value).where(schema.build_info.c.key == "finished_at")).scalar()
    except SQLAlchemyError:
        return None
    return f"{newest}|{built}"


def list_change_sets(engine: Engine | None = None) -> pd.DataFrame:
    """Change sets, newest first (an empty frame on a store that has none yet)."""
    with engine_or_default(engine).connect() as conn:
        if "change_set" not in inspect(conn).get_table_names():
            return pd.DataFrame(columns=CHANGE_SET_COLUMNS)
        rows = conn.execute(select(schema.change_set).order_by(schema.change_set.c.id.desc())).mappings().all()
    out = [{**{k: r[k] for k in CHANGE_SET_COLUMNS if k in r}, "counts": r["counts_json"] or ""} for r in rows]
    return pd.DataFrame(out, columns=CHANGE_SET_COLUMNS)


def audit_log(tables: Sequence[str] = (), actors: Sequence[str] = (), change_set_id: int | None = None,
              limit: int = AUDIT_LIMIT, engine: Engine | None = None) -> pd.DataFrame:
    """The newest audit rows (at most ``limit``), filtered in SQL by table, actor and change set."""
    t = schema.audit_log
    query = select(t).order_by(t.c.id.desc()).limit(int(limit))
    if tables:
        query = query.where(t.c.table_name.in_(list(tables)))
    if actors:
        query = query.where(t.c.actor.in_(list(actors)))
    if change_set_id is not None:
        query = query.where(t.c.change_set_id == int(change_set_id))
    with engine_or_default(engine).connect() as conn:
        result = conn.execute(query)
        return pd.DataFrame(result.mappings().all(), columns=list(result.keys()))


def audit_facets(engine: Engine | None = None) -> dict[str, Any]:
    """Filter options for the audit log: its tables and actors, and how many rows it holds."""
    t = schema.audit_log
    with engine_or_default(engine).connect() as conn:
        return {"tables": list(conn.execute(select(t.c.table_name).distinct().order_by(t.c.table_name)).scalars()),
                "actors": list(conn.execute(select(t.c.actor).distinct().order_by(t.c.actor)).scalars()),
                "rows": int(conn.execute(select(func.count()).select_from(t)).scalar_one())}


def list_reverted(engine: Engine | None = None) -> dict[int, list[int]]:
    """Audit row ids already rolled back, per upload change set."""
    with engine_or_default(engine).connect() as conn:
        if "change_set" not in inspect(conn).get_table_names():
            return {}
        rows = conn.execute(select(schema.change_set.c.id, schema.change_set.c.reverted_audit_json).where(
            schema.change_set.c.reverted_audit_json.is_not(None))).all()
    return {int(i): json.loads(v) for i, v in rows}
