"""The Workshop page's partner modes: facilitate (create, watch, reveal, run a second round, close),
present, read closed records.

Facilitating, presenting and the closed records need a partner to be signed
in (the page checks ``workshop_view.mode_allowed``).  A workshop is created
named or anonymous, weighed with sliders or pairwise, with or without a limit
on places.  The room's count (devices joined, answers in, names in named
mode) is a small fragment read every second (``_count_strip``: two small
queries); the group result is a fragment that reruns every 5 seconds.  The
room does not see the result until the facilitator reveals it
(``rounds.reveal``); a second round (``rounds.next_round``) freezes round 1
and lets everyone revise after seeing it.  Only the
workshop's creator or an editor may reveal, start a round or close
(``participants.may_close``); closing asks for a confirmation.  Every write
goes through ``feedback.saving``: a store fault is one plain message and the
form keeps what was entered.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from components import cached, feedback, render, signin, state, tables
from components.provenance import downloads_held, figure_footer
from components import workshop_view as view
from components.workshop_consensus import consensus_block
from components.safe import escape_html
from rmo_data import constants, formatting
from rmo_data.analysis import scoring
from rmo_data.charts import plotly_charts, qr_code
from rmo_data.store.engine import get_engine
from rmo_data.workshops import group_result, lifecycle, participants, records
from rmo_data.workshops import rounds as workshop_rounds
from rmo_data.workshops.group_result import GroupResult

CONFIRM = "_ws_confirm_close"
COUNT_EVERY_S = 1.0  # the room's count: a submission shows on the facilitator's screen within ~1 s
MODE_CHOICES = {participants.NAMED: "Named", participants.ANONYMOUS: "Anonymous"}
METHOD_CHOICES = {participants.SLIDERS: "Sliders (0–10 per criterion)",
                  participants.PAIRWISE: "Pairwise (two criteria at a time)"}
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
        c1, c2, c3 = st.columns([1, 1, 1])
        mode = c1.radio("Participants", list(MODE_CHOICES), format_func=MODE_CHOICES.__getitem__,
                        key="ws_new_mode", help="Named: each participant gives a name, shown to partners. "
                        "Anonymous: no name is asked for or stored; answers read Participant 1, 2, …")
        method = c2.radio("Weighing", list(METHOD_CHOICES), format_func=METHOD_CHOICES.__getitem__,
                          key="ws_new_method", help="Sliders: a weight 0–10 per criterion. Pairwise: "
                          "criteria compared two at a time, weights derived as in AHP with a consistency "
                          "check (n criteria make n × (n − 1) / 2 pairs: keep to about 5).")
        places = c3.number_input("Places (0 = no limit)", min_value=0, max_value=participants.CAPACITY_MAX,
                                 value=0, step=1, key="ws_new_capacity",
                                 help="The most devices that may join; the next one is told the room is full.")
        create = st.form_submit_button("Create workshop", key="ws_create", type="primary",
                                       icon=":material/add_circle:")
    if create:
        code = None
        with feedback.saving("The new workshop"):
            try:
                _, code = lifecycle.create_workshop(wname, mats, crits, engine=get_engine(),
                                                    actor=signin.actor(), mode=mode, method=method,
                                                    capacity=int(places) or None)
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
    _workshop_table(open_ws, "created_at", "ws_open_table")
    labels = dict(zip(open_ws["code"], open_ws["name"], strict=True))
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    pick = c1.selectbox("Resume a workshop", list(labels), key="ws_resume_pick",
                        format_func=lambda c: f"{labels[c]} ({c})")
    c2.button("Resume", key="ws_resume", on_click=_open_workshop, args=(pick,), icon=":material/play_arrow:",
              width="stretch")


# One set of column names for both lists of workshops (open and closed).
TABLE_COLUMNS = {"name": "Workshop", "code": "Join code", "created_at": "Created (UTC)",
                 "closed_at": "Closed (UTC)", "submissions": "Submissions", "n_materials": "Materials"}


def _workshop_table(frame: Any, when: str, key: str) -> None:
    """A list of workshops: name, join code, the time that matters (created or closed), counts."""
    tables.dataframe(frame[["name", "code", when, "submissions", "n_materials"]], hide_index=True,
                     width="stretch", key=key, column_config={
                         "name": TABLE_COLUMNS["name"], "code": TABLE_COLUMNS["code"],
                         when: st.column_config.DatetimeColumn(TABLE_COLUMNS[when], format="YYYY-MM-DD HH:mm"),
                         "submissions": st.column_config.NumberColumn(TABLE_COLUMNS["submissions"], format=formatting.TABLE_INTEGER),
                         "n_materials": st.column_config.NumberColumn(TABLE_COLUMNS["n_materials"], format=formatting.TABLE_INTEGER)})


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
    # No Plotly logo; remembered, so the footer offers it as PNG and SVG with its provenance.
    render.plotly(plotly_charts.weight_profiles_chart, result.shares, list(result.criteria), named=named, big=big,
                  key=f"{key}_profiles")
    figure_footer(_profiles_table(result, named), f"Weight profiles {result.code}",
                  [view.SUBMISSIONS_SOURCE, *result.sources], result.years,
                  unit="share of the score in % (each participant's weights rescaled to 100 %)",
                  note="One line per participant.", key=f"{key}_dl_profiles")


def _profiles_table(result: GroupResult, named: bool) -> pd.DataFrame:
    """The numbers behind the profiles: a row per participant, each criterion's share of the score in %.

    Without names (an anonymous workshop) the rows are numbered instead, as the chart shows no name.
    """
    shares = result.shares
    people = list(dict.fromkeys(shares["participant"]))
    wide = (shares.assign(pct=shares["share"] * 100)
            .pivot_table(index="participant", columns="criterion", values="pct", sort=False)
            .reindex(index=people, columns=list(result.criteria)).fillna(0.0))
    table = pd.DataFrame({"Participant" if named else "Line": people if named else range(1, len(people) + 1)})
    for slug in result.criteria:
        table[f"{constants.CRITERION_SHORT[slug]} (% of the score)"] = wide[slug].round(1).to_numpy()
    return table


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


@st.fragment(run_every=COUNT_EVERY_S)
def _count_strip(code: str, named: bool, shown: str, big: bool = False, bar: bool = False) -> None:
    """Who is in the room: devices joined, answers in (names in named mode); every second.

    ``big`` is the projector's (names in large type), ``bar`` adds a bar of the answers in out of the joined.

    A change of phase made elsewhere (another window revealed, started a round or closed) reruns the page.
    """
    view.rerun_on_phase_change(code, shown, "facilitator")
    # Read fresh each second (two small queries): a facilitator's screen is one session, not forty.
    counts = lifecycle.room_counts(code, get_engine()) or {"joined": 0, "submitted": 0, "names": []}
    with st.container(key="ws_count_strip", horizontal=True, gap="medium"):
        st.metric("Joined", counts["joined"], help="Devices that opened the join link.", width="content")
        st.metric("Submitted", counts["submitted"], width="content",
                  help="Participants whose answer is in (a revision counts once).")
    if bar and counts["joined"]:
        st.progress(min(1.0, counts["submitted"] / counts["joined"]),
                    text=f"{counts['submitted']} of {counts['joined']} who joined have answered")
    if named and counts["names"]:
        shown_names = ", ".join(escape_html(n) for n in counts["names"])
        if big:
            st.markdown(shown_names)  # the projector's stylesheet makes this large
        else:
            st.caption(f"**Answers in:** {shown_names}")
    elif counts["submitted"] == 0:
        st.caption("Waiting for the first answer.")


LIVE_EVERY_S = 5
PAUSE_KEY = "ws_live_paused"
HELD_KEY = "ws_live_held"  # ((code, round), when paused, the answers then) while the live view is paused


def _live_section(code: str, crit: scoring.CriteriaData) -> None:
    """The live result, refreshed every ``LIVE_EVERY_S`` seconds, or held still while paused.

    Paused, the view stops refreshing (the room discusses a result that does not move)
    and offers its downloads: a button redrawn every few seconds could not be relied on.
    """
    paused = st.toggle("Pause live updates", key=PAUSE_KEY, on_change=st.session_state.pop, args=(HELD_KEY, None),
                       help="Holds the result as it is now, so the room can discuss it and its figures "
                            "can be downloaded. Answers still come in; turn it off to see them.")
    if paused:
        _live_paused(code, crit)
    else:
        _live(code, crit)


@st.fragment(run_every=f"{LIVE_EVERY_S}s")
def _live(code: str, crit: scoring.CriteriaData) -> None:
    """The live group result on the facilitator's screen: only this reruns every 5 seconds."""
    with downloads_held():
        _live_body(code, crit, live=True)


@st.fragment
def _live_paused(code: str, crit: scoring.CriteriaData) -> None:
    """The result held still (its own controls rerun only this), with its downloads."""
    _live_body(code, crit, live=False)


def _live_body(code: str, crit: scoring.CriteriaData, live: bool) -> None:
    """The group result: from the answers in now (``live``), or from those held when paused."""
    ws = lifecycle.get_workshop(code, get_engine())
    if ws["status"] != lifecycle.OPEN:
        st.rerun(scope="app")  # closed from another window: show the frozen record
    if live:
        subs = lifecycle.list_submissions(code, get_engine())
    else:  # the answers as they were when paused, so what is shown and downloaded holds still
        held = st.session_state.get(HELD_KEY)
        if held is None or held[0] != (code, ws["round"]):  # a new round drops what was held
            held = st.session_state[HELD_KEY] = ((code, ws["round"]), dt.datetime.now(dt.timezone.utc),
                                                 lifecycle.list_submissions(code, get_engine()))
        subs = held[2]
    result = group_result.aggregate_from(ws, subs, crit)  # the frame just read gives the count too
    if live:
        st.caption(f"Refreshes every {LIVE_EVERY_S} seconds. Pause live updates to download these figures.")
    else:
        st.caption(f"Paused at {view.when(held[1])}: answers sent since then count as soon as live updates "
                   "are on again.")
    if subs.empty:
        st.caption("The group ranking appears with the first answer; until then, the model default.")
        view.result_view(result, f"live_{code}", show_count=False)  # the model default until then
        return
    top = result.ranking.iloc[0]
    borda_top = result.ranking.sort_values(["borda_rank"], kind="stable").iloc[0]
    c1, c2 = st.columns(2)
    # A metric's value is markdown too: the names come from the store.
    c1.metric("Group's first priority", escape_html(top["name"]), help="Highest score with the mean of the weights.")
    c2.metric("First by Borda count", escape_html(borda_top["name"]),
              help="Most points when every participant's own ranking is counted.")
    _live_result(result, f"live_{code}")
    if ws["rounds"]:
        _rounds_compared(ws, result, f"live_{code}")


def _rounds_compared(ws: dict[str, Any], current: GroupResult, key: str) -> None:
    """The earlier round beside the current one: ranks, places moved, agreement."""
    rounds = [(int(r["round"]), GroupResult.from_record(r["result"])) for r in ws["rounds"]]
    rounds.append((ws["round"], current))
    with st.expander(f"Round {rounds[0][0]} against round {ws['round']}", expanded=False):
        tables.dataframe(records.rounds_summary_frame(rounds), hide_index=True, width="stretch",
                         key=f"{key}_rounds_sum")
        tables.dataframe(records.rounds_frame(rounds), hide_index=True, width="stretch", key=f"{key}_rounds")


def _room_controls(ws: dict[str, Any], crit: scoring.CriteriaData, where: str) -> None:
    """Reveal the result to the room, or open round 2 once it has been seen."""
    code = ws["code"]
    if not participants.may_close(ws, signin.actor(), signin.role()):
        return
    if ws["revealed_at"] is None:
        st.button("Reveal the result", key=f"ws_reveal_{where}", type="primary", icon=":material/visibility:",
                  on_click=_reveal, args=(code,),
                  help="Shows the group result on the projector and on every participant's page.")
    elif ws["round"] < participants.ROUNDS_MAX:
        st.button("Start round 2", key=f"ws_round_{where}", icon=":material/replay:", on_click=_next_round,
                  args=(code, crit), help="Freezes round 1 as it stands; participants see its result "
                  "and may revise. Both rounds go into the record.")


def _reveal(code: str) -> None:
    with feedback.saving("Revealing the result", slot=FLASH_SLOT):
        try:
            workshop_rounds.reveal(code, engine=get_engine(), actor=signin.actor(), role=signin.role())
        except ValueError as err:
            feedback.flash(str(err), "error", slot=FLASH_SLOT)
        else:
            view.forget_phase()  # this server's pages see the reveal at their next poll
            feedback.flash("The group result is now shown to the room.", slot=FLASH_SLOT, escape=False)


def _next_round(code: str, crit: scoring.CriteriaData) -> None:
    with feedback.saving("Starting round 2", slot=FLASH_SLOT):
        try:
            workshop_rounds.next_round(code, engine=get_engine(), actor=signin.actor(), role=signin.role(),
                                 criteria=crit)
        except ValueError as err:
            feedback.flash(str(err), "error", slot=FLASH_SLOT)
        else:
            view.forget_phase()
            feedback.flash("Round 2 is open: round 1 is frozen, and participants see its result and may "
                           "revise.", slot=FLASH_SLOT, escape=False)


def _phase_line(ws: dict[str, Any]) -> str:
    """Where the room stands, in one line for the facilitator."""
    mode = "anonymous" if ws["mode"] == participants.ANONYMOUS else "named"
    method = "pairwise comparisons" if ws["method"] == participants.PAIRWISE else "sliders"
    places = f", {ws['capacity']} places" if ws["capacity"] else ""
    seen = ("**shown to the room**" if ws["revealed_at"] is not None
            else "**hidden from the room** until you reveal it")
    return (f"Round {ws['round']} · {mode}, {method}{places} · the result is {seen}. The count updates "
            "every second, the result every 5 seconds.")


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
            view.forget_phase()
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
    crit = cached.criteria()
    head = st.container(horizontal=True, vertical_alignment="center", gap="small")
    head.subheader(escape_html(ws["name"]), width="stretch")
    if ws["status"] == lifecycle.OPEN:
        with head:
            _room_controls(ws, crit, "run")
    head.button("Presentation mode", key="ws_present", icon=":material/co_present:",
                on_click=_start_presenting)
    head.button("Other workshops", key="ws_leave", icon=":material/list:", on_click=_leave)
    view.about(ws)
    if ws["status"] != lifecycle.OPEN:
        view.frozen_view(ws, f"wsf_{code}", facilitator=True)
        return
    # The live result on the left, the way in on the right: the ranking starts high on a projector.
    live, share = st.columns([3, 1], gap="medium")
    with share:
        _share_box(code)
        st.caption(_phase_line(ws))
    with live:
        _count_strip(code, ws["mode"] == participants.NAMED,
                     participants.phase(ws["status"], ws["round"], ws["revealed_at"] is not None))
        _live_section(code, crit)
    _close_controls(ws, crit)


def closed_list_view() -> None:
    """Closed workshops: the list, newest first, and the chosen one's frozen record."""
    closed = lifecycle.list_workshops(lifecycle.CLOSED, get_engine())
    if closed.empty:
        st.info("No workshop has been closed yet.", icon=":material/inventory_2:")
        return
    _workshop_table(closed, "closed_at", "ws_closed_table")
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


def _present_body(result: GroupResult | None, ws: dict[str, Any], named: bool) -> None:
    """Presentation mode's body: QR code, join code in large type, the count, then the result once revealed.

    ``result`` is None while the result is hidden from the room (it is not computed then).
    """
    code = ws["code"]
    is_open = ws["record"] is None
    link = view.join_link(code)
    # The chart on the left, the way in on the right: a ten-material ranking fits one projector screen.
    board, side = st.columns([3, 1], gap="medium")
    with side.container(key="ws_present_code"):
        st.metric("Join code", code)
        if is_open:
            _qr(link, QR_PRESENT_PX)
            st.markdown("**Join on your own device:** scan the QR code, or open")
            st.code(link, language=None, wrap_lines=True)
            if result is not None:  # revealed: the count beside the chart
                _count_strip(code, named, participants.phase(ws["status"], ws["round"], True), big=True)
        else:
            st.markdown("**Closed**: the result is frozen.")
            st.metric("Submitted", result.n if result else 0)
    with board:
        if result is None:  # hidden: the room sees who has answered, in large type
            st.info(f"**Round {ws['round']}: answers are coming in.** The group's result stays hidden until "
                    "the facilitator reveals it, so nobody is swayed before they answer.",
                    icon=":material/visibility_off:")
            _count_strip(code, named, participants.phase(ws["status"], ws["round"], False), big=True, bar=True)
            return
        chosen = st.segmented_control("Show", list(PRESENT_CHOICES), format_func=PRESENT_CHOICES.__getitem__,
                                      key="ws_present_view", default="ranking", required=True,
                                      label_visibility="collapsed")
        if result.n == 0:
            view.default_block(result, "pres", big=True)
        elif chosen == "profiles":
            _profiles_block(result, "pres", big=True, named=named)
        else:
            view.PRESENT_BLOCKS[chosen or "ranking"][1](result, "pres", big=True)
        # Below the ranking, so the ranking and the join code still fit the projector's first screen.
        consensus_block(result, "pres")  # group method: agreement and the criteria most apart


def _present_result(code: str, crit: scoring.CriteriaData | None) -> None:
    """Read the workshop now (so a close elsewhere shows at once) and draw the projector view."""
    ws = lifecycle.get_workshop(code, get_engine())
    named = ws["mode"] == participants.NAMED
    hidden = ws["record"] is None and ws["revealed_at"] is None  # nothing to compute until the reveal
    _present_body(None if hidden else lifecycle.result_of(ws, get_engine(), crit), ws, named)


@st.fragment(run_every=f"{LIVE_EVERY_S}s")
def _present_live(code: str, crit: scoring.CriteriaData) -> None:
    with downloads_held():  # a projector redraws every few seconds; the facilitator's screen offers them
        _present_result(code, crit)


def _stop_presenting() -> None:
    st.session_state["present"] = 0


def presentation_view() -> None:
    """Presentation mode: the facilitator's workshop on a projector, no sidebar, big charts."""
    st.html(view.PRESENT_CSS)
    st.html(PRESENT_CODE_CSS)
    feedback.show_flash(FLASH_SLOT, alert=False)  # a toast: the projector's layout does not move
    code = participants.normalise_code(state.get("ws"))
    ws = view.fetch(code) if code else None
    head = st.container(horizontal=True, vertical_alignment="center")
    head.title(escape_html(ws["name"]) if ws else "Workshop", width="stretch")
    if ws is not None and ws["status"] == lifecycle.OPEN:
        with head:
            _room_controls(ws, cached.criteria(), "present")
    head.button("Leave presentation", key="ws_present_off", icon=":material/close_fullscreen:",
                on_click=_stop_presenting)
    if ws is None:
        st.info("Presentation mode shows the workshop you facilitate: open one first.",
                icon=":material/co_present:")
    elif ws["status"] == lifecycle.OPEN:
        _present_live(code, cached.criteria())
    else:
        _present_result(code, None)
