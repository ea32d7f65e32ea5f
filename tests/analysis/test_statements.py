"""Report statements beside the measured share: the pure pairing, and the pairing on a real built store."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from rmo_data import constants
from rmo_data.analysis import metrics
from rmo_data.analysis.statements import share_text, source_label, statement_pairs
from rmo_data.store import concentration, queries


def test_pairing_names_both_sides_and_says_when_a_share_is_missing() -> None:
    statements = pd.DataFrame({
        "material": ["ree", "ree", "ree", "zinc"], "stage": ["mining", "processing", "mining", "mining"],
        "level": ["country", "country", "company", "country"], "iso3": ["CHN", "CHN", None, "PER"],
        "share_pct": [80.0, None, None, 10.0], "bound": ["ge", None, None, "eq"],
        "year": [2021, 2021, 2021, None]})
    measured = pd.DataFrame({"material": ["ree"], "stage": ["mining"], "iso3": ["CHN"], "share_pct": [69.23],
                             "year": [2025], "is_estimate": [True], "source_title": ["MCS 2026"],
                             "source_publisher": ["U.S. Geological Survey"]})
    out = statement_pairs(statements, measured)
    assert out["report_text"].tolist() == ["report (2021): ≥ 80 %", "report (2021): no figure",
                                           "report (2021): no figure", "report: 10 %"]
    assert out.at[0, "measured_text"] == "USGS 2025 (estimate): 69 %"
    assert out.at[1, "measured_text"] == constants.MISSING  # no processing share for that country
    assert out.at[2, "measured_text"] is None  # a company statement has no measured side
    assert out.at[3, "measured_text"] == constants.MISSING
    assert len(out) == len(statements)


def test_labels() -> None:
    assert share_text(85, "ge") == "≥ 85 %" and share_text(None) == "no figure"
    assert source_label("International Energy Agency") == "IEA"
    assert source_label(None, "Some Title") == "ST"


def test_pairing_on_the_built_store_matches_the_production_shares(built_engine: Engine) -> None:
    statements = queries.concentration_statements(engine=built_engine)
    pairs = statement_pairs(statements, concentration.latest_country_shares(engine=built_engine))
    rare_earths = pairs[(pairs["material"] == "ree") & (pairs["stage"] == "mining") & (pairs["subject"] == "China")]
    assert len(rare_earths) == 1
    row = rare_earths.iloc[0]
    # The same figure worked out here from the production rows: China's share in the latest year.
    com = concentration.primary_commodity("ree", "mining", built_engine)
    rows = concentration.production_rows(com["slug"], engine=built_engine)
    year = metrics.latest_year(rows)
    named, _total, _basis = metrics.country_shares(rows[rows["year"] == year])
    china = float(named.loc[named["iso3"] == "CHN", "share_pct"].iloc[0])
    assert row["measured_share"] == china and row["measured_year"] == year
    assert row["report_text"] == "report (2021): ≥ 80 %"
    assert row["measured_text"].startswith(f"USGS {year}") and row["measured_text"].endswith(f"{china:.0f} %")
    countries = pairs[pairs["level"] == "country"]
    assert countries["measured_text"].notna().all()
    assert pairs.loc[pairs["level"] == "company", "measured_text"].isna().all()
