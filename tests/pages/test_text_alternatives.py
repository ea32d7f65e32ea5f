"""Every chart on every page has a text alternative: a title, a description and a summary shown under it.

WCAG 2.2 SC 1.1.1 (issue 15 item 6).  Each page runs under AppTest as an editor
(who may open all of them), every tab of the pages whose tabs are built only
when open, and the workshop's live view with two submissions.  For each
Vega-Lite chart drawn: the spec has a title; its ``description`` (the label a
screen reader reads) holds the title and a summary of the data beyond it; and
the same summary is shown as a caption on the page.  Plotly figures carry a
title or a caption beside them that says how to read them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from components.safe import escape_html
from rmo_data.charts import alt_text
from rmo_data.workshops import lifecycle
from tests.apptest import app_for, each_tab, no_exception, open_as

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))
LAZY_TABS = {"pages/prioritisation.py": "pr_tab", "pages/material.py": "mp_tab", "pages/evidence.py": "ev_tab"}


def _problems(at: AppTest, where: str) -> tuple[list[str], int]:
    """What is missing from the text alternatives of the charts ``at`` shows now, and how many it shows."""
    captions = [c.value for c in at.caption]
    bad: list[str] = []
    charts = at.get("vega_lite_chart")
    for i, el in enumerate(charts):
        spec = json.loads(el.proto.spec)
        text, _ = alt_text.spec_title(spec)
        summary = alt_text.summary_of(spec)
        description = spec.get("description", "")
        name = f"{where}, chart {i} ({text or 'untitled'})"
        if not text:
            bad.append(f"{name}: no title")
        if not summary:
            bad.append(f"{name}: no summary")
        if not description.startswith(text) or summary.rstrip(".") not in description:
            bad.append(f"{name}: the description {description!r} lacks the title or the summary")
        if summary and escape_html(summary) not in captions:
            bad.append(f"{name}: the summary is not shown under the chart")
    return bad, len(charts)


def _walk(at: AppTest, page: str) -> tuple[list[str], int]:
    bad, count = _problems(at, page)
    key = LAZY_TABS.get(page)
    if key:
        for label in each_tab(at, key):
            more, n = _problems(at, f"{page} · {label}")
            bad += more
            count += n
    return bad, count


# Pages that draw no chart: sign-in, data management and the sources (text and tables only); the
# workshop's charts need submissions and are checked below.
NO_CHART = ("pages/sign_in.py", "pages/data_management.py", "pages/sources.py", "pages/workshop.py")


@pytest.mark.parametrize("page", [p for p in PAGES if p not in NO_CHART])
def test_every_chart_of_a_page_has_a_text_alternative(built_url: str, monkeypatch: pytest.MonkeyPatch,
                                                     page: str) -> None:
    at = open_as(app_for(built_url, monkeypatch), page, "editor")
    bad, count = _walk(at, page)
    assert count, f"{page}: no chart drawn, nothing checked"
    assert not bad, "\n".join(bad)


def test_workshop_charts_have_text_alternatives(own_url: str, own_engine: Engine,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from components.workshop_facilitator import DETAIL

    mats, crits = ["nickel", "graphite", "ree", "zinc"], ["auto_share", "mining_hhi", "severity"]
    _, code = lifecycle.create_workshop("Text alternatives", mats, crits, engine=own_engine)
    for name, base in (("Ana", 2), ("Ben", 8), ("Cy", 5)):
        lifecycle.submit_weights(code, name, {c: (base + i * 3) % 11 for i, c in enumerate(crits)}, ["ree"],
                                 engine=own_engine)
    at = open_as(app_for(own_url, monkeypatch), "pages/workshop.py", "partner", ws_mode="run", ws=code)
    bad: list[str] = []
    count = 0
    for detail in DETAIL:
        at.session_state["ws_live_detail"] = detail
        more, n = _problems(no_exception(at.run()), f"workshop live view · {detail}")
        bad += more
        count += n
    assert count, "the live view drew no chart"
    assert not bad, "\n".join(bad)


def test_the_evidence_flows_are_summed_up_in_words(built_url: str, built_engine: Engine,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The Plotly flows have no aria description of their own: a caption under them says what they show."""
    from rmo_data import constants
    from rmo_data.analysis import evidence_rollups
    from rmo_data.charts import summaries
    from rmo_data.store import queries
    from tests.apptest import open_tab

    at = open_as(app_for(built_url, monkeypatch), "pages/evidence.py", "partner")
    open_tab(at, "ev_tab", "Flows")
    assert at.get("plotly_chart"), "the flows were not drawn"
    flows = evidence_rollups.flow_counts(queries.evidence_cube(engine=built_engine))
    expected = summaries.evidence_flows(flows, constants.MATERIAL_SHORT)
    assert expected.startswith(f"{len(flows)} bands of cases")
    assert escape_html(expected) in [c.value for c in at.caption]
