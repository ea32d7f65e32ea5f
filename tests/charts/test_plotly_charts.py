"""The participants' weight profiles (Plotly parallel coordinates), the evidence flows (Plotly
parallel categories) and the join link's QR code.

The figure is built from a hand-made three-participant result (``tests/workshops/sample.py``'s
criterion values); its axes, lines and names are read back from the figure itself, as are the
evidence flows' columns, bands and counts (from a hand-made cube).  The QR code
is decoded with zxing-cpp, a QR reader independent of the library that drew it.
"""

from __future__ import annotations

import io
import json

import pandas as pd
import plotly.graph_objects as go
import pytest
import zxingcpp
from PIL import Image

from rmo_data import constants
from rmo_data.charts import plotly_charts, qr_code
from rmo_data.store import workshops as workshop_store
from rmo_data.workshops import group_result
from tests.workshops.sample import CRITS, HAND, MATS

THREE = [
    {"participant": "Ana", "weights": {"severity": 10, "auto_share": 0}, "flagged": [], "submitted_at": None},
    {"participant": "Ben", "weights": {"severity": 0, "auto_share": 5}, "flagged": [], "submitted_at": None},
    {"participant": "Cem", "weights": {"severity": 6, "auto_share": 4}, "flagged": [], "submitted_at": None},
]


def _result(submissions: list[dict]) -> group_result.GroupResult:
    frame = pd.DataFrame(submissions, columns=workshop_store.SUBMISSION_COLUMNS)
    return group_result.aggregate_from({"code": "ABCDEF", "name": "Profiles", "materials": MATS,
                                        "criteria": CRITS}, frame, HAND)


def _figure(named: bool = True, big: bool = False) -> tuple[go.Figure, group_result.GroupResult]:
    result = _result(THREE)
    return plotly_charts.weight_profiles_chart(result.shares, list(result.criteria), named=named, big=big), result


def test_one_axis_per_criterion_and_one_line_per_participant() -> None:
    fig, result = _figure()
    assert len(fig.data) == 1 and fig.data[0].type == "parcoords"
    dims = fig.data[0].dimensions
    assert [d.label for d in dims] == [plotly_charts.PARTICIPANT_AXIS] + [
        constants.CRITERION_SHORT[c] for c in result.criteria]
    assert all(len(d.values) == 3 for d in dims)  # three participants, three lines
    # The first axis names each line: line i starts at the tick of participant i.
    assert list(dims[0].ticktext) == ["Ana", "Ben", "Cem"] and list(dims[0].values) == [0, 1, 2]
    by_label = {d.label: list(d.values) for d in dims}
    severity = by_label[constants.CRITERION_SHORT['severity']]
    auto = by_label[constants.CRITERION_SHORT['auto_share']]
    # Shares of each participant's own total, in %: Ana 10/10, Ben 0/5, Cem 6/10.
    assert severity == [100.0, 0.0, 60.0] and auto == [0.0, 100.0, 40.0]
    # Every criterion axis has one range, so heights compare across axes.
    assert {tuple(d.range) for d in dims[1:]} == {(0, 100)}
    assert len(fig.data[0].line.color) == 3


def test_criteria_not_weighed_by_anyone_are_zero_axes() -> None:
    fig, result = _figure()
    others = [c for c in result.criteria if c not in {"severity", "auto_share"}]
    for d in fig.data[0].dimensions:
        if d.label in {constants.CRITERION_SHORT[c] for c in others}:
            assert list(d.values) == [0.0, 0.0, 0.0]


def test_anonymous_figure_holds_no_name() -> None:
    fig, result = _figure(named=False)
    dims = fig.data[0].dimensions
    assert [d.label for d in dims] == [constants.CRITERION_SHORT[c] for c in result.criteria]
    assert all(len(d.values) == 3 for d in dims)
    text = json.dumps(fig.to_plotly_json(), default=str)
    for name in ("Ana", "Ben", "Cem"):
        assert name not in text


def test_projector_sizes_and_axis_top() -> None:
    small, _ = _figure()
    big, _ = _figure(big=True)
    assert big.layout.height > small.layout.height
    assert big.data[0].labelfont.size > small.data[0].labelfont.size
    # Lower shares: the axis top is the highest share rounded up to 10 %, never below 30 %.
    shares = pd.DataFrame({"participant": ["A", "A", "B", "B"], "criterion": ["severity", "auto_share"] * 2,
                           "weight": [4, 6, 5, 5], "share": [0.4, 0.6, 0.5, 0.5]})
    fig = plotly_charts.weight_profiles_chart(shares, ["auto_share", "severity"])
    assert tuple(fig.data[0].dimensions[1].range) == (0, 60)


@pytest.mark.parametrize("link", ["http://127.0.0.1:8501/workshop?join=ABCDEF",
                                  "https://rmo.example.org/apps/rmo/workshop?join=H7K2MP"])
def test_qr_code_decodes_to_the_join_link(link: str) -> None:
    png = qr_code.join_qr_png(link, size_px=240)
    image = Image.open(io.BytesIO(png))
    assert image.width == qr_code.png_width(png) and 200 <= image.width <= 240
    found = zxingcpp.read_barcodes(image)
    assert [f.text for f in found] == [link]
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode


# Cases per material, stage, category and severity, as queries.evidence_cube gives them: two rows of
# one combination, a case with no severity, and a material the constants do not know.
FLOW_CUBE = pd.DataFrame({"material": ["zinc", "zinc", "nickel", "zinc", "nickel", "cobalt"],
                          "stage": ["processing", "processing", "mining", "mining", "mining", "recycling"],
                          "category": ["water", "water", "ohs", "water", "ohs", "corruption"],
                          "severity": [2, 2, 5, None, 3, 4], "n": [3, 4, 1, 2, 6, 5]})


def _shown(fig: go.Figure) -> pd.DataFrame:
    """The figure's bands read back: one row per band with its four category labels and its count."""
    trace = fig.data[0]
    frame = pd.DataFrame({d.label: list(d.values) for d in trace.dimensions})
    return frame.assign(n=list(trace.counts))


def test_evidence_flows_columns_in_order_with_the_constants_names() -> None:
    fig = plotly_charts.evidence_flows(FLOW_CUBE)
    assert len(fig.data) == 1 and fig.data[0].type == "parcats"
    dims = fig.data[0].dimensions
    assert [d.label for d in dims] == ["Stage", "Risk", "Severity", "Material"]
    stage, risk, severity, material = (list(d.categoryarray) for d in dims)
    # Categories in the app's order, only those with cases.
    assert stage == [constants.STAGE_SHORT[s] for s in ("mining", "processing", "recycling")]
    assert risk == [constants.RISK_CATEGORY_SHORT[c] for c in ("water", "ohs", "corruption")]
    assert severity == [constants.SEVERITY_LABELS[s] for s in (5, 4, 3, 2)] + [constants.SEVERITY_NOT_RATED]
    # Known materials by their short names in the constants' order; an unknown one keeps its slug.
    assert material == [constants.MATERIAL_SHORT["nickel"], constants.MATERIAL_SHORT["zinc"], "cobalt"]


def test_evidence_flows_counts_equal_a_groupby_of_the_input() -> None:
    fig = plotly_charts.evidence_flows(FLOW_CUBE)
    shown = _shown(fig).groupby(["Stage", "Risk", "Severity", "Material"])["n"].sum().to_dict()
    named = FLOW_CUBE.assign(
        Stage=FLOW_CUBE["stage"].map(constants.STAGE_SHORT),
        Risk=FLOW_CUBE["category"].map(constants.RISK_CATEGORY_SHORT),
        Severity=FLOW_CUBE["severity"].map(lambda s: constants.SEVERITY_NOT_RATED if pd.isna(s)
                                           else constants.SEVERITY_LABELS[int(s)]),
        Material=FLOW_CUBE["material"].map(lambda m: constants.MATERIAL_SHORT.get(m, m)))
    expected = named.groupby(["Stage", "Risk", "Severity", "Material"])["n"].sum().to_dict()
    assert shown == expected
    assert len(fig.data[0].counts) == len(expected)  # one band per combination
    assert sum(fig.data[0].counts) == FLOW_CUBE["n"].sum()  # the unrated case is not dropped
    unrated = _shown(fig).query("Severity == @constants.SEVERITY_NOT_RATED")
    assert unrated["n"].tolist() == [2]
    # Bands coloured by severity: the unrated one grey, the others by their own severity.
    colours = dict(zip(_shown(fig)["Severity"], fig.data[0].line.color, strict=True))
    assert colours[constants.SEVERITY_NOT_RATED] == plotly_charts.NOT_RATED_COLOUR
    assert colours[constants.SEVERITY_LABELS[5]] == plotly_charts.SEVERITY_COLOURS[5]


def test_evidence_flows_hover_counts_and_own_material_names() -> None:
    fig = plotly_charts.evidence_flows(FLOW_CUBE, {"zinc": "Zn", "nickel": "Ni"})
    trace = fig.data[0]
    assert trace.hoveron == "category" and "%{count}" in trace.hovertemplate
    assert list(trace.dimensions[3].categoryarray) == ["Zn", "Ni", "cobalt"]  # the mapping's order
    assert fig.layout.height <= 600  # one phone screen and a bit, whatever the number of categories


def test_evidence_flows_without_cases_says_so() -> None:
    fig = plotly_charts.evidence_flows(FLOW_CUBE.iloc[:0])
    assert not fig.data
    assert [a.text for a in fig.layout.annotations] == ["No case in view."]


def test_every_risk_category_has_a_short_name_that_fits_a_phone() -> None:
    # The flows' risk names sit between two columns about 70 px apart on a 390 px screen.
    assert set(constants.RISK_CATEGORY_SHORT) == set(constants.RISK_CATEGORY_SLUGS)
    assert max(len(name) for name in constants.RISK_CATEGORY_SHORT.values()) <= 17
