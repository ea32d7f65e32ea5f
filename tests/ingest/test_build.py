"""The store: schema round trip, seed validation, a full build, and builds that must refuse."""

from __future__ import annotations

import csv
import hashlib
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, inspect, select

from rmo_data import constants
from rmo_data.store import concentration, migrate
from rmo_data.store import rebuild, schema
from rmo_data.store import scenarios
from rmo_data.ingest.build import build
from rmo_data.store.engine import make_engine, store_status
from rmo_data.ingest.seeds import SEED_DIR, SeedError, load_seeds
from tests.conftest import Stores
from tests.userrows import add_user_rows, user_rows

ROOT = Path(__file__).resolve().parents[2]


def test_schema_round_trip(empty_engine: Engine) -> None:
    names = set(inspect(empty_engine).get_table_names())
    assert {t.name for t in schema.metadata.sorted_tables} <= names
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with empty_engine.begin() as conn:
        conn.execute(schema.source.insert(), {"id": "s", "title": "T", "publisher": "P", "kind": "report"})
        conn.execute(schema.material.insert(), {
            "slug": "zinc", "name": "Zinc", "short_name": "Zinc", "sort_order": 9,
            "summary": "S", "automotive_uses": "die casting", "source_id": "s"})
        conn.execute(schema.scenario.insert(), {
            "name": "Balanced", "weights_json": '{"a": 1}', "created_at": now})
    with empty_engine.connect() as conn:
        mat = conn.execute(select(schema.material)).mappings().one()
        scen = conn.execute(select(schema.scenario)).mappings().one()
    assert (mat["slug"], mat["automotive_uses"], mat["source_id"]) == ("zinc", "die casting", "s")
    assert scen["name"] == "Balanced" and scen["weights_json"] == '{"a": 1}'


def test_every_seed_file_validates() -> None:
    seeds = load_seeds()
    assert {m.slug for m in seeds["materials.yaml"]} == set(constants.MATERIAL_SLUGS)
    assert len(seeds["leverages.csv"]) > 100
    for slug in constants.MATERIAL_SLUGS:
        assert any(r.material == slug for r in seeds["salient_risks.csv"]), slug
        assert any(r.material == slug for r in seeds["leverages.csv"]), slug
        assert any(r.material == slug for r in seeds["risk_evidence.csv"]), slug
    assert any(r.material == constants.CROSS_MATERIAL for r in seeds["leverages.csv"])
    assert any(r.material == constants.CROSS_MATERIAL for r in seeds["salient_risks.csv"])
    for category in constants.LEVERAGE_CATEGORY_SLUGS:
        assert any(r.category == category for r in seeds["leverages.csv"]), category


def test_built_store_holds_every_material(built_engine: Engine) -> None:
    assert store_status(str(built_engine.url)) == "ok"
    with built_engine.connect() as conn:
        def count(table, *where):  # noqa: ANN001, ANN202
            return conn.execute(select(func.count()).select_from(table).where(*where)).scalar()

        assert count(schema.material) == 10
        assert count(schema.leverage) > 100
        assert count(schema.source) >= 8
        for slug in constants.MATERIAL_SLUGS:
            assert count(schema.production, schema.production.c.material == slug,
                         schema.production.c.stage == "mining") > 0, slug
            assert count(schema.salient_risk, schema.salient_risk.c.material == slug) > 0, slug
            assert count(schema.eu_crm, schema.eu_crm.c.material == slug) > 0, slug
        # Every production year of the series is there.
        years = {y for (y,) in conn.execute(select(schema.production.c.year).distinct())}
        assert set(range(2021, 2026)) <= years
        # Every reference row cites an existing source.
        for table in (schema.end_use_share, schema.risk_evidence, schema.leverage,
                      schema.production, schema.organisation, schema.salient_risk):
            orphans = conn.execute(
                select(func.count()).select_from(table)
                .where(table.c.source_id.not_in(select(schema.source.c.id)))).scalar()
            assert orphans == 0, table.name


def test_mining_concentration_for_every_material(built_engine: Engine) -> None:
    for slug in constants.MATERIAL_SLUGS:
        result = concentration.concentration(slug, "mining", engine=built_engine)
        assert result["hhi"] is not None, slug
        assert 0 < result["hhi"] <= 10_000
        assert result["top1_share"] <= result["top3_share"] <= 100.0 + 1e-6
        assert result["year"] in range(2021, 2026)
        assert result["source"] in {"usgs_mcs2026", "usgs_mcs2024", "usgs_mcs2023"}


def test_report_figures_reach_the_store(built_engine: Engine) -> None:
    """The report's automotive figures are stored as written in the seed files."""
    e = schema.end_use_share
    with built_engine.connect() as conn:
        steel = conn.execute(select(e.c.share_pct).where(
            e.c.material == "iron_steel", e.c.is_automotive, e.c.source_id == "rmo_report")).scalars().all()
        manganese = conn.execute(select(e.c.share_pct).where(
            e.c.material == "manganese", e.c.is_automotive, e.c.source_id == "rmo_report")).scalars().all()
    with (SEED_DIR / "end_use_shares.csv").open(encoding="utf-8") as handle:
        seeded = [r for r in csv.DictReader(handle) if r["is_automotive"].lower() == "true"]
    assert sorted(steel) == sorted(float(r["share_pct"]) for r in seeded if r["material"] == "iron_steel")
    assert sorted(manganese) == sorted(float(r["share_pct"]) for r in seeded if r["material"] == "manganese")


# --- builds that must refuse, leaving the store as it was --------------------

def _copy_seeds(tmp_path: Path) -> Path:
    target = tmp_path / "seed"
    shutil.copytree(SEED_DIR, target)
    return target


def _edit_first_row(path: Path, column: str, value: str) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    fields = list(rows[0].keys())
    rows[0][column] = value
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.sqlite_only(reason="compares the store file's bytes; on PostgreSQL nothing is written "
                                 "before validation either (test_failed_build_leaves_the_store_as_it_was)")
@pytest.mark.parametrize(("file", "column", "value", "expected"), [
    ("end_use_shares.csv", "share_pct", "150", "less than or equal to 100"),
    ("risk_evidence.csv", "material", "unobtanium", "unknown material 'unobtanium'"),
    ("leverages.csv", "source", "no_such_source", "unknown source id 'no_such_source'"),
    ("leverages.csv", "targets", "", "at least one target is required"),
    ("salient_risks.csv", "stages", "mining;smelting", "unknown stage 'smelting'"),
    ("organisations.csv", "type", "cartel", "unknown organisation type 'cartel'"),
])
def test_broken_seed_is_rejected_and_store_kept(tmp_path: Path, built_db: Path, file: str,
                                                column: str, value: str, expected: str) -> None:
    store = tmp_path / "rmo.sqlite"
    shutil.copy(built_db, store)
    before = _digest(store)
    seeds = _copy_seeds(tmp_path)
    _edit_first_row(seeds / file, column, value)
    with pytest.raises(SeedError) as info:
        build(f"sqlite:///{store}", seed_dir=seeds)
    message = str(info.value)
    assert file in message and expected in message
    if column != "source":  # row-level problems name the line and column
        assert "line 2" in message and f"column '{column}'" in message
    assert _digest(store) == before
    assert not store.with_name(store.name + ".tmp").exists()


def test_missing_source_cell_is_rejected(tmp_path: Path) -> None:
    seeds = _copy_seeds(tmp_path)
    _edit_first_row(seeds / "risk_evidence.csv", "source", "")
    with pytest.raises(SeedError) as info:
        build(f"sqlite:///{tmp_path / 'x.sqlite'}", seed_dir=seeds)
    assert "risk_evidence.csv, line 2, column 'source'" in str(info.value)
    assert not (tmp_path / "x.sqlite").exists()


def test_shares_adding_past_100_are_rejected(tmp_path: Path) -> None:
    seeds = _copy_seeds(tmp_path)
    path = seeds / "end_use_shares.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    first = dict(rows[0], sector="Duplicate sector", share_pct="99", bound="eq")
    with path.open("a", encoding="utf-8", newline="") as handle:
        csv.DictWriter(handle, fieldnames=list(first)).writerow(first)
    with pytest.raises(SeedError, match=r"add up to .* more than 100"):
        build(f"sqlite:///{tmp_path / 'x.sqlite'}", seed_dir=seeds)


def test_rebuild_keeps_user_made_rows(store_copy_url: str) -> None:
    before = add_user_rows(store_copy_url)
    build(store_copy_url)
    assert user_rows(store_copy_url) == before
    assert store_status(store_copy_url) == "ok"
    # New rows still get fresh ids after the rows were carried over with theirs.
    engine = make_engine(store_copy_url)
    try:
        later = scenarios.save_scenario("Later", {"severity": 1}, engine=engine)
    finally:
        engine.dispose()
    assert later > max(r["id"] for r in before["scenario"])


def test_failed_build_leaves_the_store_as_it_was(store_copy_url: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A build that breaks while writing (after the old tables were dropped) changes nothing."""
    before = add_user_rows(store_copy_url)
    engine = make_engine(store_copy_url)
    with engine.connect() as conn:
        counts = {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                  for t in schema.REFERENCE_TABLES}
    engine.dispose()

    def broken(*_args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(rebuild, "write_build_info", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        build(store_copy_url)
    engine = make_engine(store_copy_url)
    with engine.connect() as conn:
        after = {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                 for t in schema.REFERENCE_TABLES}
    engine.dispose()
    assert after == counts
    assert user_rows(store_copy_url) == before
    assert store_status(store_copy_url) == "ok"


def test_cli_reports_problems_without_traceback(tmp_path: Path) -> None:
    seeds = _copy_seeds(tmp_path)
    _edit_first_row(seeds / "end_use_shares.csv", "share_pct", "150")
    proc = subprocess.run(
        [sys.executable, "-m", "rmo_data", "build", "--url", f"sqlite:///{tmp_path / 'c.sqlite'}",
         "--seeds", str(seeds)],
        capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.returncode == 2
    assert "end_use_shares.csv, line 2, column 'share_pct'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "c.sqlite").exists()


def test_cli_builds_the_store_at_a_url(stores: Stores) -> None:
    """`python -m rmo_data build --url URL` on the run's backend (a PostgreSQL database in that run)."""
    url = stores.blank("cli")
    try:
        proc = subprocess.run([sys.executable, "-m", "rmo_data", "build", "--url", url],
                              capture_output=True, text=True, cwd=ROOT, check=False, timeout=300)
        assert proc.returncode == 0, proc.stderr
        assert "Built " in proc.stdout
        assert store_status(url) == "ok"
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                assert conn.execute(select(func.count()).select_from(schema.leverage)).scalar_one() > 100
                assert migrate.current_revision(conn) == migrate.head_revision()
        finally:
            engine.dispose()
    finally:
        stores.discard(url)
