"""The synthetic benchmark store: exact sizes, repeatable, coherent, and usable by the app.

Small sizes keep these fast; ``bench/run.py`` builds the full-size store.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from rmo_data import constants
from rmo_data.analysis import metrics
from rmo_data.store import concentration, queries
from rmo_data.store import schema
from rmo_data.store.engine import make_engine
from rmo_data.ingest.synth import SLUG_PREFIX, SOURCE_ID, synthesise
from tests.apptest import app_for
from tests.conftest import Stores
from tests.signin import sign_in

# Synthesises stores, runs the command line and every page on one: slow as a whole.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SIZES = {"materials": 3, "evidence": 500, "production": 300}


@pytest.fixture(scope="module")
def synth_url(stores: Stores) -> Iterator[str]:
    """A small synthetic store, built once for this module."""
    url = stores.blank("synth")
    synthesise(url, seed=7, **SIZES)
    yield url
    stores.discard(url)


@pytest.fixture(scope="module")
def synth_engine(synth_url: str) -> Iterator[Engine]:
    engine = make_engine(synth_url)
    yield engine
    engine.dispose()


def _count(engine: Engine, table: object, *where: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def test_row_counts_match_the_request(synth_engine: Engine) -> None:
    ev, prod, mat = schema.risk_evidence, schema.production, schema.material
    assert _count(synth_engine, mat, mat.c.slug.like(f"{SLUG_PREFIX}%")) == SIZES["materials"]
    assert _count(synth_engine, mat) == len(constants.MATERIAL_SLUGS) + SIZES["materials"]  # the real ten stay
    assert _count(synth_engine, ev, ev.c.source_id == SOURCE_ID) == SIZES["evidence"]
    assert _count(synth_engine, prod, prod.c.source_id == SOURCE_ID) == SIZES["production"]
    # The smaller tables grow with the number of materials, as in the real store.
    for table in (schema.salient_risk, schema.organisation, schema.leverage, schema.company):
        assert _count(synth_engine, table, table.c.source_id == SOURCE_ID) >= SIZES["materials"], table.name


def test_same_seed_same_rows_other_seed_other_rows(stores: Stores, synth_engine: Engine) -> None:
    again = make_engine(stores.blank("again"))
    other = make_engine(stores.blank("other"))
    try:
        synthesise(again.url.render_as_string(hide_password=False), seed=7, **SIZES)
        synthesise(other.url.render_as_string(hide_password=False), seed=8, **SIZES)
        for table in schema.REFERENCE_TABLES:
            if table is schema.build_info:
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            with synth_engine.connect() as a, again.connect() as b:
                rows_a = a.execute(select(table).order_by(*order)).all()
                rows_b = b.execute(select(table).order_by(*order)).all()
            assert rows_a == rows_b, f"{table.name} differs between two runs with the same seed"
        ev = schema.risk_evidence
        with synth_engine.connect() as a, other.connect() as b:
            assert (a.execute(select(ev.c.material, ev.c.severity).order_by(ev.c.id)).all()
                    != b.execute(select(ev.c.material, ev.c.severity).order_by(ev.c.id)).all())
    finally:
        again.dispose()
        other.dispose()


def test_shares_never_exceed_the_whole(synth_engine: Engine) -> None:
    p, e = schema.production, schema.end_use_share
    with synth_engine.connect() as conn:
        series = conn.execute(select(p.c.commodity, p.c.year).distinct()
                              .where(p.c.source_id == SOURCE_ID)).all()
        end_use = conn.execute(select(e.c.material, e.c.basis, e.c.year, func.sum(e.c.share_pct))
                               .where(e.c.source_id == SOURCE_ID)
                               .group_by(e.c.material, e.c.basis, e.c.year)).all()
    assert series and end_use
    for commodity, year in series:
        rows = concentration.production_rows(commodity, year, engine=synth_engine)
        named, total, _basis = metrics.country_shares(rows)
        if total:  # country shares of one material, stage and year add up to at most 100 %
            assert named["share_pct"].sum() <= 100 + 1e-9, (commodity, year)
    for material, basis, year, total in end_use:
        assert total <= 100, (material, basis, year)


def test_every_row_cites_an_existing_source(synth_engine: Engine) -> None:
    src = schema.source
    for table in schema.REFERENCE_TABLES:
        if "source_id" not in table.c:
            continue
        orphans = _count(synth_engine, table, table.c.source_id.not_in(select(src.c.id)))
        assert orphans == 0, table.name
    assert _count(synth_engine, src, src.c.id == SOURCE_ID) == 1


def test_concentration_of_a_synthetic_material(synth_engine: Engine) -> None:
    conc = concentration.concentration(f"{SLUG_PREFIX}001", "mining", engine=synth_engine)
    assert conc["year"] is not None and 2021 <= conc["year"] <= 2025
    assert conc["hhi"] is not None and 0 < conc["hhi"] <= 10_000
    assert conc["top1_country"] and conc["top1_share"] is not None and 0 < conc["top1_share"] <= 100
    assert conc["source"] == SOURCE_ID
    # The grouped computation the overview uses agrees on the synthetic rows too.
    grouped = concentration.concentration_overview(engine=synth_engine)
    row = grouped[(grouped["material"] == f"{SLUG_PREFIX}001") & (grouped["stage"] == "mining")].iloc[0]
    assert row["hhi"] == conc["hhi"] and row["top1_country"] == conc["top1_country"]


def test_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    done = subprocess.run([sys.executable, "-m", "rmo_data", "synth", "--url", url, "--materials", "2",
                           "--evidence", "40", "--production", "30", "--seed", "3"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "40 evidence" in done.stdout
    engine = make_engine(url)
    try:
        assert _count(engine, schema.production, schema.production.c.source_id == SOURCE_ID) == 30
    finally:
        engine.dispose()


def test_bad_sizes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="materials must be at least 1"):
        synthesise(f"sqlite:///{tmp_path / 'x.sqlite'}", materials=0)


@pytest.mark.parametrize("page", sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py")))
def test_every_page_runs_on_a_store_with_added_materials(synth_url: str, synth_engine: Engine,
                                                         monkeypatch: pytest.MonkeyPatch, page: str) -> None:
    """Materials beyond the report's ten come from the store: listed, named and shown, never a KeyError."""
    at = app_for(synth_url, monkeypatch)
    sign_in(at, "partner")  # so partner pages draw their content, not the sign-in request
    at.session_state["material"] = f"{SLUG_PREFIX}002"
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Sign in as a partner" not in " ".join(w.value for w in at.warning)
    if page == "pages/material.py":
        assert at.title[0].value == queries.material(f"{SLUG_PREFIX}002", engine=synth_engine)["name"]
    if page == "pages/overview.py":
        assert len(at.dataframe[0].value) == len(constants.MATERIAL_SLUGS) + SIZES["materials"]
