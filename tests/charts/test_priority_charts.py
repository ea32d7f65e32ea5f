"""The Prioritisation charts inspected as data: what they draw and in which order.

Inputs come from ``prioritisation.prioritise`` on the built store, so the figures follow
the data; every spec is also validated against the Vega-Lite schema (``to_dict``),
which the app skips on its rerun path (``components.render``).
"""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import Engine

from rmo_data.charts import palette, priority_charts
from rmo_data import constants
from rmo_data.analysis import scoring
from rmo_data.store.criteria import criteria_table
from rmo_data.analysis import prioritisation

BALANCED = dict(constants.WEIGHT_PRESETS["balanced"])


@pytest.fixture(scope="module")
def prio(built_engine: Engine) -> prioritisation.Prioritisation:
    data = criteria_table(built_engine)
    return prioritisation.prioritise(data, list(data.raw.index), BALANCED)


def _named(prio: prioritisation.Prioritisation) -> tuple[pd.DataFrame, list[str]]:
    long = prio.explained.assign(name=prio.explained["material"].map(constants.MATERIAL_LABELS))
    return long, [constants.MATERIAL_LABELS[m] for m in prio.ranked.index]


def test_contribution_data_adds_up_to_each_score_in_ranking_order(prio: prioritisation.Prioritisation) -> None:
    long, order = _named(prio)
    data = priority_charts.contribution_data(long, order)
    segments, totals = data[priority_charts.CONTRIBUTIONS], data[priority_charts.CONTRIBUTION_TOTALS]
    weighted = {c for c, w in BALANCED.items() if w > 0}
    # One part per lens (recorded, and imputed where an input is missing), never one per criterion.
    assert set(segments["lens_short"]) == {constants.LENS_SHORT[lens.slug] for lens in constants.LENSES}
    assert segments.groupby("name").size().max() <= 2 * len(constants.LENSES)
    chart = priority_charts.contribution_chart(tuple(sorted(weighted))).to_dict()
    read = {f["field"] for layer in chart["layer"] for f in [*layer["encoding"].values(),
            *layer["encoding"].get("tooltip", [])] if isinstance(f, dict) and "field" in f}
    assert set(segments.columns) <= read | {"imputed", "position"}, "no column the chart does not read"
    assert set(totals.columns) <= read | {"position", "score", "rank", "largest_phone"}
    scores = prio.ranked["score"].rename(index=constants.MATERIAL_LABELS)
    sums = segments.groupby("name")["contribution"].sum()
    assert sums.to_dict() == pytest.approx(scores.to_dict())
    # Rows follow the ranking: position 0 is the top material, and its headline names rank, name and score.
    by_position = totals.sort_values("position")
    assert by_position["name"].tolist() == order
    top = prio.ranked.iloc[0]
    first = constants.MATERIAL_LABELS[prio.ranked.index[0]]
    assert by_position["headline"].iloc[0] == f"#{int(top['rank'])} {first} · {top['score']:.2f}"
    # Its two largest criteria are named with their contributions; the rest are counted as others.
    parts = prio.explained[prio.explained["material"] == prio.ranked.index[0]]
    parts = parts[parts["contribution"] > 0].sort_values("contribution", ascending=False, kind="stable")
    largest = by_position["largest"].iloc[0]
    for slug in parts["criterion"].head(priority_charts.TOP_CRITERIA):
        assert constants.CRITERION_SHORT[slug] in largest
        assert constants.CRITERION_SHORT[slug] in by_position["largest_phone"].iloc[0]
    assert f"{len(parts) - priority_charts.TOP_CRITERIA} others" in largest
    # Every criterion stays in a part's tooltip, with its input; an imputed part says it is imputed.
    for slug in weighted:
        assert segments["criteria"].str.contains(constants.CRITERION_SHORT[slug], regex=False).any(), slug
    gaps = segments[segments["imputed"]]
    assert not gaps.empty, "the store has materials without some criterion"
    assert set(gaps["inputs"]) == {priority_charts.MISSING_NOTE}
    assert set(segments.loc[~segments["imputed"], "inputs"]) == {"recorded"}
    known = long[(long["weight"] > 0) & ~long["missing"].astype(bool)].iloc[0]
    part = segments[(segments["name"] == known["name"]) & ~segments["imputed"]
                    & (segments["lens_short"] == constants.LENS_SHORT[constants.CRITERION_LENS[known["criterion"]]])]
    assert f"input {known['raw_text']} ({constants.CRITERION_UNITS[known['criterion']]})" in part["criteria"].iloc[0]


def test_contribution_chart_reads_the_named_datasets_and_sorts_by_position() -> None:
    criteria = ("auto_share", "severity")
    spec = priority_charts.contribution_chart(criteria).to_dict()  # validated against the schema
    assert [layer["data"]["name"] for layer in spec["layer"]] == [
        priority_charts.CONTRIBUTIONS, priority_charts.CONTRIBUTION_TOTALS, priority_charts.CONTRIBUTION_TOTALS]
    for layer in spec["layer"]:
        assert layer["encoding"]["y"]["sort"] == {"field": "position", "op": "min", "order": "ascending"}
    colour = spec["layer"][0]["encoding"]["color"]
    # The legend names the lenses of the weighted criteria by their short names, in the lenses' order,
    # in colours of the colour-blind-safe palette.
    assert colour["field"] == "lens_short"
    assert colour["scale"]["domain"] == [constants.LENS_SHORT["due_diligence"], constants.LENS_SHORT["industry_weight"]]
    assert set(colour["scale"]["range"]) <= set(palette.CATEGORICAL)
    assert "datasets" not in spec, "the rows are added by the page, not baked into the spec"


def test_robustness_matrix_and_scenario_charts_are_valid(prio: prioritisation.Prioritisation) -> None:
    _, order = _named(prio)
    mc = scoring.monte_carlo(prio.normalised, BALANCED, n=200, missing=prio.missing)
    spec = priority_charts.robustness_chart(mc.assign(name=[constants.MATERIAL_LABELS[m] for m in mc.index]), order).to_dict()
    assert len(spec["layer"]) == 5
    positions = prio.positions.rename_axis("material").reset_index()
    spec = priority_charts.matrix_chart(positions).to_dict()
    assert spec["title"]["text"] == "Salience × leverage"
    # The vertical axis is salience and nothing else; each point's tooltip gives its 1–25 value.
    points = next(layer for layer in spec["layer"] if layer.get("mark", {}).get("type") == "circle")
    assert points["encoding"]["y"]["field"] == "salience"
    assert "salience_raw" in [t["field"] for t in points["encoding"]["tooltip"]]
    compare = pd.DataFrame({"material": list(prio.ranked.index), "rank_a": prio.ranked["rank"].to_numpy(),
                            "rank_b": prio.ranked["rank"].to_numpy()[::-1]})
    spec = priority_charts.scenario_compare_chart(compare, "A", "B").to_dict()
    assert spec["layer"][0]["encoding"]["color"]["scale"]["domain"] == ["moves", "same rank"]
