"""The Workshop page's partner modes: facilitate (create, watch live, close), present, read closed records.

Facilitating, presenting and the closed records need a partner to be signed
in (the page checks ``workshop_view.mode_allowed``).  The live view and the
projector view are fragments that rerun every 5 seconds; a close made in
another window shows at once.  Only the workshop's creator or an editor may
close it (``participants.may_close``), after a confirmation step.  Creating
and closing go through ``feedback.saving``: a store fault is one plain
message and the form keeps what was entered.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from components import cached, feedback, signin, state, tables
from components import workshop_view as view
from components.workshop_consensus import consensus_block
from components.safe import escape_html
from rmo_data import constants
from rmo_data.analysis import scoring
from rmo_data.charts import plotly_charts, qr_code
from rmo_data.store.engine import get_engine
from rmo_data.workshops import group_result, lifecycle, participants
from rmo_data.workshops.group_result import GroupResult

CONFIRM = "_ws_confirm_close"
FLASH_SLOT = "workshop_page"  # feedback slot of the page's own notes (created, closed)

# QR codes: small in the share box (a laptop), large on the projector (read from the back of a room).
QR_SHARE_PX = 180
QR_PRESENT_PX = 260

# The live view's detail, one click away behind the group ranking. Only the chosen block is drawn:
# the live view reruns every 5 seconds, and a chart hidden in a tab would still cost its run.
DETAIL = {"ranking": "Group ranking", "weights": "Weights", "profiles": "Weight profiles",
          "ranks": "Rank spread", "default": "Versus model default"}

# Presentation mode: the join code in very large, widely spaced type. Constant CSS only.
PRESENT_CODE_CSS = """
<style>
.st-key-ws_present_code [data-testid="stMetric"]:first-of-type [data-testid="stMetricValue"] p {
  font-size: 4.2rem; letter-spacing: 0.08em; line-height: 1.05;}
</style>
"""


def _open_workshop(code: str) -> None:
    st.session_state["ws"] = code
    st.session_state["present"] = 0


def _leave() -> None:
    st.session_state["ws"] = ""
    st.session_state["present"] = 0
    st.session_state.pop(CONFIRM, None)


def _create_form() -> None:
    names = cached.material_labels()
    slugs = cached.material_slugs()
    st.markdown("Create a workshop: participants join with a short code on their own devices, "
                "set their own weights, and you watch the group ranking form.")
    with st.form("ws_create_form", border=True):
        wname = st.text_input("Workshop name", key="ws_new_name", max_chars=lifecycle.NAME_MAX,
                              placeholder="e.g. Supplier day, Munich")
        mats = st.multiselect("Materials in scope", slugs, default=state.selected_materials(),
                              key="ws_new_materials", format_func=lambda m: names.get(m, m),
                              help=f"At least {lifecycle.MIN_MATERIALS}. The sidebar's materials are "
                                   "the starting point.")
        crits = st.multiselect("Criteria the participants weigh", list(constants.CRITERION_SLUGS),
                               default=list(constants.CRITERION_SLUGS), key="ws_new_criteria",
                               format_func=constants.CRITERION_LABELS.__getitem__)
        create = st.form_submit_button("Create workshop", key="ws_create", type="primary",
                                       icon=":material/add_circle:")
    if create:
        code = None
        with feedback.saving("The new workshop"):
            try:
                _, code = lifecycle.create_workshop(wname, mats, crits, engine=get_engine(),
                                                    actor=signin.actor())
            except ValueError as err:
                st.error(escape_html(str(err)), icon=":material/error:")
        if code:
            _open_workshop(code)
            # Only a generated code in a fixed sentence: shown as written, as before.
            feedback.flash(f"Workshop created. Its join code is {code}.", slot=FLASH_SLOT, escape=False)
            st.rerun()

    open_ws = lifecycle.list_workshops(lifecycle.OPEN, get_engine())
    st.markdown("**Open workshops**")
    if open_ws.empty:
        st.caption("None open at the moment.")
        return
    tables.dataframe(open_ws[["name", "code", "created_at", "submissions", "n_materials"]], hide_index=True,
                     width="stretch", key="ws_open_table", column_config={
                         "name": "Workshop", "code": "Join code",
                         "created_at": st.column_config.DatetimeColumn("Created (UTC)", format="YYYY-MM-DD HH:mm"),
                         "submissions": st.column_config.NumberColumn("Submitted", format="%d"),
                         "n_materials": st.column_config.NumberColumn("Materials", format="%d")})
    labels = dict(zip(open_ws["code"], open_ws["name"], strict=True))
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    pick = c1.selectbox("Resume a workshop", list(labels), key="ws_resume_pick",
                        format_func=lambda c: f"{labels[c]} ({c})")
    c2.button("Resume", key="ws_resume", on_click=_open_workshop, args=(pick,), icon=":material/play_arrow:",
              width="stretch")


def _qr(link: str, size_px: int) -> None:
    """The QR code of ``link``, drawn here (``charts.qr_code``), at its own pixel size so it stays sharp."""
    png = qr_code.join_qr_png(link, size_px)
    st.image(png, width=qr_code.png_width(png))


def _share_box(code: str) -> None:
    """The join code, its QR code and link, stacked: the right-hand column of the live view."""
    link = view.join_link(code)
    with st.container(border=True, key="ws_share"):
        st.metric("Join code", code)
        _qr(link, QR_SHARE_PX)
        st.markdown("**Participants open this link** on their own device (or scan the QR code), or open "
                    "the Workshop page and type the code:")
        st.code(link, language=None, wrap_lines=True)


def _profiles_block(result: GroupResult, key: str, big: bool = False, named: bool = True) -> None:
    """The participants' weight profiles as parallel coordinates (Plotly: brushable, reorderable axes)."""
    fig = plotly_charts.weight_profiles_chart(result.shares, list(result.criteria), named=named, big=big)
    # No Plotly logo; the toolbar keeps what the Altair charts' toolbar offers (a PNG of the chart).
    st.plotly_chart(fig, width="stretch", key=f"{key}_profiles", config={"displaylogo": False})


def _live_result(result: GroupResult, key: str) -> None:
    """The group ranking first; the weights, profiles, rank spread and model default one click away."""
    if result.missing_materials:
        st.caption("Left out because the store no longer holds them: "
                   f"{', '.join(escape_html(m) for m in result.missing_materials)}.")
    chosen = st.segmented_control("Show", list(DETAIL), format_func=DETAIL.__getitem__, key="ws_live_detail",
                                  default="ranking", required=True, label_visibility="collapsed")
    if chosen == "profiles":
        _profiles_block(result, key)
    elif chosen in (None, "ranking"):
        view.ranking_block(result, key, fold=True)
    else:
        {"weights": view.weights_block, "ranks": view.ranks_block, "default": view.default_block}[chosen](result, key)
    # Where the group splits, under the chart it explains (the chart's red bars are the same flags).
    text = view.disagreements(result)
    if text:
        st.warning(text, icon=":material/call_split:")
    else:
        st.success("No strong disagreement: weights and rankings stay close.", icon=":material/handshake:")
    consensus_block(result, key)  # group method: agreement (Kendall's W) and the criteria most apart


@st.fragment(run_every="5s")
def _live(code: str, crit: scoring.CriteriaData) -> None:
    """The live part of the facilitator's view: only this reruns every 5 seconds."""
    ws = lifecycle.get_workshop(code, get_engine())
    if ws["status"] != lifecycle.OPEN:
        st.rerun(scope="app")  # closed from another window: show the frozen record
    subs = lifecycle.list_submissions(code, get_engine())
    result = group_result.aggregate_from(ws, subs, crit)  # the frame just read gives the count too
    if subs.empty:
        st.metric("Submitted", 0, help="Participants who have submitted weights (revisions count once).")
        st.caption("Waiting for the first submission. This view refreshes every 5 seconds.")
        view.result_view(result, f"live_{code}", show_count=False)  # the model default until then
        return
    top = result.ranking.iloc[0]
    borda_top = result.ranking.sort_values(["borda_rank"], kind="stable").iloc[0]
    c1, c2, c3 = st.columns([1, 2, 2])
    c1.metric("Submitted", len(subs), help="Participants who have submitted weights (revisions count once).")
    # A metric's value is markdown too: the names come from the store.
    c2.metric("Group's first priority", escape_html(top["name"]), help="Highest score with the mean of the weights.")
    c3.metric("First by Borda count", escape_html(borda_top["name"]),
              help="Most points when every participant's own ranking is counted.")
    latest = subs.sort_values("submitted_at").iloc[-1]
    st.caption(f"**Submitted:** {', '.join(escape_html(p) for p in subs['participant'])} · Latest: "
               f"{escape_html(latest['participant'])} at {view.when(latest['submitted_at'])}. "
               "This view refreshes every 5 seconds.")
    _live_result(result, f"live_{code}")


def _ask_close(code: str | None) -> None:
    """Show (code) or dismiss (None) the confirmation step."""
    if code is None:
        st.session_state.pop(CONFIRM, None)
    else:
        st.session_state[CONFIRM] = code


def _close_controls(ws: dict[str, Any], crit: scoring.CriteriaData) -> None:
    code = ws["code"]
    st.subheader("Close the workshop")
    if not participants.may_close(ws, signin.actor(), signin.role()):
        st.info(f"Only {escape_html(str(ws['created_by']))}, who created this workshop, or an editor can "
                "close it. You can follow it and present it here.", icon=":material/lock_person:")
        return
    if st.session_state.get(CONFIRM) != code:
        st.caption("Closing stops submissions and freezes the record: who submitted what and when, and "
                   "the group result. It cannot be reopened.")
        st.button("Close workshop…", key="ws_close", icon=":material/lock:", on_click=_ask_close,
                  args=(code,))
        return
    n = len(lifecycle.list_submissions(code, get_engine()))
    st.warning(f"Close now with {n} submission(s)? Participants can no longer submit or revise, and "
               "the result is frozen as it stands.", icon=":material/warning:")
    c1, c2, _ = st.columns([1, 1, 3])
    yes = c1.button("Yes, close it", key="ws_close_yes", type="primary", icon=":material/lock:",
                    width="stretch")
    c2.button("Cancel", key="ws_close_no", on_click=_ask_close, args=(None,), width="stretch")
    if yes:
        record = None
        with feedback.saving("Closing the workshop"):
            try:
                # The signed-in user is the record's closed_by; the role decides whether they may.
                record = lifecycle.close_workshop(code, engine=get_engine(), actor=signin.actor(),
                                                  criteria=crit, role=signin.role())
            except ValueError as err:
                st.error(escape_html(str(err)), icon=":material/error:")
        if record is not None:
            st.session_state.pop(CONFIRM, None)
            feedback.flash(f"Workshop closed with {record['result']['n']} submission(s); its record is frozen.",
                           slot=FLASH_SLOT, escape=False)  # a count in a fixed sentence
            st.rerun()


def _start_presenting() -> None:
    st.session_state["present"] = 1


def facilitator_view() -> None:
    """Facilitating: the create form and open workshops, or the chosen workshop live (or frozen)."""
    code = participants.normalise_code(state.get("ws"))
    if not code:
        _create_form()
        return
    ws = view.fetch(code)
    if ws is None:
        st.button("Back to the workshop list", key="ws_leave_bad", on_click=_leave)
        return
    head = st.container(horizontal=True, vertical_alignment="center", gap="small")
    head.subheader(escape_html(ws["name"]), width="stretch")
    head.button("Presentation mode", key="ws_present", icon=":material/co_present:",
                on_click=_start_presenting)
    head.button("Other workshops", key="ws_leave", icon=":material/list:", on_click=_leave)
    view.about(ws)
    if ws["status"] != lifecycle.OPEN:
        view.frozen_view(ws, f"wsf_{code}", facilitator=True)
        return
    crit = cached.criteria()
    # The live result on the left, the way in on the right: the ranking starts high on a projector.
    live, share = st.columns([3, 1], gap="medium")
    with share:
        _share_box(code)
    with live:
        _live(code, crit)
    _close_controls(ws, crit)


def closed_list_view() -> None:
    """Closed workshops: the list, newest first, and the chosen one's frozen record."""
    closed = lifecycle.list_workshops(lifecycle.CLOSED, get_engine())
    if closed.empty:
        st.info("No workshop has been closed yet.", icon=":material/inventory_2:")
        return
    tables.dataframe(closed[["name", "code", "closed_at", "submissions", "n_materials"]], hide_index=True,
                     width="stretch", key="ws_closed_table", column_config={
                         "name": "Workshop", "code": "Code",
                         "closed_at": st.column_config.DatetimeColumn("Closed (UTC)", format="YYYY-MM-DD HH:mm"),
                         "submissions": st.column_config.NumberColumn("Submissions", format="%d"),
                         "n_materials": st.column_config.NumberColumn("Materials", format="%d")})
    labels = {r.code: f"{r.name} ({r.code}, closed {r.closed_at:%Y-%m-%d})" for r in closed.itertuples()}
    if state.get("ws_closed") not in labels:
        st.session_state["ws_closed"] = next(iter(labels))
    chosen = st.selectbox("Workshop record", list(labels), format_func=labels.__getitem__,
                          **state.widget("ws_closed"))
    ws = view.fetch(chosen)
    if ws is not None:
        st.subheader(escape_html(ws["name"]))
        view.about(ws)
        view.frozen_view(ws, f"wsc_{chosen}", facilitator=True)


# --- presentation ---------------------------------------------------------------------------------

PRESENT_CHOICES = {**{k: label for k, (label, _) in view.PRESENT_BLOCKS.items()}, "profiles": "Weight profiles"}


def _present_body(result: GroupResult, code: str, is_open: bool, named: bool = True) -> None:
    """Presentation mode's body: QR code, join code in large type, the count, a chart picker, one chart."""
    link = view.join_link(code)
    # The chart on the left, the way in on the right: a ten-material ranking fits one projector screen.
    board, side = st.columns([3, 1], gap="medium")
    with side.container(key="ws_present_code"):
        st.metric("Join code", code)
        if is_open:
            _qr(link, QR_PRESENT_PX)
            st.markdown("**Join on your own device:** scan the QR code, or open")
            st.code(link, language=None, wrap_lines=True)
        else:
            st.markdown("**Closed**: the result is frozen.")
        st.metric("Submitted", result.n)
        if named and result.n:
            st.caption(", ".join(escape_html(p) for p in result.shares["participant"].unique()))
    with board:
        chosen = st.segmented_control("Show", list(PRESENT_CHOICES), format_func=PRESENT_CHOICES.__getitem__,
                                      key="ws_present_view", default="ranking", required=True,
                                      label_visibility="collapsed")
        if result.n == 0:
            view.default_block(result, "pres", big=True)
        elif chosen == "profiles":
            _profiles_block(result, "pres", big=True, named=named)
        else:
            view.PRESENT_BLOCKS[chosen or "ranking"][1](result, "pres", big=True)


def _present_result(code: str, crit: scoring.CriteriaData | None) -> None:
    """Read the workshop now (so a close elsewhere shows at once) and draw the projector view."""
    ws = lifecycle.get_workshop(code, get_engine())
    result = lifecycle.result_of(ws, get_engine(), crit)
    _present_body(result, code, is_open=ws["record"] is None)
    # Below the ranking, so the ranking and the join code still fit the projector's first screen.
    consensus_block(result, "pres")  # group method: agreement and the criteria most apart


@st.fragment(run_every="5s")
def _present_live(code: str, crit: scoring.CriteriaData) -> None:
    _present_result(code, crit)


def _stop_presenting() -> None:
    st.session_state["present"] = 0


def presentation_view() -> None:
    """Presentation mode: the facilitator's workshop on a projector, no sidebar, big charts."""
    st.html(view.PRESENT_CSS)
    st.html(PRESENT_CODE_CSS)
    code = participants.normalise_code(state.get("ws"))
    ws = view.fetch(code) if code else None
    head = st.container(horizontal=True, vertical_alignment="center")
    head.title(escape_html(ws["name"]) if ws else "Workshop", width="stretch")
    head.button("Leave presentation", key="ws_present_off", icon=":material/close_fullscreen:",
                on_click=_stop_presenting)
    if ws is None:
        st.info("Presentation mode shows the workshop you facilitate: open one first.",
                icon=":material/co_present:")
    elif ws["status"] == lifecycle.OPEN:
        _present_live(code, cached.criteria())
    else:
        _present_result(code, None)
