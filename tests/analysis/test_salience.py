"""Salience per material × risk category × stage: hand-computed from the seed rows, gaps, optional columns.

The two hand-computed materials use rows of ``rmo_data/seed/risk_evidence.csv`` and
``salient_risks.csv``, the 2025 USGS production of their stage (``rmo_data/sources``) and the
WGI 2023 risk scores as the store holds them ((2.5 − mean of the six estimates) × 2, see
``metrics.wgi_risk_score``; typed here to four decimals).  None of these cases states a year, so
each weighs its confidence (documented 1.0, reported 0.6, inferred 0.3) × 0.75 (year not
stated); cases sharing a report passage count once in a cell; ``as_of`` is 2026.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from rmo_data import constants
from rmo_data.analysis import salience
from rmo_data.store import salience_reads

AS_OF = 2026
CASE_WEIGHT = 0.6 * 0.75  # a reported case × year not stated
DOCUMENTED_WEIGHT = 1.0 * 0.75
INFERRED_WEIGHT = 0.3 * 0.75


def _g(rows: list[tuple[float, float]]) -> float:
    """Governance part: Σ quantity × WGI risk / Σ quantity / 10 (shares are quantity / world total)."""
    return sum(q * r for q, r in rows) / sum(q for q, _ in rows) / 10


@pytest.fixture(scope="module")
def cells(built_engine: Engine) -> pd.DataFrame:
    return salience_reads.salience_table(built_engine, as_of=AS_OF)


def _cell(cells: pd.DataFrame, material: str, category: str, stage: str) -> pd.Series:
    hit = cells[(cells["material"] == material) & (cells["category"] == category) & (cells["stage"] == stage)]
    assert len(hit) == 1, (material, category, stage)
    return hit.iloc[0]


def test_tantalum_by_hand(cells: pd.DataFrame) -> None:
    # Tantalum mine production 2025 (t Ta, USGS MCS 2026; world total 2 500) with WGI risk scores:
    # DRC 1 300 × 8.1690, Rwanda 400 × 4.8015, Nigeria 390 × 7.0100, Brazil 190 × 5.5605,
    # China 80 × 5.5802, Australia 50 × 1.9133, Ethiopia 40 × 6.9851, Russia 30 × 7.1822,
    # Bolivia 2 × 6.4842, Burundi 2 × 7.5107, Mozambique 1 × 6.7140, United States 0 × 3.0103.
    g = _g([(1300, 8.1690), (400, 4.8015), (390, 7.0100), (190, 5.5605), (80, 5.5802), (50, 1.9133),
            (40, 6.9851), (30, 7.1822), (2, 6.4842), (2, 7.5107), (1, 6.7140), (0, 3.0103)])
    assert g == pytest.approx(0.7003, abs=1e-4)  # 17 402.4 / 2 485 / 10
    e = CASE_WEIGHT / 3  # one case per cell: min(1, 0.45 / 3) = 0.15
    likelihood = 1 + 4 * (e + g) / 2  # = 2.7006
    # EV-TA-02 mining, human rights abuses: scale 5, scope 4, irremediability 4 → 13 / 3.
    abuses = _cell(cells, "tantalum", "human_rights_abuses", "mining")
    assert abuses["severity"] == pytest.approx(13 / 3)
    assert abuses["evidence"] == pytest.approx(0.15)
    assert abuses["governance"] == pytest.approx(g, abs=1e-4)
    assert abuses["likelihood"] == pytest.approx(likelihood, abs=1e-4)
    assert abuses["salience"] == pytest.approx(13 / 3 * likelihood, abs=1e-3)  # 11.70
    assert abuses["case_ids"] == ("EV-TA-02",) and abuses["worst_case"] == "EV-TA-02"
    assert "Congo (Kinshasa) 52 %" in abuses["producers_text"] and abuses["wgi_year"] == 2023
    # EV-TA-01 conflict 4, 4, 3 → 11 / 3; EV-TA-03 indigenous rights 3, 4, 3 → 10 / 3; same likelihood.
    assert _cell(cells, "tantalum", "conflict", "mining")["salience"] == pytest.approx(11 / 3 * likelihood, abs=1e-3)
    assert _cell(cells, "tantalum", "indigenous_rights", "mining")["salience"] == pytest.approx(
        10 / 3 * likelihood, abs=1e-3)
    # EV-TA-04 processing, transparency 2, 4, 2 → 8 / 3, documented (a named study): E = 0.75 / 3 = 0.25;
    # no tantalum processing data: L = 1 + 4 × 0.25 = 2.
    transparency = _cell(cells, "tantalum", "transparency", "processing")
    assert np.isnan(transparency["governance"])
    assert transparency["evidence"] == pytest.approx(DOCUMENTED_WEIGHT / 3)
    assert transparency["likelihood"] == pytest.approx(2.0)
    assert transparency["salience"] == pytest.approx(8 / 3 * 2.0)
    # EV-TA-01 and EV-TA-02 share one passage but sit in different cells: each counts in its own.
    assert abuses["n_passages"] == 1
    assert salience.NO_GOVERNANCE in transparency["missing_inputs"]
    assert transparency["uncertain"] == 0.5
    # The report flags land & biodiversity at mining for tantalum, but no case is rated: a gap.
    land = _cell(cells, "tantalum", "land_biodiversity", "mining")
    assert land["status"] == salience.GAP and land["flagged"]
    assert np.isnan(land["severity"]) and np.isnan(land["salience"]) and np.isnan(land["likelihood"])
    assert land["uncertain"] == 1.0
    # Material level: the mean of the three most salient cells (all three at mining).
    top = salience.material_salience(cells).loc["tantalum"]
    assert top["salience"] == pytest.approx((13 / 3 + 11 / 3 + 10 / 3) / 3 * likelihood, abs=1e-3)  # 10.20
    assert top["likelihood"] == pytest.approx(likelihood, abs=1e-4)
    # Flags: human rights abuses, conflict, land, indigenous rights (mining); OHS and corruption
    # (mining and processing): 8 cells, 3 of them rated → 5 gaps; transparency has a case but no flag.
    assert (top["n_rated"], top["n_gaps"]) == (4, 5)
    # Uncertain: 5 gaps × 1 + transparency 0.5 (no governance) over 9 cells.
    assert top["uncertain"] == pytest.approx(5.5 / 9)


def test_magnesium_by_hand(cells: pd.DataFrame) -> None:
    # Magnesium metal (smelter) 2025 (kt, world total 1 100): China 950 × 5.5802, Russia 60 × 7.1822,
    # Brazil 20 × 5.5605, Israel 20 × 3.9801, Turkey 15 × 6.1212, Kazakhstan 13 × 5.5926,
    # Iran 5 × 7.7168, United States 0 × 3.0103.
    g = _g([(950, 5.5802), (60, 7.1822), (20, 5.5605), (20, 3.9801), (15, 6.1212), (13, 5.5926), (5, 7.7168),
            (0, 3.0103)])
    assert g == pytest.approx(0.5657, abs=1e-4)
    # Processing, waste & tailings: EV-MG-06 and EV-MG-07, both 3, 3, 3 → severity 3, reported, from one
    # passage of the report: they count once, E = 0.45 / 3 = 0.15; L = 1 + 4 × (0.15 + G) / 2.
    l_one = 1 + 4 * (CASE_WEIGHT / 3 + g) / 2
    waste = _cell(cells, "magnesium", "waste_tailings", "processing")
    assert (waste["n_cases"], waste["n_passages"]) == (2, 1)
    assert waste["evidence"] == pytest.approx(0.15)
    assert waste["salience"] == pytest.approx(3 * l_one, abs=1e-3)  # 7.29
    # Processing, OHS: EV-MG-01 and EV-MG-03, 3, 2, 3 → 8 / 3, the same explosions passage; same likelihood.
    ohs_processing = _cell(cells, "magnesium", "ohs", "processing")
    assert ohs_processing["n_passages"] == 1
    assert ohs_processing["salience"] == pytest.approx(8 / 3 * l_one, abs=1e-3)  # 6.48
    # Processing, GHG & energy: EV-MG-09, 3, 4, 3 → 10 / 3, its own passage; same likelihood.
    ghg = _cell(cells, "magnesium", "ghg_energy", "processing")
    assert ghg["salience"] == pytest.approx(10 / 3 * l_one, abs=1e-3)  # 8.10
    # Components, OHS: EV-MG-02, -04, -05, all 3, 2, 3 → 8 / 3, still that one passage: E = 0.15; no
    # production data at component manufacturing, so L = 1 + 4 × 0.15 = 1.6.
    ohs_components = _cell(cells, "magnesium", "ohs", "components")
    assert ohs_components["likelihood"] == pytest.approx(1.6)
    assert ohs_components["salience"] == pytest.approx(8 / 3 * 1.6)
    assert ohs_components["case_ids"] == ("EV-MG-02", "EV-MG-04", "EV-MG-05")
    # Recycling, OHS: EV-MG-08 3, 2, 2 → 7 / 3, inferred: E = 0.225 / 3 = 0.075, L = 1.3.
    recycling = _cell(cells, "magnesium", "ohs", "recycling")
    assert recycling["evidence"] == pytest.approx(INFERRED_WEIGHT / 3)
    assert recycling["salience"] == pytest.approx(7 / 3 * 1.3)
    assert "every case inferred" in recycling["missing_inputs"]
    top = salience.material_salience(cells).loc["magnesium"]
    assert top["salience"] == pytest.approx((10 / 3 + 3 + 8 / 3) / 3 * l_one, abs=1e-3)  # 7.29
    # Gaps: GHG at mining, land at mining, air at casting, compliance at mining and at processing.
    assert top["n_gaps"] == 5 and top["n_rated"] == 5
    air = _cell(cells, "magnesium", "air_emissions", "casting")
    assert air["status"] == salience.GAP and "severity unknown" in air["missing_inputs"]
    # 5 gaps × 1 + components 0.5 (no governance) + recycling 0.5 + 0.5 (inferred) over 10 cells.
    assert top["uncertain"] == pytest.approx(6.5 / 10)


def test_every_cell_keeps_its_inputs(cells: pd.DataFrame) -> None:
    rated = cells[cells["status"] == salience.RATED]
    assert (rated["n_cases"] == rated["case_ids"].map(len)).all()
    assert rated["sources"].map(len).gt(0).all()
    assert rated["severity"].between(*salience.SEVERITY_SCALE).all()
    assert rated["likelihood"].between(*salience.LIKELIHOOD_SCALE).all()
    assert rated["salience"].between(*salience.SALIENCE_SCALE).all()
    gaps = cells[cells["status"] == salience.GAP]
    assert gaps["flagged"].all() and gaps["salience"].isna().all() and (gaps["n_cases"] == 0).all()
    table = salience.cell_inputs(_cell(cells, "tantalum", "conflict", "mining"))
    text = " ".join(table["Value"])
    assert "EV-TA-01" in text and "WGI 2023" in text and "Worldwide Governance Indicators" in text
    gap_table = salience.cell_inputs(_cell(cells, "tantalum", "land_biodiversity", "mining"))
    assert constants.MISSING in gap_table.set_index("Input").at["Salience (1–25)", "Value"]


def _cases(**extra: list[object]) -> pd.DataFrame:
    base = {"id": ["A", "B", "C"], "material": ["m"] * 3, "stage": ["mining"] * 3, "category": ["water"] * 3,
            "scale": [3, 4, 2], "scope": [3, 4, 2], "irremediability": [3, 4, 2], "year": [2024, 2024, np.nan],
            "country_name": ["X", "Y", None], "source_title": ["S1", "S1", "S2"]}
    return pd.DataFrame({**base, **extra})


def test_confidence_and_passage_are_used_when_present() -> None:
    shares = pd.DataFrame(columns=["material", "stage", "country_name", "share_pct", "wgi_score", "year",
                                   "wgi_year", "source_title", "wgi_source"])
    risks = pd.DataFrame(columns=["material", "category", "stages"])
    without = salience.salience_cells(_cases(), risks, shares, AS_OF).iloc[0]
    # No columns: three passages, weights 0.6 × 1 (2024 is 2 years back), 0.6 × 1, 0.6 × 0.75.
    assert without["n_passages"] == 3
    assert without["evidence_weight"] == pytest.approx(0.6 + 0.6 + 0.45)
    assert without["confidence_text"] == f"3 {salience.UNKNOWN_CONFIDENCE}"
    # A and B from one passage count once (the stronger: documented 1.0); C inferred: 0.3 × 0.75.
    withcols = salience.salience_cells(
        _cases(confidence=["documented", "reported", "inferred"], passage=["p1", "p1", None]),
        risks, shares, AS_OF).iloc[0]
    assert (withcols["n_cases"], withcols["n_passages"]) == (3, 2)
    assert withcols["evidence_weight"] == pytest.approx(1.0 + 0.3 * 0.75)
    assert withcols["evidence"] == pytest.approx((1.0 + 0.225) / 3)
    assert withcols["severity"] == pytest.approx(4.0) and withcols["worst_case"] == "B"
    # Only inferred cases: the cell is marked weak (half its weight uncertain).
    inferred = salience.salience_cells(_cases(confidence=["inferred"] * 3), risks, shares, AS_OF).iloc[0]
    assert "every case inferred" in inferred["missing_inputs"] and inferred["uncertain"] == 1.0


def test_recency_weight_falls_from_five_to_fifteen_years() -> None:
    years = pd.Series([2026, 2021, 2016, 2011, 1990, np.nan])
    assert salience.recency_weight(years, 2026).tolist() == pytest.approx([1.0, 1.0, 0.75, 0.5, 0.5, 0.75])
