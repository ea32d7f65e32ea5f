"""Risk evidence explorer: every recorded case, filtered, mapped and linked to its source."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import cards, charts, data, router, state
from components.provenance import figure_footer
from rmo_data import constants as C

router.guard(__file__)


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
    for key in ("stages", "risks", "ev_country", "ev_company", "ev_text", "ev_min_sev"):
        st.session_state[key] = state.PARAMS[key].default


cards.inject_css()
st.title("Risk evidence")
st.markdown("Concrete cases the report names — a mine, plant, company or country where harm was "
            "reported — by material, stage and risk category. Materials, stages and risk "
            "categories follow the sidebar; the filters below narrow further.")

options = data.query("evidence_options")
f1, f2, f3, f4 = st.columns([2, 2, 1, 2])
f1.multiselect("Country", options["countries"], **state.widget("ev_country"), placeholder="All countries")
f2.multiselect("Company", options["companies"], **state.widget("ev_company"), placeholder="All companies")
f3.number_input("Min. severity", 1, 5, **state.widget("ev_min_sev"), help="1 minor … 5 very severe")
f4.text_input("Search text", **state.widget("ev_text"), placeholder="e.g. tailings, child labour",
              max_chars=100)

filters = dict(materials=state.selected_materials(), stages=state.get("stages"),
               categories=state.get("risks"), countries=state.get("ev_country"),
               companies=state.get("ev_company"), min_severity=int(state.get("ev_min_sev")),
               text=state.get("ev_text"))
ev = data.query("evidence", **filters)

active = sum(bool(v) for k, v in filters.items() if k not in {"materials", "min_severity"})
active += int(filters["min_severity"] > 1)
m1, m2, m3, m4 = st.columns(4)
m1.metric("Cases shown", len(ev))
m2.metric("Materials", ev["material"].nunique() if not ev.empty else 0)
m3.metric("Countries", ev["country_name"].nunique() if not ev.empty else 0)
m4.metric("Severe (4–5)", int((ev["severity"] >= 4).sum()) if not ev.empty else 0)
if active:
    st.button(f"Clear {active} evidence filter(s)", on_click=_clear, icon=":material/filter_alt_off:")

if ev.empty:
    st.info("No case matches these filters. Widen the search, lower the minimum severity, or clear "
            "the filters.", icon=":material/search_off:")
    st.stop()

tab_heat, tab_map, tab_material = st.tabs(["By risk category and stage", "By country", "By material"])
with tab_heat:
    counts = (ev.groupby(["material", "stage", "category"], as_index=False)
              .agg(n=("id", "count"), max_severity=("severity", "max")))
    st.altair_chart(charts.configure(charts.evidence_heatmap(counts)), key="ev_heat",
                    on_select=_from_heatmap, selection_mode="cell", width="stretch")
    figure_footer(counts, "Evidence by risk category and stage", ev["source_title"].unique(), ev["year"],
                  unit="number of cases", note="Click a cell to filter by that stage and category.",
                  key="dl_ev_heat")
with tab_map:
    countries = data.query("countries")
    by_country = (ev.dropna(subset=["iso3"]).groupby(["iso3", "country_name"], as_index=False)
                  .agg(n=("id", "count")).merge(countries[["iso3", "iso_numeric"]], on="iso3", how="left"))
    st.altair_chart(charts.configure(charts.evidence_map(by_country)), key="ev_map",
                    on_select=_from_map, selection_mode="country", width="stretch")
    unplaced = int(ev["iso3"].isna().sum())
    figure_footer(by_country, "Evidence by country", ev["source_title"].unique(), ev["year"],
                  unit="number of cases",
                  note=(f"{unplaced} case(s) name no country and are not on the map. " if unplaced else "")
                  + "Click a country to filter. Map: world-atlas (Natural Earth), drawn offline.",
                  key="dl_ev_map")
with tab_material:
    st.altair_chart(charts.configure(charts.severity_bars(ev)), width="stretch")
    figure_footer(ev.groupby(["material", "severity"], as_index=False).size(), "Evidence by material and severity",
                  ev["source_title"].unique(), ev["year"], unit="number of cases", key="dl_ev_sev")

st.subheader(f"{len(ev)} case(s)")
table = ev.assign(
    material_name=ev["material"].map(C.MATERIAL_LABELS),
    stage_name=ev["stage"].map(C.STAGE_LABELS),
    link=[cards.safe_url(u) or cards.safe_url(s) for u, s in zip(ev["url"], ev["source_url"], strict=True)],
    year_text=ev["year"].map(lambda y: "not stated" if pd.isna(y) else str(int(y))),
)
for column in ("country_name", "company", "site"):
    table[column] = table[column].fillna("not stated")
st.dataframe(
    table[["severity", "material_name", "stage_name", "category_name", "country_name", "company",
           "site", "summary", "year_text", "source_title", "link"]],
    hide_index=True, width="stretch", height=min(600, 38 + 35 * len(table)),
    column_config={
        "severity": st.column_config.ProgressColumn("Severity", min_value=0, max_value=5, format="%d / 5",
                                                    help="Project rating on UNGP criteria, 1–5"),
        "material_name": "Material", "stage_name": "Stage", "category_name": "Risk category",
        "country_name": "Country", "company": "Company", "site": "Site",
        "summary": st.column_config.TextColumn("What happened", width="large"),
        "year_text": "Year", "source_title": "Source",
        "link": st.column_config.LinkColumn("Source link", display_text="open source"),
    })
figure_footer(table.drop(columns=["pillar", "material", "stage", "category"]), "Risk evidence",
              ev["source_title"].unique(), ev["year"],
              note="Severity = rounded mean of scale, scope and irremediability (project rating).",
              key="dl_ev_table")
