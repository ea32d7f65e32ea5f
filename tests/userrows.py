"""Test helper: put a row in every user table of a store, and read those tables back.

Rows go in through the app's own functions (a scenario, a plan item, a workshop
with one submission, and the audit rows they write), so a test that rebuilds
or migrates the store can check that every user-made row survived unchanged.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from rmo_data import schema, userdata, workshops
from rmo_data.engine import make_engine


def add_user_rows(url: str) -> dict[str, list[dict[str, Any]]]:
    """Add one row to each user table of the store at ``url``; return every user row."""
    engine = make_engine(url)
    try:
        userdata.save_scenario("Kept scenario", {"severity": 7, "auto_share": 2}, materials=["zinc"],
                               note="survives rebuilds", engine=engine)
        userdata.add_plan_item(_first_card(engine), owner="Procurement", due_date="2026-06-30",
                               engine=engine)
        _, code = workshops.create_workshop("Kept workshop", ["zinc", "nickel"], ["severity", "auto_share"],
                                            engine=engine)
        workshops.submit_weights(code, "Ana", {"severity": 8, "auto_share": 3}, ["zinc"], engine=engine)
    finally:
        engine.dispose()
    rows = user_rows(url)
    assert all(rows[t.name] for t in schema.USER_TABLES), "every user table should hold a row"
    return rows


def user_rows(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every user table, ordered by id."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {t.name: [dict(r) for r in conn.execute(select(t).order_by(t.c.id)).mappings()]
                    for t in schema.USER_TABLES}
    finally:
        engine.dispose()


def _first_card(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(select(schema.leverage.c.id).order_by(schema.leverage.c.id)).scalars().first())
