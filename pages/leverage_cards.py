"""Leverage cards: what the industry can do, by whom, towards whom, and an action plan to track it.

The filters here are the page's own (and in the URL), so a link from the
prioritisation matrix can pre-set them without touching the sidebar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from components import cards, feedback, render, router, state, tables, tabs
from components import signin
from rmo_data.charts import material_charts
from components import cached
from components.provenance import download_buttons, figure_footer, view_about
from components.safe import escape_html
from rmo_data import about, constants
from rmo_data import faults
from rmo_data.store import action_plan
from rmo_data.store import queries
from rmo_data.store import scenarios
from rmo_data.store.engine import get_engine

router.guard(__file__)

PAGE_SIZE = 10
SCOPE_LABELS = {**constants.MATERIAL_LABELS, constants.CROSS_MATERIAL: constants.CROSS_MATERIAL_LABEL}
SLOT = "leverage_cards"  # where a plan change is reported after the rerun


def _go_org(slug: str, name: str, materials: list[str]) -> None:
    """Open the stakeholders page on this organisation: searched by name, its cards shown.

    The sidebar's materials in view are widened only when none of them is linked
    to the organisation (the page would hide it otherwise).
    """
    st.session_state["org"] = slug
    st.session_state["org_text"] = name
    st.session_state["org_type"] = []
    in_view = state.material_filter()
    if in_view and not set(in_view) & set(materials):
        st.session_state["materials"] = []
        st.session_state["lists"] = []


PLAN_FIELDS = ("plan_owner", "plan_due", "plan_status", "plan_note")  # the add form's widget keys
PLAN_OPEN = "lc_plan_open"  # the card whose "Add to plan" dialog is open (one dialog for all cards)


def _open_plan(leverage_id: str) -> None:
    """A card's "Add to plan" button: open the shared dialog on that card."""
    st.session_state[PLAN_OPEN] = leverage_id


def _close_plan() -> None:
    """The dialog was closed without adding: forget which card it was on (what was typed stays)."""
    st.session_state.pop(PLAN_OPEN, None)


def _add(leverage_id: str, title: str) -> None:
    """Submit callback of the "Add to plan" dialog: store the item, then empty the form and close.

    On a refusal or a store fault the dialog stays open with what was typed, so
    nothing is lost, and says why inside the dialog.
    """
    owner, due, status, note = (st.session_state.get(f"{field}_{leverage_id}") for field in PLAN_FIELDS)
    try:
        action_plan.add_plan_item(leverage_id, owner=owner or "", due_date=due,
                                  status=status or constants.PLAN_STATUS_SLUGS[0], note=note or "",
                                  actor=signin.actor(), engine=get_engine())
    except ValueError as err:
        feedback.flash(f"Not added: {err}", "error", DIALOG_SLOT)
    except faults.WRITE_ERRORS as err:
        feedback.flash(feedback.failed_save_text("The plan item", err), "error", DIALOG_SLOT)
    else:
        feedback.flash(f"Added {leverage_id} “{title}” to the action plan.", "success", SLOT)
        st.session_state.pop(PLAN_OPEN, None)
        for field in PLAN_FIELDS:  # widgets come back empty the next time the dialog opens
            st.session_state.pop(f"{field}_{leverage_id}", None)


DIALOG_SLOT = "leverage_cards_dialog"  # a refusal is said inside the dialog, next to the form


@st.dialog("Add to the action plan", on_dismiss=_close_plan)
def _plan_dialog(lev_id: str, title: str) -> None:
    """The one "Add to plan" form, on the card the user opened it from.

    The widget keys carry the card's id, so what was typed for one card is still
    there when the user comes back to it, and never lands on another card.
    """
    if not feedback.pending(DIALOG_SLOT) and PLAN_OPEN not in st.session_state:
        st.rerun(scope="app")  # added: close the dialog, show the message on the page
    st.markdown(f"**{escape_html(lev_id)}** · {escape_html(title)}")
    feedback.show_flash(DIALOG_SLOT)
    # Not clear_on_submit: the callback empties the form only once the item is stored.
    with st.form(f"plan_form_{lev_id}", border=False):
        st.text_input("Owner", key=f"plan_owner_{lev_id}", max_chars=action_plan.OWNER_MAX,
                      placeholder="Team or person")
        st.date_input("Due date", value=None, key=f"plan_due_{lev_id}", format="YYYY-MM-DD")
        st.selectbox("Status", constants.PLAN_STATUS_SLUGS, key=f"plan_status_{lev_id}",
                     format_func=constants.PLAN_STATUS_LABELS.__getitem__)
        st.text_area("Note", key=f"plan_note_{lev_id}", max_chars=scenarios.NOTE_MAX, height=80)
        st.form_submit_button("Add to plan", key=f"plan_add_{lev_id}", type="primary",
                              icon=":material/add:", on_click=_add, args=(lev_id, title))


def _footer(row: Mapping[str, Any], org_short: Mapping[str, str], org_names: Mapping[str, str],
            org_materials: Mapping[str, list[str]], in_plan: Mapping[str, int]) -> None:
    """Under each card: add it to the plan (or say it is there); open the organisations it names."""
    lev_id = str(row["id"])
    bar = st.container(horizontal=True, vertical_alignment="center", gap="small")
    if in_plan.get(lev_id):
        bar.caption(f":material/check_circle: In the action plan (item #{in_plan[lev_id]})")
    else:
        bar.button("Add to plan", icon=":material/playlist_add:", key=f"plan_open_{lev_id}",
                   on_click=_open_plan, args=(lev_id,))
    for slug in row.get("organisations", []) or []:
        if bar.button(escape_html(org_short.get(slug, slug)), key=f"org_{lev_id}_{slug}", type="tertiary",
                      icon=":material/arrow_outward:", on_click=_go_org,
                      args=(slug, org_names.get(slug, slug), list(org_materials.get(slug, []))),
                      help=f"Open {escape_html(org_names.get(slug, slug))} on the Stakeholders page"):
            st.switch_page("pages/stakeholders.py")


def _category_counts(levs: pd.DataFrame) -> pd.DataFrame:
    """What the card-count chart draws: cards per leverage category, by its label."""
    return levs.groupby("category", as_index=False).agg(cards=("id", "count")).assign(
        category=lambda f: f["category"].map(constants.LEVERAGE_CATEGORY_LABELS))


def _export(levs: pd.DataFrame) -> pd.DataFrame:
    """The cards as the download holds them: labels for slugs, lists joined with "; "."""
    return levs.assign(
        material=levs["material"].map(lambda m: SCOPE_LABELS.get(m, m)
                                      if isinstance(m, str) else constants.CROSS_MATERIAL_LABEL),
        category=levs["category"].map(constants.LEVERAGE_CATEGORY_LABELS),
        actor=levs["actor"].map(constants.ACTOR_LABELS),
        **{col: levs[col].map(lambda v: "; ".join(v)) for col in ("targets", "stages", "risks",
                                                                    "organisations")}).drop(columns=["source_id"])


cards.inject_css()
st.title("Leverage cards")
st.markdown("Recommended actions from the report, each classified by the five Shift leverage "
            "categories: who acts (an individual carmaker or Drive Sustainability), towards whom, at "
            "which stages and against which risks. Add the ones you will pursue to the action plan.")

# The banner is at the top; a toast also shows it next to where the user clicked.
feedback.show_flash(SLOT, icon=":material/playlist_add_check:", toast=True)

orgs = cached.read(queries.organisations)
org_names = dict(zip(orgs["slug"], orgs["name"], strict=True))
org_short = {s: (a if isinstance(a, str) and a else n)
             for s, a, n in zip(orgs["slug"], orgs["acronym"], orgs["name"], strict=True)}
org_materials = dict(zip(orgs["slug"], orgs["materials"], strict=True))
unknown = [o for o in state.get("lc_org") if o not in org_names]
if unknown:
    # Organisation slugs come from the URL unchecked; keep only those the store knows.
    st.session_state["lc_org"] = [o for o in state.get("lc_org") if o in org_names]
    st.warning(f"Ignored unknown organisations in the link: {escape_html(', '.join(unknown))}",
               icon=":material/link_off:")

engine = get_engine()
# Only the open tab is built (a click on a tab reruns the page): the plan's table and edit form
# cost the cards' first render nothing until someone opens the plan.
tab_cards, tab_plan = st.tabs(["Cards", "Action plan"], key="lc_tab", on_change="rerun")


def _finer_filters(org_names: Mapping[str, str], org_short: Mapping[str, str]) -> None:
    """Actor, target, stage, risk and organisation: two rows of three on a laptop."""
    f1, f2, f3 = st.columns(3)
    f1.multiselect("Actor", constants.ACTOR_SLUGS, **state.widget("lc_actor"),
                   format_func=constants.ACTOR_LABELS.__getitem__, placeholder="Both")
    f2.multiselect("Target", constants.TARGET_SLUGS, **state.widget("lc_target"),
                   format_func=constants.TARGET_LABELS.__getitem__, placeholder="All targets")
    f3.multiselect("Stage", constants.STAGE_SLUGS, **state.widget("lc_stage"),
                   format_func=constants.STAGE_LABELS.__getitem__, placeholder="All stages")
    g1, g2, _ = st.columns(3)
    g1.multiselect("Risk addressed", constants.RISK_CATEGORY_SLUGS, **state.widget("lc_risk"),
                   format_func=constants.RISK_CATEGORY_LABELS.__getitem__, placeholder="All risks")
    g2.multiselect("Organisation to engage", sorted(org_names, key=lambda s: org_short[s].lower()),
                   **state.widget("lc_org"), format_func=lambda s: org_short.get(s, s),
                   placeholder="Any organisation")


@st.fragment
def _cards() -> None:
    """The card filters, the cards they select, their chart and download.

    A fragment: a filter, a search or a page number reruns only this, not the
    router, the sidebar and the plan tab.  So it writes the URL itself (app.py
    writes it only at the end of a full run), and a plan change (the card forms'
    callback leaves a message at the top of the page) reruns the whole page, so
    the message and the plan tab follow.
    """
    if feedback.pending(SLOT):
        st.rerun(scope="app")
    plan = action_plan.list_plan_items(engine=engine)  # which cards are in the plan already
    filters = dict(scopes=state.get("lc_mat"), categories=state.get("lc_cat"), actors=state.get("lc_actor"),
                   targets=state.get("lc_target"), stages=state.get("lc_stage"), risks=state.get("lc_risk"),
                   organisations=state.get("lc_org"), text=state.get("lc_text"))
    # Browsing by category and by material: one click on a pill, each naming how many cards it
    # holds under the other filters (a page-number box was the only way through 200 cards).
    by_category = cached.read(queries.leverage_card_counts, "category", **{**filters, "categories": []})
    by_scope = cached.read(queries.leverage_card_counts, "scope", **{**filters, "scopes": []})
    st.pills("Leverage category", constants.LEVERAGE_CATEGORY_SLUGS, selection_mode="multi",
             **state.widget("lc_cat"),
             format_func=lambda c: f"{constants.LEVERAGE_CATEGORY_LABELS[c]} ({by_category.get(c, 0)})",
             help="Choose one or more; none = all five.")
    st.pills("Material", [*constants.MATERIAL_SLUGS, constants.CROSS_MATERIAL], selection_mode="multi",
             **state.widget("lc_mat"), format_func=lambda m: f"{SCOPE_LABELS[m]} ({by_scope.get(m, 0)})",
             help="Choose one or more; none = every material, cross-material cards included.")
    st.text_input("Search action text", **state.widget("lc_text"), max_chars=100,
                  placeholder="e.g. audit, union, traceability")
    # The five finer filters behind one click: on a phone they stood as five boxes between the
    # pills and the cards.  Built only while open; a filter set by a link opens it, and each keeps
    # its value while closed (persisted widget state), so a closed box still filters.
    finer = ("lc_actor", "lc_target", "lc_stage", "lc_risk", "lc_org")
    tabs.lazy_expander("More filters: actor, target, stage, risk, organisation",
                       lambda: _finer_filters(org_names, org_short), key="lc_more",
                       expanded=any(state.get(k) for k in finer), icon=":material/tune:")

    levs = cached.read(queries.leverage_cards, **filters)
    active = sum(bool(v) for v in filters.values())

    stats, chart = st.columns([2, 3], gap="large")
    with stats:
        figures = st.container(horizontal=True, gap="medium")  # one wrapping row (a phone stacked columns)
        figures.metric("Cards shown", len(levs))
        figures.metric("Materials", int(levs["material"].nunique()) if not levs.empty else 0)
        figures.metric("Cross-material", int(levs["material"].isna().sum()) if not levs.empty else 0)
        if active:
            st.button(f"Clear {active} card filter(s)", on_click=state.set_card_filters,
                      icon=":material/filter_alt_off:", key="lc_clear")
    if not levs.empty:
        with chart:
            # Spec kept per set of counted cards (components.render): a new page number redraws nothing.
            render.chart(material_charts.category_counts_chart, levs[["id", "category"]], key="lc_counts")
            # The download frames are made only when a button is clicked (figure_footer takes a function).
            figure_footer(lambda: _category_counts(levs), "Cards per leverage category",
                          levs["source_title"].unique(), [], unit="cards (count)", key="dl_lc_counts")

    if levs.empty:
        st.info("No card matches these filters. Widen the search or clear the filters.",
                icon=":material/search_off:")
    else:
        pages = max(1, -(-len(levs) // PAGE_SIZE))
        if int(st.session_state.get(state.CARD_PAGE, 1)) > pages:
            st.session_state[state.CARD_PAGE] = 1
        p1, p2 = st.columns([5, 1], vertical_alignment="bottom")
        page_no = int(p2.number_input("Page", 1, pages, key=state.CARD_PAGE, step=1,
                                      help=f"{PAGE_SIZE} cards per page"))
        start = (page_no - 1) * PAGE_SIZE
        p1.caption(f"Cards {start + 1}–{min(start + PAGE_SIZE, len(levs))} of {len(levs)}, by card id "
                   f"(page {page_no} of {pages}). “Add to plan” puts a card in the action plan; an "
                   "organisation's name opens it on the Stakeholders page.")
        # Each card's plan item, if it has one (the store refuses a second).
        in_plan = dict(zip(plan["leverage_id"], plan["id"].astype(int), strict=True))
        grid = st.columns(2)
        shown = levs.iloc[start:start + PAGE_SIZE]
        for i, (_, lev) in enumerate(shown.iterrows()):
            # pandas reads a cross-material card's NULL material as NaN; the card expects None.
            row = {**lev.to_dict(), "material": lev["material"] if isinstance(lev["material"], str) else None}
            with grid[cards.column_of(i, len(shown))]:  # in id order on a phone too
                cards.leverage_card(row, org_names,
                                    footer=lambda r: _footer(r, org_short, org_names, org_materials, in_plan))
        opened = st.session_state.get(PLAN_OPEN)
        if opened is not None:
            titles = levs.loc[levs["id"] == opened, "title"]
            if titles.empty or opened in in_plan:
                st.session_state.pop(PLAN_OPEN)  # filtered away or added meanwhile: nothing to open
                feedback.forget(DIALOG_SLOT)
            else:
                _plan_dialog(opened, str(titles.iloc[0]))
        figure_footer(lambda: _export(levs), "Leverage cards", levs["source_title"].unique(),
                      [], note="Actions paraphrased from the report; section names where each comes from.",
                      key="dl_lc_cards")
    state.write_to_url()  # a fragment's run skips app.py's own write


def _plan() -> None:
    """The action plan: its table, downloads and the form that edits or removes an item."""
    plan = action_plan.list_plan_items(engine=engine)  # read again: a card may just have been added
    st.markdown("The cards your team has decided to pursue, with owner, due date and status. The plan "
                "is stored in the database (every change is written to the audit log) and shared by "
                "everyone using this app.")
    if plan.empty:
        st.info("The plan is empty. Use “Add to plan” on a card.", icon=":material/playlist_add:")
    else:
        export = action_plan.plan_export_frame(plan)
        tables.dataframe(export, hide_index=True, width="stretch", key="lc_plan_table", column_config={
            "Card": st.column_config.TextColumn(pinned=True),
            "Action": st.column_config.TextColumn(width="medium"),
            "Note": st.column_config.TextColumn(width="medium")})
        d1, d3 = st.columns([2, 3], vertical_alignment="center")
        with d1:  # a zip of the CSV and its about.csv, and a workbook with an About sheet, made on click
            plan_source = "Raw materials value chain leverages (Raw Materials Outlook)"
            download_buttons(export, "Action plan", "dl_plan_csv", file_stem="rmo-action-plan",
                             csv_label="Plan (CSV)", xlsx_label="Plan (XLSX)", kind="secondary",
                             xlsx_key="dl_plan_xlsx",
                             facts=view_about("Action plan", about.source_text([plan_source], [2021], note=(
                                 "Owners, dates, status and notes: entered in this app.")), [plan_source],
                                 filtered=False))
        d3.caption(f"{len(plan)} item(s). Cards: Raw materials value chain leverages (Levin Sources for "
                   "Drive Sustainability, 2021); owners, dates, status and notes: entered in this app.")

        st.markdown("**Edit an item**")
        labels = {int(i): f"#{int(i)} · {lid} · {t if isinstance(t, str) else 'card no longer in the store'}"
                  for i, lid, t in zip(plan["id"], plan["leverage_id"], plan["title"], strict=True)}
        item_id = st.selectbox("Item", list(labels), format_func=labels.__getitem__, key="lc_plan_pick")
        item = plan[plan["id"] == item_id].iloc[0]
        with st.form(f"plan_edit_{item_id}"):
            e1, e2, e3 = st.columns(3)
            owner = e1.text_input("Owner", value=item["owner"] or "", key=f"edit_owner_{item_id}",
                                  max_chars=action_plan.OWNER_MAX)
            due_value = item["due_date"] if isinstance(item["due_date"], dt.date) else None
            due = e2.date_input("Due date", value=due_value, key=f"edit_due_{item_id}", format="YYYY-MM-DD")
            status = e3.selectbox("Status", constants.PLAN_STATUS_SLUGS, key=f"edit_status_{item_id}",
                                  index=constants.PLAN_STATUS_SLUGS.index(item["status"])
                                  if item["status"] in constants.PLAN_STATUS_SLUGS else 0,
                                  format_func=constants.PLAN_STATUS_LABELS.__getitem__)
            note = st.text_area("Note", value=item["note"] or "", key=f"edit_note_{item_id}",
                                max_chars=scenarios.NOTE_MAX, height=80)
            save = st.form_submit_button("Save changes", icon=":material/save:", key=f"edit_save_{item_id}")
        if save:
            with feedback.saving(f"The change to item #{int(item_id)}"):
                try:
                    action_plan.update_plan_item(int(item_id), owner=owner, due_date=due, status=status,
                                              note=note, actor=signin.actor(), engine=engine)
                    feedback.flash(f"Saved item #{int(item_id)}.", "success", SLOT)
                    st.rerun()
                except ValueError as err:
                    st.error(escape_html(str(err)), icon=":material/error:")
        if st.button("Remove this item from the plan", key=f"edit_delete_{item_id}", icon=":material/delete:"):
            with feedback.saving(f"The removal of item #{int(item_id)}"):
                try:
                    action_plan.delete_plan_item(int(item_id), actor=signin.actor(), engine=engine)
                    feedback.flash(f"Removed item #{int(item_id)}.", "success", SLOT)
                    st.rerun()
                except ValueError as err:
                    st.error(escape_html(str(err)), icon=":material/error:")


if tab_plan.open:
    with tab_plan:
        _plan()
else:
    with tab_cards:
        _cards()
