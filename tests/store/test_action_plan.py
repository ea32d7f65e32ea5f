"""The action plan on a real store (the small one of ``tests/store/conftest.py``), with its audit rows and downloads."""

from __future__ import annotations

import datetime as dt
import io
import json

import pandas as pd
import pytest
from sqlalchemy import Engine

from rmo_data import constants
from rmo_data.store import action_plan
from rmo_data.store import scenarios
from rmo_data.store import writes


def test_plan_crud_with_audit_rows(engine: Engine) -> None:
    first = action_plan.add_plan_item("ZN-01", owner="Procurement", due_date="2026-03-31", note="Start with tier 1",
                                   engine=engine)
    second = action_plan.add_plan_item("X-01", status="in_progress", due_date=dt.date(2026, 1, 15), engine=engine)
    plan = action_plan.list_plan_items(engine=engine)
    assert plan["id"].tolist() == [second, first]  # by due date
    row = plan.set_index("id").loc[first]
    assert row["title"] == "Ask suppliers where zinc comes from"
    assert row["due_date"] == dt.date(2026, 3, 31)
    assert row["status"] == "planned" and row["owner"] == "Procurement"

    action_plan.update_plan_item(first, status="done", note="Finished", engine=engine)
    updated = action_plan.list_plan_items(engine=engine).set_index("id").loc[first]
    assert updated["status"] == "done" and updated["note"] == "Finished"
    assert updated["owner"] == "Procurement"  # untouched fields stay
    action_plan.update_plan_item(first, status="done", engine=engine)  # no change: no audit row

    action_plan.delete_plan_item(second, engine=engine)
    assert action_plan.list_plan_items(engine=engine)["id"].tolist() == [first]

    audit = writes.audit_rows("action_plan_item", engine=engine)
    assert audit["action"].tolist() == ["create", "create", "update", "delete"]
    update = audit.iloc[2]
    assert json.loads(update["before_json"]) == {"status": "planned", "note": "Start with tier 1"}
    assert json.loads(update["after_json"]) == {"status": "done", "note": "Finished"}
    assert audit["actor"].eq(constants.DEFAULT_ACTOR).all()


def test_plan_input_is_validated(engine: Engine) -> None:
    with pytest.raises(ValueError, match="No leverage card"):
        action_plan.add_plan_item("NOPE-1", engine=engine)
    with pytest.raises(ValueError, match="Unknown status"):
        action_plan.add_plan_item("ZN-01", status="someday", engine=engine)
    with pytest.raises(ValueError, match="due date"):
        action_plan.add_plan_item("ZN-01", due_date="next Tuesday", engine=engine)
    with pytest.raises(ValueError, match="too long"):
        action_plan.add_plan_item("ZN-01", note="x" * (scenarios.NOTE_MAX + 1), engine=engine)
    item = action_plan.add_plan_item("ZN-01", engine=engine)
    with pytest.raises(ValueError, match="Cannot change"):
        action_plan.update_plan_item(item, leverage_id="X-01", engine=engine)
    with pytest.raises(ValueError, match="No plan item"):
        action_plan.update_plan_item(item + 100, status="done", engine=engine)
    with pytest.raises(ValueError, match="No plan item"):
        action_plan.delete_plan_item(item + 100, engine=engine)
    with pytest.raises(ValueError, match=rf"ZN-01 is already in the action plan \(item #{item}\)"):
        action_plan.add_plan_item("ZN-01", owner="Someone else", engine=engine)
    # Failed writes left neither rows nor audit entries behind.
    assert len(action_plan.list_plan_items(engine=engine)) == 1
    assert len(writes.audit_rows("action_plan_item", engine=engine)) == 1


def test_plan_exports(engine: Engine) -> None:
    action_plan.add_plan_item("ZN-01", owner="Ana", due_date="2026-05-01", note="pilot", engine=engine)
    action_plan.add_plan_item("X-01", engine=engine)
    plan = action_plan.list_plan_items(engine=engine)
    frame = action_plan.plan_export_frame(plan)
    assert frame["Material"].tolist() == ["Zinc", constants.CROSS_MATERIAL_LABEL]
    assert frame["Status"].tolist() == ["Planned", "Planned"]
    assert frame["Due date"].tolist() == ["2026-05-01", ""]
    book = pd.read_excel(io.BytesIO(action_plan.plan_xlsx(plan)), sheet_name="Action plan")
    assert len(book) == 2
    assert book["Card"].tolist() == ["ZN-01", "X-01"]
    assert book["Note"].iloc[0] == "pilot"


def test_plan_csv_and_xlsx_hold_the_same_quoted_owner(engine: Engine) -> None:
    """An owner typed as a formula is quoted text in both files, never a formula cell."""
    import csv

    import openpyxl

    action_plan.add_plan_item("ZN-01", owner="=cmd|' /C calc'!A0", note="-2+3", engine=engine)
    plan = action_plan.list_plan_items(engine=engine)
    rows = list(csv.reader(io.StringIO(action_plan.plan_csv(plan).decode("utf-8"), newline="")))
    sheet = openpyxl.load_workbook(io.BytesIO(action_plan.plan_xlsx(plan)))["Action plan"]
    cells = [[c.value if c.value is not None else "" for c in row] for row in sheet.iter_rows()]
    assert rows == cells
    assert rows[1][2] == "'=cmd|' /C calc'!A0" and rows[1][5] == "'-2+3"
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_a_removed_item_frees_its_card_for_the_plan(engine: Engine) -> None:
    item = action_plan.add_plan_item("ZN-01", owner="First", engine=engine)
    action_plan.delete_plan_item(item, engine=engine)
    again = action_plan.add_plan_item("ZN-01", owner="Second", engine=engine)
    assert action_plan.list_plan_items(engine=engine)[["id", "owner"]].values.tolist() == [[again, "Second"]]
