"""Risk evidence explorer: every recorded case, filtered, mapped and linked to its source.

Counts, charts and source lines come from SQL aggregates of the filtered cases; the
table reads one page of cases at a time, so a store of any size answers at once.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import cards, render, router, state, tables
from rmo_data.charts import material_charts, plotly_charts, summaries
from components import cached
from components.provenance import figure_footer
from components.safe import escape_html, safe_url
from rmo_data import constants, formatting, vocabulary
from rmo_data.analysis import evidence_rollups
from rmo_data.store import queries

router.guard(__file__)

PAGE_SIZE = 100  # cases per table page: every case of the report's store fits on one


def _from_heatmap() -> None:
    """Clicking a heat-map cell narrows stages and risk categories to that cell."""
    cells = st.session_state.get("ev_heat", {}).get("selection", {}).get("cell", [])
    if cells:
        st.session_state["stages"] = [cells[0]["stage"]]
        st.session_state["risks"] = [cells[0]["category"]]


def _from_map() -> None:
    """Clicking a country on the map narrows the evidence to that country."""
    picked = st.session_state.get("ev_map", {}).get("selection", {}).get("country", [])
    if picked:
        st.session_state["ev_country"] = [picked[0]["country_name"]]


def _clear() -> None:
    state.reset(("stages", "risks", "ev_country", "ev_company", "ev_text", "ev_min_sev"))


cards.inject_css()
st.title("Risk evidence")
st.markdown("Concrete cases the report names — a mine, plant, company or country where harm was "
            "reported — by material, stage and risk category. Materials, stages and risk "
            "categories follow the sidebar; the filters below narrow further.")

options = cached.read(queries.evidence_options)
f1, f2, f3, f4 = st.columns([2, 2, 1, 2])
f1.multiselect("Country", options["countries"], **state.widget("ev_country"), placeholder="All countries")
f2.multiselect("Company", options["companies"], **state.widget("ev_company"), placeholder="All companies")
f3.number_input("Min. severity", 1, 5, **state.widget("ev_min_sev"), help="1 minor … 5 very severe")
f4.text_input("Search text", **state.widget("ev_text"), placeholder="e.g. tailings, child labour",
              max_chars=100)

# No material chosen means every material: no condition at all, rather than a list of all of them.
filters = dict(materials=state.material_filter(), stages=state.get("stages"),
               categories=state.get("risks"), countries=state.get("ev_country"),
               companies=state.get("ev_company"), min_severity=int(state.get("ev_min_sev")),
               text=state.get("ev_text"))
# Counts and charts come from SQL aggregates; only one page of cases is read as rows,
# so the page stays quick however many cases the store holds.
cube = cached.evidence_cube(**filters)
where = cached.read(queries.evidence_where, **filters)  # countries and sources in one pass
places = queries.places_from(where)
summary = queries.evidence_summary_from(cube, places)

active = sum(bool(v) for k, v in filters.items() if k not in {"materials", "min_severity"})
active += int(filters["min_severity"] > 1)
# One wrapping row, not four columns: a phone stacked the columns into four screen-high rows.
figures = st.container(horizontal=True, gap="medium")
figures.metric("Cases shown", summary["cases"])
figures.metric("Materials", summary["materials"])
figures.metric("Countries", summary["countries"])
figures.metric("Severe (4–5)", summary["severe"])
if summary["rows"] > summary["cases"]:
    st.caption(f"Cases split from one passage of the report (one sentence naming several countries, "
               f"sites or risks) count once: {summary['rows']} listed rows make {summary['cases']} cases.")
if active:
    st.button(f"Clear {active} evidence filter(s)", on_click=_clear, icon=":material/filter_alt_off:")

if not summary["cases"]:
    st.info("No case matches these filters. Widen the search, lower the minimum severity, or clear "
            "the filters.", icon=":material/search_off:")
    st.stop()

pages = max(1, -(-summary["rows"] // PAGE_SIZE))  # the table lists every row
if int(st.session_state.get("ev_page", 1)) > pages:
    st.session_state["ev_page"] = 1  # the filters shrank the list: back to its first page
page_no = int(st.session_state.get("ev_page", 1))
rows = cached.read(queries.evidence, **filters, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)
provenance = queries.provenance_from(where)
# Source titles in the order of the cases shown (all of them on one page for the report's
# store), then any others.
source_titles = list(dict.fromkeys([*rows["source_title"], *provenance["source_title"]]))
years = provenance[["year", "n"]]  # counts of cases per year, read by the source lines
labels = cached.material_labels()

# Only the open tab is built (a click on a tab reruns the page): its chart, source line and
# downloads; a closed tab's would cost every first render and rerun for what nobody sees.
tab_heat, tab_map, tab_material, tab_flows = st.tabs(
    ["By risk category and stage", "By country", "By material", "Flows"], key="ev_tab", on_change="rerun")
if tab_heat.open or not any(t.open for t in (tab_map, tab_material, tab_flows)):
    with tab_heat:
        counts = evidence_rollups.heat_counts(cube)
        render.chart(material_charts.evidence_heatmap, counts, key="ev_heat", on_select=_from_heatmap,
                     selection_mode="cell")
        figure_footer(counts, "Evidence by risk category and stage", source_titles, years,
                      unit="number of cases", note="Click a cell to filter by that stage and category.",
                      key="dl_ev_heat")
elif tab_map.open:
    with tab_map:
        by_country = evidence_rollups.mapped_places(places, cached.read(queries.countries))
        render.chart(material_charts.evidence_map, by_country, named_geometry=True,
                     datasets=material_charts.world_datasets(), key="ev_map", on_select=_from_map,
                     selection_mode="country")
        unplaced = summary["unplaced"]
        figure_footer(by_country, "Evidence by country", source_titles, years,
                      unit="number of cases",
                      note=(f"{unplaced} case(s) name no country and are not on the map. " if unplaced else "")
                      + "Click a country to filter. Map: world-atlas (Natural Earth), drawn offline.",
                      key="dl_ev_map")
elif tab_material.open:
    with tab_material:
        by_severity = evidence_rollups.severity_counts(cube)
        render.chart(material_charts.severity_bars, by_severity, labels=labels)
        figure_footer(by_severity.rename(columns={"n": "size"}), "Evidence by material and severity",
                      source_titles, years, unit="number of cases", key="dl_ev_sev")
else:
    with tab_flows:
        flows = evidence_rollups.flow_counts(cube)
        st.markdown("**How the cases run from stage to risk, severity and material**")
        st.caption("Each band is the cases that share a stage, risk category, severity and material; its "
                   "width is their number. Hover over a category to light up its cases in every column; "
                   "drag a category or a column to reorder it.")
        # Plotly, not Altair: Vega-Lite has no parallel-sets chart (see rmo_data.charts.plotly_charts).
        # Remembered by render.plotly, so the footer below offers it as PNG and SVG too.
        render.plotly(plotly_charts.evidence_flows, cube, cached.material_short(), key="ev_flows")
        st.caption(escape_html(summaries.evidence_flows(flows, cached.material_short())))  # the chart in words
        figure_footer(evidence_rollups.flow_table(flows, labels), "Evidence flows by stage, risk, severity "
                      "and material", source_titles, years, unit="number of cases", key="dl_ev_flows")


def _table(ev: pd.DataFrame) -> pd.DataFrame:
    """Cases as the table shows them: names for slugs, a source link, "not stated" for blanks."""
    table = ev.assign(
        material_name=ev["material"].map(lambda m: labels.get(m, m)),
        stage_name=ev["stage"].map(constants.STAGE_LABELS),
        link=[safe_url(u) or safe_url(s) for u, s in zip(ev["url"], ev["source_url"], strict=True)],
        year_text=ev["year"].map(lambda y: "not stated" if pd.isna(y) else str(int(y))),
        confidence_name=ev["confidence"].map(evidence_rollups.confidence_name),
        reason=ev["confidence_reason"].fillna(""),
        passage_text=ev["passage"].fillna("own passage"),
    )
    for column in ("country_name", "company", "site"):
        table[column] = table[column].fillna("not stated")
    return table


def _download() -> pd.DataFrame:
    # Every matching case, read only when the download button is clicked.
    return _table(queries.evidence(**filters)).drop(columns=["pillar", "material", "stage", "category"])


st.subheader(f"{summary['cases']} case(s)")
if pages > 1:
    first = (page_no - 1) * PAGE_SIZE + 1
    pager = st.columns([1, 4], vertical_alignment="bottom")
    pager[0].number_input("Page", 1, pages, key="ev_page", help=f"{PAGE_SIZE} cases per page")
    pager[1].caption(f"Rows {first}–{first + len(rows) - 1} of {summary['rows']}, most severe first "
                     f"(page {page_no} of {pages}).")
table = _table(rows)
tables.dataframe(
    table[["severity", "confidence_name", "material_name", "stage_name", "category_name", "country_name",
           "company", "site", "summary", "reason", "passage_text", "year_text", "source_title", "link"]],
    hide_index=True, width="stretch", height=min(600, 38 + 35 * len(table)),
    column_config={
        "severity": st.column_config.ProgressColumn(vocabulary.name("measure", "case_severity"), min_value=0, max_value=5, format=formatting.table_format(0, " / 5"),
                                                    help="Project rating on UNGP criteria, 1–5"),
        # Widths for the longest name, not the first rows' (the grid sizes a column by the rows it first
        # draws, which cut "Rare earth elements" and "Processing: smelting & refining" further down).
        "material_name": st.column_config.TextColumn("Material", width=150),
        "stage_name": st.column_config.TextColumn("Stage", width=190), "category_name": "Risk category",
        "country_name": "Country", "company": "Company", "site": "Site",
        "confidence_name": st.column_config.TextColumn(
            "Confidence", help="How firmly the report supports the case: a documented incident, a reported "
                               "allegation, or an inference from context (project reading)"),
        "summary": st.column_config.TextColumn("What happened", width="large"),
        "reason": st.column_config.TextColumn("Why this confidence", width="medium"),
        "passage_text": st.column_config.TextColumn(
            "Report passage", help="Rows from one passage of the report share it and count as one case"),
        "year_text": "Year", "source_title": "Source",
        "link": st.column_config.LinkColumn("Source link", display_text="open source"),
    })
figure_footer(_download if pages > 1 else table.drop(columns=["pillar", "material", "stage", "category"]),
              "Risk evidence", source_titles, years,
              note="Severity = rounded mean of scale, scope and irremediability (project rating). "
                   "Confidence: documented, reported or inferred (project reading of the report).",
              key="dl_ev_table")
