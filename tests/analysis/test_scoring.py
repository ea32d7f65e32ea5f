"""Prioritisation scoring: hand-computed fixtures, edge cases, and the criteria the store yields.

The three-material fixture is small enough to check on paper:

======== ==== ==== ====
material  x    y    z
======== ==== ==== ====
a         10    5    2
b         20    1    2
c         30    3    2
======== ==== ==== ====

Min-max per column: x → a 0, b 0.5, c 1; y → a 1, b 0, c 0.5; z is constant → 0 for all.
Weights x 1, y 3 (z 0) rescale to 0.25 / 0.75, so
a = 0.25·0 + 0.75·1 = 0.75, b = 0.25·0.5 + 0.75·0 = 0.125, c = 0.25·1 + 0.75·0.5 = 0.625:
the ranking is a, c, b.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from rmo_data import constants
from rmo_data.store import queries
from rmo_data.analysis import scoring
from rmo_data.store.criteria import criteria_table


@pytest.fixture()
def raw() -> pd.DataFrame:
    return pd.DataFrame({"x": [10.0, 20.0, 30.0], "y": [5.0, 1.0, 3.0], "z": [2.0, 2.0, 2.0]},
                        index=pd.Index(["a", "b", "c"], name="material"))


def test_hand_computed_ranking(raw: pd.DataFrame) -> None:
    norm = scoring.normalise(raw)
    assert norm.loc[["a", "b", "c"], "x"].tolist() == [0.0, 0.5, 1.0]
    assert norm.loc[["a", "b", "c"], "y"].tolist() == [1.0, 0.0, 0.5]
    ranked = scoring.ranking(norm, {"x": 1, "y": 3})
    assert list(ranked.index) == ["a", "c", "b"]
    assert ranked["score"].tolist() == pytest.approx([0.75, 0.625, 0.125])
    assert ranked["rank"].tolist() == [1, 2, 3]
    # Weighing only x turns the order round: c, b, a.
    assert list(scoring.ranking(norm, {"x": 1}).index) == ["c", "b", "a"]


def test_weight_scale_does_not_matter(raw: pd.DataFrame) -> None:
    norm = scoring.normalise(raw)
    pd.testing.assert_series_equal(scoring.score(norm, {"x": 1, "y": 3}),
                                   scoring.score(norm, {"x": 2.5, "y": 7.5}))


def test_contributions_add_up_to_the_score(raw: pd.DataFrame) -> None:
    norm = scoring.normalise(raw)
    contrib = scoring.contributions(norm, {"x": 1, "y": 3})
    sums = contrib.groupby("material")["contribution"].sum()
    pd.testing.assert_series_equal(sums.sort_index(), scoring.score(norm, {"x": 1, "y": 3}).sort_index(),
                                   check_names=False)
    row = contrib[(contrib["material"] == "c") & (contrib["criterion"] == "y")].iloc[0]
    assert row["weight"] == pytest.approx(0.75) and row["contribution"] == pytest.approx(0.375)


def test_all_zero_weights_raise_a_clear_error(raw: pd.DataFrame) -> None:
    norm = scoring.normalise(raw)
    with pytest.raises(ValueError, match="All weights are zero"):
        scoring.ranking(norm, {"x": 0, "y": 0, "z": 0})
    with pytest.raises(ValueError, match="All weights are zero"):
        scoring.monte_carlo(norm, {}, n=10)
    with pytest.raises(ValueError, match="negative"):
        scoring.score(norm, {"x": -1, "y": 2})
    with pytest.raises(ValueError, match="Unknown criteria"):
        scoring.score(norm, {"nope": 1})


def test_constant_criterion_does_not_divide_by_zero(raw: pd.DataFrame) -> None:
    with np.errstate(all="raise"):  # any division by zero would raise here
        norm = scoring.normalise(raw)
    assert norm["z"].tolist() == [0.0, 0.0, 0.0]
    # Weighing only the constant criterion ties everyone at 0: a tie, not an error.
    ranked = scoring.ranking(norm, {"z": 1})
    assert ranked["score"].tolist() == [0.0, 0.0, 0.0]
    assert ranked["rank"].tolist() == [1, 1, 1]
    assert list(ranked.index) == ["a", "b", "c"]  # input order breaks the tie
    # A column with nothing known is constant too.
    empty = scoring.normalise(pd.DataFrame({"w": [np.nan, np.nan]}, index=["a", "b"]))
    assert empty["w"].tolist() == [0.0, 0.0]


def test_missing_values_take_the_median_of_the_known_not_zero_nor_the_midpoint() -> None:
    # A skewed criterion, as the automotive share is: one large value, the rest small.
    raw = pd.DataFrame({"x": [0.0, 1.0, 2.0, 10.0, np.nan], "y": [1.0, 1.0, 1.0, 1.0, 5.0]},
                       index=pd.Index(["a", "b", "c", "d", "e"], name="material"))
    norm = scoring.normalise(raw)
    # x scales over a-d: 0, 0.1, 0.2, 1; e takes their median (0.1 + 0.2) / 2 = 0.15, not 0.5.
    assert norm["x"].tolist() == pytest.approx([0.0, 0.1, 0.2, 1.0, 0.15])
    assert scoring.IMPUTE_DEFAULT == scoring.IMPUTE_MEDIAN
    # The old rule stays available and gives the midpoint.
    assert scoring.normalise(raw, impute="neutral")["x"].tolist() == pytest.approx([0.0, 0.1, 0.2, 1.0, 0.5])
    with pytest.raises(ValueError, match="Unknown imputation rule"):
        scoring.normalise(raw, impute="zero")
    # With x alone weighted, e (no data) sits with the typical materials, below c, not second.
    ranked = scoring.ranking(norm, {"x": 1})
    assert list(ranked.index) == ["d", "c", "e", "b", "a"]
    assert list(scoring.ranking(scoring.normalise(raw, impute="neutral"), {"x": 1}).index)[:2] == ["d", "e"]


def test_leaving_gaps_out_rescales_each_materials_weights_over_its_known_criteria() -> None:
    raw = pd.DataFrame({"x": [0.0, 1.0, np.nan], "y": [1.0, 0.0, 0.5]},
                       index=pd.Index(["a", "b", "c"], name="material"))
    norm = scoring.normalise(raw)
    weights = {"x": 3, "y": 1}
    # Imputed: c's x is the median of a (0) and b (1) = 0.5; c = 0.75·0.5 + 0.25·0.5 = 0.5.
    assert scoring.score(norm, weights).tolist() == pytest.approx([0.25, 0.75, 0.5])
    # Gaps left out: c is scored on y alone (weight 1/1): c = 0.5; a and b keep 0.75 / 0.25.
    out = scoring.row_weights(norm, weights, raw.isna())
    assert out.loc["c"].tolist() == [0.0, 1.0]
    assert out.loc["a"].tolist() == [0.75, 0.25]
    assert scoring.score(norm, weights, raw.isna()).tolist() == pytest.approx([0.25, 0.75, 0.5])
    # Where the imputed value differs from what is known, the two rules part: c's y = 1.
    norm.loc["c", "y"] = 1.0
    assert scoring.score(norm, weights).at["c"] == pytest.approx(0.75 * 0.5 + 0.25 * 1.0)
    assert scoring.score(norm, weights, raw.isna()).at["c"] == pytest.approx(1.0)
    long = scoring.explained(raw, norm, weights, leave_gaps_out=True)
    c = long[long["material"] == "c"].set_index("criterion")
    assert c.at["x", "weight"] == 0.0 and c.at["x", "contribution"] == 0.0
    assert c["contribution"].sum() == pytest.approx(c["score"].iloc[0]) == pytest.approx(1.0)
    # A material known on no weighted criterion scores 0 with all-zero weights.
    assert scoring.score(norm, {"x": 1}, raw.isna()).at["c"] == 0.0


def test_monte_carlo_leaving_gaps_out_without_jitter_is_that_ranking() -> None:
    raw = pd.DataFrame({"x": [0.0, 1.0, np.nan, 0.4], "y": [1.0, 0.0, 0.9, 0.2]},
                       index=pd.Index(["a", "b", "c", "d"], name="material"))
    norm = scoring.normalise(raw)
    weights = {"x": 3, "y": 1}
    ranked = scoring.ranking(norm, weights, raw.isna())
    mc = scoring.monte_carlo(norm, weights, n=30, seed=1, weight_jitter=0, input_jitter=0, missing=raw.isna(),
                             leave_gaps_out=True)
    assert mc.loc[ranked.index, "rank_median"].tolist() == ranked["rank"].tolist()
    assert (mc["rank_min"] == mc["rank_max"]).all()  # nothing is drawn: the gap weighs nothing


def test_direction_can_be_reversed(raw: pd.DataFrame) -> None:
    norm = scoring.normalise(raw, directions={"x": False})
    assert norm.loc[["a", "b", "c"], "x"].tolist() == [1.0, 0.5, 0.0]


def test_monte_carlo_is_reproducible_with_a_seed(raw: pd.DataFrame) -> None:
    near_tie = pd.DataFrame({"x": [1.0, 0.98, 0.0, 0.5], "y": [0.0, 0.03, 1.0, 0.5]},
                            index=["a", "b", "c", "d"])
    norm = scoring.normalise(near_tie)
    first = scoring.monte_carlo(norm, {"x": 1, "y": 1}, n=800, seed=7)
    again = scoring.monte_carlo(norm, {"x": 1, "y": 1}, n=800, seed=7)
    other = scoring.monte_carlo(norm, {"x": 1, "y": 1}, n=800, seed=8)
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other), "a different seed gave exactly the same draws"
    assert ((first["p_top"] >= 0) & (first["p_top"] <= 1)).all()
    assert (first["rank_min"] <= first["rank_median"]).all()
    assert (first["rank_median"] <= first["rank_max"]).all()
    assert first["p_top"].sum() == pytest.approx(3.0, abs=0.01)  # three places per draw (rare ties aside)


def test_monte_carlo_without_jitter_is_the_ranking(raw: pd.DataFrame) -> None:
    four = pd.concat([raw, pd.DataFrame({"x": [15.0], "y": [2.0], "z": [2.0]}, index=["d"])])
    norm = scoring.normalise(four)
    weights = {"x": 1, "y": 3}
    ranked = scoring.ranking(norm, weights)
    mc = scoring.monte_carlo(norm, weights, n=50, seed=1, weight_jitter=0, input_jitter=0)
    assert mc.loc[ranked.index, "rank_median"].tolist() == ranked["rank"].tolist()
    assert (mc["rank_min"] == mc["rank_max"]).all()
    top3 = set(ranked.index[:3])
    assert mc["p_top"].to_dict() == {m: (1.0 if m in top3 else 0.0) for m in four.index}


def test_monte_carlo_draws_missing_inputs_across_the_range(raw: pd.DataFrame) -> None:
    four = pd.concat([raw, pd.DataFrame({"x": [15.0], "y": [np.nan], "z": [2.0]}, index=["d"])])
    norm = scoring.normalise(four)
    mc = scoring.monte_carlo(norm, {"y": 1}, n=400, seed=3, weight_jitter=0, input_jitter=0,
                             missing=four.isna())
    # Only d's y is uncertain: its rank now spreads, while a (y = 1, the maximum) stays first
    # or ties, and the known order of the others never changes.
    assert mc.at["d", "rank_min"] < mc.at["d", "rank_max"]
    assert mc.at["a", "rank_min"] == 1


def test_monte_carlo_rejects_bad_settings(raw: pd.DataFrame) -> None:
    norm = scoring.normalise(raw)
    # Each setting is refused for its own reason, not by some other check that also raises ValueError.
    with pytest.raises(ValueError, match="needs at least one draw"):
        scoring.monte_carlo(norm, {"x": 1}, n=0)
    for jitter in ({"weight_jitter": 1.5}, {"weight_jitter": -0.1}, {"input_jitter": -0.1}):
        with pytest.raises(ValueError, match="Jitter must be between 0 and 1 for weights"):
            scoring.monte_carlo(norm, {"x": 1}, **jitter)


def test_presets_cover_every_criterion_and_are_recognised() -> None:
    for name, weights in scoring.PRESETS.items():
        assert set(weights) == set(constants.CRITERION_SLUGS), name
        assert all(0 <= w <= constants.WEIGHT_MAX for w in weights.values())
        assert scoring.matching_preset(weights) == name
        assert name in constants.PRESET_LABELS
    assert scoring.matching_preset({**scoring.PRESETS["balanced"], "severity": 9}) is None


def test_the_due_diligence_preset_weighs_severity_and_likelihood_only() -> None:
    """Every criterion with a weight in it measures severity or likelihood; all else is at 0."""
    preset = scoring.PRESETS[constants.DUE_DILIGENCE]
    assert "severity" in constants.PRESET_LABELS[constants.DUE_DILIGENCE].lower()
    weighted = {c for c, w in preset.items() if w > 0}
    assert weighted, "the preset must weigh something"
    for criterion in constants.CRITERION_SLUGS:
        measures = set(constants.CRITERION_MEASURES.get(criterion, ()))
        if criterion in weighted:
            assert measures and measures <= {"severity", "likelihood"}, criterion
            assert constants.CRITERION_LENS[criterion] == constants.DUE_DILIGENCE, criterion
        else:
            assert preset[criterion] == 0, criterion
    # Both halves of the rule are in it: severity and likelihood (salience is their product).
    assert {"severity", "likelihood"} <= {m for c in weighted for m in constants.CRITERION_MEASURES[c]}
    # And it cannot be moved by anything else: scrambling every other criterion keeps the ranking.
    rng = np.random.default_rng(5)
    raw = pd.DataFrame(rng.uniform(0, 10, size=(6, len(constants.CRITERION_SLUGS))),
                       columns=list(constants.CRITERION_SLUGS), index=[f"m{i}" for i in range(6)])
    scrambled = raw.copy()
    others = [c for c in constants.CRITERION_SLUGS if c not in weighted]
    scrambled[others] = rng.uniform(0, 10, size=(6, len(others)))
    first = scoring.ranking(scoring.normalise(raw), preset)
    second = scoring.ranking(scoring.normalise(scrambled), preset)
    pd.testing.assert_frame_equal(first, second)


def test_every_criterion_sits_in_exactly_one_lens() -> None:
    listed = [c for lens in constants.LENSES for c in lens.criteria]
    assert sorted(listed) == sorted(constants.CRITERION_SLUGS)
    assert len(listed) == len(set(listed))
    labels = {lens.slug: lens.label for lens in constants.LENSES}
    assert labels["supply_security"] == "Supply security" and labels["industry_weight"] == "Industry's weight"
    # Only the due-diligence lens holds criteria that measure severity or likelihood.
    for criterion, measures in constants.CRITERION_MEASURES.items():
        assert measures and constants.CRITERION_LENS[criterion] == constants.DUE_DILIGENCE


def test_format_value_never_shows_missing_as_zero() -> None:
    assert scoring.format_value("auto_share", np.nan) == constants.MISSING
    assert scoring.format_value("auto_share", 26.0) == "26 %"
    assert scoring.format_value("standards_gap", 1.0) == "gap"
    assert scoring.format_value("standards_gap", 0.0) == "covered"
    assert scoring.format_value("severity", 3.6667) == "3.67"


def test_criteria_from_the_store(built_engine: Engine) -> None:
    data = criteria_table(built_engine)
    raw = data.raw
    assert list(raw.index) == list(constants.MATERIAL_SLUGS)
    assert list(raw.columns) == list(constants.CRITERION_SLUGS)
    overview = queries.overview(engine=built_engine).set_index("material")
    # Missing stays missing: no automotive share recorded → NaN, never 0.
    no_share = overview.index[overview["auto_share_pct"].isna()]
    assert len(no_share) > 0
    assert raw.loc[no_share, "auto_share"].isna().all()
    assert (data.detail.loc[no_share, "auto_share"] == constants.MISSING).all()
    assert raw["mining_hhi"].tolist() == pytest.approx(overview.loc[raw.index, "mining_hhi"].tolist())
    # Severity: mean of the three most severe cases, recomputed here from the evidence, where
    # the rows of one report passage are one case at their highest severity.
    evidence = queries.evidence(engine=built_engine)
    evidence = evidence.assign(key=evidence["passage"].fillna(evidence["id"]))
    for mat, group in evidence.groupby("material"):
        top = sorted(group.groupby("key")["severity"].max(), reverse=True)[:3]
        assert raw.at[mat, "severity"] == pytest.approx(sum(top) / len(top)), mat
    # Breadth splits the salient-risk categories by pillar and adds up to the overview's breadth.
    total = raw["social_breadth"] + raw["env_breadth"]
    assert total.tolist() == overview.loc[raw.index, "risk_breadth"].astype(float).tolist()
    coverage = queries.standards_coverage(engine=built_engine).set_index("material")
    expected_gap = (~coverage.loc[raw.index, "has_material_standard"]).astype(float)
    assert raw["standards_gap"].tolist() == expected_gap.tolist()
    top_share = overview[["mining_top1_share", "processing_top1_share"]].max(axis=1)
    assert raw["top_share"].tolist() == pytest.approx(top_share.loc[raw.index].tolist())
    # Normalised values are within 0-1 and complete.
    norm = scoring.normalise(raw)
    assert norm.notna().all().all() and ((norm >= 0) & (norm <= 1)).all().all()
    assert not math.isnan(scoring.ranking(norm, scoring.PRESETS["balanced"])["score"].iloc[0])


def test_severity_from_counts_equals_severity_from_rows(built_engine: Engine) -> None:
    """The counted query and the row-level evidence give the same criterion and provenance."""
    args = (queries.overview(engine=built_engine), queries.standards_coverage(engine=built_engine))
    risks = queries.salient_risks(engine=built_engine)
    from_rows = scoring.criteria_from(*args, queries.evidence(engine=built_engine), risks)
    from_counts = scoring.criteria_from(*args, queries.evidence_severity_counts(engine=built_engine), risks)
    pd.testing.assert_series_equal(from_rows.raw["severity"], from_counts.raw["severity"])
    assert from_rows.sources["severity"] == from_counts.sources["severity"]
    assert from_rows.years["severity"] == from_counts.years["severity"]
    assert (from_rows.context["evidence_count"] == from_counts.context["evidence_count"]).all()


def test_top_severity_uses_case_counts() -> None:
    counts = pd.DataFrame({"severity": [2, 5, 4], "n": [10, 1, 4]})
    assert scoring.top_severity(counts) == pytest.approx((5 + 4 + 4) / 3)
    assert scoring.top_severity(pd.DataFrame({"severity": [3], "n": [1]})) == 3.0
    assert math.isnan(scoring.top_severity(pd.DataFrame({"severity": [], "n": []})))
