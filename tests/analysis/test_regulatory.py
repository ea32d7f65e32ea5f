"""The CRMA 65 % single-third-country benchmark: pure checks, and the check on a real built store."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from rmo_data import constants
from rmo_data.analysis.regulatory import BENCHMARK_COLUMNS, benchmark_65
from rmo_data.store import concentration, report_facts


def _shares(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame([{"material": m, "stage": s, "iso3": i, "country_name": i, "share_pct": v, "year": 2024,
                          "is_estimate": False, "source_title": "T"} for m, s, i, v in rows])


def test_the_union_is_not_a_third_country_and_missing_stages_say_so() -> None:
    shares = _shares([("x", "mining", "DEU", 80.0), ("x", "mining", "CHN", 40.0),
                      ("y", "mining", "CHN", 65.0), ("z", "mining", "IDN", 65.1)])
    out = benchmark_65(shares, ["x", "y", "z"], stages=("mining", "processing")).set_index(["material", "stage"])
    assert list(out.reset_index().columns) == list(BENCHMARK_COLUMNS)
    assert (out.at[("x", "mining"), "top_iso3"], out.at[("x", "mining"), "status"]) == ("CHN", "pass")
    assert out.at[("y", "mining"), "status"] == "pass"  # "no more than 65 %": 65 itself is within
    assert out.at[("z", "mining"), "status"] == "fail"
    assert out.at[("x", "processing"), "status"] == "no_data" and pd.isna(out.at[("x", "processing"), "year"])
    assert set(out["status"]) <= set(constants.BENCHMARK_STATUS_SLUGS)


def test_benchmark_on_the_built_store(built_engine: Engine) -> None:
    strategic = report_facts.regulatory_listings(regulation="eu_crma_strategic", engine=built_engine)["material"]
    shares = concentration.latest_country_shares(engine=built_engine)
    out = benchmark_65(shares, strategic)
    assert len(out) == 2 * len(strategic)
    for row in out.itertuples():
        part = shares[(shares["material"] == row.material) & (shares["stage"] == row.stage)
                      & ~shares["iso3"].isin(constants.EU_MEMBER_ISO3)]
        if part.empty:
            assert row.status == "no_data"
            continue
        top = part["share_pct"].max()
        assert row.top_share == top and row.year == int(part["year"].iloc[0])
        assert row.status == ("fail" if top > 65 else "pass")
    assert (out["status"] == "fail").any() and (out["status"] == "pass").any()
    conc = concentration.concentration("ree", "processing", engine=built_engine)
    ree = out[(out["material"] == "ree") & (out["stage"] == "processing")].iloc[0]
    assert ree["top_country"] == conc["top1_country"] and ree["top_share"] == conc["top1_share"]
