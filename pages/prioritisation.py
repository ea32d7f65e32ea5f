"""Prioritisation: rank the materials on criteria computed from the store, with the user's weights.

Two questions, two axes: the ranking and its due-diligence preset answer
"where is harm most severe and likely" (salience); supply security and the
industry's weight are separate lenses, and leverage comes in on the salience
× leverage tab, where the kind of action is chosen.  The weights live in the
URL (one short parameter per criterion), so a link reproduces a ranking;
scenarios store named weight sets in the database.
"""

from __future__ import annotations

import streamlit as st

from components import cards, eu_lists, feedback, render, router, salience_view, state, tables, tabs
from components import signin
from rmo_data.charts import priority_charts
from rmo_data.charts.contrast import text_on
from components import cached
from components.pack_downloads import PackChoice, pack_chooser
from components.provenance import figure_footer, source_line
from components.safe import escape_html
from rmo_data import constants, formatting, vocabulary
from rmo_data.analysis import scoring
from rmo_data.analysis import prioritisation
from rmo_data.store import queries
from rmo_data.store import scenarios
from rmo_data.store.engine import get_engine

router.guard(__file__)

WEIGHT_KEYS = {c.slug: f"wt_{c.slug}" for c in constants.CRITERIA}
CURRENT = "Current weights (unsaved)"
LOAD_SLOT = "pr_sc_load"  # where a scenario that could not be loaded says why
RELOAD = "_pr_reload"  # set by a loaded scenario: the whole page reruns (the sidebar's materials change)
LEAVE_GAPS = "pr_leave_gaps"
METHOD = f"""
1. **Criteria from the store.** Each value is computed from stored rows (sources in the table
   above); none is typed in. Every criterion points the same way: a higher value raises priority
   (the standards criterion counts the *gap*).
2. **Four lenses.** *Due diligence* holds only criteria of severity and likelihood (salience =
   severity × likelihood per risk and stage, evidence severity, likelihood), as the UN Guiding
   Principles, the OECD guidance and the EU due-diligence directive rank harm. *Breadth and
   standards*, *Supply security* and *Industry's weight* answer other questions; the
   due-diligence preset sets them to 0.
3. **Scaled 0–1 across the materials in view.** The lowest value becomes 0, the highest 1. A
   criterion that is the same for every material cannot tell them apart and scores 0 for all.
4. **Gaps.** By default {constants.IMPUTATION_NOTE}: the midpoint 0.5 would lift every material
   without data above the typical one, because most criteria are skewed. *Leave gaps out* scores
   each material on the criteria recorded for it instead (its weights rescaled over them), which
   invents no value at all. Each score says how much of its weight rests on gaps or weak inputs,
   and a top-3 place that would be lost with its gaps at the lowest value is flagged.
5. **Weighted sum.** Weights are rescaled to add up to 100 %, so the score runs 0–1 and each
   bar segment is one criterion's share of it. All weights at 0 rank nothing.
6. **Evidence severity** is the mean of the three most severe recorded cases: it follows the
   UNGP focus on the gravest harm without rewarding materials that were simply documented more.
   Salience, its scales and limits: *Sources & method*.
"""


def _weights() -> dict[str, int]:
    return {slug: int(state.get(key)) for slug, key in WEIGHT_KEYS.items()}


def _set_weights(weights: dict[str, int]) -> None:
    for slug, key in WEIGHT_KEYS.items():
        st.session_state[key] = int(weights.get(slug, 0))


def _load_scenario(name: str) -> None:
    """Button callback: the scenario's weights and materials in view become the current ones.

    A callback, because the weight sliders and the sidebar are drawn before the button.
    """
    try:
        record = scenarios.load_scenario(name, engine=get_engine())
    except ValueError as err:
        feedback.flash(str(err), "error", LOAD_SLOT)
        return
    _set_weights(record["weights"])
    st.session_state["materials"] = record["materials"]
    st.session_state[RELOAD] = True


def _names(slugs: list[str]) -> str:
    """Material names for markdown (escaped: a name from the store may hold markup)."""
    return ", ".join(escape_html(LABELS.get(s, s)) for s in slugs)


cards.inject_css()
st.title("Prioritisation")
st.markdown("Which materials should the industry act on first? Due diligence ranks harm by its **severity "
            "and likelihood** (salience); the due-diligence preset does exactly that. Supply security and "
            "the industry's weight are separate lenses, and leverage decides *how* to act (the salience × "
            "leverage tab), not what comes first. Every criterion is computed from the data store and "
            "scaled 0–1 across the materials in view (sidebar).")

crit = cached.criteria()
# Labels from the store, so materials beyond the ten of the report are named too.
LABELS = cached.material_labels()
SHORT = prioritisation.short_labels(LABELS)
selected = set(state.selected_materials())
shown = [m for m in crit.raw.index if m in selected]
groups = prioritisation.joint_groups(cached.read(queries.all_material_links), shown) if len(shown) >= 2 else {}

all_sources = sorted({s for v in crit.sources.values() for s in v})
all_years = [y for v in crit.years.values() for y in v]


# One function per tab (drawn by tabs.lazy_tabs in _weighted below); each reads the values
# computed above and the weights and ranking that _weighted sets.

# --- ranking -------------------------------------------------------------------------
def _ranking() -> None:
    """The ranking, why each material ranks where it does, and the raw values behind it."""
    if ranked is None:
        st.warning(f"{weight_error} Or choose a preset under Weights below.", icon=":material/balance:")
    else:
        top = ranked.index[0]
        top3 = list(ranked.index[:constants.TOP_N])
        flagged = set(prio.gaps.index[prio.gaps["rests_on_gaps"]])
        c1, c2 = st.columns([3, 2], vertical_alignment="center")
        c1.markdown(f"**Top {constants.TOP_N} with these weights:** "
                    + ", ".join(escape_html(LABELS.get(m, m)) + (" ⚑" if m in flagged else "") for m in top3) + ".")
        if c2.button(f"Open leverage cards for {LABELS[top]}", key="pr_open_top",
                     on_click=state.set_card_filters, args=([top],), icon=":material/style:", type="primary"):
            st.switch_page("pages/leverage_cards.py")

        for m in [m for m in top3 if m in flagged]:
            st.warning(f"⚑ **{escape_html(LABELS.get(m, m))}**: {escape_html(prio.gaps.at[m, 'gap_flag'])} "
                       "Its place is not settled by the data: record the missing figures, or check the ranking "
                       "with *Leave gaps out*.", icon=":material/warning:")
        if leave_gaps:
            st.caption("Gaps left out: each material is scored on the criteria recorded for it, its weights "
                       "rescaled over them; no value is imputed.")
        named = long.assign(name=long["material"].map(LABELS))
        # The spec is kept per set of weighted criteria; the rows go in as named datasets.
        contrib = cached.contributions(shown, weights, LABELS, leave_gaps)
        render.chart(priority_charts.contribution_chart, tuple(sorted(c for c, w in weights.items() if w > 0)),
                     datasets=contrib, key="pr_contrib", summary=priority_charts.contribution_summary(contrib))
        # Download frames are made only when a button is clicked (figure_footer takes a function).
        figure_footer(lambda: named[["rank", "name", "criterion", "raw_text", "missing", "value", "weight",
                                    "contribution", "score", "gap_share", "gap_flag"]].sort_values(
                                        ["rank", "criterion"])
                      .assign(criterion=lambda f: f["criterion"].map(vocabulary.names("criterion"))),
                      "Why each material ranks where it does", all_sources, all_years,
                      unit="score 0–1; contributions add up to the score",
                      note=("Gaps are left out (weight 0)." if leave_gaps else
                            f"Pale, dashed parts of a bar rest on gaps: {constants.IMPUTATION_NOTE}."),
                      key="dl_pr_contrib")

        table = prioritisation.ranking_table(ranked, missing, groups, LABELS, prio.gaps)
        table.insert(table.columns.get_loc("name") + 1, "eu_lists", eu_lists.short_names(table.index.to_series()))
        tables.dataframe(formatting.as_percent(table, "gap_share"), hide_index=True, width="stretch",
                         key="pr_rank_table", column_config={
            "rank": st.column_config.NumberColumn("Rank", format=formatting.TABLE_INTEGER, width="small"),
            "name": st.column_config.TextColumn("Material", pinned=True),
            "eu_lists": st.column_config.TextColumn("EU lists", width="medium", help=eu_lists.LIST_COLUMN_HELP),
            "score": st.column_config.ProgressColumn("Score (0–1)", min_value=0.0, max_value=1.0,
                                                     format=formatting.table_format(2)),
            "gap_share": st.column_config.ProgressColumn(
                "Rests on gaps", min_value=0.0, max_value=100.0, format=formatting.TABLE_PERCENT,
                help="Share of this score's weight resting on inputs with no data recorded or on weak "
                     "inputs (salience cells without a rated case or without governance data)."),
            "gap_flag": st.column_config.TextColumn(
                "⚑ Top-3 place", width="medium",
                help="Flagged when the place in the top 3 would be lost with the imputed values at their "
                     "lowest."),
            "joint": st.column_config.TextColumn(
                "Joint group", width="medium",
                help="Materials mined together as co- or by-products (links held in the store), "
                     "directly or through another material in view."),
            "partners": st.column_config.TextColumn("Co-/by-product links", width="large"),
            "missing": st.column_config.TextColumn(
                "No data recorded for", width="medium",
                help=("Left out of this material's score." if leave_gaps
                      else f"Imputed: {constants.IMPUTATION_NOTE}.")),
        })
        figure_footer(table, "Ranking", all_sources, all_years, unit="score 0–1; rests on gaps 0–1 (share of weight)",
                      note="Ties share the better rank. ⚑ = a top-3 place that rests on imputed values.",
                      key="dl_pr_rank")

        if st.toggle("Treat joint products together", key="pr_joint",
                     help="Rank each group of co-/by-products as one supply chain, as urgent as its "
                          "most urgent member."):
            grouped = prioritisation.joint_table(ranked, groups, LABELS, _names)
            tables.dataframe(grouped[["rank", "members_text", "score_max", "score_mean", "links"]],
                         hide_index=True, width="stretch", key="pr_joint_table", column_config={
                             "rank": st.column_config.NumberColumn("Rank", format=formatting.TABLE_INTEGER, width="small"),
                             "members_text": st.column_config.TextColumn("Materials acted on together",
                                                                         width="medium"),
                             "score_max": st.column_config.NumberColumn("Score of the most urgent",
                                                                        format=formatting.table_format(2)),
                             "score_mean": st.column_config.NumberColumn("Mean score", format=formatting.table_format(2)),
                             "links": st.column_config.TextColumn("Why they are joined", width="large"),
                         })
            st.caption(source_line(["Raw materials value chain leverages (co-/by-product links)"], [],
                                   note="Only links recorded in the store join materials; partners "
                                        "that are not among the ten materials (tin, lithium, copper) "
                                        "are named but not ranked."))

        st.caption("The raw values behind each criterion, each criterion's share of the score and the "
                   "method: the *Inputs and method* tab.")


# --- inputs and method -----------------------------------------------------------------
def _inputs() -> None:
    """The raw values behind the criteria, each criterion's share of the score, and the method.

    A tab of its own, so that moving a weight on the Ranking tab does not send
    these two tables again (the browser's cost of a rerun grows with its elements).
    """
    if ranked is None:
        st.warning(f"{weight_error} Or choose a preset under Weights below.", icon=":material/balance:")
        return
    st.markdown("**Raw values** behind the criteria, with units and sources")
    values = prioritisation.raw_values_table(raw, ranked.index, LABELS)
    tables.dataframe(values, hide_index=True, width="stretch", key="pr_raw_table",
                     column_config={"Material": st.column_config.TextColumn(pinned=True)})
    method = prioritisation.method_table(weights, crit.years)
    tables.dataframe(formatting.as_shares(method, "Share of score"), hide_index=True, width="stretch",
                     key="pr_method_table", column_config={
        "Criterion": st.column_config.TextColumn(pinned=True),
        "Share of score": st.column_config.NumberColumn(format=formatting.TABLE_PERCENT),
        "Source": st.column_config.TextColumn(width="medium"),
        "What it measures": st.column_config.TextColumn(width="large"),
    })
    figure_footer(lambda shown_detail=detail: values.join(
                      shown_detail.rename(columns=vocabulary.names("criterion")).add_suffix(" · detail")),
                  "Raw criterion values", all_sources,
                  all_years, note=f"Empty inputs read “no data recorded”: {constants.IMPUTATION_NOTE}, or "
                                  "left out; a criterion equal for every material in view scores 0 for all.",
                  key="dl_pr_raw")

    tabs.lazy_expander("How the score is computed", lambda: st.markdown(METHOD), key="pr_method")


# --- robustness ----------------------------------------------------------------------
def _robustness() -> None:
    """How stable the ranking is when weights and inputs are shaken (seeded Monte-Carlo)."""
    st.markdown("Small changes to the weights, or uncertain inputs, should not reorder a clear "
                "ranking. Each draw shakes every weight and every input a little and ranks again; "
                "materials whose ranges overlap are near-ties.")
    r1, r2, r3, r4 = st.columns(4)
    seed = int(r1.number_input("Seed", 0, 1_000_000, scoring.DEFAULT_SEED, key="pr_seed",
                               help="The same seed gives the same result."))
    draws = int(r2.select_slider("Draws", [500, 1000, 2000, 5000], value=2000, key="pr_draws"))
    w_jit = r3.slider("Weight jitter (±%)", 0, 50, 25, key="pr_wjit",
                      help="Each weight is multiplied by a random factor within this range.") / 100
    i_jit = r4.slider("Input jitter (% of range)", 0, 20, 5, key="pr_ijit",
                      help="Standard deviation of the noise on each normalised input; inputs with "
                           "no data recorded are drawn anywhere in 0–1.") / 100
    if ranked is None:
        st.warning(f"{weight_error}", icon=":material/balance:")
    else:
        mc = cached.monte_carlo(norm, tuple(sorted(weights.items())), n=draws, seed=seed,
                              weight_jitter=w_jit, input_jitter=i_jit, missing=missing, leave_gaps_out=leave_gaps)
        mc["name"] = [LABELS[m] for m in mc.index]
        order = [LABELS[m] for m in ranked.index]
        render.chart(priority_charts.robustness_chart, mc, order, key="pr_mc")
        mc_table = mc.loc[ranked.index].assign(rank=ranked["rank"])
        # P(top 3) in the chart's own words ("<1 %", ">99 %"): as a number the table read 100 % where
        # the chart beside it said >99 %.
        shown_mc = mc_table.assign(p_top=mc_table["p_top"].map(priority_charts.percent))
        tables.dataframe(shown_mc[["rank", "name", "p_top", "rank_median", "rank_min", "rank_max"]],
                     hide_index=True, width="stretch", key="pr_mc_table", column_config={
                         "rank": st.column_config.NumberColumn("Rank now", format=formatting.TABLE_INTEGER),
                         "name": "Material",
                         "p_top": st.column_config.TextColumn(
                             f"P(top {constants.TOP_N})", help="Share of the draws that put the material in the "
                                                               f"top {constants.TOP_N}"),
                         "rank_median": st.column_config.NumberColumn("Median rank", format=formatting.table_format(1)),
                         "rank_min": st.column_config.NumberColumn("Best rank", format=formatting.TABLE_INTEGER),
                         "rank_max": st.column_config.NumberColumn("Worst rank", format=formatting.TABLE_INTEGER)})
        figure_footer(mc_table, "Ranking robustness", all_sources, all_years,
                      unit="probability (0–1) and rank",
                      note=f"{draws} draws, seed {seed}, weights ±{formatting.fraction_percent(w_jit)}, inputs σ = {formatting.fraction_percent(i_jit)} "
                           "of the range; " + ("gaps left out." if leave_gaps else "missing inputs drawn uniformly."),
                      key="dl_pr_mc")

# --- salience × leverage ---------------------------------------------------------------
def _salience() -> None:
    """Salience across the materials in view: risk × material heat map and the inputs of a chosen cell."""
    st.markdown("Where is harm most severe and most likely? Each cell is one material and risk at its most "
                "salient value-chain stage: severity of the worst rated case (1–5) × likelihood (1–5, from "
                "how often and how recently cases are recorded and how well governed the producing "
                "countries are). The weights below do not apply. Choose a cell to see what it rests on.")
    cells = cached.salience()
    salience_view.heatmap(cells[cells["material"].isin(shown)], key="pr_sal", names=SHORT)


def _matrix() -> None:
    """Salience × leverage: where each material sits and which kind of leverage fits."""
    st.markdown("First what comes first, then how to act: the vertical axis is the material's salience "
                "(severity × likelihood of its most salient risks) and nothing else; the horizontal axis "
                "is the industry's leverage (automotive share and the organisations and initiatives "
                "already linked to the material). Leverage does not decide priority: it decides the kind "
                "of action. Both run 0–1 across the materials in view; the weights below do not apply. "
                "Each quadrant opens the leverage cards that fit it.")
    pos = prio.positions
    pos_data = pos.rename_axis("material").reset_index()
    pos_data["name"] = pos_data["material"].map(LABELS)
    pos_data["short"] = pos_data["material"].map(SHORT)
    render.chart(priority_charts.matrix_chart, pos_data, key="pr_matrix")
    figure_footer(pos_data.assign(quadrant=pos_data["quadrant"].map(constants.QUADRANT_LABELS)),
                  "Salience and leverage", [*all_sources, "Raw materials value chain leverages (organisations)"],
                  all_years, unit="0–1 across the materials in view (salience 1–25 before scaling)",
                  note="A material sits in the upper or right half from 0.5; * marks inputs with no data "
                       f"recorded ({constants.IMPUTATION_NOTE}).", key="dl_pr_matrix",
                  uses_weights=False)
    for col, quad in zip(st.columns(len(constants.QUADRANTS)), constants.QUADRANTS, strict=True):
        members = [m for m in shown if pos.at[m, "quadrant"] == quad.slug]
        with col.container(border=True, height="stretch"):
            # Markup from constants only; wrapping allowed because the columns are narrow.
            st.markdown(f"<span class='rmo-pill' style='background:{quad.colour};color:{text_on(quad.colour)};"
                        "white-space:normal;"
                        f"display:inline-block'>{quad.label}</span>", unsafe_allow_html=True)
            st.caption(quad.description)
            st.markdown(_names(members) if members else "*No material in view*")
            cats = ", ".join(constants.LEVERAGE_CATEGORY_LABELS[c] for c in quad.categories)
            n_cards = (len(cached.read(queries.leverage_cards, scopes=members, categories=quad.categories))
                       if members else 0)
            if st.button(f"Open {n_cards} card(s)", key=f"pr_quad_{quad.slug}", disabled=not members,
                         on_click=state.set_card_filters, args=(members, quad.categories), icon=":material/style:",
                         help=f"Leverage cards for these materials in: {cats}.", width="stretch"):
                st.switch_page("pages/leverage_cards.py")

# --- scenarios -------------------------------------------------------------------------
def _scenarios() -> None:
    """Saved weight sets, and the comparison of two of them."""
    engine = get_engine()
    st.markdown("Save the current weights under a name to come back to them or to compare two "
                "points of view. Scenarios are stored in the database and shared by everyone using "
                "this app; the page address also holds the current weights.")
    with st.form("pr_save_form", border=True):
        s1, s2 = st.columns([2, 3])
        sc_name = s1.text_input("Scenario name", key="pr_sc_name", max_chars=scenarios.NAME_MAX,
                                placeholder="e.g. Board workshop 2025")
        sc_note = s2.text_input("Note (optional)", key="pr_sc_note", max_chars=scenarios.NOTE_MAX)
        submitted = st.form_submit_button("Save current weights", icon=":material/save:", key="pr_sc_save")
    if submitted:
        with feedback.saving("The scenario"):  # a store fault: one plain sentence, the form kept
            try:
                scenarios.save_scenario(sc_name, weights, materials=state.get("materials"), note=sc_note,
                                       actor=signin.actor(), engine=engine)
                st.success(f"Scenario “{escape_html(sc_name.strip())}” saved.", icon=":material/check:")
            except ValueError as err:
                st.error(escape_html(str(err)), icon=":material/error:")

    saved = scenarios.list_scenarios(engine=engine)
    if saved.empty:
        st.info("No scenario saved yet.", icon=":material/bookmark:")
    else:
        listing = prioritisation.scenario_listing(saved, LABELS)
        tables.dataframe(listing[["name", "weights_text", "materials_text", "note", "created_at"]],
                     hide_index=True, width="stretch", key="pr_sc_table", column_config={
                         "name": "Scenario", "weights_text": st.column_config.TextColumn("Weights", width="large"),
                         "materials_text": "Materials in view", "note": "Note",
                         "created_at": st.column_config.DatetimeColumn("Saved", format="YYYY-MM-DD HH:mm")})
        l1, l2, l3 = st.columns([3, 1, 1], vertical_alignment="bottom")
        chosen = l1.selectbox("Scenario", saved["name"].tolist(), key="pr_sc_pick")
        l2.button("Load", key="pr_sc_load", icon=":material/upload:", width="stretch", on_click=_load_scenario,
                  args=(chosen,))
        feedback.show_flash(LOAD_SLOT)
        if l3.button("Delete", key="pr_sc_delete", icon=":material/delete:", width="stretch"):
            with feedback.saving("The deletion of this scenario"):
                try:
                    scenarios.delete_scenario(int(saved.loc[saved["name"] == chosen, "id"].iloc[0]),
                                             actor=signin.actor(), engine=engine)
                    st.rerun()
                except ValueError as err:
                    st.error(escape_html(str(err)), icon=":material/error:")

        st.markdown("**Compare two scenarios** on the materials now in view")
        options = [CURRENT, *saved["name"].tolist()]
        k1, k2 = st.columns(2)
        name_a = k1.selectbox("Scenario A", options, index=0, key="pr_cmp_a")
        name_b = k2.selectbox("Scenario B", options, index=min(1, len(options) - 1), key="pr_cmp_b")

        def _weights_of(name: str) -> dict[str, int]:
            return weights if name == CURRENT else scenarios.load_scenario(name, engine=engine)["weights"]

        compare = prioritisation.compare_rankings(norm, _weights_of(name_a), _weights_of(name_b), LABELS,
                                                  missing if leave_gaps else None)
        if compare is None:
            st.warning("One of the two has all weights at zero, so it ranks nothing.")
        else:
            styled = compare[["name", "rank_a", "rank_b", "moved"]].style.apply(
                lambda row: ["background-color: #FADBD8" if compare.at[row.name, "change"] else ""] * len(row),
                axis=1)
            left, right = st.columns([2, 3])
            tables.dataframe(styled, container=left, hide_index=True, width="stretch", key="pr_cmp_table", column_config={
                "name": "Material",
                "rank_a": st.column_config.NumberColumn("A", format=formatting.TABLE_INTEGER, width="small", help="Rank in A"),
                "rank_b": st.column_config.NumberColumn("B", format=formatting.TABLE_INTEGER, width="small", help="Rank in B"),
                "moved": st.column_config.TextColumn("Change", width="small",
                                                     help="Places gained (▲) or lost (▼) in B")})
            with right:
                render.chart(priority_charts.scenario_compare_chart, compare.reset_index(drop=True),
                             f"A: {name_a}", f"B: {name_b}", key="pr_cmp_chart")
            figure_footer(compare, f"Scenario comparison {name_a} vs {name_b}", all_sources, all_years,
                          unit="rank (1 = first)", note="Rows in red change rank.", key="dl_pr_cmp",
                          uses_weights=name_a == CURRENT or name_b == CURRENT)


def _lens_note(weights: dict[str, int], matched: str | None) -> None:
    """Say which question the weights answer: the due-diligence rule alone, or a mix of lenses."""
    used = [lens for lens in constants.LENSES if any(weights.get(c, 0) > 0 for c in lens.criteria)]
    others = [lens.label for lens in used if lens.slug != constants.DUE_DILIGENCE]
    if matched == constants.DUE_DILIGENCE or (used and not others):
        st.info(f"**{constants.PRESET_LABELS[constants.DUE_DILIGENCE]}**: only severity and likelihood carry "
                "weight. " + ", ".join(lens.label for lens in constants.LENSES if lens.slug != constants.DUE_DILIGENCE)
                + " are at 0 and play no part; leverage counts later, when choosing how to act (Salience × "
                "leverage tab).", icon=":material/gavel:")
    elif others and any(lens.slug == constants.DUE_DILIGENCE for lens in used):
        st.caption("Mixed lenses: this ranking adds " + ", ".join(others) + " to severity and likelihood, so it "
                   "no longer answers the due-diligence question alone (the due-diligence preset does).")
    elif others:
        st.caption("This ranking weighs " + ", ".join(others) + " only: not the severity or likelihood of harm.")


def _pack_choices(weights: dict[str, int], leave_gaps: bool) -> None:
    """The briefing packs this page offers: the selection as ranked, every material, or one of them.

    Each carries this page's weights; every material is ranked only when that pack is chosen.
    """
    if ranked is None:
        st.info("Set at least one weight above zero to prepare a briefing pack with this ranking.",
                icon=":material/balance:")
        return
    order = list(ranked.index)
    everything = list(crit.raw.index)

    def selection() -> dict[str, object]:
        return {"ranking": long, "weights": weights, "leave_gaps_out": leave_gaps}

    def all_materials() -> dict[str, object]:
        ranked_all = cached.prioritise(everything, weights, leave_gaps)
        return {"ranking": ranked_all.explained, "weights": weights, "leave_gaps_out": leave_gaps}

    choices = [PackChoice("selection", f"Materials in view ({len(order)}), as ranked", order, selection)]
    if set(everything) - set(order):
        choices.append(PackChoice("all", f"All {len(everything)} materials", everything, all_materials))
    choices.append(PackChoice("one", "One material", order, selection, pick_one=True))
    pack_chooser(choices, key="prioritisation", labels=LABELS)


@st.fragment
def _weighted() -> None:
    """The weights and everything that follows them: the tabs and the briefing pack.

    A fragment: moving a weight, opening a tab or a robustness control reruns only
    this, not the router and the sidebar (a sidebar change reruns the whole page,
    and this with it).  The tab bodies read the weights and the ranking from the
    module's names, which this sets on every run.  It writes the URL itself (app.py
    writes it only at the end of a full run); a loaded scenario, which also sets
    the sidebar's materials, reruns the whole page.
    """
    global weights, prio, raw, detail, missing, norm, ranked, weight_error, long, leave_gaps
    if st.session_state.pop(RELOAD, False):
        st.rerun(scope="app")
    # The ranking is drawn above the weights that make it (filled in below, once they are read),
    # so a 1440 × 900 screen opens on the answer rather than on fourteen sliders. The briefing
    # pack's chooser comes first: a closed expander, one line, until a pack is built.
    pack_slot = st.container()
    results = st.container()
    st.subheader("Weights")
    presets = st.container(horizontal=True, vertical_alignment="center", gap="small")
    presets.markdown("Start from a preset:")
    matched = scoring.matching_preset(_weights())
    for name in constants.WEIGHT_PRESETS:
        # Filled only for the preset the weights match: a filled "Due diligence" beside
        # "Now: Balanced" read as if both were chosen.
        presets.button(constants.PRESET_LABELS[name], key=f"preset_{name}", on_click=_set_weights,
                       args=(dict(constants.WEIGHT_PRESETS[name]),), icon=":material/tune:",
                       type="primary" if name == matched else "secondary")
    presets.caption(f"Now: **{constants.PRESET_LABELS[matched]}**" if matched else "Now: custom weights")
    # One group of sliders per lens, so what answers the due-diligence question stays apart.
    for lens in constants.LENSES:
        group = [c for c in constants.CRITERIA if c.slug in lens.criteria]
        with st.container(border=True):
            st.markdown(f"**{lens.label}** · <small>{lens.description}</small>", unsafe_allow_html=True)
            # Bottom-aligned: a display name that wraps to two lines keeps its slider in line with the others.
            for col, criterion in zip(st.columns(5, vertical_alignment="bottom"), group, strict=False):
                # The display name (a phone stacks the columns, full width); the unit is in the help.
                col.slider(vocabulary.name("criterion", criterion.slug), 0, constants.WEIGHT_MAX,
                           **state.widget(WEIGHT_KEYS[criterion.slug]),
                           help=f"**{criterion.label}.** {criterion.description} Unit: {criterion.unit}. "
                                f"Source: {criterion.source}. 0 = leave out; the score rescales the weights "
                                "to add up to 100 %.")
    weights = _weights()
    _lens_note(weights, matched)
    # Registered in components.state: a link keeps it (``?pr_leave_gaps=1``), like the weights.
    leave_gaps = bool(st.toggle("Leave gaps out", **state.widget(LEAVE_GAPS),
                                help="Score each material only on the criteria recorded for it (its weights "
                                     f"rescaled over them) instead of imputing gaps ({constants.IMPUTATION_NOTE})."))
    if len(shown) < 2:
        results.info("A ranking needs at least two materials in view. Choose more in the sidebar, or reset "
                "the filters.", icon=":material/filter_alt_off:")
        state.write_to_url()
        return
    prio = cached.prioritise(shown, weights, leave_gaps)
    raw, detail, missing, norm = prio.raw, prio.detail, prio.missing, prio.normalised
    ranked, weight_error, long = prio.ranked, prio.weight_error, prio.explained

    # Only the open tab is built (components.tabs): moving a weight on the Ranking tab never
    # runs the Monte-Carlo, and opening Robustness runs it once per inputs (kept by cached.monte_carlo).
    with results:
        tabs.lazy_tabs({"Ranking": _ranking, "Inputs and method": _inputs, "Salience": _salience,
                        "Robustness": _robustness, "Salience × leverage": _matrix, "Scenarios": _scenarios},
                       key="pr_tab")

    with pack_slot:
        _pack_choices(weights, leave_gaps)
    state.write_to_url()  # a fragment's run skips app.py's own write


_weighted()
