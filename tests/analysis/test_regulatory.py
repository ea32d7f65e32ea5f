"""The CRMA 65 % single-third-country benchmark: pure checks, and the check on a real built store."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from rmo_data import constants
from rmo_data.analysis.regulatory import BENCHMARK_COLUMNS, benchmark_65
from rmo_data.store import concentration, queries, report_facts


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


def test_material_lists_read_the_entries_and_the_2023_thresholds() -> None:
    from rmo_data.analysis.regulatory import LIST_COLUMNS, material_lists, on_lists

    listings = pd.DataFrame([
        {"material": "a", "regulation": "eu_crma_strategic", "listing": "A metal", "source_title": "Act",
         "source_year": 2024, "source_url": "u"},
        {"material": "b", "regulation": "eu_battery_dd", "listing": "B", "source_title": "Reg",
         "source_year": 2023, "source_url": "v"},
    ])
    crm = pd.DataFrame([
        # At both thresholds exactly: critical under the EU method.
        {"material": "a", "eu_name": "A", "supply_risk": constants.EU_CRITICAL_SUPPLY_RISK,
         "economic_importance": constants.EU_CRITICAL_ECONOMIC_IMPORTANCE, "is_primary": True},
        # Below the supply-risk threshold: not on the list; its secondary series above both is not read.
        {"material": "b", "eu_name": "B", "supply_risk": 0.9, "economic_importance": 9.0, "is_primary": True},
        {"material": "b", "eu_name": "B ore", "supply_risk": 5.0, "economic_importance": 9.0, "is_primary": False},
        # No figure: never guessed onto the list.
        {"material": "c", "eu_name": "C", "supply_risk": None, "economic_importance": 4.0, "is_primary": True},
    ]).assign(source_title="Study", source_year=2023, source_url="w")
    out = material_lists(listings, crm)
    assert list(out.columns) == list(LIST_COLUMNS)
    assert list(zip(out["material"], out["list"], strict=True)) == [
        ("a", "eu_crma_strategic"), ("b", "eu_battery_dd"), ("a", constants.EU_CRITICAL_2023)]
    critical = out[out["list"] == constants.EU_CRITICAL_2023].iloc[0]
    assert critical["detail"] == "A: supply risk 1.0, economic importance 2.8" and critical["source_year"] == 2023
    assert set(out["short"]) == {constants.REGULATORY_LIST_SHORT[s] for s in out["list"]}
    assert on_lists(out, ["eu_battery_dd", constants.EU_CRITICAL_2023]) == {"a", "b"}
    assert on_lists(out, []) == set()


def test_lists_on_the_built_store(built_engine: Engine) -> None:
    lists = report_facts.regulatory_lists(engine=built_engine)
    by_list = {slug: set(lists.loc[lists["list"] == slug, "material"]) for slug in constants.REGULATORY_LIST_SLUGS}
    assert by_list["eu_battery_dd"] == {"graphite", "nickel"}
    assert by_list["eu_crma_strategic"] == {"aluminium", "graphite", "magnesium", "manganese", "nickel", "ree"}
    # The 2023 thresholds, read on the stored figures of each material's primary series.
    crm = queries.eu_crm(engine=built_engine)
    primary = crm[crm["is_primary"].astype(bool)]
    expected = set(primary.loc[(primary["supply_risk"] >= 1.0) & (primary["economic_importance"] >= 2.8), "material"])
    assert by_list[constants.EU_CRITICAL_2023] == expected and "iron_steel" not in expected
    assert lists["source_title"].notna().all() and lists["source_year"].notna().all()
