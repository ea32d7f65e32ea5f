"""Whatever a user types reaches the database only as a bound parameter, and searches mean plain text.

SQL-injection strings, LIKE wildcards, backslashes, unicode and very long
strings go into every place a user can type: the free-text searches (evidence,
stakeholders, leverage cards) and the evidence country and company filters,
scenario names and notes, action-plan owners and notes, workshop names, join
codes and participant names, and the page address.  Nothing raises, results are
what a plain-text search gives (``%`` and ``_`` match themselves, not
"anything"), and afterwards every table of the store is still there with the
same rows, apart from the rows the test itself added.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, func, inspect, select, table, update
from streamlit.testing.v1 import AppTest

from rmo_data import constants
from rmo_data.store import queries
from rmo_data.store import schema
from rmo_data.store import action_plan
from rmo_data.store import scenarios
from rmo_data.workshops import lifecycle
from rmo_data.workshops import participants
from rmo_data.store.engine import make_engine
from tests.apptest import app_for, no_exception, open_as
from tests.signin import sign_in

ROOT = Path(__file__).resolve().parents[2]

INJECTIONS = [
    "' OR 1=1 --", '"; DROP TABLE material; --', "'); DELETE FROM risk_evidence; --", "%", "_", "%%",
    "_%_", "\\", "\\%", "/", "//%", "a%b", "Ünïcödé ñ 中文 🌍", "x" * 5000, "   ",
]
USER_TABLES = {t.name for t in schema.USER_TABLES}


def snapshot(url: str) -> dict[str, int]:
    """Row count of every table of the store (its table list is the keys), on either backend."""
    eng = make_engine(url)
    try:
        names = inspect(eng).get_table_names()
        with eng.connect() as conn:
            return {n: conn.execute(select(func.count()).select_from(table(n))).scalar_one() for n in names}
    finally:
        eng.dispose()


def _reference(counts: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in counts.items() if k not in USER_TABLES}


def _ascii_lower(value: object) -> str:
    # SQLite's lower() folds A-Z only; the expected results fold the same way.
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in (value if isinstance(value, str) else ""))


def plain_search(frame: pd.DataFrame, text: str, columns: list[str]) -> set[str]:
    """Ids (first column) of the rows holding ``text`` as plain text in any of ``columns``."""
    needle = text.strip().lower()
    if not needle:
        return set(frame.iloc[:, 0])
    hits = frame[columns].apply(lambda row: any(needle in _ascii_lower(v) for v in row), axis=1)
    return set(frame.loc[hits, frame.columns[0]]) if len(frame) else set()


# --- the data layer ------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [*INJECTIONS, "tailings", "TAILINGS", "côte", "Côte d"])
def test_searches_are_plain_text(own_url: str, own_engine: Engine, text: str) -> None:
    before = snapshot(own_url)
    every = queries.evidence(engine=own_engine)
    got = queries.evidence(text=text, engine=own_engine)
    assert set(got["id"]) == plain_search(every[["id", "summary", "site", "company", "country_name"]], text,
                                           ["summary", "site", "company", "country_name"])
    orgs = queries.organisations(engine=own_engine)
    got_orgs = queries.organisations(text=text, engine=own_engine)
    assert set(got_orgs["slug"]) == plain_search(orgs[["slug", "name", "acronym", "description"]], text,
                                                 ["name", "acronym", "description"])
    levs = queries.leverages(engine=own_engine)
    got_levs = queries.leverages(text=text, engine=own_engine)
    assert set(got_levs["id"]) == plain_search(levs[["id", "title", "action"]], text, ["title", "action"])
    if text in {"%", "_", "%%", "_%_", "\\"}:
        # A wildcard is not "anything": fewer hits than rows (the report's text holds few of them).
        assert len(got) < len(every) and len(got_levs) < len(levs) and len(got_orgs) < len(orgs)
    # Country and company filters bind their values too; an unknown value matches nothing.
    assert queries.evidence(countries=[text], companies=[text], engine=own_engine).empty
    assert queries.evidence_summary(countries=[text], text=text, engine=own_engine)["cases"] == 0
    assert snapshot(own_url) == before


def test_search_finds_rows_with_a_literal_percent_or_underscore(own_url: str, own_engine: Engine) -> None:
    """A case whose text holds ``50 %`` or ``a_b`` is found by exactly that text, and only it."""
    every = queries.evidence(engine=own_engine)
    target = every["id"].iloc[0]
    with own_engine.begin() as conn:
        conn.execute(update(schema.risk_evidence).where(schema.risk_evidence.c.id == target)
                     .values(summary="About 50 %_of the site_x was lost"))
    for text in ("50 %_of", "site_x", "%_OF"):
        assert list(queries.evidence(text=text, engine=own_engine)["id"]) == [target], text
    assert target not in set(queries.evidence(text="50 %%", engine=own_engine)["id"])


@pytest.mark.parametrize("text", INJECTIONS)
def test_user_text_is_stored_as_typed_or_refused_clearly(own_url: str, own_engine: Engine, text: str) -> None:
    before = snapshot(own_url)
    added = {t: 0 for t in USER_TABLES}
    lev_id = queries.leverages(engine=own_engine)["id"].iloc[0]
    for what, limit, call in (
        ("scenario", scenarios.NAME_MAX, lambda: scenarios.save_scenario(text, {"severity": 5}, note=text,
                                                                        engine=own_engine)),
        ("plan", action_plan.OWNER_MAX, lambda: action_plan.add_plan_item(lev_id, owner=text, note=text[:1000],
                                                                     engine=own_engine)),
        ("workshop", lifecycle.NAME_MAX, lambda: lifecycle.create_workshop(
            text, ["nickel", "zinc"], ["severity"], engine=own_engine)),
    ):
        if not text.strip() and what != "plan":
            with pytest.raises(ValueError, match="Give a"):
                call()
        elif len(text.strip()) > limit:
            with pytest.raises(ValueError, match="too long"):
                call()
        else:
            call()
            added[{"scenario": "scenario", "plan": "action_plan_item", "workshop": "workshop"}[what]] += 1
            added["audit_log"] += 1
    # Stored exactly as typed (stripped), read back by the same text.
    if 0 < len(text.strip()) <= scenarios.NAME_MAX:
        assert scenarios.load_scenario(text.strip(), engine=own_engine)["name"] == text.strip()
        assert text.strip() in set(action_plan.list_plan_items(engine=own_engine)["owner"])
        assert text.strip() in set(lifecycle.list_workshops(engine=own_engine)["name"])
    # A join code that is no code is refused with a message, never looked up as SQL.
    with pytest.raises(ValueError, match="is not a join code"):
        lifecycle.get_workshop(text, engine=own_engine)
    after = snapshot(own_url)
    assert _reference(after) == _reference(before)
    assert {t: after[t] - before[t] for t in USER_TABLES} == added


@pytest.mark.parametrize("name", INJECTIONS)
def test_participant_names_are_bound(own_url: str, own_engine: Engine, name: str) -> None:
    _, code = lifecycle.create_workshop("Injection check", ["nickel", "zinc"], ["severity"], engine=own_engine)
    before = snapshot(own_url)
    if not name.strip():
        with pytest.raises(ValueError, match="Give your name"):
            lifecycle.submit_weights(code, name, {"severity": 5}, engine=own_engine)
    elif len(name.strip()) > participants.PARTICIPANT_MAX:
        with pytest.raises(ValueError, match="too long"):
            lifecycle.submit_weights(code, name, {"severity": 5}, engine=own_engine)
    else:
        lifecycle.submit_weights(code, name, {"severity": 5}, engine=own_engine)
        assert list(lifecycle.list_submissions(code, engine=own_engine)["participant"]) == [name.strip()]
    after = snapshot(own_url)
    assert _reference(after) == _reference(before)
    assert after["participant_weights"] - before["participant_weights"] in (0, 1)


# --- the pages -----------------------------------------------------------------------------------

UI_INJECTIONS = ["' OR 1=1 --", '"; DROP TABLE material; --', "%", "_", "\\", "Ünïcödé 🌍", "x" * 300]


def _metric(at: AppTest, label: str) -> int:
    return int(next(m.value for m in at.metric if m.label == label))


def test_search_boxes_take_any_text(own_url: str, own_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(own_url)
    ev = open_as(app_for(own_url, monkeypatch), "pages/evidence.py")
    orgs = open_as(app_for(own_url, monkeypatch), "pages/stakeholders.py")
    levs = open_as(app_for(own_url, monkeypatch), "pages/leverage_cards.py")
    for text in UI_INJECTIONS:
        ev.text_input(key="ev_text").input(text)
        no_exception(ev.run())
        expected = len(queries.evidence(text=ev.session_state["ev_text"], engine=own_engine))
        assert _metric(ev, "Cases shown") == expected, text
        orgs.text_input(key="org_text").input(text)
        no_exception(orgs.run())
        n_orgs = len(queries.organisations(text=orgs.session_state["org_text"], engine=own_engine))
        shown = len(orgs.dataframe[0].value) if n_orgs else 0
        assert shown == n_orgs, text
        if not n_orgs:
            assert any("No organisation matches" in i.value for i in orgs.info)
        levs.text_input(key="lc_text").input(text)
        no_exception(levs.run())
        assert _metric(levs, "Cards shown") == len(queries.leverage_cards(text=levs.session_state["lc_text"],
                                                                           engine=own_engine)), text
    assert snapshot(own_url) == before


def test_forms_store_hostile_text_as_typed(own_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(own_url)
    name, owner, note = "' OR 1=1 --", '"; DROP TABLE material; --', "% _ \\ Ünïcödé 🌍"
    # A scenario name.
    at = open_as(app_for(own_url, monkeypatch), "pages/prioritisation.py", pr_tab="Scenarios")
    at.text_input(key="pr_sc_name").input(name)
    at.text_input(key="pr_sc_note").input(note)
    at.button(key="pr_sc_save").click()
    no_exception(at.run())
    assert not at.error, [e.value for e in at.error]
    # A plan item's owner and note.
    cards = open_as(app_for(own_url, monkeypatch), "pages/leverage_cards.py")
    card = queries.leverage_cards(engine=make_engine(own_url))["id"].iloc[0]
    cards.button(key=f"plan_open_{card}").click().run()  # the shared dialog opens on this card
    cards.text_input(key=f"plan_owner_{card}").input(owner)
    cards.text_area(key=f"plan_note_{card}").input(note)
    cards.button(key=f"plan_add_{card}").click()
    no_exception(cards.run())
    assert not cards.error, [e.value for e in cards.error]
    # A workshop's name, then a participant joining by a mistyped and a real code.
    fac = open_as(app_for(own_url, monkeypatch), "pages/workshop.py", ws_mode="run")
    fac.text_input(key="ws_new_name").input(name)
    fac.multiselect(key="ws_new_materials").set_value(["nickel", "zinc"])
    fac.button(key="ws_create").click()
    no_exception(fac.run())
    code = fac.session_state["ws"]
    part = open_as(app_for(own_url, monkeypatch), "pages/workshop.py", ws_mode="join")
    part.text_input(key="join").input("' OR 1=1 --")
    no_exception(part.run())
    assert any("is not a join code" in e.value for e in part.error)
    part.text_input(key="join").input(code.lower())
    no_exception(part.run())
    part.text_input(key="ws_name").input(owner)
    no_exception(part.run())
    part.button(key="ws_submit").click()
    no_exception(part.run())
    assert not part.error, [e.value for e in part.error]

    eng = make_engine(own_url)
    try:
        assert scenarios.load_scenario(name, engine=eng)["note"] == note
        plan = action_plan.list_plan_items(engine=eng)
        assert (plan["owner"] == owner).sum() == 1 and (plan["note"] == note).sum() == 1
        assert lifecycle.get_workshop(code, engine=eng)["name"] == name
        assert list(lifecycle.list_submissions(code, engine=eng)["participant"]) == [owner]
    finally:
        eng.dispose()
    after = snapshot(own_url)
    assert _reference(after) == _reference(before)
    assert {t: after[t] - before[t] for t in ("scenario", "action_plan_item", "workshop",
                                              "participant_weights")} == dict.fromkeys(
        ("scenario", "action_plan_item", "workshop", "participant_weights"), 1)


@pytest.mark.parametrize("value", ["' OR 1=1 --", '"; DROP TABLE material; --', "%", "_,%", "\\", "Ünïcödé",
                                   "x" * 3000])
def test_url_params_take_any_text(own_url: str, own_engine: Engine, monkeypatch: pytest.MonkeyPatch,
                                  value: str) -> None:
    before = snapshot(own_url)
    at = app_for(own_url, monkeypatch)
    for key in ("material", "materials", "ev_text", "ev_country", "ev_company", "org_text", "lc_text",
                "lc_org", "join", "ws", f"wt_{constants.CRITERIA[0].slug}", "ev_min_sev"):
        at.query_params[key] = value
    no_exception(at.run())  # the first run reads the link and names what it ignored (once)
    # Unknown choices are named in a note; free text is kept (at most 200 characters) and searched as text.
    assert any("Ignored unknown material" in w.value for w in at.warning)
    sign_in(at, "partner")  # the link's values stay in the session through the sign-in
    at.switch_page("pages/evidence.py")
    no_exception(at.run())
    assert at.session_state["material"] == constants.MATERIAL_SLUGS[0]
    assert at.session_state["ev_text"] == value[:200]
    expected = queries.evidence_summary(countries=at.session_state["ev_country"],
                                        companies=at.session_state["ev_company"], text=value[:200],
                                        engine=own_engine)["cases"]
    assert _metric(at, "Cases shown") == expected == 0
    for page in ("pages/stakeholders.py", "pages/leverage_cards.py", "pages/workshop.py",
                 "pages/prioritisation.py", "pages/material.py"):
        at.switch_page(page)
        no_exception(at.run())
    assert snapshot(own_url) == before
