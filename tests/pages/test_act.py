"""AppTest runs of the Act pages: Prioritisation and Leverage cards.

Expected rankings and card counts are computed in the test from the store
(``rmo_data.analysis.scoring`` and ``rmo_data.store.queries``), never typed in.  Tests that
write (plan items, scenarios) run on their own copy of the built store.
Both pages are for partners: every test signs in as one through the sign-in
form first (``tests/signin.py``).
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from streamlit.testing.v1 import AppTest

from components import state
from rmo_data import constants
from rmo_data.store import queries
from rmo_data.analysis import scoring
from rmo_data.store.criteria import criteria_table
from rmo_data.analysis import prioritisation
from rmo_data.store import action_plan
from rmo_data.store import scenarios
from rmo_data.store import writes
from rmo_data.store.engine import make_engine
from tests.apptest import app_for, no_exception, open_as, open_expander, open_tab
from tests.signin import sign_in

ROOT = Path(__file__).resolve().parents[2]
PRIO = "pages/prioritisation.py"
CARDS = "pages/leverage_cards.py"


@pytest.fixture()
def own_app(own_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    """The app on a private copy of the store (for tests that write)."""
    yield app_for(own_url, monkeypatch)


def _frame(at: AppTest, *columns: str) -> pd.DataFrame:
    """The first data frame on the page holding all of ``columns``."""
    for df in at.dataframe:
        value = df.value
        if isinstance(value, pd.DataFrame) and set(columns) <= set(value.columns):
            return value
    raise AssertionError(f"no data frame with columns {columns}")


def _ranking_names(at: AppTest) -> list[str]:
    return _frame(at, "rank", "name", "score")["name"].tolist()


def _expected(engine: Engine, weights: dict[str, int], materials: list[str] | None = None) -> list[str]:
    raw = criteria_table(engine).raw
    if materials:
        raw = raw.loc[[m for m in constants.MATERIAL_SLUGS if m in materials]]
    ranked = scoring.ranking(scoring.normalise(raw), weights)
    return [constants.MATERIAL_LABELS[m] for m in ranked.index]


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [i.value for i in at.info] + [w.value for w in at.warning] + [e.value for e in at.error]
    parts += [s.value for s in at.success]
    return "\n".join(str(p) for p in parts)


# --- prioritisation ---------------------------------------------------------------------

def test_weights_and_presets_change_the_ranking(app: AppTest, built_engine: Engine) -> None:
    at = open_as(app, PRIO)
    balanced = _expected(built_engine, dict(constants.WEIGHT_PRESETS["balanced"]))
    assert _ranking_names(at) == balanced

    at.button(key="preset_human_rights").click()
    no_exception(at.run())
    human = _expected(built_engine, dict(constants.WEIGHT_PRESETS["human_rights"]))
    assert _ranking_names(at) == human
    assert human != balanced, "the preset should reorder the materials with this store"
    assert at.slider(key="wt_severity").value == constants.WEIGHT_PRESETS["human_rights"]["severity"]

    # Moving one slider reranks at once.
    at.slider(key="wt_auto_share").set_value(10)
    no_exception(at.run())
    custom = {**constants.WEIGHT_PRESETS["human_rights"], "auto_share": 10}
    assert _ranking_names(at) == _expected(built_engine, custom)
    assert at.session_state["wt_auto_share"] == 10
    assert "custom weights" in _texts(at)


def test_ranking_follows_the_materials_in_view(app: AppTest, built_engine: Engine) -> None:
    at = open_as(app, PRIO, materials=["zinc", "nickel", "tantalum"])
    expected = _expected(built_engine, dict(constants.WEIGHT_PRESETS["balanced"]), ["zinc", "nickel", "tantalum"])
    assert _ranking_names(at) == expected
    open_tab(at, "pr_tab", "Inputs and method")
    raw = _frame(at, "Material", *[f"{c.label} ({c.unit})" for c in constants.CRITERIA[:1]])
    assert len(raw) == 3


def test_all_zero_weights_show_a_message(app: AppTest) -> None:
    at = open_as(app, PRIO)
    for crit in constants.CRITERIA:
        at.slider(key=f"wt_{crit.slug}").set_value(0)
    no_exception(at.run())
    assert "All weights are zero" in _texts(at)
    assert not [df for df in at.dataframe if "score" in df.value.columns]


def test_missing_inputs_are_named_in_the_ranking(app: AppTest, built_engine: Engine) -> None:
    at = open_as(app, PRIO)
    table = _frame(at, "name", "missing")
    raw = criteria_table(built_engine).raw
    no_share = [constants.MATERIAL_LABELS[m] for m in raw.index[raw["auto_share"].isna()]]
    assert no_share
    for name in no_share:
        assert constants.CRITERION_LABELS["auto_share"] in table.set_index("name").at[name, "missing"]
    header = f"{constants.CRITERION_LABELS['auto_share']} ({constants.CRITERION_UNITS['auto_share']})"
    open_tab(at, "pr_tab", "Inputs and method")
    column = _frame(at, "Material", header).set_index("Material")[header]
    assert (column.loc[no_share] == constants.MISSING).all()


def test_url_reproduces_the_weights(app: AppTest, built_engine: Engine) -> None:
    app.query_params["wt_severity"] = "10"
    app.query_params["wt_supply_risk"] = "0"
    app.query_params["wt_mining_hhi"] = "eleven"
    at = no_exception(app.run())  # the link is read on the first run, whichever page it opens
    assert "eleven" in " ".join(w.value for w in at.warning)
    sign_in(at, "partner")
    at.switch_page(PRIO)
    no_exception(at.run())
    assert at.session_state["wt_severity"] == 10
    assert at.session_state["wt_mining_hhi"] == constants.WEIGHT_PRESETS["balanced"]["mining_hhi"]
    weights = {**constants.WEIGHT_PRESETS["balanced"], "severity": 10, "supply_risk": 0}
    assert _ranking_names(at) == _expected(built_engine, weights)


def test_weight_params_round_trip() -> None:
    """What the app writes to the address for weights is what it reads back; defaults stay out.

    (AppTest does not report the address a multipage run writes, so the browser
    journey checks the real address bar.)
    """
    values = {f"wt_{c}": w for c, w in constants.WEIGHT_PRESETS["human_rights"].items()}
    params = state.url_params(values)
    changed = {k for k, v in values.items() if v != constants.WEIGHT_PRESETS["balanced"][k[3:]]}
    assert set(params) == changed
    for key, raw in params.items():
        parsed, rejected = state._parse(state.PARAMS[key], [raw])
        assert parsed == values[key] and rejected == []
    assert state._parse(state.PARAMS["wt_severity"], ["11"]) == (constants.WEIGHT_DEFAULT, ["11"])
    assert state.url_params({f"wt_{c}": w for c, w in constants.WEIGHT_PRESETS["balanced"].items()}) == {}


def test_robustness_table_matches_the_seeded_monte_carlo(app: AppTest, built_engine: Engine) -> None:
    at = open_as(app, PRIO)
    assert not any("p_top" in df.value.columns for df in at.dataframe), "no Monte-Carlo before its tab opens"
    open_tab(at, "pr_tab", "Robustness")
    table = _frame(at, "p_top", "rank_median")
    raw = criteria_table(built_engine).raw
    mc = scoring.monte_carlo(scoring.normalise(raw), constants.WEIGHT_PRESETS["balanced"], n=2000,
                             seed=scoring.DEFAULT_SEED, missing=raw.isna())
    expected = mc.assign(name=[constants.MATERIAL_LABELS[m] for m in mc.index]).set_index("name")["p_top"]
    got = table.set_index("name")["p_top"]
    # In the chart's words: "35 %", "<1 %", ">99 %".
    from rmo_data.charts import priority_charts
    assert got.to_dict() == expected.map(priority_charts.percent).to_dict()


def test_raw_values_and_method_are_a_tab_away_and_follow_the_weights(app: AppTest) -> None:
    at = open_as(app, PRIO)
    assert not any("Share of score" in df.value.columns for df in at.dataframe), \
        "the Ranking tab leaves the inputs to their own tab"
    at.session_state["wt_severity"] = 0  # a weight moved, then the tab opened: the shares follow it
    open_tab(at, "pr_tab", "Inputs and method")
    method = _frame(at, "Criterion", "Share of score")
    shares = dict(zip(method["Criterion"], method["Share of score"], strict=True))
    assert shares[constants.CRITERION_LABELS["severity"]] == 0
    # Shown in whole percent ("35 %") that add up to 100 as read, not 101 (formatting.shares).
    assert all(float(v).is_integer() for v in shares.values()) and sum(shares.values()) == 100, shares
    values = _frame(at, "Material")
    assert values["Material"].tolist() == _ranking_names(open_tab(at, "pr_tab", "Ranking")), \
        "the raw values follow the ranking's order"


def test_quadrant_link_opens_the_fitting_cards(app: AppTest, built_engine: Engine) -> None:
    at = open_as(app, PRIO, pr_tab="Salience × leverage")
    data = criteria_table(built_engine)
    pos = prioritisation.matrix_positions(data.raw, data.context["n_organisations"])
    quad = next(q for q in constants.QUADRANTS if (pos["quadrant"] == q.slug).any())
    members = [m for m in constants.MATERIAL_SLUGS if pos.at[m, "quadrant"] == quad.slug]
    at.button(key=f"pr_quad_{quad.slug}").click()
    no_exception(at.run())
    assert at.title[0].value == "Leverage cards"
    assert at.session_state["lc_mat"] == members
    assert at.session_state["lc_cat"] == list(quad.categories)
    expected = queries.leverage_cards(members, categories=quad.categories, engine=built_engine)
    assert at.metric[0].value == str(len(expected))


def test_open_cards_for_the_top_material(app: AppTest, built_engine: Engine) -> None:
    at = open_as(app, PRIO)
    top = _expected(built_engine, dict(constants.WEIGHT_PRESETS["balanced"]))[0]
    slug = next(s for s, label in constants.MATERIAL_LABELS.items() if label == top)
    at.button(key="pr_open_top").click()
    no_exception(at.run())
    assert at.title[0].value == "Leverage cards"
    assert at.session_state["lc_mat"] == [slug]
    assert at.metric[0].value == str(len(queries.leverages(materials=[slug], include_cross=False,
                                                           engine=built_engine)))


def test_scenarios_save_load_and_compare(own_app: AppTest, own_url: str) -> None:
    at = open_as(own_app, PRIO, pr_tab="Scenarios")
    at.button(key="preset_supply_security").click()
    no_exception(at.run())
    at.text_input(key="pr_sc_name").input("Security view")
    at.button(key="pr_sc_save").click()
    no_exception(at.run())
    engine = make_engine(own_url)
    try:
        saved = scenarios.load_scenario("Security view", engine=engine)
        assert saved["weights"] == dict(constants.WEIGHT_PRESETS["supply_security"])
        assert writes.audit_rows("scenario", engine=engine)["action"].tolist() == ["create"]
    finally:
        engine.dispose()
    # Saving the same name again is refused with a message, not an exception.
    at.text_input(key="pr_sc_name").input("Security view")
    at.button(key="pr_sc_save").click()
    no_exception(at.run())
    assert "already exists" in " ".join(e.value for e in at.error)

    # Back to balanced, then load the scenario: the weights come back.
    at.button(key="preset_balanced").click()
    no_exception(at.run())
    at.selectbox(key="pr_cmp_b").set_value("Security view")
    no_exception(at.run())
    compare = _frame(at, "rank_a", "rank_b", "moved")
    moved = compare[compare["rank_a"] != compare["rank_b"]]
    assert not moved.empty, "balanced and supply security should rank some material differently"
    assert all(m.startswith(("▲", "▼")) for m in moved["moved"])
    at.selectbox(key="pr_sc_pick").set_value("Security view")
    at.button(key="pr_sc_load").click()
    no_exception(at.run())
    assert {c: at.session_state[f"wt_{c}"] for c in constants.CRITERION_SLUGS} == dict(constants.WEIGHT_PRESETS["supply_security"])


# --- leverage cards -----------------------------------------------------------------------

def test_card_filters_narrow_the_cards(app: AppTest, built_engine: Engine) -> None:
    at = open_as(app, CARDS)
    total = len(queries.leverages(engine=built_engine))
    assert at.metric[0].value == str(total)
    at.pills(key="lc_mat").set_value(["zinc"])
    no_exception(at.run())
    zinc = queries.leverages(materials=["zinc"], include_cross=False, engine=built_engine)
    assert at.metric[0].value == str(len(zinc))
    assert 0 < len(zinc) < total
    at.pills(key="lc_cat").set_value(["peers"])
    no_exception(at.run())
    peers = queries.leverages(materials=["zinc"], include_cross=False, categories=["peers"], engine=built_engine)
    assert at.metric[0].value == str(len(peers))
    assert 0 < len(peers) < len(zinc)
    # Cross-material only.
    at.pills(key="lc_cat").set_value([])
    at.pills(key="lc_mat").set_value([constants.CROSS_MATERIAL])
    no_exception(at.run())
    cross = queries.leverages(engine=built_engine)
    assert at.metric[0].value == str(int(cross["material"].isna().sum()))
    # Free text with no match: an empty state, not an error.
    at.text_input(key="lc_text").input("zzz-no-such-action")
    no_exception(at.run())
    assert at.metric[0].value == "0"
    assert "No card matches" in _texts(at)


def test_card_filters_survive_a_page_switch(app: AppTest, built_engine: Engine) -> None:
    """The cards page's own filters are not drawn on other pages; they come back with the page."""
    at = open_as(app, CARDS)
    at.pills(key="lc_mat").set_value(["zinc"])
    at.pills(key="lc_cat").set_value(["peers"])
    no_exception(at.run())
    expected = queries.leverages(materials=["zinc"], include_cross=False, categories=["peers"],
                                 engine=built_engine)
    assert at.metric[0].value == str(len(expected))
    at.switch_page(PRIO)
    no_exception(at.run())
    assert at.title[0].value == "Prioritisation"
    at.switch_page(CARDS)
    no_exception(at.run())
    assert at.pills(key="lc_mat").value == ["zinc"]
    assert at.pills(key="lc_cat").value == ["peers"]
    assert at.metric[0].value == str(len(expected))


def test_shared_card_link_opens_the_same_view(app: AppTest, built_engine: Engine) -> None:
    """A link with card filters (as the address bar writes them) opens those filters and cards."""
    values = {"lc_mat": ["zinc", constants.CROSS_MATERIAL], "lc_cat": ["peers"], "lc_text": "audit"}
    params = state.url_params(values)
    assert params == {"lc_mat": f"zinc,{constants.CROSS_MATERIAL}", "lc_cat": "peers", "lc_text": "audit"}
    for key, raw in params.items():
        app.query_params[key] = raw
    at = open_as(app, CARDS)
    assert at.pills(key="lc_mat").value == values["lc_mat"]
    assert at.pills(key="lc_cat").value == values["lc_cat"]
    assert at.text_input(key="lc_text").value == values["lc_text"]
    expected = queries.leverage_cards(values["lc_mat"], categories=values["lc_cat"], text="audit",
                                      engine=built_engine)
    assert at.metric[0].value == str(len(expected))


def test_clearing_the_card_filters_resets_each_one(app: AppTest) -> None:
    at = open_as(app, CARDS, lc_mat=["zinc"], lc_actor=[constants.ACTOR_SLUGS[0]], lc_text="audit")
    assert set(state.CARD_FILTERS) == {k for k in state.PARAMS if k.startswith("lc_")}
    at.button(key="lc_clear").click()
    no_exception(at.run())
    assert {k: at.session_state[k] for k in state.CARD_FILTERS} == {
        k: state.PARAMS[k].default for k in state.CARD_FILTERS}
    assert at.session_state[state.CARD_PAGE] == 1
    assert at.metric[0].value == str(len(queries.leverages()))


def test_card_filters_by_target_stage_risk_and_organisation(app: AppTest, built_engine: Engine) -> None:
    orgs = queries.organisations(engine=built_engine)
    org = orgs.sort_values("n_leverages", ascending=False)["slug"].iloc[0]
    at = open_as(app, CARDS, lc_target=["governments"], lc_stage=["mining"], lc_risk=["labour_rights"])
    expected = queries.leverages(targets=["governments"], stages=["mining"], risks=["labour_rights"],
                                 engine=built_engine)
    assert at.metric[0].value == str(len(expected))
    at.session_state["lc_target"] = []
    at.session_state["lc_stage"] = []
    at.session_state["lc_risk"] = []
    at.session_state["lc_org"] = [org]
    no_exception(at.run())
    assert at.metric[0].value == str(len(queries.leverages(organisations=[org], engine=built_engine)))


def test_the_finer_card_filters_wait_behind_one_click_and_still_filter(app: AppTest, built_engine: Engine) -> None:
    """Actor, target, stage, risk and organisation sit in a closed box (five boxes stood between
    the pills and the cards on a phone); a value set there keeps filtering once it is closed."""
    at = open_as(app, CARDS)
    assert not [m for m in at.multiselect if m.label == "Actor"], "closed: its filters are not built"
    assert at.expander[0].label.startswith("More filters")
    open_expander(at, "lc_more")
    assert [m.label for m in at.multiselect] == ["Actor", "Target", "Stage", "Risk addressed",
                                                 "Organisation to engage"]
    next(m for m in at.multiselect if m.label == "Stage").set_value(["mining"])
    no_exception(at.run())
    at.session_state["lc_more"] = False  # the user closes the box
    no_exception(at.run())
    assert not [m for m in at.multiselect if m.label == "Stage"]
    assert at.session_state["lc_stage"] == ["mining"]
    assert at.metric[0].value == str(len(queries.leverages(stages=["mining"], engine=built_engine)))


def test_a_link_with_a_finer_card_filter_opens_its_box(app: AppTest) -> None:
    at = open_as(app, CARDS, lc_stage=["mining"])
    assert [m.value for m in at.multiselect if m.label == "Stage"] == [["mining"]]


def _zinc_card_and_plan_size(url: str) -> tuple[str, int]:
    """The first zinc card's id and how many plan items the store at ``url`` holds."""
    engine = make_engine(url)
    try:
        card = queries.leverages(materials=["zinc"], include_cross=False, engine=engine)["id"].iloc[0]
        return str(card), len(action_plan.list_plan_items(engine=engine))
    finally:
        engine.dispose()


def test_plan_item_persists_across_rerun_and_new_session(own_app: AppTest, own_url: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    card, before = _zinc_card_and_plan_size(own_url)
    note = "apptest-plan-item-zinc"
    at = open_as(own_app, CARDS, lc_mat=["zinc"])
    at.button(key=f"plan_open_{card}").click().run()  # the shared dialog opens on this card
    at.text_input(key=f"plan_owner_{card}").input("Procurement team")
    at.text_area(key=f"plan_note_{card}").input(note)
    at.selectbox(key=f"plan_status_{card}").set_value("in_progress")
    at.button(key=f"plan_add_{card}").click()
    no_exception(at.run())
    assert f"Added {card}" in " ".join(s.value for s in at.success).replace("\\", "")

    # The card now says it is in the plan, with the item's number, and offers no second add.
    item = int(action_plan.list_plan_items(engine=make_engine(own_url)).query("note == @note")["id"].iloc[0])
    assert any(f"In the action plan (item #{item})" in c.value for c in at.caption)
    assert f"plan_open_{card}" not in [b.key for b in at.button]

    def plan_rows(app: AppTest) -> pd.DataFrame:
        # The plan tab is built only when open (its table and form cost the cards nothing).
        if not any(isinstance(df.value, pd.DataFrame) and "Note" in df.value.columns for df in app.dataframe):
            open_tab(app, "lc_tab", "Action plan")
        table = _frame(app, "Card", "Owner", "Status", "Note")
        return table[table["Note"] == note]

    rows = plan_rows(at)
    assert len(rows) == 1
    assert rows.iloc[0]["Card"] == card and rows.iloc[0]["Status"] == "In progress"
    assert rows.iloc[0]["Owner"] == "Procurement team"

    no_exception(at.run())  # a plain rerun
    assert len(plan_rows(at)) == 1

    fresh = app_for(own_url, monkeypatch)  # a brand new session on the same database file
    fresh = open_as(fresh, CARDS)
    assert len(plan_rows(fresh)) == 1
    engine = make_engine(own_url)
    try:
        assert len(action_plan.list_plan_items(engine=engine)) == before + 1
        audit = writes.audit_rows("action_plan_item", engine=engine)
        assert audit["action"].iloc[-1] == "create"
    finally:
        engine.dispose()

    # Edit it in the new session: the change is stored.
    item_id = int(action_plan.list_plan_items(engine=make_engine(own_url)).query("note == @note")["id"].iloc[0])
    fresh.selectbox(key="lc_plan_pick").set_value(item_id)
    no_exception(fresh.run())
    fresh.selectbox(key=f"edit_status_{item_id}").set_value("done")
    fresh.button(key=f"edit_save_{item_id}").click()
    no_exception(fresh.run())
    assert plan_rows(fresh).iloc[0]["Status"] == "Done"
    downloads = {d.key for d in fresh.get("download_button")}
    assert {"dl_plan_csv", "dl_plan_xlsx"} <= downloads


def test_unknown_organisation_in_the_link_is_ignored(app: AppTest) -> None:
    app.query_params["lc_org"] = "no-such-org"
    at = open_as(app, CARDS)
    assert "no-such-org" in " ".join(w.value for w in at.warning).replace("\\", "")
    assert at.session_state["lc_org"] == []
    assert at.metric[0].value == str(len(queries.leverages()))


def test_organisation_on_a_card_opens_the_stakeholders_page(app: AppTest, built_engine: Engine) -> None:
    cards = queries.leverages(materials=["nickel"], include_cross=False, engine=built_engine)
    card = cards[cards["organisations"].map(len) > 0].iloc[0]
    slug = card["organisations"][0]
    orgs = queries.organisations(engine=built_engine).set_index("slug")
    at = open_as(app, CARDS, lc_mat=["nickel"], lc_org=[slug])
    at.button(key=f"org_{card['id']}_{slug}").click()
    no_exception(at.run())
    assert at.title[0].value == "Stakeholders & initiatives"
    assert at.session_state["org"] == slug
    assert f"Leverage cards naming {orgs.at[slug, 'name']}" in [h.value for h in at.subheader]
    assert orgs.at[slug, "name"] in set(at.dataframe[0].value["name"])


def test_joint_products_can_be_ranked_together(app: AppTest, built_engine: Engine) -> None:
    at = open_as(app, PRIO)
    groups = prioritisation.joint_groups(queries.all_material_links(engine=built_engine), list(constants.MATERIAL_SLUGS))
    joined = groups[groups["group"] != ""]
    assert not joined.empty, "the store links some materials as co-/by-products"
    # The ranking table names each material's joint group.
    table = _frame(at, "name", "joint").set_index("name")
    for mat, group in joined["group"].items():
        assert table.at[constants.MATERIAL_LABELS[mat], "joint"] == group
    at.toggle(key="pr_joint").set_value(True)
    no_exception(at.run())
    grouped = _frame(at, "members_text", "score_max")
    members = groups.at[joined.index[0], "group_members"]
    row = grouped[grouped["members_text"] == ", ".join(constants.MATERIAL_LABELS[m] for m in members)]
    assert len(row) == 1
    assert len(grouped) == len(constants.MATERIAL_SLUGS) - sum(len(g) - 1 for g in
                                                        {tuple(v) for v in joined["group_members"]})


def test_packs_carry_the_stored_plan_and_the_ranking(own_app: AppTest, own_url: str) -> None:
    """A pack from the prioritisation page holds its ranking and the plan saved in the store."""
    import io

    from pptx import Presentation

    from rmo_data.store import action_plan
    from rmo_data.store.engine import make_engine

    engine = make_engine(own_url)
    lev = queries.leverages(engine=engine).iloc[0]
    action_plan.add_plan_item(lev["id"], owner="Pack owner", note="Pack-test note", engine=engine)
    engine.dispose()

    at = open_expander(open_as(own_app, "pages/prioritisation.py"), "prioritisation_box")
    assert not [b for b in at.download_button if b.label == "Download PowerPoint"], "built before asked"
    at.button(key="prioritisation_prepare").click().run()
    assert not at.exception, [e.value for e in at.exception]
    held = at.session_state["_briefing_pack_prioritisation"]
    deck = Presentation(io.BytesIO(held["files"]["pptx"]))
    parts = []
    for slide in deck.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if shape.has_table:
                parts += [cell.text for row in shape.table.rows for cell in row.cells]
        parts.append(slide.notes_slide.notes_text_frame.text)  # a plan item's note is in the speaker notes
    text = "\n".join(parts)
    assert "Pack owner" in text and "Pack-test note" in text
    assert "No prioritisation was run" not in text
    assert {"prioritisation_pptx", "prioritisation_pdf"} <= {b.key for b in at.download_button}


# --- a store that cannot take a write -----------------------------------------------------------------

# What a write meets on a full disk: SQLite's own refusal, and the operating system's.
WRITE_FAULTS: dict[str, Callable[[], BaseException]] = {
    "sqlite-full": lambda: OperationalError("INSERT INTO scenario (name) VALUES (?)", {},
                                            sqlite3.OperationalError("database or disk is full")),
    "os-no-space": lambda: OSError(errno.ENOSPC, "No space left on device", "/srv/rmo/data/rmo.sqlite"),
}


def failing(fault: str) -> Callable[..., object]:
    """A stand-in for a write function that always meets ``fault``."""
    def write(*args: object, **kwargs: object) -> object:
        raise WRITE_FAULTS[fault]()
    return write


def assert_one_plain_fault(at: AppTest, what: str) -> None:
    """No exception on the page; one error that names ``what`` and the disk, no class name or path."""
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert len(errors) == 1, errors
    assert errors[0].startswith(what) and "disk is full" in errors[0] and "Nothing was changed" in errors[0]
    for leak in ("OperationalError", "/", "sqlite", "INSERT", "Errno", "Traceback"):
        assert leak not in errors[0], (leak, errors[0])


@pytest.mark.parametrize("fault", list(WRITE_FAULTS))
def test_saving_a_scenario_on_a_full_disk_says_so_and_keeps_the_form(
        own_app: AppTest, own_url: str, monkeypatch: pytest.MonkeyPatch, fault: str) -> None:
    at = open_as(own_app, PRIO, pr_tab="Scenarios")
    monkeypatch.setattr(scenarios, "save_scenario", failing(fault))
    at.text_input(key="pr_sc_name").input("Full disk view")
    at.text_input(key="pr_sc_note").input("typed before the disk filled up")
    at.button(key="pr_sc_save").click()
    at.run()
    assert_one_plain_fault(at, "The scenario could not be saved")
    assert not at.success
    assert at.text_input(key="pr_sc_name").value == "Full disk view"
    assert at.text_input(key="pr_sc_note").value == "typed before the disk filled up"
    engine = make_engine(own_url)
    try:
        assert "Full disk view" not in set(scenarios.list_scenarios(engine=engine)["name"])
    finally:
        engine.dispose()


@pytest.mark.parametrize("fault", list(WRITE_FAULTS))
def test_adding_to_the_plan_on_a_full_disk_says_so_and_keeps_the_form(
        own_app: AppTest, own_url: str, monkeypatch: pytest.MonkeyPatch, fault: str) -> None:
    card, before = _zinc_card_and_plan_size(own_url)
    at = open_as(own_app, CARDS, lc_mat=["zinc"])
    real = action_plan.add_plan_item
    monkeypatch.setattr(action_plan, "add_plan_item", failing(fault))
    at.button(key=f"plan_open_{card}").click().run()  # the shared dialog opens on this card
    at.text_input(key=f"plan_owner_{card}").input("Procurement team")
    at.text_area(key=f"plan_note_{card}").input("kept through the fault")
    at.selectbox(key=f"plan_status_{card}").set_value("in_progress")
    at.button(key=f"plan_add_{card}").click()
    at.run()
    assert_one_plain_fault(at, "The plan item could not be saved")
    assert at.text_input(key=f"plan_owner_{card}").value == "Procurement team"
    assert at.text_area(key=f"plan_note_{card}").value == "kept through the fault"
    assert at.selectbox(key=f"plan_status_{card}").value == "in_progress"

    # Once the store takes writes again, the same form adds the item; the dialog closes, emptied,
    # and the card says it is in the plan instead of offering to add it again.
    monkeypatch.setattr(action_plan, "add_plan_item", real)
    at.button(key=f"plan_add_{card}").click()
    no_exception(at.run())
    assert not at.error and f"Added {card}" in " ".join(s.value for s in at.success).replace("\\", "")
    assert f"plan_owner_{card}" not in [w.key for w in at.text_input]
    assert f"plan_note_{card}" not in at.session_state and f"plan_owner_{card}" not in at.session_state
    assert f"plan_open_{card}" not in [b.key for b in at.button]
    assert any("In the action plan" in c.value for c in at.caption)
    engine = make_engine(own_url)
    try:
        plan = action_plan.list_plan_items(engine=engine)
        assert len(plan) == before + 1 and plan["note"].iloc[-1] == "kept through the fault"
    finally:
        engine.dispose()
