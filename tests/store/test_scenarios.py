"""Saved scenarios on a real store (the small one of ``tests/store/conftest.py``), with their audit rows."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from sqlalchemy import Engine

from rmo_data import constants
from rmo_data.store import scenarios
from rmo_data.store import writes


WEIGHTS = {"severity": 8, "auto_share": 3}


def test_save_list_load_scenario(engine: Engine) -> None:
    new_id = scenarios.save_scenario("  Board view ", WEIGHTS, materials=["zinc", "nickel"], note="first",
                                    actor="tester", engine=engine)
    listed = scenarios.list_scenarios(engine=engine)
    assert listed["name"].tolist() == ["Board view"]  # surrounding spaces trimmed
    loaded = scenarios.load_scenario("Board view", engine=engine)
    assert loaded["id"] == new_id
    assert loaded["weights"] == {c: WEIGHTS.get(c, 0) for c in constants.CRITERION_SLUGS}
    assert loaded["materials"] == ["zinc", "nickel"]
    assert scenarios.load_scenario(new_id, engine=engine)["name"] == "Board view"
    audit = writes.audit_rows("scenario", engine=engine)
    assert audit["action"].tolist() == ["create"]
    assert audit["actor"].tolist() == ["tester"]
    assert audit["row_key"].tolist() == [str(new_id)]
    assert json.loads(audit["after_json"].iloc[0])["weights_json"]["severity"] == 8
    assert audit["before_json"].isna().all()


def test_duplicate_and_invalid_scenarios_are_refused(engine: Engine) -> None:
    scenarios.save_scenario("Same", WEIGHTS, engine=engine)
    with pytest.raises(ValueError, match="already exists"):
        scenarios.save_scenario(" Same", {"severity": 1}, engine=engine)
    with pytest.raises(ValueError, match="name"):
        scenarios.save_scenario("   ", WEIGHTS, engine=engine)
    with pytest.raises(ValueError, match="too long"):
        scenarios.save_scenario("x" * (scenarios.NAME_MAX + 1), WEIGHTS, engine=engine)
    with pytest.raises(ValueError, match="All weights are zero"):
        scenarios.save_scenario("Zero", {"severity": 0}, engine=engine)
    with pytest.raises(ValueError, match="whole number"):
        scenarios.save_scenario("Big", {"severity": 11}, engine=engine)
    with pytest.raises(ValueError, match="Unknown criteria"):
        scenarios.save_scenario("Odd", {"luck": 3}, engine=engine)
    with pytest.raises(ValueError, match="Unknown materials"):
        scenarios.save_scenario("Mats", WEIGHTS, materials=["unobtanium"], engine=engine)
    with pytest.raises(ValueError, match="No saved scenario"):
        scenarios.load_scenario("Missing", engine=engine)
    # Only the first save happened, and only it was audited.
    assert len(scenarios.list_scenarios(engine=engine)) == 1
    assert len(writes.audit_rows("scenario", engine=engine)) == 1


def test_delete_scenario_is_audited(engine: Engine) -> None:
    sid = scenarios.save_scenario("Temp", WEIGHTS, engine=engine)
    scenarios.delete_scenario(sid, engine=engine)
    assert scenarios.list_scenarios(engine=engine).empty
    audit = writes.audit_rows("scenario", engine=engine)
    assert audit["action"].tolist() == ["create", "delete"]
    assert json.loads(audit["before_json"].iloc[1])["name"] == "Temp"
    assert pd.isna(audit["after_json"].iloc[1])
    with pytest.raises(ValueError, match="No saved scenario"):
        scenarios.delete_scenario(sid, engine=engine)
