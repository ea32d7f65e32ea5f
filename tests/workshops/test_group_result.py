"""The group result, worked out by hand: a three-participant case (shares, means, scores, Borda points)
compared with ``aggregate_from``, ties in the Borda count, a wide rank range as a disagreement."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from rmo_data.workshops import group_result
from tests.workshops.sample import CRITS, HAND, MATS, criteria_data


def test_aggregation_matches_a_hand_computation() -> None:
    ws = {"code": "ABCDEF", "name": "Hand", "materials": MATS, "criteria": CRITS}
    subs = pd.DataFrame([
        {"participant": "P1", "weights": {"severity": 10, "auto_share": 0}, "flagged": ["zinc"],
         "submitted_at": None},
        {"participant": "P2", "weights": {"severity": 0, "auto_share": 5}, "flagged": ["nickel", "zinc"],
         "submitted_at": None},
        {"participant": "P3", "weights": {"severity": 6, "auto_share": 4}, "flagged": [],
         "submitted_at": None},
    ])
    result = group_result.aggregate_from(ws, subs, HAND)
    # Shares: P1 (1, 0), P2 (0, 1), P3 (.6, .4) -> mean severity 1.6/3, auto_share 1.4/3.
    assert result.group_weights == pytest.approx({"severity": 1.6 / 3, "auto_share": 1.4 / 3})
    # Group scores: zinc = 1.6/3, nickel = 1.4/3, graphite = .5*1.6/3 + .25*1.4/3 = 1.15/3.
    r = result.ranking.set_index("material")
    assert r["score"].to_dict() == pytest.approx({"zinc": 1.6 / 3, "nickel": 1.4 / 3, "graphite": 1.15 / 3})
    assert result.ranking["material"].tolist() == ["zinc", "nickel", "graphite"]
    assert r["rank"].to_dict() == {"zinc": 1, "nickel": 2, "graphite": 3}
    # Own rankings: P1 zinc 1, graphite .5, nickel 0 -> Borda 2, 1, 0.
    # P2 nickel 1, graphite .25, zinc 0 -> Borda nickel 2, graphite 1, zinc 0.
    # P3 zinc .6, nickel .4, graphite .3 + .1 = .4 -> zinc 2; nickel and graphite tie for
    # second and third place and share 1 + 0 points: .5 each.
    assert r["borda_points"].to_dict() == pytest.approx({"zinc": 4.0, "nickel": 2.5, "graphite": 2.5})
    assert r["borda_rank"].to_dict() == {"zinc": 1, "nickel": 2, "graphite": 2}
    # Rank spread: zinc 1, 3, 1; nickel 3, 1, 2 (tie shares the better rank); graphite 2, 2, 2.
    assert r["rank_best"].to_dict() == {"zinc": 1, "nickel": 1, "graphite": 2}
    assert r["rank_worst"].to_dict() == {"zinc": 3, "nickel": 3, "graphite": 2}
    assert r["rank_range"].to_dict() == {"zinc": 2, "nickel": 2, "graphite": 0}
    assert not r["disagree"].any()  # a range of 2 stays under the 3-place threshold
    assert r["flagged_by"].to_dict() == {"zinc": 2, "nickel": 1, "graphite": 0}
    # Contributions add up to the score.
    assert (r["severity"] + r["auto_share"]).to_dict() == pytest.approx(r["score"].to_dict())
    # Model default: equal weights -> zinc .5, nickel .5, graphite .375.
    assert r["default_rank"].to_dict() == {"zinc": 1, "nickel": 1, "graphite": 3}
    assert result.default_weights == {"severity": 0.5, "auto_share": 0.5}
    # Spread of the severity share: values 1, 0, .6; mean 1.6/3; population std.
    spread = result.spread.set_index("criterion")
    mean = 1.6 / 3
    std = (((1 - mean) ** 2 + mean ** 2 + (0.6 - mean) ** 2) / 3) ** 0.5
    assert spread.at["severity", "mean"] == pytest.approx(mean)
    assert spread.at["severity", "std"] == pytest.approx(std)
    assert (spread.at["severity", "min"], spread.at["severity", "max"]) == (0.0, 1.0)
    assert spread.at["severity", "q1"] == pytest.approx(0.3) and spread.at["severity", "q3"] == pytest.approx(0.8)
    assert spread.at["severity", "iqr"] == pytest.approx(0.5)
    assert spread["disagree"].all()
    # The record survives JSON unchanged.
    again = group_result.GroupResult.from_record(json.loads(json.dumps(result.to_record())))
    assert again.to_record() == result.to_record()
    pd.testing.assert_frame_equal(again.ranking, result.ranking)
    assert result.pack_weights() == {"severity": 53.3, "auto_share": 46.7}


def test_borda_points_share_ties() -> None:
    points = group_result.borda_points(pd.Series({"a": 0.9, "b": 0.5, "c": 0.5, "d": 0.1}))
    assert points.to_dict() == {"a": 3.0, "b": 1.5, "c": 1.5, "d": 0.0}
    assert points.sum() == 4 * 3 / 2


def test_a_wide_rank_range_is_a_disagreement() -> None:
    mats = ["a", "b", "c", "d"]
    crit = criteria_data({"a": {"severity": 1.0, "auto_share": 0.0}, "b": {"severity": 0.7, "auto_share": 0.2},
                      "c": {"severity": 0.3, "auto_share": 0.6}, "d": {"severity": 0.0, "auto_share": 1.0}})
    subs = pd.DataFrame([
        {"participant": "A", "weights": {"severity": 10, "auto_share": 0}, "flagged": [], "submitted_at": None},
        {"participant": "B", "weights": {"severity": 0, "auto_share": 10}, "flagged": [], "submitted_at": None},
    ])
    result = group_result.aggregate_from({"code": "ABCDEF", "name": "Split", "materials": mats,
                                       "criteria": CRITS}, subs, crit)
    r = result.ranking.set_index("material")
    assert r.at["a", "rank_range"] == 3 and r.at["a", "disagree"]
    assert r.at["d", "rank_range"] == 3 and r.at["d", "disagree"]
    assert not r.at["b", "disagree"]




def test_own_ranking_uses_the_participants_weights_on_the_workshops_materials() -> None:
    ws = {"materials": [*MATS, "tantalum"], "criteria": CRITS}  # tantalum: not in the store, left out
    table = group_result.own_ranking(ws, {"severity": 0, "auto_share": 10}, HAND, {"nickel": "Nickel metal"})
    assert table.columns.tolist() == ["Rank", "Material", "Score (0–1)"]
    assert table["Material"].tolist() == ["Nickel metal", "graphite", "zinc"]
    assert table["Rank"].tolist() == [1, 2, 3]
    assert table["Score (0–1)"].tolist() == pytest.approx([1.0, 0.25, 0.0])


def test_criteria_provenance_lists_sources_and_years_once() -> None:
    data = criteria_data({"zinc": {"severity": 1.0, "auto_share": 0.0},
                          "nickel": {"severity": 0.0, "auto_share": 1.0}})
    data.sources["auto_share"] = ["B report", "Test report"]
    data.years["auto_share"] = [2023, 2024]
    assert group_result.criteria_provenance(data, CRITS) == (["B report", "Test report"], [2023, 2024])
    assert group_result.criteria_provenance(data, ["severity"]) == (["Test report"], [2024])
