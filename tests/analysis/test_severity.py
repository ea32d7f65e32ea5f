"""The overall severity of an evidence case: the rounded mean of its three UNGP ratings."""

from __future__ import annotations

from rmo_data.analysis.severity import case_severity


def test_severity_is_rounded_mean() -> None:
    assert case_severity(1, 1, 1) == 1
    assert case_severity(5, 5, 5) == 5
    assert case_severity(2, 3, 3) == 3  # 2.67
    assert case_severity(2, 2, 3) == 2  # 2.33
    assert case_severity(1, 2, 4) == 2  # 2.33
