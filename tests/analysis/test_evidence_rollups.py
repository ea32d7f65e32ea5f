"""The evidence page's chart rows, rolled up from the evidence aggregates."""

from __future__ import annotations

import pandas as pd
import pytest

from rmo_data import constants
from rmo_data.analysis import evidence_rollups

CUBE = pd.DataFrame({"material": ["zinc", "zinc", "zinc", "nickel"],
                     "stage": ["mining", "mining", "processing", "mining"],
                     "category": ["water", "water", "water", "air"],
                     "severity": [2, 4, 3, 5], "n": [3, 1, 2, 7]})


def test_heat_counts_sum_cases_and_keep_the_highest_severity() -> None:
    out = evidence_rollups.heat_counts(CUBE)
    assert out.to_dict("records") == [
        {"material": "nickel", "stage": "mining", "category": "air", "n": 7, "max_severity": 5},
        {"material": "zinc", "stage": "mining", "category": "water", "n": 4, "max_severity": 4},
        {"material": "zinc", "stage": "processing", "category": "water", "n": 2, "max_severity": 3}]


def test_severity_counts_per_material() -> None:
    out = evidence_rollups.severity_counts(CUBE)
    assert list(zip(out["material"], out["severity"], out["n"], strict=True)) == [
        ("nickel", 5, 7), ("zinc", 2, 3), ("zinc", 3, 2), ("zinc", 4, 1)]


def test_mapped_places_leave_out_unplaced_cases_and_add_the_numeric_code() -> None:
    places = pd.DataFrame({"iso3": [None, "CHN", "PER"], "country_name": [None, "China", "Peru"],
                           "n": [4, 2, 1]})
    countries = pd.DataFrame({"iso3": ["CHN", "PER"], "name": ["China", "Peru"], "iso_numeric": [156, 604]})
    out = evidence_rollups.mapped_places(places, countries)
    assert out.to_dict("records") == [{"iso3": "CHN", "country_name": "China", "n": 2, "iso_numeric": 156},
                                      {"iso3": "PER", "country_name": "Peru", "n": 1, "iso_numeric": 604}]


# Two rows of the same combination (zinc, mining, water, 2), and one case with no severity.
FLOW_CUBE = pd.DataFrame({"material": ["zinc", "zinc", "nickel", "zinc", "nickel"],
                          "stage": ["processing", "processing", "mining", "mining", "mining"],
                          "category": ["water", "water", "ohs", "water", "ohs"],
                          "severity": [2, 2, 5, None, 3], "n": [3, 4, 1, 2, 6]})


def test_flow_counts_add_up_each_combination_and_keep_the_unrated() -> None:
    out = evidence_rollups.flow_counts(FLOW_CUBE)
    assert list(out.columns) == [*evidence_rollups.FLOW_COLUMNS, "n"]
    assert int(out["n"].sum()) == int(FLOW_CUBE["n"].sum())  # no case lost, the unrated one included
    rows = [(r.stage, r.category, None if pd.isna(r.severity) else int(r.severity), r.material, r.n)
            for r in out.itertuples()]
    # Value chain first (mining before processing), categories in the constants' order
    # (water before ohs), most severe first and the unrated last.
    assert rows == [("mining", "water", None, "zinc", 2), ("mining", "ohs", 5, "nickel", 1),
                    ("mining", "ohs", 3, "nickel", 6), ("processing", "water", 2, "zinc", 7)]
    assert evidence_rollups.flow_counts(FLOW_CUBE.iloc[:0]).empty


def test_flow_table_names_everything_from_the_constants() -> None:
    table = evidence_rollups.flow_table(evidence_rollups.flow_counts(FLOW_CUBE))
    assert list(table.columns) == ["Value-chain stage", "Risk category", "Severity", "Material", "Cases"]
    assert table.iloc[0].tolist() == [constants.STAGE_LABELS["mining"], constants.RISK_CATEGORY_LABELS["water"],
                                      constants.SEVERITY_NOT_RATED, constants.MATERIAL_LABELS["zinc"], 2]
    assert table["Severity"].tolist()[1:] == [constants.SEVERITY_LABELS[s] for s in (5, 3, 2)]


# One passage ("p1") split into three rows: two countries' water cases and a community-health case,
# at severities 3 and 4; two cases of their own (no passage).
SHARED = pd.DataFrame({"material": ["zinc", "zinc", "zinc", "zinc", "nickel"],
                       "stage": ["mining", "mining", "mining", "processing", "mining"],
                       "category": ["water", "water", "community_health", "water", "ohs"],
                       "severity": [3, 3, 4, 2, 5], "passage": ["p1", "p1", "p1", None, None],
                       "n": [1, 1, 1, 2, 1]})


def test_a_shared_passage_counts_once_in_every_rollup() -> None:
    assert evidence_rollups.total_once(SHARED) == 1 + 2 + 1
    by_material = evidence_rollups.count_once(SHARED, ["material"]).to_dict()
    assert by_material == {"nickel": 1, "zinc": 3}
    heat = evidence_rollups.heat_counts(SHARED).set_index(["material", "stage", "category"])
    # Once in each cell it names: water and community health at mining.
    assert heat.loc[("zinc", "mining", "water"), "n"] == 1
    assert heat.loc[("zinc", "mining", "community_health"), "n"] == 1
    assert heat.loc[("zinc", "mining", "water"), "max_severity"] == 3  # the cell's own cases
    bars = evidence_rollups.severity_counts(SHARED)
    zinc = dict(zip(bars.loc[bars["material"] == "zinc", "severity"], bars.loc[bars["material"] == "zinc", "n"],
                    strict=True))
    assert zinc == {2: 2, 4: 1}, "the passage is one case, at its highest severity"
    assert bars["severity"].dtype.kind == "i"
    flows = evidence_rollups.flow_counts(SHARED)
    assert int(flows["n"].sum()) == 1 + 1 + 2 + 1  # once in each of its two bands
    assert set(flows.loc[flows["material"] == "zinc", "severity"].dropna().astype(int)) == {2, 4}


def test_one_per_passage_keeps_the_most_severe_row_of_each_passage() -> None:
    counted = SHARED.assign(source_title=["a", "a", "b", "c", "d"])
    once = evidence_rollups.one_per_passage(counted)
    assert "passage" not in once.columns and len(once) == 3
    merged = once[once["material"] == "zinc"].sort_values("severity")
    assert merged[["severity", "n", "source_title"]].values.tolist() == [[2, 2, "c"], [4, 1, "b"]]
    stats = evidence_rollups.material_stats(once)
    assert stats.loc["zinc"].tolist() == [3, pytest.approx((2 * 2 + 4) / 3), 4]


def test_passage_keys_and_confidence_names() -> None:
    rows = pd.DataFrame({"id": ["A", "B", "C"], "passage": ["p", "p", None]})
    assert evidence_rollups.passage_keys(rows).tolist() == ["p", "p", "C"]
    assert evidence_rollups.confidence_name("inferred") == constants.CONFIDENCE_LABELS["inferred"]
    assert evidence_rollups.confidence_name(None) == constants.CONFIDENCE_NOT_ASSESSED
    assert evidence_rollups.confidence_name(float("nan")) == constants.CONFIDENCE_NOT_ASSESSED
