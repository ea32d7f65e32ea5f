"""Plotly figures as files: drawn by a child process with a time limit, never waited for for ever.

A CI run once stood still for 15 minutes inside kaleido: its Chromium never answered on a loaded
machine, and kaleido has no overall time limit. These tests draw real files through
``plotly_images.export`` (Debian's Chromium, as the app's server does), and check that an export
over its limit ends with a sentence, its whole process group (worker and Chromium) stopped.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import plotly.graph_objects as go
import pytest
from PIL import Image

from rmo_data.charts import plotly_images

pytestmark = pytest.mark.skipif(plotly_images.missing() is not None,
                                reason=f"no Plotly image export here: {plotly_images.missing()}")


def _figure() -> go.Figure:
    fig = go.Figure(go.Bar(x=["Nickel", "Zinc"], y=[6, 7]))
    fig.update_layout(width=420, height=300)
    return fig


def test_a_png_and_an_svg_are_drawn_at_the_figures_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a server started from another folder still finds its worker
    png = plotly_images.export(_figure(), "png", scale=2)
    assert Image.open(io.BytesIO(png)).size == (840, 600)
    svg = plotly_images.export(_figure(), "svg").decode("utf-8")
    assert svg.startswith("<svg") and 'width="420"' in svg and "Nickel" in svg


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_an_export_over_its_time_limit_ends_with_a_sentence_and_leaves_no_process(
        monkeypatch: pytest.MonkeyPatch) -> None:
    groups: list[int] = []
    real_popen = subprocess.Popen

    def popen(*args: object, **kwargs: object) -> subprocess.Popen:
        proc = real_popen(*args, **kwargs)  # type: ignore[call-overload]
        groups.append(os.getpgid(proc.pid))  # start_new_session: the group is the worker's own
        return proc

    monkeypatch.setattr(plotly_images.subprocess, "Popen", popen)
    started = time.monotonic()
    # Too short for the drawing to finish: both tries run out.
    with pytest.raises(plotly_images.ExportTimeout, match=r"not drawn within 1 s, twice"):
        plotly_images.export(_figure(), "png", timeout=1.0)
    assert time.monotonic() - started < 15
    assert len(groups) == 2 and all(g not in (os.getpgid(0),) for g in groups)
    deadline = time.monotonic() + 10
    while any(_group_alive(g) for g in groups) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_group_alive(g) for g in groups), "a worker or its Chromium outlived the time limit"


def test_the_worker_refuses_bad_arguments_with_its_usage() -> None:
    done = subprocess.run([sys.executable, "-m", "rmo_data.charts.plotly_worker", "gif", "1", "1", "1"],
                          input=b"{}", capture_output=True, timeout=60, check=False)
    assert done.returncode == 2 and b"usage:" in done.stderr
