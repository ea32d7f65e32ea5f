"""The sidebar's EU-list filter and the lists' badges and check on the pages (AppTest on the built store)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from rmo_data import constants
from rmo_data.analysis import evidence_rollups
from rmo_data.store import queries, report_facts
from tests.apptest import no_exception, open_as, open_tab


def _on(engine: Engine, *lists: str) -> set[str]:
    table = report_facts.regulatory_lists(engine=engine)
    return set(table.loc[table["list"].isin(lists), "material"])


def _cases(rows: pd.DataFrame) -> int:
    """Cases as the pages count them (a report passage once)."""
    return int(evidence_rollups.passage_keys(rows).nunique())


def test_a_list_narrows_the_overview_and_its_download(app: AppTest, built_engine: Engine) -> None:
    at = open_as(app, "pages/overview.py", lists=["eu_battery_dd"])
    names = queries.materials(engine=built_engine).set_index("slug")["name"]
    table = at.dataframe[0].value
    assert set(table["name"]) == {names[m] for m in _on(built_engine, "eu_battery_dd")} == {
        names["graphite"], names["nickel"]}
    # Every row names its lists; graphite is on all three.
    graphite = table.set_index("name").at[names["graphite"], "eu_lists"]
    assert graphite.split(", ") == list(constants.REGULATORY_LIST_SHORT.values())


def test_lists_and_materials_in_view_combine(app: AppTest, built_engine: Engine) -> None:
    # Nickel and zinc in view, CRMA strategic chosen: nickel only (zinc is not strategic).
    at = open_as(app, "pages/evidence.py", materials=["nickel", "zinc"], lists=["eu_crma_strategic"])
    nickel = queries.evidence(materials=["nickel"], engine=built_engine)
    assert at.metric[0].value == str(_cases(nickel))
    # A list that none of the chosen materials is on is not applied: both stay in view.
    at.session_state["materials"] = ["zinc", "molybdenum"]
    no_exception(at.run())
    both = queries.evidence(materials=["zinc", "molybdenum"], engine=built_engine)
    assert at.metric[0].value == str(_cases(both))


def test_profile_badges_and_the_65_percent_lines(app: AppTest, built_engine: Engine) -> None:
    at = open_as(app, "pages/material.py", material="nickel")
    text = "\n".join(m.value for m in at.markdown)
    for slug in _lists_of(built_engine, "nickel"):
        assert constants.REGULATORY_LIST_SHORT[slug] in text
    open_tab(at, "mp_tab", "Producers")
    text = "\n".join(m.value for m in at.markdown)
    assert "65 % benchmark" in text
    # Indonesia's share of nickel mining in the latest year decides the line, as the analysis reads it.
    from rmo_data.analysis import regulatory
    from rmo_data.store import concentration

    check = regulatory.benchmark_65(concentration.latest_country_shares(material="nickel", engine=built_engine),
                                    ["nickel"]).set_index("stage")
    mining = check.loc["mining"]
    assert f"{mining['top_country']} {mining['top_share']:.0f} % in {mining['year']}" in text
    assert constants.BENCHMARK_STATUS_LABELS[mining["status"]] in text
    # Zinc is not strategic: no benchmark lines, and a line saying it is on no list.
    at.session_state["material"] = "zinc"
    no_exception(at.run())
    text = "\n".join(m.value for m in at.markdown)
    assert "Companies named by the report" in text, "the Producers tab is still the one open"
    assert "65 % benchmark" not in text
    assert "On none of the EU lists" in "\n".join(c.value for c in at.caption)


def _lists_of(engine: Engine, material: str) -> list[str]:
    table = report_facts.regulatory_lists(engine=engine)
    found = table.loc[table["material"] == material, "list"].tolist()
    assert found, f"fixture needs {material} on a list"
    return found


def test_sources_page_tables_every_strategic_material(app: AppTest, built_engine: Engine) -> None:
    at = open_as(app, "pages/sources.py")
    strategic = _on(built_engine, "eu_crma_strategic")
    names = queries.materials(engine=built_engine).set_index("slug")["name"]
    tables = [d.value for d in at.dataframe if "Against the 65 % benchmark" in d.value.columns
              or "status_name" in d.value.columns]
    assert tables, "the 65 % table is drawn"
    assert set(tables[0]["name"]) == {names[m] for m in strategic}
    assert len(tables[0]) == 2 * len(strategic)  # mining and processing


def test_a_link_naming_an_unknown_list_keeps_the_known_one_and_says_so(app: AppTest) -> None:
    app.query_params["lists"] = "eu_battery_dd,bogus<script>"
    no_exception(app.run())
    assert app.session_state["lists"] == ["eu_battery_dd"]
    assert [w.value for w in app.warning] == ["Ignored unknown EU lists in the link: bogus&lt;script&gt;"]
    assert len(app.dataframe[0].value) == 2  # graphite and nickel, the known list applied
