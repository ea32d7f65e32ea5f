"""Test helper: put a row in every user table of a store, and read those tables back.

Rows go in through the app's own functions (a scenario, a plan item, a workshop
with one submission, an editor's upload as a change set, and the audit rows
they write), so a test that rebuilds or migrates the store can check that every
user-made row survived unchanged.  Tables and columns are read as the store
has them, so a store at an older revision (without the change-set table, say)
can be compared with itself after an upgrade (``kept``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, MetaData, Table, insert, inspect, select

from rmo_data.store import schema
from rmo_data.stewardship import change_preview, change_sets, upload_tables
from rmo_data.store import action_plan
from rmo_data.store import scenarios
from rmo_data.store import writes
from rmo_data.workshops import lifecycle
from rmo_data.store.engine import make_engine

Rows = dict[str, list[dict[str, Any]]]
# Written by every rebuild on purpose (what it did with the change set), so not compared.
REBUILD_NOTES = {"change_set": "note"}
EVIDENCE_ROW = "EV-KEPT-01,zinc,mining,water,Peru,,,2024,3,3,2,A kept tailings case,,rmo_report,"


def add_user_rows(url: str) -> Rows:
    """Add one row to each user table the store at ``url`` has; return every user row."""
    engine = make_engine(url)
    try:
        scenarios.save_scenario("Kept scenario", {"severity": 7, "auto_share": 2}, materials=["zinc"],
                               note="survives rebuilds", engine=engine)
        action_plan.add_plan_item(_first_card(engine), owner="Procurement", due_date="2026-06-30",
                               engine=engine)
        if "token_hash" in {c["name"] for c in inspect(engine).get_columns("participant_weights")}:
            _, code = lifecycle.create_workshop("Kept workshop", ["zinc", "nickel"], ["severity", "auto_share"],
                                                engine=engine)
            lifecycle.submit_weights(code, "Ana", {"severity": 8, "auto_share": 3}, ["zinc"], engine=engine)
        else:
            _old_workshop(engine)
        if schema.change_set.name in inspect(engine).get_table_names():
            header = ",".join(upload_tables.SPECS["risk_evidence"].columns)
            preview = change_preview.validate_upload("risk_evidence", f"{header}\n{EVIDENCE_ROW}\n".encode(),
                                                     "kept.csv", engine=engine)
            assert preview.ok, preview.problems
            change_sets.apply_preview(preview, actor="Kept editor", engine=engine)
    finally:
        engine.dispose()
    rows = user_rows(url)
    assert all(rows.values()), "every user table should hold a row"
    return rows


def user_rows(url: str) -> Rows:
    """Every row of every user table the store has, ordered by id, with the store's own columns.

    A change set's ``note`` (``REBUILD_NOTES``) is left out: each rebuild rewrites it.
    """
    engine = make_engine(url)
    try:
        names = set(inspect(engine).get_table_names())
        meta = MetaData()
        meta.reflect(engine, only=[t.name for t in schema.USER_TABLES if t.name in names])
        with engine.connect() as conn:
            return {name: [{k: v for k, v in r.items() if k != REBUILD_NOTES.get(name)}
                           for r in conn.execute(select(t).order_by(t.c.id)).mappings()]
                    for name, t in meta.tables.items()}
    finally:
        engine.dispose()


def kept(after: Rows, before: Rows) -> Rows:
    """``after`` cut to the tables and columns ``before`` had; tables new since then must be empty."""
    new = {name: rows for name, rows in after.items() if name not in before}
    assert not any(new.values()), f"tables added by the upgrade hold rows already: {sorted(new)}"
    return {name: [{k: v for k, v in row.items() if not before[name] or k in before[name][0]}
                   for row in after[name]] for name in before}


def _old_workshop(engine: Engine) -> None:
    """A workshop with one submission as a store before revision 0003 held them (no owner, no token)."""
    now = writes.now()
    with engine.begin() as conn:
        ws_id = conn.execute(insert(Table("workshop", MetaData(), autoload_with=conn))
                             .values(code="KEPT23", name="Kept workshop", materials_json='["zinc", "nickel"]',
                                     criteria_json='["severity", "auto_share"]', status="open",
                                     created_at=now)).inserted_primary_key[0]
        weights = Table("participant_weights", MetaData(), autoload_with=conn)
        conn.execute(insert(weights).values(workshop_id=ws_id, participant="Ana",
                                            weights_json='{"severity": 8, "auto_share": 3}',
                                            flagged_json='["zinc"]', submitted_at=now))


def _first_card(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(select(schema.leverage.c.id).order_by(schema.leverage.c.id)).scalars().first())
