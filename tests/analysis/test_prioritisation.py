"""The page's prioritisation: matrix positions, joint groups, one whole result and the tables drawn from it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from rmo_data import constants
from rmo_data.analysis import prioritisation, scoring
from rmo_data.store.criteria import criteria_table


def test_matrix_quadrants_follow_salience_and_leverage() -> None:
    raw = pd.DataFrame({
        "salience": [20.0, 20.0, 2.0, 2.0], "severity": [1.0, 1.0, 5.0, 5.0],  # severity alone moves nothing
        "social_breadth": [0.0, 0.0, 10.0, 10.0], "auto_share": [40.0, 5.0, 30.0, np.nan],
    }, index=["p", "q", "r", "s"])
    initiatives = pd.Series({"p": 30, "q": 2, "r": 30, "s": 2})
    pos = prioritisation.matrix_positions(raw, initiatives)
    assert pos["quadrant"].to_dict() == {"p": "use_now", "q": "build", "r": "quick_wins", "s": "monitor"}
    assert pos["salience"].tolist() == pytest.approx([1.0, 1.0, 0.0, 0.0])
    assert pos["salience_raw"].tolist() == [20.0, 20.0, 2.0, 2.0]
    # s has no automotive share: it takes the median of the others' normalised shares
    # (1, 0 and 25/35) and is flagged; its initiatives are the lowest (0).
    assert pos.at["s", "leverage"] == pytest.approx((25 / 35 + 0.0) / 2)
    assert pos.at["s", "missing_inputs"] == constants.CRITERION_LABELS["auto_share"].lower()
    assert pos.at["p", "missing_inputs"] == ""
    assert prioritisation.quadrant_of(0.5, 0.5) == "use_now"  # the threshold counts as high


def test_joint_groups_use_only_stored_co_and_by_product_links() -> None:
    links = pd.DataFrame([
        {"material": "tantalum", "linked_name": "Tin", "linked_slug": None, "relation": "co-product"},
        {"material": "tantalum", "linked_name": "Rare earth elements", "linked_slug": "ree",
         "relation": "co-product"},
        {"material": "molybdenum", "linked_name": "Copper", "linked_slug": None, "relation": "by-product"},
        {"material": "zinc", "linked_name": "Steel", "linked_slug": "iron_steel", "relation": "input to"},
    ])
    groups = prioritisation.joint_groups(links, ["tantalum", "ree", "molybdenum", "zinc", "iron_steel"])
    assert groups.at["tantalum", "group_members"] == ["tantalum", "ree"]
    assert groups.at["ree", "group"] == groups.at["tantalum", "group"] != ""
    assert "co-product with tin" in groups.at["tantalum", "partners"]
    assert groups.at["molybdenum", "group"] == ""  # copper is not one of the materials
    assert groups.at["molybdenum", "partners"] == "by-product of copper"
    assert groups.at["zinc", "group"] == ""  # "input to" is not a joint product
    # With the rare earths out of view tantalum stands alone but still names the link.
    alone = prioritisation.joint_groups(links, ["tantalum", "zinc"])
    assert alone.at["tantalum", "group"] == "" and constants.MATERIAL_LABELS["ree"] in alone.at["tantalum", "partners"]
    ranked = pd.DataFrame({"score": [0.9, 0.2, 0.5], "rank": [1, 3, 2]}, index=["ree", "tantalum", "zinc"])
    grouped = prioritisation.group_ranking(ranked, prioritisation.joint_groups(links, ["ree", "tantalum", "zinc"]))
    assert grouped["members"].tolist() == [["ree", "tantalum"], ["zinc"]]  # members in the order given
    assert grouped["score_max"].tolist() == pytest.approx([0.9, 0.5])
    assert grouped["score_mean"].tolist() == pytest.approx([0.55, 0.5])


def test_prioritise_ranks_the_materials_chosen_and_reports_zero_weights(built_engine: Engine) -> None:
    data = criteria_table(built_engine)
    chosen = ["zinc", "nickel", "graphite"]
    weights = dict(constants.WEIGHT_PRESETS["human_rights"])
    result = prioritisation.prioritise(data, chosen, weights)
    # Scaled across the three chosen only, not across all ten.
    pd.testing.assert_frame_equal(result.normalised, scoring.normalise(data.raw.loc[chosen]))
    pd.testing.assert_frame_equal(result.ranked, scoring.ranking(result.normalised, weights))
    assert set(result.explained["material"]) == set(chosen)
    assert result.positions.index.tolist() == chosen
    assert result.weight_error is None
    nothing = prioritisation.prioritise(data, chosen, {c: 0 for c in constants.CRITERION_SLUGS})
    assert nothing.ranked is None and nothing.explained is None
    assert nothing.weight_error and "weight" in nothing.weight_error.lower()


def test_explained_names_each_cells_raw_value_and_detail(built_engine: Engine) -> None:
    """The column-wise lookup gives, for every material and criterion, the cell and detail of that pair."""
    data = criteria_table(built_engine)
    chosen = list(data.raw.index)
    kept = prioritisation.scale(data, chosen)
    weights = dict(constants.WEIGHT_PRESETS["balanced"])
    long = prioritisation.prioritise(data, chosen, weights, scaled=kept).explained
    pd.testing.assert_frame_equal(long, prioritisation.prioritise(data, chosen, weights).explained)
    assert len(long) == data.raw.size
    for row in long.itertuples(index=False):
        value = data.raw.at[row.material, row.criterion]
        assert (pd.isna(row.raw) and pd.isna(value)) or row.raw == value, (row.material, row.criterion)
        assert row.missing == pd.isna(value)
        text = scoring.format_value(row.criterion, value)
        extra = data.detail.at[row.material, row.criterion]
        assert row.raw_text == (f"{text} ({extra})" if extra and not pd.isna(value) else text)
    # A detail frame without some material or criterion reads as no detail, not an error.
    part = data.detail.iloc[:2, :3]
    partial = scoring.explained(data.raw, kept.normalised, weights, part)
    for row, full in zip(partial.itertuples(index=False), long.itertuples(index=False), strict=True):
        covered = row.material in part.index and row.criterion in part.columns
        assert row.raw_text == (full.raw_text if covered else scoring.format_value(row.criterion, row.raw))


LABELS = {"a": "Alpha", "b": "Beta", "c": "Gamma"}


def _normalised() -> pd.DataFrame:
    raw = pd.DataFrame({"x": [10.0, 20.0, 30.0], "y": [5.0, 1.0, 3.0]},
                       index=pd.Index(["a", "b", "c"], name="material"))
    return scoring.normalise(raw)


def test_short_labels_prefer_the_constants_short_names() -> None:
    labels = {"ree": "Rare earth elements (REE)", "new_one": "A new material"}
    assert prioritisation.short_labels(labels) == {"ree": constants.MATERIAL_SHORT["ree"],
                                                   "new_one": "A new material"}


def test_ranking_table_names_missing_criteria_and_joint_groups() -> None:
    ranked = pd.DataFrame({"score": [0.9, 0.5, 0.1], "rank": [1, 2, 3]}, index=["c", "a", "b"])
    missing = pd.DataFrame({"auto_share": [True, False, False], "severity": [True, False, True]},
                           index=["a", "b", "c"])
    groups = pd.DataFrame({"group": ["Alpha + Gamma", "", "Alpha + Gamma"],
                           "partners": ["co-product with Gamma", "", "co-product with Alpha"]},
                          index=["a", "b", "c"])
    table = prioritisation.ranking_table(ranked, missing, groups, LABELS)
    assert table.index.tolist() == ["c", "a", "b"]
    assert table["name"].tolist() == ["Gamma", "Alpha", "Beta"]
    assert table["missing"].tolist() == [constants.CRITERION_LABELS["severity"],
                                         f"{constants.CRITERION_LABELS['auto_share']}, "
                                         f"{constants.CRITERION_LABELS['severity']}", "—"]
    assert table["joint"].tolist() == ["Alpha + Gamma", "Alpha + Gamma", "—"]
    assert table["partners"].tolist()[2] == "—"


def test_joint_table_lists_members_and_why_they_are_joined() -> None:
    ranked = pd.DataFrame({"score": [0.9, 0.5, 0.1], "rank": [1, 2, 3]}, index=["c", "a", "b"])
    groups = pd.DataFrame({"group": ["A + C", "", "A + C"], "group_members": [["a", "c"], ["b"], ["a", "c"]],
                           "partners": ["co-product with C", "", "co-product with A"]}, index=["a", "b", "c"])
    table = prioritisation.joint_table(ranked, groups, {"a": "A", "b": "B", "c": "C"},
                                       lambda members: " & ".join(members))
    assert table["members_text"].tolist() == ["a & c", "b"]
    assert table["links"].tolist() == ["A: co-product with C; C: co-product with A", "—"]
    assert table["rank"].tolist() == [1, 2]


def test_raw_values_table_formats_each_criterion_in_the_given_order() -> None:
    raw = pd.DataFrame({c: [1.0, np.nan] for c in constants.CRITERION_SLUGS}, index=["a", "b"])
    table = prioritisation.raw_values_table(raw, ["b", "a"], LABELS)
    assert table["Material"].tolist() == ["Beta", "Alpha"]
    first = constants.CRITERIA[0]
    assert table[f"{first.label} ({first.unit})"].tolist() == [scoring.format_value(first.slug, np.nan),
                                                               scoring.format_value(first.slug, 1.0)]
    assert len(table.columns) == 1 + len(constants.CRITERIA)


def test_method_table_gives_each_criterion_its_share_and_years() -> None:
    weights = {c: 0 for c in constants.CRITERION_SLUGS} | {"severity": 3, "auto_share": 1}
    table = prioritisation.method_table(weights, {"severity": [2021, 2023]})
    by_slug = dict(zip(constants.CRITERION_SLUGS, table.to_dict("records"), strict=True))
    assert by_slug["severity"]["Share of score"] == pytest.approx(0.75)
    assert by_slug["severity"]["Years"] == "2021, 2023"
    assert by_slug["auto_share"]["Years"] == "not stated"
    assert table["Share of score"].sum() == pytest.approx(1.0)


def test_scenario_listing_spells_out_weights_and_materials() -> None:
    saved = pd.DataFrame({"name": ["s1", "s2"],
                          "weights": [{"severity": 3, "auto_share": 0, "unknown": 2}, {}],
                          "materials": [["a", "zz"], []]})
    listing = prioritisation.scenario_listing(saved, LABELS)
    assert listing["weights_text"].tolist() == [f"{constants.CRITERION_LABELS['severity']} 3", ""]
    assert listing["materials_text"].tolist() == ["Alpha, zz", "all"]


def test_compare_rankings_counts_places_moved() -> None:
    compare = prioritisation.compare_rankings(_normalised(), {"x": 1}, {"y": 1}, LABELS)
    assert compare is not None
    # x ranks c, b, a; y ranks a, c, b.
    assert compare.set_index("material")[["rank_a", "rank_b", "change", "moved"]].to_dict("index") == {
        "a": {"rank_a": 3, "rank_b": 1, "change": 2, "moved": "▲ 2"},
        "b": {"rank_a": 2, "rank_b": 3, "change": -1, "moved": "▼ 1"},
        "c": {"rank_a": 1, "rank_b": 2, "change": -1, "moved": "▼ 1"}}
    assert compare["name"].tolist() == ["Gamma", "Beta", "Alpha"]  # in the order of A's ranking
    same = prioritisation.compare_rankings(_normalised(), {"x": 1}, {"x": 5}, LABELS)
    assert same is not None and set(same["moved"]) == {"="}


def test_compare_rankings_with_all_weights_zero_ranks_nothing() -> None:
    assert prioritisation.compare_rankings(_normalised(), {"x": 1}, {"x": 0, "y": 0}, LABELS) is None
    assert prioritisation.compare_rankings(_normalised(), {"x": 0}, {"y": 1}, LABELS) is None
