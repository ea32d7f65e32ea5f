"""What every write of user-made rows shares: cleaning input, one write transaction, the audit row.

Scenarios, the action plan, workshops and editors' change sets all validate text
and weights the same way (a ``ValueError`` with a sentence a page can show as it
is), open write transactions the same way and append ``audit_log`` rows in the
caller's transaction, so the log never disagrees with the data.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, insert, select

from rmo_data import constants
from rmo_data.store import data_version, schema
from rmo_data.store.engine import get_engine

ACTOR_MAX = 120


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def to_json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v),
                      sort_keys=True, ensure_ascii=False)


def audit(conn: Connection, actor: str, action: str, table: str, key: Any,
           before: Mapping[str, Any] | None, after: Mapping[str, Any] | None,
           change_set_id: int | None = None) -> int:
    """Append one audit row in the caller's transaction and return its id.

    Every audited write is a change of data, so this also bumps the data version
    of the table's scope (``rmo_data.store.data_version``): the caches of every
    app server follow it at their next rerun.
    """
    data_version.bump(conn, data_version.scope_of(table))
    values: dict[str, Any] = {
        "at": now(), "actor": clean_text(actor, ACTOR_MAX, "actor") or constants.DEFAULT_ACTOR,
        "action": action, "table_name": table, "row_key": str(key),
        "before_json": to_json(dict(before) if before else None),
        "after_json": to_json(dict(after) if after else None)}
    if change_set_id is not None:  # only editors' change sets: older stores lack the column
        values["change_set_id"] = change_set_id
    return int(conn.execute(insert(schema.audit_log).values(**values)).inserted_primary_key[0])


def clean_text(value: Any, limit: int, what: str, required: bool = False) -> str | None:
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


def engine_or_default(engine: Engine | None) -> Engine:
    return engine or get_engine()


def begin_write(conn: Connection) -> None:
    """Open a transaction that holds the write lock from its first statement.

    SQLite's default (deferred) transaction reads first and asks for the lock
    only at the first write; if another writer committed in between, that
    upgrade fails at once with "database is locked" whatever the busy
    timeout.  ``BEGIN IMMEDIATE`` waits for the lock (busy_timeout) up front.
    """
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.begin()


def whole_weights(weights: Mapping[str, Any], criteria: Sequence[str]) -> dict[str, int]:
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


def audit_rows(table: str | None = None, engine: Engine | None = None) -> pd.DataFrame:
    """Audit log rows, oldest first (optionally of one table)."""
    query = select(schema.audit_log).order_by(schema.audit_log.c.id)
    if table:
        query = query.where(schema.audit_log.c.table_name == table)
    with engine_or_default(engine).connect() as conn:
        result = conn.execute(query)
        return pd.DataFrame(result.mappings().all(), columns=list(result.keys()))
