"""Overview: the materials side by side, for an executive reading one screen."""

from __future__ import annotations

import streamlit as st

from components import cards, eu_lists, render, router, state, tables, tabs
from rmo_data.charts import material_charts
from components import cached
from components.pack_downloads import pack_buttons
from components.provenance import download_buttons, figure_footer, source_line
from components.safe import escape_html
from rmo_data import constants, formatting, vocabulary
from rmo_data.analysis.facts import fact_provenance, fact_value
from rmo_data.analysis.findings import headline_findings
from rmo_data.store import queries, report_facts

router.guard(__file__)


def _pick_material(chart_key: str) -> None:
    """A click on a material in a chart makes it the focus material."""
    selection = st.session_state.get(chart_key, {}).get("selection", {}).get("pick", [])
    if selection:
        st.session_state["material"] = selection[0]["material"]


st.title("Overview")
st.markdown("Which raw materials deserve attention first? The ten materials of the Raw Materials "
            "Outlook compared on the industry's share of use, how concentrated supply is, and "
            "how much risk is on record.")

table = cached.read(queries.overview)
table = table[table["material"].isin(state.selected_materials())].reset_index(drop=True)
if table.empty:
    st.info("No material is in view. Choose materials in the sidebar, or reset the filters.",
            icon=":material/filter_alt_off:")
    st.stop()

# The answer first: where each material stands fits a 1440 × 900 screen under the title;
# the findings in words and the report's recommendations follow it.
focus = st.session_state.get("material")
render.chart(material_charts.overview_heat_table, table, key="ov_heat",
             on_select=lambda: _pick_material("ov_heat"), selection_mode="pick")
figure_footer(
    table[["name", "auto_share_pct", "auto_basis", "mining_hhi", "processing_hhi",
           "mining_top1_country", "mining_top1_share", "supply_risk", "risk_breadth", "evidence_count"]],
    "Where each material stands",
    sources=["Raw materials value chain leverages (shares, risks, evidence)",
             *table["mining_source_title"].dropna().unique(), "EU CRM study 2023"],
    years=[*table["mining_year"].dropna(), *table["processing_year"].dropna()],
    note="Concentration as HHI 0–10,000 over named countries; shares in % of world production.",
    key="dl_ov_heat")

st.subheader("Headline findings")
cards.inject_css()
cards.finding_grid((f.text, f"Source: {f.source} · {f.year}") for f in headline_findings(table))


def _recommendations() -> None:
    """The report's cross-material themes and facts, with their sources and downloads."""
    themes = cached.read(report_facts.report_themes)
    for kind in constants.REPORT_THEME_KIND_SLUGS:
        chosen = themes[themes["kind"] == kind]
        if chosen.empty:
            continue
        st.markdown(f"**{escape_html(constants.REPORT_THEME_KIND_LABELS[kind])}s**")
        for _, theme in chosen.iterrows():
            st.markdown(f"- **{escape_html(theme['title'])}.** {escape_html(theme['summary'])}")
    cross_facts = cached.read(report_facts.material_facts)
    cross_facts = cross_facts[cross_facts["material"].isna()]
    for _, fact in cross_facts.iterrows():
        st.markdown(f"- **{escape_html(fact_value(fact))}** — {escape_html(fact['statement'])} "
                    f"({escape_html(fact_provenance(fact))})")
    st.caption(source_line(themes["source_title"].unique(), [*themes["source_year"], *cross_facts["year"]],
                           note="In the project's own words; each point names the report section it comes "
                                "from in the downloads."))
    download_buttons(themes[["kind", "title", "summary", "source_title", "section"]], "Report themes",
                     key="dl_ov_themes")


# Built only when opened (components.tabs): a closed box of report themes still cost the first
# render every one of its elements.
tabs.lazy_expander("What the report recommends across all materials", _recommendations, key="ov_themes",
                   icon=":material/summarize:")

stage = st.segmented_control("Stage for the bubble chart", ["mining", "processing"],
                             default="mining", format_func=lambda s: constants.STAGE_LABELS[s].split(":")[0],
                             key="ov_stage") or "mining"
render.chart(material_charts.overview_scatter, table, stage, key="ov_scatter",
             on_select=lambda: _pick_material("ov_scatter"), selection_mode="pick")
not_placed = table[table[f"{stage}_top1_share"].isna()]["name"].tolist()
figure_footer(
    table[["name", f"{stage}_top1_country", f"{stage}_top1_share", "risk_breadth",
           "evidence_count", "auto_share_pct"]],
    f"Concentration at {stage} against recorded evidence",
    sources=[*table[f"{stage}_source_title"].dropna().unique(), "Raw materials value chain leverages"],
    years=table[f"{stage}_year"].dropna(), unit="% of world production",
    note=(f"Not placed (no {stage} data recorded): {', '.join(not_placed)}." if not_placed else None),
    key="dl_ov_scatter")

st.page_link("pages/material.py", label=f"Open the profile of {escape_html(cached.material_labels().get(focus, ''))}",
             icon=":material/arrow_forward:")
st.caption("Click a material in either chart to make it the focus material.")

st.subheader("Comparison table")
shown = table.assign(
    eu_lists=eu_lists.short_names(table["material"]),
    auto=[f"{formatting.percent(v, None)} ({b}, {s})" if not formatting.is_missing(v) else formatting.NO_DATA
          for v, b, s in zip(table["auto_share_pct"], table["auto_basis"], table["auto_scope"], strict=True)],
    mining_top=[f"{c} {formatting.percent(v)}" if not formatting.is_missing(v) else formatting.NO_DATA
                for c, v in zip(table["mining_top1_country"], table["mining_top1_share"], strict=True)],
    processing_top=[f"{c} {formatting.percent(v)}" if not formatting.is_missing(v) else formatting.NO_DATA
                    for c, v in zip(table["processing_top1_country"], table["processing_top1_share"],
                                    strict=True)],
)
tables.dataframe(
    shown[["name", "eu_lists", "auto", "mining_hhi", "mining_top", "mining_year", "processing_hhi",
           "processing_top", "processing_year", "mining_hhi_wgi",
           "supply_risk", "risk_breadth", "evidence_count", "severity_max", "leverage_count"]],
    hide_index=True, width="stretch",
    column_config={
        "name": st.column_config.TextColumn("Material", pinned=True),
        "eu_lists": st.column_config.TextColumn("EU lists", help=eu_lists.LIST_COLUMN_HELP),
        "auto": st.column_config.TextColumn(vocabulary.name("criterion", "auto_share"), help="Share of use by the automotive "
                                            "or transport sector, with its basis and scope."),
        "mining_hhi": st.column_config.NumberColumn(vocabulary.name("criterion", "mining_hhi"), format=formatting.table_format(0),
                                                    help="HHI 0–10,000; above 2,500 = highly concentrated"),
        "mining_top": st.column_config.TextColumn("Top mining country"),
        "mining_year": st.column_config.NumberColumn("Mining year", format=formatting.TABLE_YEAR),
        "processing_hhi": st.column_config.NumberColumn(vocabulary.name("criterion", "processing_hhi"), format=formatting.table_format(0),
                                                        help="HHI 0–10,000"),
        "processing_top": st.column_config.TextColumn("Top processing country"),
        "processing_year": st.column_config.NumberColumn("Processing year", format=formatting.TABLE_YEAR),
        "mining_hhi_wgi": st.column_config.NumberColumn(
            f"{vocabulary.name('criterion', 'gov_hhi')} (mining)", format=formatting.table_format(2),
            help="EU CRM method: Σ share² × WGI risk score, 0–10 (higher = more supply from "
                 "weakly governed countries)"),
        "supply_risk": st.column_config.NumberColumn(vocabulary.name("criterion", "supply_risk"), format=formatting.table_format(1)),
        "risk_breadth": st.column_config.NumberColumn("Salient-risk categories"),
        "evidence_count": st.column_config.NumberColumn("Evidence cases"),
        "severity_max": st.column_config.NumberColumn("Highest severity (1–5)", format=formatting.TABLE_INTEGER),
        "leverage_count": st.column_config.NumberColumn("Leverage cards"),
    },
)
st.caption(source_line(
    ["Raw materials value chain leverages", "USGS Mineral Commodity Summaries 2023–2026",
     "IEA Critical Minerals Data Explorer 2025", "World Bank WGI 2024", "EU CRM study 2023",
     "Critical Raw Materials Act (EU) 2024/1252", "Batteries Regulation (EU) 2023/1542"],
    [*table["mining_year"].dropna(), *table["processing_year"].dropna()],
    note=f"Empty cells read '{formatting.NO_DATA}', in the charts as in this table; they are never zero."))
download_buttons(table.assign(eu_lists=shown["eu_lists"]), "Comparison table", key="dl_ov_compare", file_stem="rmo-overview",
                 csv_label="Download the comparison (CSV)", xlsx_label="Download the comparison (XLSX)",
                 kind="secondary")

st.subheader("Briefing pack")
pack_buttons(table["material"].tolist(), key="ov_pack")
