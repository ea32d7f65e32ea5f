"""The SQL behind editors' uploads: reference records, one row's state, sources, change sets and the log."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from rmo_data.stewardship.upload_tables import SPECS
from rmo_data.store import change_log, reference_rows
from rmo_data.store.engine import make_engine
from rmo_data.store.writes import audit, begin_write


@pytest.fixture()
def engine(store_copy_url: str) -> Iterator[Engine]:
    engine = make_engine(store_copy_url)
    yield engine
    engine.dispose()


def test_records_carry_sorted_link_lists_and_cross_material_rows(engine: Engine) -> None:
    leverage = SPECS["leverage"]
    with engine.connect() as conn:
        everything = reference_rows.all_records(conn, leverage)
        cross = reference_rows.records_of_materials(conn, leverage, [None])
        nickel = reference_rows.records_in(conn, leverage, "material", ["nickel"])
        one = reference_rows.current_record(conn, leverage, ("X-02",))
    assert cross and all(r["material"] is None for r in cross.values())
    assert nickel and all(r["material"] == "nickel" for r in nickel.values())
    assert set(cross) | set(nickel) <= set(everything)
    assert one == everything[("X-02",)] and one["stages"] == sorted(one["stages"])
    assert reference_rows.key_of(leverage, one) == ("X-02",)


def test_set_state_writes_removes_and_restores_a_row(engine: Engine) -> None:
    organisation = SPECS["organisation"]
    with engine.connect() as conn:
        begin_write(conn)
        record = {"slug": "new_org", "name": "New Org", "type": "standard", "is_material_standard": False,
                  "source_id": "rmo_report", "materials": ["zinc", "nickel"]}
        assert reference_rows.reference_gaps(conn, organisation, record) == []
        assert reference_rows.reference_gaps(conn, organisation, {**record, "source_id": "nowhere"}) == [
            "source_id 'nowhere' is not in source"]
        written = reference_rows.set_state(conn, organisation, ("new_org",), record)
        assert written is not None and written["materials"] == ["nickel", "zinc"]
        assert reference_rows.current_record(conn, organisation, ("new_org",))["materials"] == ["nickel", "zinc"]
        assert reference_rows.set_state(conn, organisation, ("new_org",), None) is None
        assert reference_rows.current_record(conn, organisation, ("new_org",)) is None
        assert reference_rows.blocking_references(conn, SPECS["organisation"], ("cccmc",))  # leverages name it
        conn.rollback()


def test_sources_and_the_vocabulary(engine: Engine) -> None:
    with engine.connect() as conn:
        begin_write(conn)
        known = reference_rows.read_vocabulary(conn)
        assert "zinc" in known.materials and "rmo_report" in known.sources and "PER" in known.iso3
        assert "risk_evidence" in reference_rows.tables_citing_source(conn, "rmo_report")
        assert not reference_rows.source_exists(conn, "ngo_2025")
        reference_rows.add_source(conn, {"id": "ngo_2025", "title": "A field report", "publisher": "An NGO",
                                         "kind": "cited"})
        assert reference_rows.stored_source(conn, "ngo_2025")["title"] == "A field report"
        assert reference_rows.tables_citing_source(conn, "ngo_2025") == []
        reference_rows.delete_source(conn, "ngo_2025")
        assert not reference_rows.source_exists(conn, "ngo_2025")
        linked = reference_rows.leverages_linking(conn, ["cccmc", "no_such_org"])
        assert list(linked) == ["cccmc"] and linked["cccmc"]
        conn.rollback()


def test_change_sets_and_their_audit_rows(engine: Engine) -> None:
    state = change_log.store_state(engine)
    with engine.connect() as conn:
        begin_write(conn)
        set_id = change_log.new_change_set(conn, "Ana", "upload", "risk_evidence", file_name="ev.csv")
        first = audit(conn, "Ana", "upload add", "risk_evidence", "EV-1", None, {"id": "EV-1"}, change_set_id=set_id)
        second = audit(conn, "Ana", "upload add", "risk_evidence", "EV-2", None, {"id": "EV-2"}, change_set_id=set_id)
        assert [r["id"] for r in change_log.audit_rows_of(conn, set_id)] == [first, second]
        assert [int(s["id"]) for s in change_log.active_upload_sets(conn)][-1] == set_id
        change_log.mark_reverted(conn, set_id, "partly_rolled_back", {second})
        change_log.set_note(conn, set_id, "a note")
        row = change_log.change_set_row(conn, set_id)
        assert change_log.reverted_ids(row) == {second} and row["note"] == "a note"
        conn.commit()
    assert change_log.store_state(engine) != state
    assert change_log.list_reverted(engine)[set_id] == [second]
    assert change_log.audit_row(first, engine)["change_set_id"] == set_id
    assert change_log.audit_log(change_set_id=set_id, engine=engine)["id"].tolist() == [second, first]
    assert change_log.list_change_sets(engine)["id"].iloc[0] == set_id
    assert "Ana" in change_log.audit_facets(engine)["actors"]
