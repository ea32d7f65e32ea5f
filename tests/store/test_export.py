"""The store export: one versioned zip with every table as CSV, a manifest and a readable SQLite copy."""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.pool import StaticPool

from rmo_data.stewardship import change_preview, change_sets
from rmo_data.store import schema
from rmo_data.store.engine import make_engine
from rmo_data.store.export import store_export
from tests.uploads import EVIDENCE_HEADER, GOOD_EVIDENCE, csv_bytes, dump_store


@pytest.fixture()
def store(store_copy_url: str) -> Iterator[tuple[str, Engine]]:
    """URL and engine of a private copy of the built store (on the run's backend)."""
    url = store_copy_url
    engine = make_engine(url)
    yield url, engine
    engine.dispose()


def test_export_zip_holds_every_table_and_a_readable_sqlite_copy(store: tuple[str, Engine],
                                                                 tmp_path: Path) -> None:
    _url, engine = store
    change_sets.apply_preview(change_preview.validate_upload(
        "risk_evidence", csv_bytes(EVIDENCE_HEADER, GOOD_EVIDENCE), "ev.csv", engine=engine), engine=engine)
    data, manifest = store_export(engine)
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = set(archive.namelist())
    assert {f"tables/{t.name}.csv" for t in schema.metadata.sorted_tables} <= names
    assert {"manifest.json", "rmo.sqlite"} <= names
    stored = json.loads(archive.read("manifest.json"))
    assert stored == manifest
    assert stored["export_version"] == "1" and stored["schema_version"] == schema.SCHEMA_VERSION
    assert stored["build"]["finished_at"] and stored["exported_at"]
    copy = tmp_path / "copy.sqlite"
    copy.write_bytes(archive.read("rmo.sqlite"))
    check = sqlite3.connect(str(copy))
    try:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        with engine.connect() as conn:
            for table in schema.metadata.sorted_tables:
                live = len(conn.execute(select(table)).all())
                assert check.execute(f'SELECT COUNT(*) FROM "{table.name}"').fetchone()[0] == live
                assert stored["tables"][table.name] == live
                frame = pd.read_csv(io.BytesIO(archive.read(f"tables/{table.name}.csv")))
                assert len(frame) == live
    finally:
        check.close()


def test_export_from_a_non_sqlite_database_writes_a_sqlite_file(store: tuple[str, Engine]) -> None:
    """The table-by-table path (used for PostgreSQL), exercised through an in-memory SQLite engine."""
    _url, engine = store
    memory = create_engine("sqlite://", poolclass=StaticPool)
    schema.metadata.create_all(memory)
    with engine.connect() as src, memory.begin() as dst:
        for table in schema.metadata.sorted_tables:
            rows = [dict(r._mapping) for r in src.execute(select(table))]
            if rows:
                dst.execute(table.insert(), rows)
    data, manifest = store_export(memory)
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert manifest["tables"]["risk_evidence"] == len(dump_store(engine)["risk_evidence"])
    assert "rmo.sqlite" in archive.namelist()
