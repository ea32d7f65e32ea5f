"""Material profile: everything on one material, chosen on the page or as the sidebar's focus material.

The public sees the profile without case-level risk evidence and leverage
cards (``rmo_data.access.roles.FEATURES``); those tabs say that partners see them.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import cards, eu_lists, render, router, salience_view, state, tables, tabs
from components import signin
from rmo_data.charts import material_charts, summaries
from components import cached
from components.pack_downloads import PackChoice, pack_chooser
from components.provenance import figure_footer, source_line
from components.safe import escape_html
from rmo_data import constants, formatting
from rmo_data.analysis import evidence_rollups, metrics
from rmo_data.analysis.facts import fact_provenance, fact_value
from rmo_data.analysis.statements import statement_pairs
from rmo_data.store import concentration, queries, report_facts

router.guard(__file__)

CARDS_SHOWN = 20  # evidence cards per page: every material of the report's store fits on one


def _go_to(slug: str) -> None:
    st.session_state["material"] = slug


def _pick_country() -> None:
    """A click on a country's bar lists that country's evidence for this material."""
    selection = st.session_state.get("mp_prod", {}).get("selection", {}).get("country", [])
    # Remember the material too, so the pick does not follow the user to another material.
    st.session_state["mp_country"] = (state.get("material"), selection[0]["group"]) if selection else None


PICK = "mp_pick"  # the page's own material picker, kept in step with the sidebar's focus material


def _picked() -> None:
    """The page's picker changed: it sets the focus material, so the sidebar and the URL follow."""
    st.session_state["material"] = st.session_state[PICK]


cards.inject_css()
slug = state.get("material")
slugs = cached.material_slugs()
labels = cached.material_labels()
if slug in slugs:
    st.session_state[PICK] = slug  # follows a change made in the sidebar or by a link
st.selectbox("Material", slugs, key=PICK, on_change=_picked, format_func=lambda s: labels.get(s, s),
             width=320, help="The material this page shows (the same as the sidebar's focus material).")
mat = cached.read(queries.material, slug=slug)
if mat is None:
    st.error("This material is not in the data store. Choose one above.")
    st.stop()

name = escape_html(mat["name"])  # for markdown; figure titles take the raw name
st.title(name)
eu_lists.material_badges(slug)
_in_view = [m for m in slugs if m in set(state.selected_materials())]
pack_chooser([PackChoice("one", f"This material ({mat['name']})", [slug],
                         lambda: {"title": f"{mat['name']} briefing"}),
              *([PackChoice("selection", f"Materials in view ({len(_in_view)})", _in_view)]
                if len(_in_view) > 1 else []),
              PackChoice("all", f"All {len(slugs)} materials", list(slugs))], key="mp_pack")
st.markdown(escape_html(mat["summary"]))


# --- one function per tab; each reads slug, mat and name set above ---------------------

def _end_use() -> None:
    """End use by sector, with the report's and USGS's basis."""
    shares = cached.read(queries.end_use_shares, material=slug)
    if shares.empty:
        st.info(f"No end-use figure is recorded for {name}: neither the report nor the "
                "USGS chapter gives shares by sector. The report names these vehicle uses: "
                f"{escape_html(mat['automotive_uses'])}", icon=":material/info:")
    else:
        # One spec for every material; the material's rows go in as a named dataset.
        rows = material_charts.end_use_data(shares)
        render.chart(material_charts.end_use_chart, None, datasets={material_charts.END_USE: rows},
                     summary=summaries.end_use(rows))
        figure_footer(shares[["sector", "share_pct", "bound", "basis", "scope", "year", "is_automotive",
                              "note", "source_title"]],
                      f"{mat['name']} end use", shares["source_title"].unique(), shares["year"],
                      unit="% of the stated basis",
                      note="Scopes differ (global report figures, US figures from USGS); each panel "
                           "names its basis.", key="dl_enduse")


def _production() -> None:
    """Country production at a stage, its concentration over time and the cases of a picked country."""
    stage = st.segmented_control("Stage", ["mining", "processing"], default="mining", key="mp_stage",
                                 format_func=lambda s: constants.STAGE_LABELS[s]) or "mining"
    rows = cached.read(queries.production, material=slug, stage=stage)
    if rows.empty:
        st.info(f"No country production data recorded for {name} at "
                f"{constants.STAGE_LABELS[stage].lower()}. The public sources used here (USGS, IEA) publish "
                "none for this stage.", icon=":material/info:")
    else:
        series = rows[["commodity", "commodity_name", "is_primary", "unit"]].drop_duplicates()
        series = series.sort_values("is_primary", ascending=False)
        chosen = st.selectbox("Series", series["commodity"].tolist(), key=f"mp_series_{slug}_{stage}",
                              format_func=dict(zip(series["commodity"], series["commodity_name"],
                                                   strict=True)).__getitem__,
                              help="The first series is the one used for concentration metrics.")
        info = series[series["commodity"] == chosen].iloc[0]
        sub = rows[rows["commodity"] == chosen]
        left, right = st.columns([3, 2], gap="large")
        with left:
            render.chart(material_charts.production_chart, sub, info["unit"], info["commodity_name"],
                         key="mp_prod", on_select=_pick_country, selection_mode="country")
            figure_footer(sub[["country_name", "iso3", "year", "quantity", "unit", "value_flag",
                               "is_estimate", "edition", "source_title"]],
                          f"{mat['name']} {info['commodity_name']}", sub["source_title"].unique(),
                          sub["year"], unit=info["unit"],
                          note="Values by country of location. W = withheld, NA = not available.",
                          key="dl_prod")
        with right:
            trend = cached.read(concentration.hhi_trend, material=slug, stage=stage)
            if bool(info["is_primary"]) and not trend.empty:
                render.chart(material_charts.hhi_trend_chart, trend, "Concentration over time")
                figure_footer(trend, f"{mat['name']} {stage} concentration trend", trend["source"].unique(),
                              trend["year"], unit="HHI 0–10,000", key="dl_hhi")
            elif not bool(info["is_primary"]):
                st.caption("Concentration is computed on the first series only.")
        latest = int(sub["year"].max())
        year_rows = sub[sub["year"] == latest]
        table = metrics.country_table(year_rows)
        picked_for = st.session_state.get("mp_country") or (None, None)
        picked = picked_for[1] if picked_for[0] == slug else None
        st.markdown(f"**Countries in {latest}**" + (f" — selected: {escape_html(picked)}" if picked else ""))
        if picked and picked != "All other":
            table = table[table["country_name"] == picked]
        if picked and picked != "All other" and signin.can("case_evidence"):
            codes = sub.loc[sub["country_name"] == picked, "iso3"].dropna().unique().tolist()
            where = {"iso3": codes} if codes else {"countries": [picked]}
            totals = cached.read(queries.evidence_totals, materials=[slug], **where)
            ev = cached.read(queries.evidence, materials=[slug], **where, limit=CARDS_SHOWN)
            st.caption(f"{totals['cases']} risk evidence case(s) recorded for {name} in {escape_html(picked)}"
                       + (f"; the {CARDS_SHOWN} most severe rows are shown" if totals["rows"] > CARDS_SHOWN else "")
                       + ". Double-click the chart to clear the selection.")
            for _, case in ev.iterrows():
                cards.evidence_card(case)
        table["value_flag"] = table["value_flag"].fillna("")
        tables.dataframe(
            table[["country_name", "quantity", "share_pct", "value_flag", "is_estimate"]],
            hide_index=True, width="stretch",
            column_config={
                "country_name": "Country",
                "quantity": st.column_config.NumberColumn(f"Production ({info['unit']})", format=formatting.table_format(0)),
                "share_pct": st.column_config.NumberColumn("Share of world (%)", format=formatting.table_format(1)),
                "value_flag": st.column_config.TextColumn("Flag", help="W withheld, NA not available"),
                "is_estimate": st.column_config.CheckboxColumn("Estimate"),
            })


def _producers() -> None:
    """What the report says about concentration, and the companies it names."""
    statements = cached.read(queries.concentration_statements, material=slug)
    companies = cached.read(queries.companies, material=slug)
    if statements.empty and companies.empty:
        st.info("The report names no producer or concentration figure for this material.")
    if not statements.empty:
        st.markdown("**What the report says about concentration, beside the measured share**")
        pairs = statement_pairs(statements, cached.read(concentration.latest_country_shares, material=slug))
        for _, s in pairs.iterrows():
            # "report (2021): ≥ 80 % · USGS 2025 (estimate): 69 %": the same country and stage.
            side = " · ".join(str(t) for t in (s["report_text"], s["measured_text"]) if isinstance(t, str))
            st.markdown(f"- {escape_html(s['statement'])} — "
                        f"*{escape_html(constants.STAGE_LABELS[s['stage']])}*  \n"
                        f"  <span class='rmo-muted'>{escape_html(side)}</span>", unsafe_allow_html=True)
        bases = sorted({constants.YEAR_BASIS_LABELS.get(b, b) for b in statements["year_basis"].dropna()})
        measured = pairs.dropna(subset=["measured_source"])
        figure_footer(pairs[["stage", "level", "subject", "country_name", "share_pct", "bound", "year", "year_basis",
                             "statement", "measured_share", "measured_year", "measured_estimate",
                             "measured_source", "section"]],
                      f"{mat['name']} concentration statements", ["Raw materials value chain leverages",
                                                                  *measured["measured_source"]],
                      [*statements["year"], *measured["measured_year"]], key="dl_statements",
                      note="Report years: " + ("; ".join(bases) or constants.MISSING) + ". The measured share is "
                           "the same country's share of world output at the same stage in the latest year with "
                           "data.")
    eu_lists.benchmark_lines(slug, mat["name"])
    if not companies.empty:
        shown = companies.assign(stages=companies["stages"].map(
            lambda v: ", ".join(constants.STAGE_LABELS[s] for s in v) or constants.MISSING))
        st.markdown("**Companies named by the report**")
        tables.dataframe(shown[["name", "role", "stages", "country", "note"]], hide_index=True,
                     width="stretch", column_config={"name": "Company", "role": "Role",
                                                     "stages": "Stages", "country": "Country",
                                                     "note": "Note"})
        figure_footer(shown[["name", "role", "stages", "country", "note", "section"]],
                      f"{mat['name']} companies", ["Raw materials value chain leverages"], [],
                      note="Names as the report gives them; no company production shares are "
                           "published in the open sources used.", key="dl_companies")


def _evidence_filters() -> tuple[dict[str, object], pd.DataFrame, pd.DataFrame]:
    """The sidebar's stage and risk filters for this material, the case counts and their provenance.

    Counts per stage, category, severity and passage come from SQL (the evidence
    cube), not every case of the material; a shared passage counts once.
    """
    ev_filters: dict[str, object] = dict(materials=[slug], stages=state.get("stages"),
                                         categories=state.get("risks"))
    counts = cached.evidence_cube(**ev_filters)
    return ev_filters, counts, queries.provenance_from(cached.read(queries.evidence_where, **ev_filters))


def _value_chain() -> None:
    """Salient risks and evidence counts along the value chain, with the sidebar's filters."""
    risks = cached.read(queries.salient_risks, material=slug)
    risk_filter = state.get("risks")
    if risk_filter:
        risks = risks[risks["category"].isin(risk_filter)]
    _, evidence_all, ev_prov = _evidence_filters()
    ev_years = ev_prov[["year", "n"]]  # counts of cases per year, read by the source lines
    if risks.empty and evidence_all.empty:
        st.info("No salient risk or evidence recorded with the current risk filters.",
                icon=":material/filter_alt_off:")
    else:
        render.chart(material_charts.value_chain_chart, risks, evidence_all)
        figure_footer(evidence_rollups.count_once(evidence_all, ["stage", "category"]).reset_index()
                      .rename(columns={"n": "size"}),
                      f"{mat['name']} risks along the value chain",
                      # The report names the risks; the cases counted cite their own sources.
                      ["Raw materials value chain leverages", *ev_prov["source_title"]], ev_years,
                      unit="number of evidence cases", key="dl_chain")
    st.markdown("**Salient risks in detail**")
    detail = risks.assign(stages=risks["stages"].map(lambda v: ", ".join(constants.STAGE_LABELS[s] for s in v)))
    tables.dataframe(detail[["category_name", "pillar", "summary", "stages"]], hide_index=True, width="stretch",
                 column_config={"category_name": "Risk category", "pillar": "E/S/G",
                                "summary": "What the report flags", "stages": "Stages"})
    figure_footer(detail[["category_name", "pillar", "summary", "stages", "section"]],
                  f"{mat['name']} salient risks", ["Raw materials value chain leverages"], [],
                  key="dl_risks")
    with st.expander("Cross-cutting risks that apply to every material"):
        cross = cached.read(queries.salient_risks, material=None)
        cross = cross[cross["material"].isna()]
        for _, r in cross.iterrows():
            st.markdown(f"- **{escape_html(r['category_name'])}**: {escape_html(r['summary'])}")


def _salience() -> None:
    """Salience of this material per risk and stage, with the inputs of a chosen cell."""
    st.markdown(f"Where is harm from {name} most severe and most likely? Each cell is a risk at a value-chain "
                "stage: severity of the worst rated case (1–5) × likelihood (1–5, from how often and how "
                "recently cases are recorded and how well governed the producing countries are). A gap is a "
                "risk the report flags where no case is rated: it has no data recorded, which is not low "
                "risk.")
    cells = cached.salience()
    salience_view.heatmap(cells, key="mp_sal", names=cached.material_short(), material=slug,
                          material_name=mat["name"])


def _evidence() -> None:
    """The evidence cases (partners), one page of cards at a time."""
    ev_filters, evidence_all, ev_prov = _evidence_filters()
    ev_years = ev_prov[["year", "n"]]
    n_cases = evidence_rollups.total_once(evidence_all)  # same filters as the chain; a passage once
    n_rows = int(evidence_all["n"].sum()) if not evidence_all.empty else 0
    if not signin.can("case_evidence"):
        st.markdown(f"{n_cases} risk evidence {'case is' if n_cases == 1 else 'cases are'} recorded for {escape_html(mat['name'])} with the current "
                    "stage and risk filters; the chart under *Value chain & risks* counts them.")
        signin.partner_note("each case: where and what happened, how severe it was, and its source",
                            compact=True)  # the page's own note on packs is the box
    elif not n_cases:
        st.info("No risk evidence recorded for this material with the current stage and risk filters. "
                "Clear them in the sidebar to see all cases.", icon=":material/filter_alt_off:")
    else:
        # One page of cards at a time: a material of a large store may have thousands of cases.
        pages = -(-n_rows // CARDS_SHOWN)  # one card per row
        if int(st.session_state.get("mp_ev_page", 1)) > pages:
            st.session_state["mp_ev_page"] = 1
        page_no = int(st.session_state.get("mp_ev_page", 1))
        ev = cached.read(queries.evidence, **ev_filters, limit=CARDS_SHOWN, offset=(page_no - 1) * CARDS_SHOWN)
        st.caption(f"{n_cases} case(s), most severe first"
                   + (f", in {n_rows} cards: where one passage of the report names several places or risks, "
                      "each has a card and the passage counts once" if n_rows > n_cases else "")
                   + (f" ({CARDS_SHOWN} per page)" if pages > 1 else "")
                   + ". Severity is the project's rating on the UNGP "
                   "criteria (scale, scope, irremediability) of each case as the report describes it.")
        if pages > 1:
            st.number_input("Page", 1, pages, key="mp_ev_page", width=160)
        for _, case in ev.iterrows():
            cards.evidence_card(case)
        titles = list(dict.fromkeys([*ev["source_title"], *ev_prov["source_title"]]))
        figure_footer(ev.drop(columns=["pillar"]) if pages == 1 else
                      (lambda: queries.evidence(**ev_filters).drop(columns=["pillar"])),
                      f"{mat['name']} evidence", titles, ev["year"] if pages == 1 else ev_years, key="dl_ev")
    if signin.may_open("pages/evidence.py"):
        st.page_link("pages/evidence.py", label="Explore all evidence", icon=":material/arrow_forward:")


def _organisations() -> None:
    """Organisations linked to the material and other sectors to engage."""
    orgs = cached.read(queries.organisations, materials=[slug])
    if orgs.empty:
        st.info("No organisation is linked to this material.")
    else:
        tables.dataframe(orgs[["name", "acronym", "type", "description", "n_leverages"]].assign(
            type=orgs["type"].map(constants.ORGANISATION_TYPE_LABELS)), hide_index=True, width="stretch",
            column_config={"name": "Organisation", "acronym": "Acronym", "type": "Type",
                           "description": "Why it matters", "n_leverages": "Leverage cards naming it"})
        figure_footer(orgs.drop(columns=["materials"]), f"{mat['name']} organisations",
                      ["Raw materials value chain leverages"], [], key="dl_orgs")
    sectors = cached.read(queries.other_sectors, material=slug)
    if not sectors.empty:
        st.markdown("**Other sectors to engage**")
        for _, s in sectors.iterrows():
            note = f" — {escape_html(s['note'])}" if isinstance(s["note"], str) else ""
            st.markdown(f"- **{escape_html(s['sector'])}**{note}")
    if signin.may_open("pages/stakeholders.py"):
        st.page_link("pages/stakeholders.py", label="All stakeholders & initiatives",
                     icon=":material/arrow_forward:")


def _leverage_cards() -> None:
    """The report's leverage cards specific to this material (partners)."""
    levs = cached.read(queries.leverages, materials=[slug], include_cross=False)
    all_orgs = cached.read(queries.organisations)
    names = dict(zip(all_orgs["slug"], all_orgs["name"], strict=True))
    if not signin.can("leverage_preview"):
        st.markdown(f"The report recommends {len(levs)} action(s) specific to {escape_html(mat['name'])}, besides "
                    "those for every material.")
        signin.partner_note("these leverage cards: who can act, towards whom, at which stages and "
                            "against which risks", compact=True)
    elif levs.empty:
        st.info("No leverage recorded for this material.")
    else:
        st.caption(f"{len(levs)} leverage card(s) specific to {name}; cross-material cards apply too.")
        grid = st.columns(2)
        for i, (_, lev) in enumerate(levs.iterrows()):
            with grid[cards.column_of(i, len(levs))]:  # in id order on a phone too
                cards.leverage_card(lev, names)
        figure_footer(levs, f"{mat['name']} leverages", ["Raw materials value chain leverages"], [],
                      key="dl_lev")


# The figures come straight after the summary, so a 1440 × 900 screen opens on a chart; the
# report's own words on uses, links and figures follow them (_about).
# Only the open tab is built (components.tabs): a new material costs one tab's reads and
# chart, not all seven tabs' with every download and card.
tabs.lazy_tabs({"End use": _end_use, "Production & concentration": _production, "Producers": _producers,
                "Value chain & risks": _value_chain, "Salience": _salience, "Evidence": _evidence,
                "Organisations": _organisations, "Leverage cards": _leverage_cards}, key="mp_tab")



def _about() -> None:
    """What the report says of the material in its own words, below the figures (the answer comes first)."""
    c1, c2 = st.columns(2, gap="medium")  # "large" left a 4rem hole between them, stacked on a phone
    c1.markdown(f"**Uses in vehicles.** {escape_html(mat['automotive_uses'])}")
    if mat.get("automotive_relevance"):
        c2.markdown(f"**The industry's leverage.** {escape_html(mat['automotive_relevance'])}")

    links = cached.read(queries.material_links, slug=slug)
    if not links.empty:
        st.markdown("**Linked materials** (co-products, by-products and inputs):")
        cols = st.columns(min(len(links), 5))
        for i, link in links.reset_index(drop=True).iterrows():
            label = f"{link['relation']}: {link['linked_name']}"
            target = link["linked_slug"]
            with cols[i % len(cols)]:
                if isinstance(target, str) and target:
                    st.button(escape_html(label), key=f"link_{i}", on_click=_go_to, args=(target,),
                              icon=":material/link:", help=escape_html(link["note"]) or None)
                else:
                    st.markdown(f"- {escape_html(label)}", help=escape_html(link["note"]) or None)
    st.caption(source_line(["Raw materials value chain leverages"], [], note=mat["section"]))

    # This material's figures, then those the report gives for every material (no material of their own).
    facts = cached.read(report_facts.material_facts, material=slug, include_cross=True)
    if not facts.empty:
        facts = facts.sort_values("material", key=lambda m: m.isna(), kind="stable")
        st.markdown("**Figures the report gives**")
        for _, fact in facts.iterrows():
            scope = "" if isinstance(fact["material"], str) else f"{constants.CROSS_MATERIAL_LABEL}: "
            st.markdown(f"- {escape_html(scope)}**{escape_html(fact_value(fact))}** — "
                        f"{escape_html(fact['statement'])}  \n"
                        f"  <span class='rmo-muted'>{escape_html(fact_provenance(fact))}</span>",
                        unsafe_allow_html=True)
        figure_footer(facts[["metric", "value_low", "value_high", "bound", "unit", "year", "year_basis", "statement",
                             "note", "source_title", "section"]],
                      f"{mat['name']} figures from the report", facts["source_title"].unique(), facts["year"],
                      note="Figures the report states in its text; the year says what it rests on.",
                      key="dl_facts")


st.subheader("In the report's words")
_about()
