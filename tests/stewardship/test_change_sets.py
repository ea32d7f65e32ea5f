"""Applying and rolling back: exact round trips, refusals that write nothing, single rows, older stores."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, inspect, select

from rmo_data.exports import table_xlsx
from rmo_data.stewardship import change_preview, change_sets, upload_tables
from rmo_data.store import change_log, migrate, schema
from tests.uploads import (
    CELL, EVIDENCE_HEADER, GOOD_EVIDENCE, audit_count, csv_bytes, dump_store, leverage_upload, watched_tables)


def test_upload_preview_apply_rollback_restores_the_exact_state(store: tuple[str, Engine]) -> None:
    _url, engine = store
    before = dump_store(engine)
    sources = csv_bytes(",".join(upload_tables.SOURCE_COLUMNS), "ngo_2025,A field report,An NGO,2025,,,cited,,")
    preview = change_preview.validate_upload("leverage", leverage_upload(engine), "lev.csv",
                                             sources=("src.csv", sources), engine=engine)
    assert preview.ok, preview.problems
    assert preview.counts == {"added": 1, "changed": 1, "removed": 1, "unchanged": 0, "sources added": 1}
    change = preview.of_kind("change")[0]
    assert set(change.changed) >= {"action", "source_id", "targets"}
    frames = change_preview.preview_frames(preview)
    assert len(frames["added"]) == 1 and len(frames["removed"]) == 1
    assert set(frames["changed"]["column"]) == set(change.changed)

    set_id = change_sets.apply_preview(preview, actor="editor one", engine=engine)
    with engine.connect() as conn:
        assert conn.execute(select(schema.leverage.c.id).where(schema.leverage.c.id == "X-03")).first() is None
        stages = set(conn.execute(select(schema.leverage_stage.c.stage).where(
            schema.leverage_stage.c.leverage_id == "NI-99")).scalars())
        audit = conn.execute(select(schema.audit_log).where(schema.audit_log.c.change_set_id == set_id)).mappings().all()
    assert stages == {"mining"}
    assert sorted(a["action"] for a in audit) == ["upload add", "upload add", "upload change", "upload remove"]
    assert {a["actor"] for a in audit} == {"editor one"}
    assert len(change_log.audit_log(change_set_id=set_id, engine=engine)) == 4
    assert change_log.audit_log(actors=["nobody"], engine=engine).empty
    assert change_log.audit_log(tables=["source"], engine=engine)["row_key"].tolist() == ["ngo_2025"]
    assert {"leverage", "source"} <= set(change_log.audit_facets(engine)["tables"])
    removed = next(a for a in audit if a["action"] == "upload remove")
    assert json.loads(removed["before_json"])["id"] == "X-03" and removed["after_json"] is None

    rollback_id = change_sets.rollback_change_set(set_id, actor="editor two", engine=engine)
    assert dump_store(engine) == before
    sets = change_log.list_change_sets(engine).set_index("id")
    assert sets.loc[set_id, "status"] == "rolled_back" and sets.loc[rollback_id, "reverts_id"] == set_id
    with pytest.raises(ValueError, match="already rolled back"):
        change_sets.rollback_change_set(set_id, engine=engine)
    with pytest.raises(ValueError, match="is a rollback"):
        change_sets.rollback_change_set(rollback_id, engine=engine)


def test_replace_mode_round_trip_keeps_production_ids(store: tuple[str, Engine]) -> None:
    _url, engine = store
    before = dump_store(engine)
    with engine.connect() as conn:
        row = conn.execute(select(schema.production).where(schema.production.c.material == "zinc",
                                                      schema.production.c.country_kind == "country")
                           .order_by(schema.production.c.id)).mappings().first()
    line = (f"{row['commodity']},zinc,{row['stage']},{row['country_name']},country,{row['year']},"
            f"{(row['quantity'] or 0) + 1:g},{row['unit']},,false,{row['edition'] or ''},{row['source_id']}")
    header = ",".join(upload_tables.SPECS["production"].columns)
    preview = change_preview.validate_upload(
        "production", csv_bytes(header, line), "zinc.csv", mode="replace", engine=engine)
    assert preview.ok, preview.problems
    with engine.connect() as conn:
        zinc_rows = len(conn.execute(select(schema.production.c.id).where(schema.production.c.material == "zinc")).all())
    assert preview.counts["changed"] == 1 and preview.counts["removed"] == zinc_rows - 1
    set_id = change_sets.apply_preview(preview, engine=engine)
    with engine.connect() as conn:
        assert len(conn.execute(select(schema.production.c.id).where(schema.production.c.material == "zinc")).all()) == 1
    change_sets.rollback_change_set(set_id, engine=engine)
    assert dump_store(engine) == before  # surrogate ids included


def test_rollback_refuses_a_row_changed_again_and_single_rows_roll_back(store: tuple[str, Engine]) -> None:
    _url, engine = store
    original = dump_store(engine)
    first = change_sets.apply_preview(change_preview.validate_upload(
        "risk_evidence", csv_bytes(EVIDENCE_HEADER, GOOD_EVIDENCE), "a.csv", engine=engine), engine=engine)
    second = change_sets.apply_preview(change_preview.validate_upload(
        "risk_evidence", csv_bytes(EVIDENCE_HEADER, GOOD_EVIDENCE.replace("A new case", "Revised")), "b.csv",
        engine=engine), engine=engine)
    audits = audit_count(engine)
    state = dump_store(engine)
    with pytest.raises(change_sets.StaleError, match="changed since"):
        change_sets.rollback_change_set(first, engine=engine)
    assert dump_store(engine) == state and audit_count(engine) == audits  # the refusal wrote nothing
    with engine.connect() as conn:
        row_id = conn.execute(select(schema.audit_log.c.id).where(schema.audit_log.c.change_set_id == second)).scalar_one()
    change_sets.rollback_audit_row(row_id, engine=engine)
    change_sets.rollback_change_set(first, engine=engine)
    assert dump_store(engine) == original


def test_apply_refuses_a_stale_preview(store: tuple[str, Engine]) -> None:
    _url, engine = store
    upload = csv_bytes(EVIDENCE_HEADER, GOOD_EVIDENCE)
    stale = change_preview.validate_upload("risk_evidence", upload, "a.csv", engine=engine)
    change_sets.apply_preview(change_preview.validate_upload("risk_evidence", upload, "a.csv", engine=engine), engine=engine)
    state, audits = dump_store(engine), audit_count(engine)
    with pytest.raises(change_sets.StaleError):
        change_sets.apply_preview(stale, engine=engine)
    assert dump_store(engine) == state and audit_count(engine) == audits

def test_older_store_without_change_set_tables_is_upgraded(store: tuple[str, Engine]) -> None:
    """A store at the baseline revision gets the change sets from migration 0002, as the app's start does."""

    url, engine = store
    command.downgrade(migrate.alembic_config(url), migrate.BASELINE)
    assert "change_set" not in inspect(engine).get_table_names()
    migrate.upgrade(url)
    assert change_log.list_change_sets(engine).empty
    set_id = change_sets.apply_preview(change_preview.validate_upload(
        "risk_evidence", csv_bytes(EVIDENCE_HEADER, GOOD_EVIDENCE), "ev.csv", engine=engine), engine=engine)
    assert change_log.list_change_sets(engine)["id"].tolist() == [set_id]


# --- fuzz ----------------------------------------------------------------------------------------

_VALID_ROWS = {
    "risk_evidence": GOOD_EVIDENCE + ",",
    "end_use_share": "zinc,Galvanising,10,eq,false,first use,global,2020,,rmo_report,,",
    "production": "aluminium_bauxite_mine,aluminium,mining,Australia,country,2021,5,thousand metric dry tons,,"
                  "false,MCS2023,usgs_mcs2023,",
    "organisation": "new_org,New Org,NO,standard,nickel;zinc,true,A description.,,rmo_report,,",
    "leverage": "NI-99,nickel,peers,initiative,peers;msi,mining,water;ohs,cccmc,Pool,Do it.,rmo_report,2. Nickel,",
}


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), table=st.sampled_from(sorted(_VALID_ROWS)), replace=st.booleans(), xlsx=st.booleans())
def test_fuzz_mutated_rows_are_refused_or_round_trip(store: tuple[str, Engine], data: st.DataObject,
                                                     table: str, replace: bool, xlsx: bool) -> None:
    """A valid row with up to two random cells: refused without a write, or applied and rolled back exactly."""
    _url, engine = store
    cells = _VALID_ROWS[table].split(",")
    for _ in range(data.draw(st.integers(0, 2), label="mutations")):
        cells[data.draw(st.integers(0, len(cells) - 1))] = data.draw(CELL)
    columns = [*upload_tables.SPECS[table].columns, upload_tables.action_column(table)]
    if xlsx:
        name, upload = "mutated.xlsx", table_xlsx(pd.DataFrame([cells], columns=columns))
    else:
        name, upload = "mutated.csv", csv_bytes(",".join(columns), ",".join('"' + c.replace('"', '""') + '"'
                                                                       for c in cells))
    mode = "replace" if replace and upload_tables.SPECS[table].replace_by_material else "upsert"
    before = watched_tables(engine)
    preview = change_preview.validate_upload(table, upload, name, mode=mode, engine=engine)
    assert all(not p.message.startswith("internal error") for p in preview.problems), preview.problems
    if preview.ok and (preview.changes or preview.sources):
        set_id = change_sets.apply_preview(preview, engine=engine)
        change_sets.rollback_change_set(set_id, engine=engine)
        after = watched_tables(engine)
        assert {k: v for k, v in after.items() if k not in ("audit_log", "change_set")} == \
            {k: v for k, v in before.items() if k not in ("audit_log", "change_set")}
    else:
        assert watched_tables(engine) == before
