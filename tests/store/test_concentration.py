"""Concentration read from a small fixture store, checked against values worked out by hand."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from rmo_data.analysis import metrics
from rmo_data.store import concentration, schema


def _seed_fixture(engine: Engine) -> None:
    """Two commodities: one with a published world total, one (IEA-like) without."""
    with engine.begin() as conn:
        conn.execute(schema.source.insert(), [
            {"id": "src_a", "title": "Fixture A", "publisher": "Test", "year": 2026, "kind": "dataset"},
        ])
        conn.execute(schema.material.insert(), [
            {"slug": "aluminium", "name": "Bauxite (aluminium)", "short_name": "Aluminium",
             "sort_order": 0, "summary": "s", "automotive_uses": "u", "source_id": "src_a"},
            {"slug": "graphite", "name": "Graphite", "short_name": "Graphite",
             "sort_order": 1, "summary": "s", "automotive_uses": "u", "source_id": "src_a"},
        ])
        conn.execute(schema.stage.insert(), [
            {"slug": "mining", "name": "Mining", "sort_order": 0},
            {"slug": "processing", "name": "Processing", "sort_order": 1},
        ])
        conn.execute(schema.country.insert(), [
            {"iso3": iso, "name": iso} for iso in ("CHN", "IND", "RUS", "CAN", "MOZ")
        ])
        conn.execute(schema.commodity.insert(), [
            {"slug": "al_smelter", "material": "aluminium", "stage": "processing",
             "name": "Smelter", "unit": "kt", "is_primary": True},
            {"slug": "gr_refined", "material": "graphite", "stage": "processing",
             "name": "Refined", "unit": "kt", "is_primary": True},
        ])
        rows = [
            ("al_smelter", "aluminium", "World total", None, "world", 2024, 100.0, None),
            ("al_smelter", "aluminium", "China", "CHN", "country", 2024, 50.0, None),
            ("al_smelter", "aluminium", "India", "IND", "country", 2024, 20.0, None),
            ("al_smelter", "aluminium", "Russia", "RUS", "country", 2024, 10.0, None),
            ("al_smelter", "aluminium", "Canada", "CAN", "country", 2024, None, "W"),
            ("al_smelter", "aluminium", "Other countries", None, "other", 2024, 20.0, None),
            ("al_smelter", "aluminium", "World total", None, "world", 2023, 80.0, None),
            ("al_smelter", "aluminium", "China", "CHN", "country", 2023, 40.0, None),
            ("al_smelter", "aluminium", "India", "IND", "country", 2023, 40.0, None),
            ("gr_refined", "graphite", "China", "CHN", "country", 2024, 30.0, None),
            ("gr_refined", "graphite", "Mozambique", "MOZ", "country", 2024, 10.0, None),
            ("gr_refined", "graphite", "Rest of world", None, "other", 2024, 60.0, None),
        ]
        conn.execute(schema.production.insert(), [
            {"commodity": c, "material": m, "stage": "processing", "country_name": n, "iso3": i,
             "country_kind": k, "year": y, "quantity": q, "unit": "kt", "value_flag": f,
             "is_estimate": y == 2024, "edition": "X", "source_id": "src_a"}
            for c, m, n, i, k, y, q, f in rows
        ])
        # Every indicator of a country gets the same estimate, so the mean is that value.
        estimates = {"CHN": -0.5, "IND": 0.0, "RUS": -1.0}
        conn.execute(schema.governance_indicator.insert(), [
            {"iso3": iso, "year": 2023, "indicator": ind, "country_name": iso,
             "estimate": est, "source_id": "src_a"}
            for iso, est in estimates.items() for ind in metrics.WGI_INDICATORS
        ])


@pytest.fixture()
def fixture_engine(empty_engine: Engine) -> Engine:
    _seed_fixture(empty_engine)
    return empty_engine


def test_concentration_latest_year_matches_hand_computation(fixture_engine: Engine) -> None:
    result = concentration.concentration("aluminium", "processing", engine=fixture_engine)
    # Shares of the world total (100): China 50 %, India 20 %, Russia 10 %.
    assert result["year"] == 2024
    assert result["hhi"] == pytest.approx(50**2 + 20**2 + 10**2)
    assert result["top1_country"] == "China"
    assert result["top1_share"] == pytest.approx(50)
    assert result["top3_share"] == pytest.approx(80)
    assert result["named_share"] == pytest.approx(80)
    assert result["withheld"] == ["Canada"]
    assert result["total_basis"] == "world total"
    assert result["source"] == "src_a"
    assert result["is_estimate"] is True


def test_concentration_for_a_given_year(fixture_engine: Engine) -> None:
    result = concentration.concentration("aluminium", "processing", year=2023, engine=fixture_engine)
    # 2023: China 40/80 = 50 %, India 40/80 = 50 %.
    assert result["hhi"] == pytest.approx(50**2 + 50**2)
    assert result["top3_share"] == pytest.approx(100)
    assert result["withheld"] == []


def test_concentration_without_world_total_uses_sum_of_rows(fixture_engine: Engine) -> None:
    result = concentration.concentration("graphite", "processing", engine=fixture_engine)
    # Total = 30 + 10 + 60 (rest of world) = 100.
    assert result["total_basis"] == "sum of reported rows"
    assert result["hhi"] == pytest.approx(30**2 + 10**2)
    assert result["top1_share"] == pytest.approx(30)


def test_no_data_is_none_not_zero(fixture_engine: Engine) -> None:
    result = concentration.concentration("graphite", "mining", engine=fixture_engine)
    assert result["hhi"] is None
    assert result["top1_share"] is None
    assert result["year"] is None


def test_governance_weighted_hhi_matches_hand_computation(fixture_engine: Engine) -> None:
    out = concentration.governance_concentration("aluminium", "processing", engine=fixture_engine)
    # Scores: China (2.5 + 0.5) × 2 = 6, India 2.5 × 2 = 5, Russia 3.5 × 2 = 7.
    expected = 0.5**2 * 6 + 0.2**2 * 5 + 0.1**2 * 7
    assert out["hhi_wgi"] == pytest.approx(expected)
    assert out["wgi_year"] == 2023
    assert out["wgi_coverage"] == pytest.approx(80)


def test_producer_counts_on_the_built_store_leave_out_zero_producers(built_engine: Engine) -> None:
    """USGS lists some countries with a production of zero: they are not counted as producers."""
    checked = 0
    for row in concentration.latest_concentrations(engine=built_engine):
        if row["commodity"] is None or row["year"] is None:
            continue
        rows = concentration.production_rows(row["commodity"], row["year"], built_engine)
        countries = rows[rows["country_kind"] == "country"]
        producing = int((countries["quantity"] > 0).sum())
        assert row["n_countries"] == producing, (row["material"], row["stage"])
        assert concentration.concentration(row["material"], row["stage"], engine=built_engine)["n_countries"] \
            == producing
        checked += int((countries["quantity"] == 0).any())
    assert checked > 0, "the built store has countries listed with zero production"
