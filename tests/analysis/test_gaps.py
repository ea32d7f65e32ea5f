"""Gaps in the decision: the gap share of each score and the flag on a top place that rests on gaps.

Five materials on two criteria:

======== ===== =====
material  x     y
======== ===== =====
a         1.0   0.0
b         0.0   1.0
c         NaN   1.0
d         0.2   0.0
e         0.1   0.2
======== ===== =====

x scales over a, b, d, e to 1, 0, 0.2, 0.1: c takes their median (0.1 + 0.2) / 2 = 0.15.

* x 3, y 1 (0.75 / 0.25): a 0.75, b 0.25, c 0.75·0.15 + 0.25 = 0.3625, d 0.15,
  e 0.075 + 0.05 = 0.125: a, c, b, d, e.  With c's x at 0, c scores 0.25 and ties b for
  2nd: its place holds, no flag.
* x 9, y 1 (0.9 / 0.1): a 0.9, b 0.1, c 0.9·0.15 + 0.1 = 0.235, d 0.18, e 0.09 + 0.02 = 0.11:
  a, c, d, e, b.  With c's x at 0, c scores 0.1, ties b behind a, d and e: 4th, out of the
  top 3: flagged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rmo_data.analysis import gaps, scoring


@pytest.fixture()
def raw() -> pd.DataFrame:
    return pd.DataFrame({"x": [1.0, 0.0, np.nan, 0.2, 0.1], "y": [0.0, 1.0, 1.0, 0.0, 0.2]},
                        index=pd.Index(list("abcde"), name="material"))


def test_gap_share_is_the_weight_resting_on_missing_or_weak_inputs(raw: pd.DataFrame) -> None:
    norm = scoring.normalise(raw)
    assert norm.at["c", "x"] == pytest.approx(0.15)
    weak = pd.DataFrame(0.0, index=raw.index, columns=raw.columns)
    weak.loc["a", "y"] = 0.4  # a's y rests 40 % on weak inputs
    found = gaps.gap_analysis(norm, {"x": 3, "y": 1}, raw.isna(), weak)
    assert found.at["c", "gap_share"] == pytest.approx(0.75)  # all of x's weight
    assert found.at["a", "gap_share"] == pytest.approx(0.25 * 0.4)
    assert found.at["b", "gap_share"] == 0.0
    assert found.at["c", "imputed"] == "x" and found.at["b", "imputed"] == "—"
    # Without a frame of weak inputs only the missing values count.
    assert gaps.gap_analysis(norm, {"x": 3, "y": 1}, raw.isna()).at["a", "gap_share"] == 0.0


def test_a_top_place_that_holds_at_the_worst_case_is_not_flagged(raw: pd.DataFrame) -> None:
    found = gaps.gap_analysis(scoring.normalise(raw), {"x": 3, "y": 1}, raw.isna())
    assert found.index.tolist() == ["a", "c", "b", "d", "e"]
    assert found.at["c", "rank"] == 2 and found.at["c", "worst_rank"] == 2  # 0.25, tied with b
    assert not found["rests_on_gaps"].any() and (found["gap_flag"] == "").all()


def test_a_top_place_that_rests_on_an_imputed_value_is_flagged(raw: pd.DataFrame) -> None:
    norm = scoring.normalise(raw)
    found = gaps.gap_analysis(norm, {"x": 9, "y": 1}, raw.isna())
    assert found.index.tolist() == ["a", "c", "d", "e", "b"]
    assert found.at["c", "rank"] == 2 and found.at["c", "worst_rank"] == 4
    assert found.at["c", "rests_on_gaps"]
    assert found.at["c", "gap_flag"] == ("Top-3 place rests on gaps: with its x at the lowest value it "
                                         "would rank 4.")
    assert gaps.flagged_names(found, {"c": "Gamma"}) == ["Gamma"]
    # Only c: the others have nothing imputed.
    assert found["rests_on_gaps"].sum() == 1
    # Leaving gaps out imputes nothing, so nothing rests on an imputed value; the share still shows.
    out = gaps.gap_analysis(norm, {"x": 9, "y": 1}, raw.isna(), leave_gaps_out=True)
    assert not out["rests_on_gaps"].any()
    assert out.at["c", "gap_share"] == pytest.approx(0.9)
    # Left out, c is scored on y alone (1.0) and ranks first.
    assert out.index[0] == "c"


def test_all_weights_zero_is_an_error(raw: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="All weights are zero"):
        gaps.gap_analysis(scoring.normalise(raw), {"x": 0, "y": 0}, raw.isna())
