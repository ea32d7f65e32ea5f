"""The workshop charts: the data they draw, the disagreement colour, projector sizes.

Built from a hand-made three-participant result on the criterion values of ``tests/workshops/sample.py``;
every spec is also validated by Altair (``to_dict``).
"""

from __future__ import annotations

import pandas as pd
import pytest

from rmo_data.charts import workshop_charts
from rmo_data.workshops import group_result
from rmo_data.store import workshops as workshop_store
from tests.workshops.sample import CRITS, HAND, MATS


def _result(submissions: list[dict]) -> group_result.GroupResult:
    frame = pd.DataFrame(submissions, columns=workshop_store.SUBMISSION_COLUMNS)
    return group_result.aggregate_from({"code": "ABCDEF", "name": "Charts", "materials": MATS,
                                     "criteria": CRITS}, frame, HAND)


THREE = [
    {"participant": "P1", "weights": {"severity": 10, "auto_share": 0}, "flagged": ["zinc"], "submitted_at": None},
    {"participant": "P2", "weights": {"severity": 0, "auto_share": 5}, "flagged": [], "submitted_at": None},
    {"participant": "P3", "weights": {"severity": 6, "auto_share": 4}, "flagged": [], "submitted_at": None},
]


def _layer_data(chart: object, index: int) -> pd.DataFrame:
    """Data of one layer (Altair lifts data that all layers share to the top)."""
    data = chart.layer[index].data  # type: ignore[attr-defined]
    return data if isinstance(data, pd.DataFrame) else chart.data  # type: ignore[attr-defined]


def _colour_scale(spec: dict) -> dict[str, str]:
    for layer in spec["layer"]:
        colour = layer.get("encoding", {}).get("color", {})
        if "scale" in colour:
            return dict(zip(colour["scale"]["domain"], colour["scale"]["range"], strict=True))
    raise AssertionError("no colour scale")


def test_group_ranking_chart_labels_scores_and_borda() -> None:
    result = _result(THREE)
    chart = workshop_charts.group_ranking_chart(result.ranking)
    spec = workshop_charts.present(chart).to_dict()
    bars = _layer_data(chart, 0)
    assert bars["name"].tolist() == ["Zinc", "Nickel", "Graphite"]  # group order
    assert bars.set_index("name").at["Zinc", "label"] == "0.53 · Borda #1 · flagged by 1"
    assert bars.set_index("name").at["Nickel", "label"] == "0.47 · Borda #2"
    assert _colour_scale(spec) == {workshop_charts.AGREE_LABEL: workshop_charts.AGREE, workshop_charts.DISAGREE_LABEL: workshop_charts.DISAGREE}
    assert spec["layer"][0]["encoding"]["y"]["sort"] == ["Zinc", "Nickel", "Graphite"]


def test_disagreements_take_the_highlight_colour() -> None:
    # Two participants who see it the opposite way: every criterion is flagged.
    result = _result(THREE[:2])
    spread = workshop_charts.weight_spread_chart(result.shares, result.spread)
    stats = _layer_data(spread, 0)
    assert set(stats["agreement"]) == {workshop_charts.DISAGREE_LABEL}
    assert stats.set_index("criterion").at["severity", "mean_pct"] == pytest.approx(50.0)
    dots = _layer_data(spread, 2)
    assert len(dots) == 2 * len(CRITS) and set(dots["agreement"]) == {workshop_charts.DISAGREE_LABEL}
    ranks = workshop_charts.rank_spread_chart(result.ranking, result.participant_ranks)
    assert len(_layer_data(ranks, 1)) == 2 * len(MATS)  # one dot per participant and material
    workshop_charts.present(spread).to_dict()
    workshop_charts.present(ranks).to_dict()


def test_group_vs_default_without_submissions_shows_the_default_alone() -> None:
    empty = _result([])
    chart = workshop_charts.group_vs_default_chart(empty.ranking)
    long = _layer_data(chart, 1)
    assert set(long["which"]) == {workshop_charts.DEFAULT_LABEL}
    spec = workshop_charts.present(chart).to_dict()
    assert spec["layer"][1]["encoding"]["color"]["scale"]["domain"] == [workshop_charts.DEFAULT_LABEL]
    full = workshop_charts.group_vs_default_chart(_result(THREE).ranking)
    rows = _layer_data(full, 1)
    assert set(rows["which"]) == {workshop_charts.DEFAULT_LABEL, workshop_charts.GROUP_LABEL}
    # Graphite: rank 3 by default, 3 in the group; zinc and nickel tie first by default.
    zinc = rows[rows["name"] == "Zinc"].set_index("which")["rank"]
    assert (zinc[workshop_charts.DEFAULT_LABEL], zinc[workshop_charts.GROUP_LABEL]) == (1, 1)


def test_presentation_sizes_are_larger() -> None:
    result = _result(THREE)
    normal = workshop_charts.present(workshop_charts.group_ranking_chart(result.ranking)).to_dict()
    big = workshop_charts.present(workshop_charts.group_ranking_chart(result.ranking, big=True), big=True).to_dict()
    assert big["config"]["axis"]["labelFontSize"] > normal["config"]["axis"]["labelFontSize"]
    assert big["title"]["fontSize"] > normal["title"]["fontSize"]
    assert big["layer"][1]["mark"]["fontSize"] > normal["layer"][1]["mark"]["fontSize"]
    assert big["height"]["step"] > normal["height"]["step"]


def test_long_titles_are_split_into_lines_that_fit_a_phone() -> None:
    """Vega-Lite cuts a title at the chart's edge: subtitles and long axis titles come as lines."""
    from rmo_data.charts.style import WRAP_CHARS, chart_title, wrap_lines

    assert wrap_lines("Short") == "Short"
    lines = wrap_lines("Score from the mean of the participants' weights; Borda = rank by the participants' "
                       "own rankings; red = ranks far apart")
    assert isinstance(lines, list) and len(lines) == 3 and all(len(line) <= WRAP_CHARS for line in lines)
    assert " ".join(lines).startswith("Score from the mean")  # nothing lost
    assert chart_title("T", "x " * 40).subtitle == wrap_lines("x " * 40)
