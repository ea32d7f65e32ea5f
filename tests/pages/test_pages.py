"""AppTest runs of every page against a store built from the repository's files.

Expected values are read from the store through ``rmo_data.store.queries`` in the
test, never typed in, so the tests follow the data and still fail when a page
shows something else.  Every test signs in as a partner through the sign-in
form first (``tests/signin.py``), so partner pages show their full content;
the public view is tested in ``tests/access/test_roles.py``.
"""

from __future__ import annotations

import html

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from components.safe import escape_html
from rmo_data import constants
from rmo_data.store import queries
from rmo_data.analysis.findings import headline_findings
from tests.apptest import each_tab, no_exception, open_as, open_expander, open_tab
from tests.signin import sign_in

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))


def _set(at: AppTest, key: str, value: object) -> AppTest:
    """Set a shared filter value (as a chart click or the sidebar widget does) and rerun.

    AppTest 1.67 drops sidebar elements from its tree after ``switch_page``
    (streamlit issue #9814, fixed upstream by PR #16711), so switched pages are
    driven through the filter's session-state value.  The default page drives
    the real widget, and the browser tests click the real sidebar.
    """
    at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [t.value for t in at.title] + [h.value for h in at.subheader] + [h.value for h in at.header]
    parts += [i.value for i in at.info] + [w.value for w in at.warning]
    parts += [h.proto.body for h in at.get("html")]  # st.html: the Overview's finding cards
    return "\n".join(str(p) for p in parts)


def test_pages_folder_is_complete() -> None:
    assert {"pages/overview.py", "pages/material.py", "pages/evidence.py", "pages/stakeholders.py",
            "pages/sources.py"} <= set(PAGES)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_loads_without_exception(app: AppTest, page: str) -> None:
    at = open_as(app, page)
    assert at.title, f"{page} shows no title"
    assert not at.error, [e.value for e in at.error]


def test_overview_shows_computed_findings(app: AppTest, built_engine) -> None:  # noqa: ANN001
    at = open_as(app, "pages/overview.py")

    expected = headline_findings(queries.overview(engine=built_engine))
    text = _texts(at)
    assert expected, "the store yields no finding"
    for finding in expected:
        assert html.escape(finding.text) in text  # findings name data (materials, countries): shown escaped
    # Narrowing the materials in view changes the findings.
    _set(at, "materials", ["zinc", "nickel"])
    narrowed = headline_findings(queries.overview(engine=built_engine).query("material in ['zinc', 'nickel']"))
    text = _texts(at)
    assert narrowed, "the store yields no finding for zinc and nickel"
    for finding in narrowed:
        assert html.escape(finding.text) in text
    assert all(f.material in {"zinc", "nickel", None} for f in narrowed)


def test_overview_empty_selection_is_all_materials(app: AppTest) -> None:
    at = open_as(app, "pages/overview.py")
    table = at.dataframe[0].value
    assert len(table) == len(constants.MATERIAL_SLUGS)


@pytest.mark.parametrize("slug", ["nickel", "graphite", "zinc"])
def test_material_profile_shows_the_chosen_material(app: AppTest, built_engine, slug: str) -> None:  # noqa: ANN001
    at = open_as(app, "pages/material.py", material=slug)
    mat = queries.material(slug, engine=built_engine)
    assert at.title[0].value == mat["name"]
    shares = queries.end_use_shares(slug, engine=built_engine)  # the first tab, open by default
    if shares.empty:
        assert "No end-use figure is recorded" in _texts(at)
    else:
        assert at.get("vega_lite_chart"), "the end-use chart is drawn"
    companies = queries.companies(slug, engine=built_engine)
    # Every parametrised material has producers in the seed, so the check below always runs.
    assert not companies.empty, f"fixture needs producers for {slug}"
    open_tab(at, "mp_tab", "Producers")
    frames = [df.value for df in at.dataframe]
    assert any("name" in f.columns and set(companies["name"]) <= set(f["name"]) for f in frames)


def test_the_profile_picks_its_material_in_step_with_the_sidebar_and_the_link(app: AppTest,
                                                                             built_engine) -> None:  # noqa: ANN001
    at = open_as(app, "pages/material.py", material="nickel")
    assert at.selectbox(key="mp_pick").value == "nickel"
    at.selectbox(key="mp_pick").set_value("graphite")
    no_exception(at.run())
    assert at.title[0].value == queries.material("graphite", engine=built_engine)["name"]
    # The sidebar's focus material is the same value (AppTest drops the sidebar after switch_page: _set).
    assert at.session_state["material"] == "graphite", "the sidebar follows the page's picker"
    _set(at, "material", "zinc")  # the sidebar's box (or a link) moves the page's picker
    assert at.selectbox(key="mp_pick").value == "zinc"
    assert at.title[0].value == queries.material("zinc", engine=built_engine)["name"]


def test_material_profile_builds_only_the_open_tab(app: AppTest, built_engine) -> None:  # noqa: ANN001
    """A rerun builds what the user sees: the leverage cards exist only while their tab is open."""
    at = open_as(app, "pages/material.py", material="nickel")
    levers = queries.leverages(materials=["nickel"], include_cross=False, engine=built_engine)

    assert not levers.empty, "fixture needs leverage cards for nickel"
    assert not any(escape_html(t) in _texts(at) for t in levers["title"])
    open_tab(at, "mp_tab", "Leverage cards")
    assert all(f"**{escape_html(t)}**" in _texts(at) for t in levers["title"])
    assert "No end-use figure is recorded" not in _texts(at) and not at.get("vega_lite_chart")
    # The open tab stays open when the focus material changes.
    _set(at, "material", "zinc")
    zinc = queries.leverages(materials=["zinc"], include_cross=False, engine=built_engine)
    assert not zinc.empty and all(f"**{escape_html(t)}**" in _texts(at) for t in zinc["title"])


def test_value_chain_footer_names_the_sources_of_the_cases_it_counts(app: AppTest, built_engine) -> None:  # noqa: ANN001
    at = open_as(app, "pages/material.py", material="nickel", mp_tab="Value chain & risks")
    cited = queries.provenance_from(queries.evidence_where(materials=["nickel"], engine=built_engine))

    assert len(cited) > 1, "fixture needs nickel cases from more than one source"
    footer = next(c.value for c in at.caption if "unit: number of evidence cases" in c.value)
    for title in cited["source_title"]:
        assert escape_html(title) in footer


def test_material_without_processing_data_says_so(app: AppTest, built_engine) -> None:  # noqa: ANN001
    gaps = queries.coverage_gaps(engine=built_engine)
    missing = gaps[(gaps["years"] == "") & (gaps["stage"] == "processing")]
    assert not missing.empty, "fixture needs a material without processing data"
    slug = missing["material"].iloc[0]
    at = open_as(app, "pages/material.py", material=slug, mp_tab="Production & concentration")
    at.segmented_control(key="mp_stage").set_value("processing").run()
    assert not at.exception
    assert "No country production data recorded" in _texts(at)


def _cases(rows: pd.DataFrame) -> int:
    """Cases as the pages count them: the rows of one report passage are one case."""
    return int(rows["passage"].fillna(rows["id"]).nunique())


def test_evidence_filters_change_the_cases(app: AppTest, built_engine) -> None:  # noqa: ANN001
    at = open_as(app, "pages/evidence.py")
    every = queries.evidence(engine=built_engine)
    total = _cases(every)
    assert at.metric[0].value == str(total) and total < len(every)
    assert f"{len(every)} listed rows make {total} cases" in _texts(at)
    assert len(at.dataframe[0].value) == len(every), "the table lists every row"
    _set(at, "materials", ["zinc"])
    zinc = queries.evidence(materials=["zinc"], engine=built_engine)
    assert at.metric[0].value == str(_cases(zinc))
    assert 0 < _cases(zinc) < total
    at.number_input(key="ev_min_sev").set_value(4).run()
    severe = queries.evidence(materials=["zinc"], min_severity=4, engine=built_engine)
    assert at.metric[0].value == str(_cases(severe))
    table = at.dataframe[0].value
    assert len(table) == len(severe)
    assert not table.empty, "fixture needs zinc cases of severity 4 or more"
    assert table["link"].notna().all(), "every case links to its source"


def test_evidence_table_shows_each_case_confidence_by_name(app: AppTest, built_engine) -> None:  # noqa: ANN001
    at = open_as(app, "pages/evidence.py")
    table = at.dataframe[0].value
    rows = queries.evidence(engine=built_engine).set_index("id")
    assert set(table["confidence_name"]) == {constants.CONFIDENCE_LABELS[c] for c in rows["confidence"]}
    assert set(table["confidence_name"]) <= set(constants.CONFIDENCE_LABELS.values()), "labels, never slugs"
    assert (table["reason"].str.len() > 20).all(), "every case says why"
    # The inferred Xinjiang case is rated as what the report supports, not as forced labour.
    xinjiang = rows.loc["EV-NI-07"]
    assert xinjiang["confidence"] == "inferred" and xinjiang["severity"] <= 2


def test_evidence_search_with_no_match_shows_empty_state(app: AppTest) -> None:
    at = open_as(app, "pages/evidence.py")
    at.text_input(key="ev_text").input("zzz-no-such-case'; DROP TABLE risk_evidence; --").run()
    assert not at.exception
    assert at.metric[0].value == "0"
    assert "No case matches" in _texts(at)
    at.text_input(key="ev_text").input("").run()
    assert int(at.metric[0].value) > 0, "the injection attempt removed nothing"


def _flows(at: AppTest) -> dict:
    """The evidence flows' figure as the page sends it to the browser (one Plotly chart)."""
    charts = at.get("plotly_chart")
    assert len(charts) == 1, f"expected one Plotly chart, found {len(charts)}"
    return json.loads(charts[0].proto.spec)


def _bands(rows: pd.DataFrame) -> list[int]:
    """Cases per stage, risk, severity and material from the rows: a report passage once per band,
    at the highest severity of its cases."""
    keyed = rows.assign(key=rows["passage"].fillna(rows["id"]))
    keyed = keyed.assign(severity=keyed.groupby("key")["severity"].transform("max"))
    return keyed.groupby(["stage", "category", "severity", "material"])["key"].nunique().tolist()


def test_evidence_flows_tab_draws_the_cases_in_view(app: AppTest, built_engine) -> None:  # noqa: ANN001
    at = open_tab(open_as(app, "pages/evidence.py"), "ev_tab", "Flows")
    trace = _flows(at)["data"][0]
    assert trace["type"] == "parcats"
    assert [d["label"] for d in trace["dimensions"]] == ["Stage", "Risk", "Severity", "Material"]
    assert sum(trace["counts"]) == sum(_bands(queries.evidence(engine=built_engine)))
    assert any(c.value.startswith("Each band") for c in at.caption)  # how to read it
    assert any("unit: number of cases" in c.value for c in at.caption)  # its source line
    # Narrowed to zinc's severe cases, the bands hold exactly those.
    _set(at, "materials", ["zinc"])
    at.number_input(key="ev_min_sev").set_value(4).run()
    severe = queries.evidence(materials=["zinc"], min_severity=4, engine=built_engine)
    trace = _flows(at)["data"][0]
    assert sum(trace["counts"]) == sum(_bands(severe)) > 0
    assert set(trace["dimensions"][3]["values"]) == {constants.MATERIAL_SHORT["zinc"]}
    assert sorted(trace["counts"]) == sorted(_bands(severe))  # one band per combination
    # No case in view: the page says so and draws no chart.
    at.text_input(key="ev_text").input("zzz-no-such-case").run()
    assert at.metric[0].value == "0" and "No case matches" in _texts(at)
    assert not at.get("plotly_chart")


def test_stakeholders_search_and_material_filter(app: AppTest, built_engine) -> None:  # noqa: ANN001
    at = open_as(app, "pages/stakeholders.py")
    all_orgs = queries.organisations(engine=built_engine)
    assert len(at.dataframe[0].value) == len(all_orgs)
    _set(at, "materials", ["magnesium"])
    mg = queries.organisations(materials=["magnesium"], engine=built_engine)
    assert len(at.dataframe[0].value) == len(mg) < len(all_orgs)
    at.text_input(key="org_text").input("magnesium").run()
    hits = queries.organisations(materials=["magnesium"], text="magnesium", engine=built_engine)
    assert len(at.dataframe[0].value) == len(hits) > 0


def test_sources_page_lists_every_source_and_gap(app: AppTest, built_engine) -> None:  # noqa: ANN001
    at = open_as(app, "pages/sources.py")
    listed = at.dataframe[0].value
    assert set(listed["title"]) == set(queries.sources(engine=built_engine)["title"])
    assert "No country production data recorded" in _texts(at)


def test_sources_page_lists_the_regulations_with_the_rows_citing_them(app: AppTest, built_engine) -> None:  # noqa: ANN001
    at = open_as(app, "pages/sources.py")
    listed = at.dataframe[0].value.set_index("title")
    regulations = queries.sources(engine=built_engine)
    regulations = regulations[regulations["kind"] == "regulation"]
    assert len(regulations) == 2
    for title in regulations["title"]:
        assert listed.at[title, "kind"] == "Regulation" and listed.at[title, "rows"] > 0
    assert "One passage, one case" in _texts(at) and "Confidence of evidence" in _texts(at)


@pytest.mark.parametrize("slug", ["ree", "nickel"])
def test_material_profile_shows_the_report_figures_and_statements_beside_the_measured_share(
        app: AppTest, built_engine, slug: str) -> None:  # noqa: ANN001
    from rmo_data.analysis.facts import fact_value
    from rmo_data.analysis.statements import statement_pairs
    from rmo_data.store import concentration, report_facts

    at = open_as(app, "pages/material.py", material=slug, mp_tab="Producers")
    text = _texts(at)
    facts = report_facts.material_facts(material=slug, engine=built_engine)
    if slug == "nickel":
        assert len(facts) == 1 and escape_html("rank 8 among 63 metals") in text
        assert escape_html("2009 (stated in the source)") in text
    for _, fact in facts.iterrows():
        assert escape_html(fact_value(fact)) in text
    pairs = statement_pairs(queries.concentration_statements(slug, engine=built_engine),
                            concentration.latest_country_shares(slug, engine=built_engine))
    for _, pair in pairs.iterrows():
        side = " · ".join(t for t in (pair["report_text"], pair["measured_text"]) if isinstance(t, str))
        assert escape_html(side) in text
    if slug == "ree":
        assert escape_html("report (2021): ≥ 80 % · USGS") in text
        assert escape_html("report year; the passage gives none") in text


def test_material_evidence_counts_a_shared_passage_once(app: AppTest, built_engine) -> None:  # noqa: ANN001
    at = open_as(app, "pages/material.py", material="zinc", mp_tab="Evidence")
    rows = queries.evidence(materials=["zinc"], engine=built_engine)
    cases = _cases(rows)
    assert f"{cases} case(s), most severe first, in {len(rows)} cards" in _texts(at)
    assert any("**Confidence:**" in m.value for m in at.markdown)


def test_overview_shows_the_report_themes(app: AppTest, built_engine) -> None:  # noqa: ANN001
    from rmo_data.store import report_facts

    at = app
    at.run()
    assert "Summary recommendations" not in _texts(at), "the closed box is built only when opened"
    text = _texts(open_expander(at, "ov_themes"))
    for title in report_facts.report_themes(engine=built_engine)["title"]:
        assert f"**{escape_html(title)}.**" in text
    assert "Summary recommendations" in text and escape_html("33.3 % of vehicle carbon emissions") in text


def test_sidebar_filter_widget_drives_the_page(app: AppTest, built_engine) -> None:  # noqa: ANN001
    """On the default page the real sidebar widget is in AppTest's tree: use it."""
    at = app
    at.run()
    assert at.title[0].value == "Overview"
    at.multiselect(key="materials").set_value(["nickel", "ree"]).run()
    assert list(at.dataframe[0].value["name"]) == [constants.MATERIAL_LABELS["nickel"], constants.MATERIAL_LABELS["ree"]]


def test_filters_persist_across_pages(app: AppTest) -> None:
    at = app
    at.run()
    at.multiselect(key="materials").set_value(["nickel", "ree"]).run()
    sign_in(at, "partner")  # the evidence page is for partners; signing in keeps the filters
    at.switch_page("pages/evidence.py").run()
    assert at.session_state["materials"] == ["nickel", "ree"]
    assert not at.dataframe[0].value.empty, "the evidence table lists the cases of both materials"
    assert set(at.dataframe[0].value["material_name"]) <= {constants.MATERIAL_LABELS["nickel"],
                                                           constants.MATERIAL_LABELS["ree"]}
    at.switch_page("pages/overview.py").run()
    assert at.session_state["materials"] == ["nickel", "ree"]
    assert len(at.dataframe[0].value) == 2


def test_url_reproduces_the_view(app: AppTest) -> None:
    app.query_params["material"] = "tantalum"
    app.query_params["materials"] = "tantalum,zinc"
    app.query_params["stages"] = "mining"
    at = open_as(app, "pages/material.py")
    assert at.session_state["material"] == "tantalum"
    assert at.session_state["materials"] == ["tantalum", "zinc"]
    assert at.title[0].value == constants.MATERIAL_LABELS["tantalum"]
    _set(at, "material", "zinc")
    assert at.title[0].value == constants.MATERIAL_LABELS["zinc"]


def test_url_params_round_trip() -> None:
    """What the app writes to the address bar is what it reads back."""
    from components import state

    values = {"material": "zinc", "materials": ["zinc", "nickel"], "stages": [], "ev_min_sev": 3,
              "ev_text": "tailings"}
    params = state.url_params(values)
    assert params == {"material": "zinc", "materials": "zinc,nickel", "ev_min_sev": "3",
                      "ev_text": "tailings"}
    for key, raw in params.items():
        parsed, rejected = state._parse(state.PARAMS[key], [raw])
        assert parsed == values[key] and rejected == []
    assert state.url_params({"material": constants.MATERIAL_SLUGS[0]}) == {}  # defaults stay out of links


def test_bad_url_values_are_ignored_with_a_message(app: AppTest) -> None:
    app.query_params["material"] = "unobtanium"
    app.query_params["materials"] = "zinc,<script>"
    app.query_params["ev_min_sev"] = "eleven"
    at = app
    at.run()  # the default page: overview
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "unobtanium" in warnings and "eleven" in warnings
    assert at.multiselect(key="materials").value == ["zinc"]
    assert at.selectbox(key="material").value == constants.MATERIAL_SLUGS[0]


def test_country_pick_finds_evidence_across_spellings(app: AppTest, built_engine) -> None:  # noqa: ANN001
    """Clicking USGS's "Burma" bar lists the evidence recorded under "Myanmar" (same ISO code)."""
    production = queries.production("ree", "mining", engine=built_engine)
    usgs_name = production.loc[production["iso3"] == "MMR", "country_name"].iloc[0]
    expected = queries.evidence(materials=["ree"], iso3=["MMR"], engine=built_engine)
    assert usgs_name != expected["country_name"].iloc[0], "fixture needs two spellings"
    at = open_as(app, "pages/material.py", material="ree", mp_tab="Production & concentration")
    at.segmented_control(key="mp_stage").set_value("mining").run()
    _set(at, "mp_country", ("ree", usgs_name))  # what the bar click's callback stores
    text = _texts(at)
    assert f"{len(expected)} risk evidence case(s) recorded for {constants.MATERIAL_LABELS['ree']} in {usgs_name}" in text

    for summary in expected["summary"]:
        assert escape_html(summary) in text  # cards show data text escaped
    # The pick belongs to rare earths: another material shows no selection.
    _set(at, "material", "zinc")
    assert "risk evidence case(s) recorded" not in _texts(at)


@pytest.mark.parametrize("slug", list(constants.MATERIAL_SLUGS))
def test_material_profile_renders_every_material_and_stage(app: AppTest, slug: str) -> None:
    at = open_as(app, "pages/material.py", material=slug)
    assert at.title[0].value == constants.MATERIAL_LABELS[slug]
    opened = []
    for label in each_tab(at, "mp_tab"):
        assert not at.error, (slug, label, [e.value for e in at.error])
        assert at.title[0].value == constants.MATERIAL_LABELS[slug], label
        opened.append(label)
    assert len(opened) == 8  # Salience included
    open_tab(at, "mp_tab", "Production & concentration")
    for stage in ("mining", "processing"):
        at.segmented_control(key="mp_stage").set_value(stage).run()
        assert not at.exception, (slug, stage, [e.value for e in at.exception])
        assert not at.error, (slug, stage)


def test_every_page_runs_inside_the_router() -> None:
    """Each page calls router.guard first, so a deep link on a fresh server reaches app.py."""
    import ast

    for page in PAGES:
        tree = ast.parse((ROOT / page).read_text(encoding="utf-8"))
        calls = [n for n in tree.body if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)]
        first = calls[0].value if calls else None
        assert first is not None and ast.unparse(first.func) == "router.guard", page


def test_closed_tabs_and_boxes_are_built_only_when_opened(app: AppTest) -> None:
    """A first render pays only for what is open (the browser's time is mostly drawing elements)."""
    at = open_as(app, "pages/evidence.py")
    downloads = {d.key for d in at.get("download_button")}
    assert "dl_ev_heat" in downloads and not {"dl_ev_map", "dl_ev_sev", "dl_ev_flows"} & downloads
    open_tab(at, "ev_tab", "By country")
    downloads = {d.key for d in at.get("download_button")}
    assert "dl_ev_map" in downloads and "dl_ev_heat" not in downloads

    at.switch_page("pages/leverage_cards.py")
    no_exception(at.run())
    assert "lc_plan_pick" not in [s.key for s in at.selectbox] and any(b.key.startswith("plan_open_")
                                                                       for b in at.button)
    open_tab(at, "lc_tab", "Action plan")
    assert not [b for b in at.button if (b.key or "").startswith("plan_open_")]
    assert "dl_plan_csv" in {d.key for d in at.get("download_button")} or any(
        "The plan is empty" in i.value for i in at.info)

    at.switch_page("pages/sources.py")
    no_exception(at.run())
    before = len(at.dataframe)
    assert len(open_expander(at, "src_coverage").dataframe) == before + 1


def test_only_the_preset_the_weights_match_is_drawn_filled(app: AppTest) -> None:
    """A filled "Due diligence" beside "Now: Balanced" read as if both were chosen."""
    at = open_as(app, "pages/prioritisation.py")

    def filled() -> list[str]:
        return [b.key for b in at.button if b.key.startswith("preset_") and b.proto.type == "primary"]

    assert filled() == ["preset_balanced"]  # the page opens on the balanced weights
    at.button(key=f"preset_{constants.DUE_DILIGENCE}").click()
    no_exception(at.run())
    assert filled() == [f"preset_{constants.DUE_DILIGENCE}"]
    moved = next(s for s in at.slider if s.key and s.value not in (0, 10))
    moved.set_value(10 if moved.value < 10 else 0)
    no_exception(at.run())
    assert filled() == []  # custom weights: no preset drawn as chosen
    assert any(c.value == "Now: custom weights" for c in at.caption)


def test_leverage_cards_read_in_id_order_down_the_left_column_then_the_right(app: AppTest) -> None:
    """A phone stacks the two columns: dealt card by card in turn, they read AL-01, 03, 05, …, 02, 04."""
    import re

    at = open_as(app, "pages/leverage_cards.py")
    shown = [m.group(1) for md in at.markdown if "rmo-pill" in md.value
             for m in [re.search(r"rmo-muted'>([^ ]+) ·", md.value)] if m]
    assert len(shown) == 10, shown
    ids = [i.replace("\\", "") for i in shown]  # escape_html puts a backslash before the hyphen
    assert ids == sorted(ids), ids


def test_a_material_profiles_leverage_cards_read_in_id_order_too(app: AppTest) -> None:
    """The profile's Leverage cards tab dealt its cards left, right in turn, as the cards page did."""
    import re

    from components import cards

    at = open_as(app, "pages/material.py", material="aluminium", mp_tab="Leverage cards")
    shown = [m.group(1).replace("\\", "") for md in at.markdown if "rmo-pill" in md.value
             for m in [re.search(r"rmo-muted'>([^ ]+) ·", md.value)] if m]
    assert len(shown) >= 4 and shown == sorted(shown), shown
    assert [cards.column_of(i, 5) for i in range(5)] == [0, 0, 0, 1, 1]


def test_every_column_of_the_sources_table_has_its_label(app: AppTest) -> None:
    """A comment typed into the middle of the table's settings once switched the "Feeds" column's
    label off, so the raw name "feeds" stood in its header."""
    import json

    at = open_as(app, "pages/sources.py")
    columns = json.loads(at.dataframe[0].proto.columns)
    unlabelled = [name for name, spec in columns.items() if name != "_index" and not spec.get("label")]
    assert not unlabelled, unlabelled
    assert columns["feeds"]["label"] == "Feeds" and columns["feeds"]["width"] == "medium"
