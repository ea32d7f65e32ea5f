"""Every page names criteria, materials, stages and categories only by their vocabulary names.

Each page is run under AppTest (as a partner, and the data management page as
an editor), every tab opened and the views that change what is drawn (a stage,
a material, the workshop's modes and displays) visited; ``tests/shown_names.py``
collects the widget labels and options, table headers and name cells, chart
titles, legend and axis values and metric labels, and ``tests/vocabulary_rule.py``
says which of them are names and whether each is a name from
``rmo_data.vocabulary``.  A page that writes "REE" or "Mining HHI" fails,
with where it was found.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from rmo_data import constants
from rmo_data.store import action_plan, queries, scenarios
from rmo_data.workshops import lifecycle, participants, rounds
from tests.apptest import app_for, each_tab, no_exception, open_as
from tests.shown_names import Shown, collect
from tests.signin import sign_in
from tests.vocabulary_rule import problems

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))
# Pages whose tabs build only the open one, with the key of their tabs.
LAZY_TABS = {"pages/prioritisation.py": "pr_tab", "pages/material.py": "mp_tab", "pages/evidence.py": "ev_tab"}
# Other views of a page that draw different names: session-state values set before a run.
VIEWS: dict[str, list[dict[str, object]]] = {
    "pages/overview.py": [{}, {"ov_stage": "processing"}],
    "pages/material.py": [{"material": m, "mp_stage": s} for m in ("ree", "iron_steel", "aluminium")
                          for s in ("mining", "processing")],
    "pages/prioritisation.py": [{}, {"pr_joint": True}],
}
# The workshop's materials and criteria: the ones whose names changed, and their neighbours.
MATS = ["nickel", "graphite", "ree", "iron_steel", "aluminium"]
CRITS = ["auto_share", "mining_hhi", "gov_hhi", "severity", "env_breadth"]
# Widgets whose label names one kind: the weight sliders (Prioritisation, a workshop participant).
KEY_KINDS = {r"wt_": "criterion", r"ws_w_": "criterion"}


def _problems(found: list[Shown], where: str) -> list[str]:
    return [f"{where} · {p}" for p in problems(found, KEY_KINDS)]


def _walk(at: AppTest, page: str) -> Iterator[list[Shown]]:
    """What ``at`` shows now, and after opening each of the page's tabs in turn."""
    yield collect(at)
    key = LAZY_TABS.get(page)
    if key:
        for _ in each_tab(at, key):
            yield collect(at)


def _check_page(at: AppTest, page: str, role: str) -> tuple[list[str], int]:
    bad: list[str] = []
    count = 0
    for view in VIEWS.get(page, [{}]):
        for key, value in view.items():
            at.session_state[key] = value
        no_exception(at.run())
        where = f"{page} as {role} {view or ''}".strip()
        for found in _walk(at, page):
            count += len(found)
            bad += _problems(found, where)
    return bad, count


def _with_user_rows(engine: Engine) -> None:
    """A saved scenario and a plan item, so the Scenarios tab and the action plan draw their tables."""
    scenarios.save_scenario("Vocabulary check", {"severity": 8, "mining_hhi": 3}, materials=[], engine=engine)
    lever = queries.leverages(materials=["nickel"], include_cross=False, engine=engine)
    action_plan.add_plan_item(str(lever["id"].iloc[0]), owner="Check", engine=engine)


@pytest.mark.parametrize("page", [p for p in PAGES if p != "pages/workshop.py"])
def test_every_page_uses_vocabulary_names(own_url: str, own_engine: Engine, monkeypatch: pytest.MonkeyPatch,
                                          page: str) -> None:
    _with_user_rows(own_engine)
    role = "editor" if page == "pages/data_management.py" else "partner"
    at = open_as(app_for(own_url, monkeypatch), page, role)
    bad, count = _check_page(at, page, role)
    assert count or page == "pages/sign_in.py", f"{page}: nothing collected"
    assert not bad, "\n".join(sorted(set(bad)))


def test_the_public_first_page_and_its_sidebar_use_vocabulary_names(app: AppTest) -> None:
    # The sidebar is in the tree only on the first page (AppTest drops it after switch_page).
    at = no_exception(app.run())
    found = collect(at)
    options = {s.text for s in found if s.where.startswith("multiselect") and s.strict}
    assert set(constants.MATERIAL_LABELS.values()) <= options, "the sidebar's materials were not collected"
    assert not (bad := _problems(found, "first page")), "\n".join(bad)


def _session(url: str, monkeypatch: pytest.MonkeyPatch, role: str | None, **values: object) -> AppTest:
    at = app_for(url, monkeypatch)
    no_exception(at.run())
    if role:
        sign_in(at, role)
    for key, value in values.items():
        at.session_state[key] = value
    at.switch_page("pages/workshop.py")
    return no_exception(at.run())


def test_workshop_views_use_vocabulary_names(own_url: str, own_engine: Engine,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Facilitator (every live display), projector, participant (sliders and pairwise), closed record."""
    from components.workshop_facilitator import DETAIL, PRESENT_CHOICES

    bad: list[str] = []
    _, code = lifecycle.create_workshop("Vocabulary", MATS, CRITS, engine=own_engine)
    for name, base in (("Ana", 2), ("Ben", 8)):
        lifecycle.submit_weights(code, name, {c: (base + i * 3) % 11 for i, c in enumerate(CRITS)}, ["ree"],
                                 engine=own_engine)
    fac = _session(own_url, monkeypatch, "partner", ws_mode="run")
    bad += _problems(collect(fac), "workshop create form")
    fac.session_state["ws"] = code
    for detail in DETAIL:
        fac.session_state["ws_live_detail"] = detail
        bad += _problems(collect(no_exception(fac.run())), f"facilitator {detail}")
    rounds.reveal(code, engine=own_engine)
    fac.session_state["present"] = 1
    for choice in PRESENT_CHOICES:
        fac.session_state["ws_present_view"] = choice
        bad += _problems(collect(no_exception(fac.run())), f"presentation {choice}")

    joined = app_for(own_url, monkeypatch)
    joined.query_params["join"] = code
    joined = _session_join(joined)
    joined.text_input(key="ws_name").input("Cy")
    found = collect(no_exception(joined.run()))
    assert {s.key for s in found if s.key.startswith("ws_w_")} == {f"ws_w_{c}" for c in CRITS}
    bad += _problems(found, "participant sliders")

    _, pair_code = lifecycle.create_workshop("Vocabulary pairs", MATS, CRITS[:3], engine=own_engine,
                                             method=participants.PAIRWISE)
    pair = app_for(own_url, monkeypatch)
    pair.query_params["join"] = pair_code
    pair = _session_join(pair)
    pair.text_input(key="ws_name").input("Di")
    found = collect(no_exception(pair.run()))
    assert any(s.key.startswith("ws_pw_side_") and s.strict for s in found), "no pairwise card collected"
    bad += _problems(found, "participant pairwise")

    lifecycle.close_workshop(code, engine=own_engine)
    closed = _session(own_url, monkeypatch, "partner", ws_mode="closed", ws=code)
    bad += _problems(collect(closed), "closed record")
    assert not bad, "\n".join(sorted(set(bad)))


def _session_join(at: AppTest) -> AppTest:
    """A participant's session opened from the join link (``?join=CODE``)."""
    no_exception(at.run())
    at.switch_page("pages/workshop.py")
    return no_exception(at.run())
