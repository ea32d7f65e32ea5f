"""The Prioritisation charts inspected as data: what they draw and in which order.

Inputs come from ``prioritisation.prioritise`` on the built store, so the figures follow
the data; every spec is also validated against the Vega-Lite schema (``to_dict``),
which the app skips on its rerun path (``components.render``).
"""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import Engine

from rmo_data.charts import priority_charts
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
    assert set(segments["criterion_short"]) == {constants.CRITERION_SHORT[c] for c in weighted}, \
        "only criteria with a weight are drawn"
    chart = priority_charts.contribution_chart(tuple(sorted(weighted))).to_dict()
    read = {f["field"] for layer in chart["layer"] for f in [*layer["encoding"].values(),
            *layer["encoding"].get("tooltip", [])] if isinstance(f, dict) and "field" in f}
    assert set(segments.columns) <= read | {"missing", "position"}, "no column the chart does not read"
    scores = prio.ranked["score"].rename(index=constants.MATERIAL_LABELS)
    sums = segments.groupby("name")["contribution"].sum()
    assert sums.to_dict() == pytest.approx(scores.to_dict())
    # Bars follow the ranking: position 0 is the top material, and its label names rank and score.
    by_position = totals.sort_values("position")
    assert by_position["name"].tolist() == order
    top = prio.ranked.iloc[0]
    assert by_position["label"].iloc[0] == f"#{int(top['rank'])} · {top['score']:.2f}"
    # A segment resting on a missing input says so instead of showing a value.
    gaps = segments[segments["missing"]]
    assert not gaps.empty, "the store has materials without some criterion"
    assert set(gaps["input"]) == {priority_charts.MISSING_NOTE}
    known = segments[~segments["missing"]].iloc[0]
    slug = {label: c for c, label in constants.CRITERION_LABELS.items()}[known["criterion_label"]]
    assert known["input"].endswith(f"({constants.CRITERION_UNITS[slug]})")


def test_contribution_chart_reads_the_named_datasets_and_sorts_by_position() -> None:
    criteria = ("auto_share", "severity")
    spec = priority_charts.contribution_chart(criteria).to_dict()  # validated against the schema
    assert [layer["data"]["name"] for layer in spec["layer"]] == [priority_charts.CONTRIBUTIONS, priority_charts.CONTRIBUTION_TOTALS]
    for layer in spec["layer"]:
        assert layer["encoding"]["y"]["sort"] == {"field": "position", "op": "min", "order": "ascending"}
    colour = spec["layer"][0]["encoding"]["color"]["scale"]
    # The legend names the criteria by their short names, in the criteria's order.
    assert colour["domain"] == [constants.CRITERION_SHORT[c.slug] for c in constants.CRITERIA if c.slug in criteria]
    assert spec["layer"][0]["encoding"]["color"]["field"] == "criterion_short"
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
