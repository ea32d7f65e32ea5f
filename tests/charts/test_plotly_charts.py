"""The participants' weight profiles (Plotly parallel coordinates) and the join link's QR code.

The figure is built from a hand-made three-participant result (``tests/workshops/sample.py``'s
criterion values); its axes, lines and names are read back from the figure itself.  The QR code
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
