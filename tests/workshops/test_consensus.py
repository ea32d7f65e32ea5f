"""Kendall's W (with the tie correction), its bands and the criteria most apart, against hand-computed values."""

from __future__ import annotations

import pandas as pd
import pytest

from rmo_data.workshops import consensus, group_result
from tests.workshops.sample import HAND, MATS


def test_w_without_ties_by_hand() -> None:
    # Three participants rank three materials:
    #   A: 1 2 3    B: 1 3 2    C: 2 1 3
    # Rank sums R = 4, 6, 8; mean 6; S = (−2)² + 0² + 2² = 8.
    # W = 12 S / (m² (n³ − n)) = 12 · 8 / (9 · 24) = 96 / 216 = 0.444444 → moderate.
    w = consensus.kendall_w([[1, 2, 3], [1, 3, 2], [2, 1, 3]])
    assert w == pytest.approx(96 / 216)
    assert consensus.band(w) == "moderate"


def test_w_with_ties_by_hand() -> None:
    # As above, but C ties the first two: C = 1.5 1.5 3.
    # R = 3.5, 6.5, 8; mean 6; S = 6.25 + 0.25 + 4 = 10.5.
    # Ties: C has one group of t = 2 → T_C = 2³ − 2 = 6; Σ T = 6.
    # W = 12 · 10.5 / (9 · 24 − 3 · 6) = 126 / 198 = 0.636364.
    # (Without the correction it would be 126 / 216 = 0.583333.)
    w = consensus.kendall_w([[1, 2, 3], [1, 3, 2], [1.5, 1.5, 3]])
    assert w == pytest.approx(126 / 198)


def test_full_agreement_and_none() -> None:
    assert consensus.kendall_w([[1, 2, 3, 4]] * 5) == 1.0
    # Two participants in opposite orders: R = 5, 5, 5, 5 → S = 0 → W = 0.
    assert consensus.kendall_w([[1, 2, 3, 4], [4, 3, 2, 1]]) == 0.0
    # Both tie the first two alike: R = 3, 3, 6; mean 4; S = 1 + 1 + 4 = 6.
    # Each has one tie group of t = 2 → T = 6 each, Σ T = 12.
    # W = 12 · 6 / (4 · 24 − 2 · 12) = 72 / 72 = 1: the correction keeps identical rankings at 1
    # (without it, 72 / 96 = 0.75).
    assert consensus.kendall_w([[1.5, 1.5, 3], [1.5, 1.5, 3]]) == pytest.approx(1.0)

def test_undefined_cases() -> None:
    assert consensus.kendall_w([[1, 2, 3]]) is None  # one participant
    assert consensus.kendall_w([[1], [1]]) is None  # one material
    assert consensus.kendall_w([[1.5, 1.5], [1.5, 1.5]]) is None  # everyone ties everything
    assert consensus.band(None) is None
    with pytest.raises(ValueError, match="one row per participant"):
        consensus.kendall_w([1, 2, 3])


@pytest.mark.parametrize(("w", "expected"), [(0.0, "low"), (0.2999, "low"), (0.3, "moderate"),
                                             (0.6999, "moderate"), (0.7, "high"), (1.0, "high")])
def test_bands(w: float, expected: str) -> None:
    assert consensus.band(w) == expected


def test_mid_ranks_from_scores_tie_equal_scores() -> None:
    long = pd.DataFrame({"participant": ["p"] * 3, "material": ["x", "y", "z"],
                         "score": [0.3, 0.1 + 0.2, 0.9]})  # 0.1 + 0.2 is 0.30000000000000004
    ranks = consensus.mid_ranks(long, ["x", "y", "z"])
    assert ranks.loc["p"].tolist() == [2.5, 2.5, 1.0]


def test_most_disagreed_is_the_top_three_by_spread() -> None:
    spread = pd.DataFrame({"criterion": ["a", "b", "c", "d", "e"], "std": [0.1, 0.0, 0.3, 0.2, 0.2]})
    top = consensus.most_disagreed(spread)
    assert [t["criterion"] for t in top] == ["c", "d", "e"]  # d before e: equal spread keeps the order
    assert top[0]["std"] == pytest.approx(0.3)
    assert consensus.most_disagreed(spread.iloc[[1]]) == []  # nobody apart → none named


def test_group_result_carries_the_consensus() -> None:
    # HAND: zinc (severity 1, auto 0), nickel (0, 1), graphite (0.5, 0.25).
    # Ana weighs severity only: zinc 1, graphite 0.5, nickel 0 → ranks zinc 1, nickel 3, graphite 2.
    # Ben weighs auto share only: nickel 1, graphite 0.25, zinc 0 → zinc 3, nickel 1, graphite 2.
    # Cy weighs severity only, as Ana.
    # R (zinc, nickel, graphite) = 1+3+1, 3+1+3, 2+2+2 = 5, 7, 6; mean 6; S = 1 + 1 + 0 = 2.
    # W = 12 · 2 / (9 · 24) = 24 / 216 = 0.111111 → low.
    ws = {"code": "ABC234", "name": "T", "materials": MATS, "criteria": ["severity", "auto_share"]}
    subs = pd.DataFrame({"participant": ["Ana", "Ben", "Cy"],
                         "weights": [{"severity": 10, "auto_share": 0}, {"severity": 0, "auto_share": 10},
                                     {"severity": 10, "auto_share": 0}],
                         "flagged": [[], [], []], "submitted_at": [None] * 3})
    result = group_result.aggregate_from(ws, subs, HAND)
    c = result.consensus
    assert c is not None
    assert c["w"] == pytest.approx(24 / 216) and c["band"] == "low"
    assert c["participants"] == 3 and c["materials"] == 3
    # Shares: severity 1, 0, 1 and auto 0, 1, 0 → both std √(2/9) = 0.471405; workshop order kept.
    assert [d["criterion"] for d in c["most_disagreed"]] == ["severity", "auto_share"]
    assert c["most_disagreed"][0]["std"] == pytest.approx((2 / 9) ** 0.5)
    # Frozen and read back unchanged; an old record without it reads as "not computed".
    record = result.to_record()
    assert group_result.GroupResult.from_record(record).consensus == c
    del record["consensus"]
    assert group_result.GroupResult.from_record(record).consensus is None
    # One participant: W undefined.
    one = group_result.aggregate_from(ws, subs.iloc[:1], HAND)
    assert one.consensus is not None and one.consensus["w"] is None and one.consensus["band"] is None
