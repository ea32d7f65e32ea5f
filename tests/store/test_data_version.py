"""The data version: every kind of write bumps its scope, on a real store (SQLite, and PostgreSQL in its pass)."""

from __future__ import annotations

from sqlalchemy import Engine, text

from rmo_data.ingest.build import build
from rmo_data.stewardship import change_preview, change_sets, upload_tables
from rmo_data.store import action_plan, data_version, scenarios
from rmo_data.store.engine import make_engine
from rmo_data.workshops import lifecycle, rounds
from tests.userrows import EVIDENCE_ROW


def _moved(before: dict[str, data_version.Version], after: dict[str, data_version.Version]) -> set[str]:
    return {scope for scope in data_version.SCOPES if after[scope] != before[scope]}


def test_each_write_moves_its_own_scope_and_no_other(own_url: str) -> None:
    engine = make_engine(own_url)
    try:
        seen = data_version.read(engine)
        assert seen[data_version.REFERENCE] != data_version.NONE, "the build counts as a change"

        def step(expected: str) -> None:
            nonlocal seen
            now = data_version.read(engine)
            assert _moved(seen, now) == {expected}
            assert now[expected][0] == seen[expected][0] + 1 or seen[expected] == data_version.NONE
            seen = now

        item = action_plan.add_plan_item(_first_card(engine), owner="A", engine=engine)
        step(data_version.PLAN)
        action_plan.update_plan_item(item, status="done", engine=engine)
        step(data_version.PLAN)
        action_plan.delete_plan_item(item, engine=engine)
        step(data_version.PLAN)
        scenarios.save_scenario("Versioned", {"severity": 5}, engine=engine)
        step(data_version.SCENARIOS)
        _, code = lifecycle.create_workshop("Versioned room", ["zinc", "nickel"], ["severity"], engine=engine)
        step(data_version.WORKSHOPS)
        joined = lifecycle.join(code, engine=engine)
        step(data_version.WORKSHOPS)
        lifecycle.submit_weights(code, "Ana", {"severity": 5}, engine=engine, token=joined["token"])
        step(data_version.WORKSHOPS)
        rounds.reveal(code, engine=engine)
        step(data_version.WORKSHOPS)
        lifecycle.close_workshop(code, engine=engine)
        step(data_version.WORKSHOPS)

        header = ",".join(upload_tables.SPECS["risk_evidence"].columns)
        preview = change_preview.validate_upload("risk_evidence", f"{header}\n{EVIDENCE_ROW}\n".encode(),
                                                 "versioned.csv", engine=engine)
        assert preview.ok, preview.problems
        set_id = change_sets.apply_preview(preview, engine=engine)
        step(data_version.REFERENCE)
        change_sets.rollback_change_set(set_id, engine=engine)
        step(data_version.REFERENCE)
    finally:
        engine.dispose()

    build(own_url)  # a rebuild moves every scope, so no server keeps a read from before it
    engine = make_engine(own_url)
    try:
        after = data_version.read(engine)
        assert _moved(seen, after) == set(data_version.SCOPES)
        assert all(after[s] not in (seen[s], data_version.NONE) for s in data_version.SCOPES)
    finally:
        engine.dispose()


def test_a_refused_write_moves_nothing(own_engine: Engine) -> None:
    before = data_version.read(own_engine)
    try:
        action_plan.add_plan_item("NOPE-1", engine=own_engine)
    except ValueError:
        pass
    else:  # pragma: no cover - the store must refuse an unknown card
        raise AssertionError("an unknown card was added")
    assert data_version.read(own_engine) == before


def test_a_store_without_the_table_reads_as_never_written(own_url: str) -> None:
    engine = make_engine(own_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE data_version"))
        assert data_version.read(engine) == dict.fromkeys(data_version.SCOPES, data_version.NONE)
    finally:
        engine.dispose()


def test_unknown_scope_is_refused(own_engine: Engine) -> None:
    with own_engine.begin() as conn:
        try:
            data_version.bump(conn, "everything")
        except ValueError as err:
            assert "Unknown data scope" in str(err)
        else:  # pragma: no cover
            raise AssertionError("an unknown scope was bumped")


def _first_card(engine: Engine) -> str:
    from rmo_data.store import queries

    return str(queries.leverages(engine=engine)["id"].iloc[0])
