"""Change sets after a rebuild: re-applied, or skipped with a note when what they refer to vanished."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select

from rmo_data.exports import table_csv
from rmo_data.ingest.build import build
from rmo_data.ingest.seeds import SEED_DIR
from rmo_data.stewardship import change_preview, change_sets, upload_tables
from rmo_data.store import change_log, schema
from rmo_data.store.export import store_export
from rmo_data.store.queries import build_info
from tests.uploads import EVIDENCE_HEADER, GOOD_EVIDENCE, LEVERAGE_HEADER, csv_bytes, dump_store, leverage_upload


def test_change_sets_survive_a_rebuild(store: tuple[str, Engine]) -> None:
    url, engine = store
    sources = csv_bytes(",".join(upload_tables.SOURCE_COLUMNS), "ngo_2025,A field report,An NGO,2025,,,cited,,")
    kept = change_sets.apply_preview(change_preview.validate_upload(
        "leverage", leverage_upload(engine), "lev.csv", sources=("src.csv", sources), engine=engine), engine=engine)
    undone = change_sets.apply_preview(change_preview.validate_upload(
        "risk_evidence", csv_bytes(EVIDENCE_HEADER, GOOD_EVIDENCE), "ev.csv", engine=engine), engine=engine)
    change_sets.rollback_change_set(undone, engine=engine)
    skip = ("audit_log", "change_set", "build_info", "data_version")
    expected = dump_store(engine, skip)
    engine.dispose()
    build(url)
    assert dump_store(engine, skip) == expected  # the leverage edits are back; the rolled-back set stays undone
    info = json.loads(build_info(engine=engine)["change_sets"])
    assert info["reapplied"] == [kept] and info["skipped"] == {}
    assert "re-applied" in change_log.list_change_sets(engine).set_index("id").loc[kept, "note"]
    change_sets.rollback_change_set(kept, engine=engine)  # still possible after the rebuild
    with engine.connect() as conn:
        assert conn.execute(select(schema.leverage.c.id).where(schema.leverage.c.id == "X-03")).first() is not None
        assert conn.execute(select(schema.source.c.id).where(schema.source.c.id == "ngo_2025")).first() is None


def test_a_change_set_whose_references_vanished_is_skipped_with_a_note(store: tuple[str, Engine],
                                                                      tmp_path: Path) -> None:
    """The repository drops an organisation a stored edit links to: the rebuild skips that set, says why."""

    url, engine = store
    orphan = "cccmc"
    line = f"NI-99,nickel,peers,initiative,peers,mining,,{orphan},Pool,Do it.,rmo_report,2. Nickel,"
    set_id = change_sets.apply_preview(change_preview.validate_upload(
        "leverage", csv_bytes(LEVERAGE_HEADER, line), "lev.csv", engine=engine), engine=engine)
    seeds_copy = tmp_path / "seed"
    shutil.copytree(SEED_DIR, seeds_copy)
    orgs = pd.read_csv(seeds_copy / "organisations.csv", dtype=str, keep_default_na=False)
    orgs[orgs["slug"] != orphan].to_csv(seeds_copy / "organisations.csv", index=False)
    levs = pd.read_csv(seeds_copy / "leverages.csv", dtype=str, keep_default_na=False)
    levs["organisations"] = levs["organisations"].map(
        lambda cell: ";".join(o for o in cell.split(";") if o and o != orphan))
    levs.to_csv(seeds_copy / "leverages.csv", index=False)
    engine.dispose()
    build(url, seed_dir=seeds_copy)
    info = json.loads(build_info(engine=engine)["change_sets"])
    assert info["reapplied"] == [] and str(set_id) in info["skipped"]
    note = change_log.list_change_sets(engine).set_index("id").loc[set_id, "note"]
    assert "not re-applied" in note and orphan in note
    with engine.connect() as conn:
        assert conn.execute(select(schema.leverage.c.id).where(schema.leverage.c.id == "NI-99")).first() is None
    engine.dispose()  # the build swaps the file: pooled connections would read the old one
    build(url)  # the repository's organisation is back: the next rebuild re-applies the set
    assert json.loads(build_info(engine=engine)["change_sets"])["reapplied"] == [set_id]

def test_round_trip_through_a_rebuild(store: tuple[str, Engine]) -> None:
    """Validate, apply, rebuild (re-apply), roll back exactly, export: on both backends."""
    url, engine = store
    try:
        base = dump_store(engine, ("audit_log", "change_set", "build_info", "data_version"))
        sources = csv_bytes(",".join(upload_tables.SOURCE_COLUMNS), "ngo_2025,A field report,An NGO,2025,,,cited,,")
        first = change_sets.apply_preview(change_preview.validate_upload(
            "leverage", leverage_upload(engine), "lev.csv", sources=("src.csv", sources), engine=engine), engine=engine)
        zinc = upload_tables.current_rows("production", materials=["zinc"], engine=engine).iloc[:1].assign(quantity=12345)
        second = change_sets.apply_preview(change_preview.validate_upload(
            "production", table_csv(zinc), "zinc.csv", mode="replace", engine=engine), engine=engine)
        engine.dispose()
        build(url)
        with engine.connect() as conn:
            assert conn.execute(select(schema.leverage.c.id).where(schema.leverage.c.id == "NI-99")).first()
            assert len(conn.execute(select(schema.production.c.id).where(schema.production.c.material == "zinc")).all()) == 1
        change_sets.rollback_change_set(second, engine=engine)
        change_sets.rollback_change_set(first, engine=engine)
        assert dump_store(engine, ("audit_log", "change_set", "build_info", "data_version")) == base
        data, manifest = store_export(engine)
        assert manifest["source_dialect"] == engine.dialect.name
        assert "rmo.sqlite" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    finally:
        engine.dispose()
