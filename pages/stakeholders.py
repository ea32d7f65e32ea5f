"""Stakeholders & initiatives: who to engage, for which material, through which leverage."""

from __future__ import annotations

import streamlit as st

from components import cards, render, router, state, tables
from rmo_data.charts import material_charts
from components import cached
from components.provenance import figure_footer
from components.safe import escape_html, safe_url
from rmo_data import constants
from rmo_data.store import queries

router.guard(__file__)

ACRONYM_PX = 96  # the acronym column: the longest the report names (ADREMGUI, 8 capitals) and its padding

cards.inject_css()
st.title("Stakeholders & initiatives")
st.markdown("Industry associations, standards, multi-stakeholder initiatives, unions, governments "
            "and civil society organisations the report names, with the leverage cards that point "
            "to each. Materials follow the sidebar.")

f1, f2 = st.columns([2, 3])
f1.multiselect("Type", constants.ORGANISATION_TYPE_SLUGS, **state.widget("org_type"),
               format_func=constants.ORGANISATION_TYPE_LABELS.__getitem__, placeholder="All types")
f2.text_input("Search name or description", **state.widget("org_text"), placeholder="e.g. nickel, union, ASI",
              max_chars=100)

orgs = cached.read(queries.organisations, materials=state.selected_materials(), types=state.get("org_type"),
                  text=state.get("org_text"))
if orgs.empty:
    st.info("No organisation matches. Clear the search or choose more materials or types.",
            icon=":material/search_off:")
    st.stop()

short = cached.material_short()  # names of every material in the store, added ones included
table = orgs.assign(
    type_name=orgs["type"].map(constants.ORGANISATION_TYPE_LABELS),
    material_names=orgs["materials"].map(
        lambda ms: "all ten" if len(ms) == len(constants.MATERIAL_SLUGS) == len(short)
        else ", ".join(short.get(m, m) for m in ms)),
    link=orgs["url"].map(safe_url),
    acronym=orgs["acronym"].fillna(""),
)
st.caption(f"{len(table)} organisation(s). Select a row to see the leverage cards that name it.")
event = tables.dataframe(
    table[["name", "acronym", "type_name", "material_names", "n_leverages", "description", "link"]],
    hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row", key="org_table",
    column_config={
        # Pinned at medium width: at its own width a phone's table showed nothing but the names.
        "name": st.column_config.TextColumn("Organisation", pinned=True, width="medium"),
        # A fixed width: sized by the grid's own measure, "ADREMGUI" lost its last letter.
        "acronym": st.column_config.TextColumn("Acronym", width=ACRONYM_PX),
        "type_name": "Type", "material_names": "Materials",
        "n_leverages": st.column_config.NumberColumn("Leverage cards", help="Cards that name it"),
        "description": st.column_config.TextColumn("Who they are", width="large"),
        "link": st.column_config.LinkColumn("Website", display_text="open"),
    })
figure_footer(table.drop(columns=["materials"]), "Stakeholders and initiatives",
              ["Raw materials value chain leverages"], [], key="dl_orgs_all")

rows = event.selection.rows if event is not None else []
chosen_slug = table.iloc[rows[0]]["slug"] if rows else (state.get("org") or None)
if rows:
    st.session_state["org"] = chosen_slug
if chosen_slug and chosen_slug in set(orgs["slug"]):
    org = orgs[orgs["slug"] == chosen_slug].iloc[0]
    st.subheader(f"Leverage cards naming {escape_html(org['name'])}")
    levs = cached.read(queries.leverages, organisations=[chosen_slug])
    names = dict(zip(orgs["slug"], orgs["name"], strict=True))
    if levs.empty:
        st.info("No leverage card names this organisation directly.")
    grid = st.columns(2)
    for i, (_, lev) in enumerate(levs.iterrows()):
        with grid[cards.column_of(i, len(levs))]:  # in id order on a phone too
            cards.leverage_card(lev, names)

st.subheader("Material × organisation")
# Filtered in SQL (and kept per filters) like the table above: no pass over every pair on a rerun.
matrix = cached.read(queries.organisation_material_matrix, materials=state.selected_materials(),
                    types=state.get("org_type"), text=state.get("org_text"))
render.chart(material_charts.org_material_matrix, matrix, short_names=short)
figure_footer(matrix, "Organisations by material", ["Raw materials value chain leverages"], [],
              key="dl_org_matrix")
