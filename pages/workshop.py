"""Workshop: participants weigh the criteria on their own devices; the group result is shown live.

Three modes (``ws_mode`` in the address, so a link opens the right one):
joining as a participant (``?join=CODE`` fills in the code), facilitating
(create a workshop, watch submissions arrive, present, close) and viewing
closed workshops, whose frozen records can be downloaded or turned into a
briefing pack.  ``?present=1`` shows the facilitator's workshop in
presentation mode: no sidebar, projector-sized charts.  The logic lives in
``rmo_data.workshops.workshop``; this script only draws.

Access (``rmo_data.access.roles.WORKSHOP_MODES``): anyone holding a code may join,
because the code is the credential; facilitating, presenting and the closed
records need a partner to be signed in.  A participant's first submission
hands back a private token, kept in their address (``p``): only it brings
back and revises their answer, never their name.  A public code holder sees
a closed workshop's group result only; partners see the record with names.
Only the workshop's creator or an editor may close it.  Wrong codes are
throttled per session and client address (``workshop_view.code_wait``).
Every write goes through ``feedback.saving``: a store fault is one plain
message and the form keeps what was entered.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from components import cards, feedback, router, state, tables
from components import signin
from components import cached
from components import workshop_view as view
from components.provenance import figure_footer
from rmo_data import constants
from rmo_data.access import roles
from rmo_data.analysis import scoring
from rmo_data.workshops import group_result
from rmo_data.workshops import lifecycle
from rmo_data.workshops import participants
from rmo_data.store.engine import get_engine

router.guard(__file__)

MODES = {"join": "Join as participant", "run": "Facilitate", "closed": "Closed workshops"}
FLASH = "_ws_flash"
CONFIRM = "_ws_confirm_close"
LOADED = "_ws_loaded_for"
OUTCOME = "_ws_outcome"
TOKENS = "_ws_tokens"  # this session's private tokens, by workshop code
BAD_CODE = "_ws_bad_code"  # the last unknown code, so a rerun does not count it again
SLOT = "workshop"  # feedback slot of the participant's form

METHOD = f"""
1. **Each participant's weights are rescaled to 100 %**, so only their proportions count and
   everyone carries the same weight in the group, however many points they handed out.
2. **Group weights** are the mean of those shares. The **group ranking** applies them to the
   criteria, each scaled 0–1 across the workshop's materials, exactly as on the Prioritisation page
   (no data recorded counts as the neutral 0.5).
3. **Borda count**: every participant's own ranking gives a material n − 1 points for first place
   down to 0 for last (ties share the points). When it disagrees with the group ranking, the mean
   weights hide a split group.
4. **Disagreement** is flagged in red when a criterion's shares have a standard deviation of
   {group_result.WEIGHT_STD_FLAG * 100:g} percentage points or more, or a material's ranks span
   {group_result.RANK_RANGE_FLAG} places or more.
5. **Model default**: every criterion of the workshop weighted equally.
6. **Closing** freezes the record (submissions with their times, the result, the default, the
   sources); a closed workshop is always shown from that record.
"""


def _flash(message: str) -> None:
    st.session_state[FLASH] = message


def _show_flash() -> None:
    message = st.session_state.pop(FLASH, None)
    if message:
        st.success(message, icon=":material/check_circle:")


def _criteria() -> scoring.CriteriaData:
    """Criterion values of every material, from the cached queries (as on Prioritisation)."""
    return scoring.criteria_from(cached.query("overview"), cached.query("standards_coverage"),
                                 cached.query("evidence_severity_counts"), cached.query("salient_risks"))


def _listing(materials: list[str], names: Mapping[str, str]) -> str:
    return ", ".join(cards.plain(names.get(m, m)) for m in materials)


def _about(ws: dict[str, Any]) -> None:
    names = cached.material_labels()
    st.caption(f"Materials: {_listing(ws['materials'], names)} · Criteria: "
               f"{', '.join(constants.CRITERION_LABELS[c] for c in ws['criteria'])}")


def _fetch(code: str) -> dict[str, Any] | None:
    """The workshop for ``code``, or None with the reason shown."""
    try:
        return lifecycle.get_workshop(code, get_engine())
    except ValueError as err:
        st.error(cards.plain(str(err)), icon=":material/error:")
        return None


# --- participant ---------------------------------------------------------------------------------

def _join(code: str) -> dict[str, Any] | None:
    """The workshop a participant's code opens, or None with the reason shown; wrong codes are throttled."""
    if not participants.valid_code(code):
        return _fetch(code)  # malformed: says so, and tells a guesser nothing
    bad = st.session_state.get(BAD_CODE)
    if bad and bad[0] == code:  # a rerun with the same wrong code: no new look-up, not counted again
        st.error(cards.plain(bad[1]), icon=":material/error:")
        return None
    wait = view.code_wait()
    if wait > 0:
        st.error(f"Too many wrong codes from this device. Wait {math.ceil(wait)} seconds before trying "
                 "another, and check the code with your facilitator.", icon=":material/timer:")
        return None
    try:
        return lifecycle.get_workshop(code, get_engine())
    except ValueError as err:
        view.code_failed()
        st.session_state[BAD_CODE] = (code, str(err))
        st.error(cards.plain(str(err)), icon=":material/error:")
        return None


def _mine(code: str) -> tuple[str | None, dict[str, Any] | None]:
    """This session's token for the workshop and the submission it owns, or (None, None).

    The link's token (``p``) comes first, then one kept from an earlier submission in this session.
    """
    kept = st.session_state.get(TOKENS, {}).get(code)
    for token in dict.fromkeys(t for t in (state.get("p"), kept) if t):
        row = lifecycle.own_submission(code, token, get_engine())
        if row is not None:
            st.session_state["p"] = token  # the address now brings this answer back
            return token, row
    return None, None


def _prefill(code: str, token: str | None, mine: dict[str, Any] | None, ws: dict[str, Any]) -> None:
    """Load the participant's own stored weights (or the defaults) into the form once per submission."""
    keys = [f"ws_w_{c}" for c in ws["criteria"]]
    ident = (code, token, mine["submitted_at"] if mine else None)
    if st.session_state.get(LOADED) != ident or any(k not in st.session_state for k in keys):
        weights = mine["weights"] if mine else {}
        for c in ws["criteria"]:
            st.session_state[f"ws_w_{c}"] = int(weights.get(c, constants.WEIGHT_DEFAULT))
        st.session_state["ws_flags"] = list(mine["flagged"]) if mine else []
        st.session_state[LOADED] = ident


def _own_ranking(ws: dict[str, Any], weights: Mapping[str, int], names: Mapping[str, str]) -> None:
    crit = _criteria()
    held = [m for m in ws["materials"] if m in crit.raw.index]
    ranked = scoring.ranking(scoring.normalise(crit.raw.loc[held, ws["criteria"]]), weights)
    table = pd.DataFrame({"Rank": ranked["rank"], "Material": [names.get(m, m) for m in ranked.index],
                          "Score (0–1)": ranked["score"]})
    tables.dataframe(table, hide_index=True, width="stretch", key="ws_own_rank", column_config={
        "Rank": st.column_config.NumberColumn(format="%d", width="small"),
        "Score (0–1)": st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="%.2f")})
    sources = sorted({s for c in ws["criteria"] for s in crit.sources.get(c, [])})
    years = sorted({y for c in ws["criteria"] for y in crit.years.get(c, [])})
    figure_footer(table, "Your ranking", sources, years, unit="score 0–1",
                  note="Criteria scaled 0–1 across the workshop's materials; no data recorded counts as 0.5.",
                  key="ws_dl_own")


def _submit(code: str, criteria: list[str], token: str | None) -> None:
    """Form callback: store the weights before the page is drawn, so it shows the new state.

    With ``token`` the participant's own submission is revised; without, a new
    participant submits under the typed name.  A store fault is flashed in plain
    words (``feedback.saving``); the form keeps what was entered either way.
    """
    weights = {c: int(st.session_state[f"ws_w_{c}"]) for c in criteria}
    with feedback.saving("Your weights", slot=SLOT):
        try:
            out = lifecycle.submit_weights(code, None if token else st.session_state.get("ws_name", ""),
                                           weights, st.session_state.get("ws_flags", []),
                                           engine=get_engine(), token=token)
        except ValueError as err:
            st.session_state[OUTCOME] = {"error": str(err)}
        else:
            st.session_state["p"] = out["token"]
            st.session_state.setdefault(TOKENS, {})[code] = out["token"]
            st.session_state[OUTCOME] = {k: v for k, v in out.items() if k != "token"} | {"code": code}


def _participant() -> None:
    names = cached.material_labels()
    st.text_input("Join code", max_chars=12, placeholder="e.g. K7PX3M", **state.widget("join"),
                  help="Six letters and digits, shown by your facilitator. Case does not matter.")
    code = participants.normalise_code(state.get("join"))
    outcome = st.session_state.pop(OUTCOME, None)
    if not code:
        st.info("Type the code your facilitator shows, or open the link they shared.",
                icon=":material/login:")
        return
    ws = _join(code)
    if ws is None:
        return
    st.subheader(cards.plain(ws["name"]))
    _about(ws)
    feedback.show_flash(SLOT)
    if outcome and "error" in outcome:
        st.error(cards.plain(outcome["error"]), icon=":material/error:")
    if ws["status"] != lifecycle.OPEN:
        st.warning("This workshop is closed: it takes no more weights. Its frozen result is shown below.",
                   icon=":material/lock:")
        # Names and single participants' weights are for partners; a code holder sees the group.
        view.frozen_view(ws, f"wsp_{code}", facilitator=False, named=_allowed("closed"))
        return

    token, mine = _mine(code)
    if mine:
        st.markdown(f"You take part as **{cards.plain(mine['participant'])}**.")
        st.caption("This page's address holds your private key: keep it (a bookmark will do) to come back "
                   "to your answer on this device. Anyone with that address can change your weights, so "
                   "do not share it; share the workshop's code instead.")
    else:
        name = st.text_input("Your name", key="ws_name", max_chars=participants.PARTICIPANT_MAX,
                             placeholder="As the group knows you",
                             help="Your weights stay yours: after you submit, this page's address holds "
                                  "a private key that lets you, and only you, revise them.")
        if name.strip() and lifecycle.name_taken(code, name, get_engine()):
            st.error(participants.NAME_TAKEN, icon=":material/person_off:")
    _prefill(code, token, mine, ws)
    if outcome and "error" not in outcome and outcome["code"] == code:
        verb = "revised" if outcome["revised"] else "received"
        st.success(f"Thank you, {cards.plain(outcome['participant'])}: your weights were {verb} at "
                   f"{view.when(outcome['submitted_at'])}. You can revise them until the facilitator closes "
                   "the workshop.", icon=":material/check_circle:")
    elif mine:
        st.caption(f"You submitted at {view.when(mine['submitted_at'])}. Change the weights and submit "
                   "again to revise them until the facilitator closes the workshop.")
    with st.form("ws_form", border=True):
        st.markdown("**How much should each criterion count?** 0 = leave it out, 10 = counts most. "
                    "Only the proportions matter: the weights are rescaled to 100 %.")
        crits = [c for c in constants.CRITERIA if c.slug in ws["criteria"]]
        for start in range(0, len(crits), 3):
            for col, crit in zip(st.columns(3), crits[start:start + 3], strict=False):
                col.slider(crit.short or crit.label, 0, constants.WEIGHT_MAX, key=f"ws_w_{crit.slug}",
                           help=f"**{crit.label}.** {crit.description} Unit: {crit.unit}. "
                                f"Source: {crit.source}.")
        st.multiselect(f"Materials you think matter most (up to {participants.FLAG_MAX}, optional)",
                       ws["materials"], key="ws_flags", max_selections=participants.FLAG_MAX,
                       format_func=lambda m: names.get(m, m))
        st.form_submit_button("Revise my weights" if mine else "Submit my weights", key="ws_submit",
                              type="primary", icon=":material/send:", on_click=_submit,
                              args=(code, list(ws["criteria"]), token if mine else None))
    if mine:
        st.markdown("**Your ranking with the weights you submitted**")
        _own_ranking(ws, mine["weights"], names)
        with st.expander("Your private link (to revise from another device)"):
            st.code(view.join_link(code, token), language=None, wrap_lines=True)


# --- facilitator ---------------------------------------------------------------------------------

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
                st.error(cards.plain(str(err)), icon=":material/error:")
        if code:
            _open_workshop(code)
            _flash(f"Workshop created. Its join code is {code}.")
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


def _share_box(code: str) -> None:
    link = view.join_link(code)
    with st.container(border=True, key="ws_share"):
        c1, c2 = st.columns([1, 3], vertical_alignment="center")
        c1.metric("Join code", code)
        c2.markdown("**Participants open this link** on their own device, or open the Workshop page "
                    "and type the code:")
        c2.code(link, language=None, wrap_lines=True)


@st.fragment(run_every="5s")
def _live(code: str, crit: scoring.CriteriaData) -> None:
    """The live part of the facilitator's view: only this reruns every 5 seconds."""
    ws = lifecycle.get_workshop(code, get_engine())
    if ws["status"] != lifecycle.OPEN:
        st.rerun(scope="app")  # closed from another window: show the frozen record
    subs = lifecycle.list_submissions(code, get_engine())
    result = group_result.aggregate_from(ws, subs, crit)
    c1, c2 = st.columns([1, 3], vertical_alignment="center")
    c1.metric("Submitted", len(subs), help="Participants who have submitted weights (revisions count once).")
    if subs.empty:
        c2.caption("Waiting for the first submission. This view refreshes every 5 seconds.")
    else:
        latest = subs.sort_values("submitted_at").iloc[-1]
        c2.caption(f"Latest: {cards.plain(latest['participant'])} at {view.when(latest['submitted_at'])}. "
                   "This view refreshes every 5 seconds.")
        c2.markdown("**Submitted:** " + ", ".join(cards.plain(p) for p in subs["participant"]))
    view.result_view(result, f"live_{code}", show_count=False)


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
        st.info(f"Only {cards.plain(str(ws['created_by']))}, who created this workshop, or an editor can "
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
                st.error(cards.plain(str(err)), icon=":material/error:")
        if record is not None:
            st.session_state.pop(CONFIRM, None)
            _flash(f"Workshop closed with {record['result']['n']} submission(s); its record is frozen.")
            st.rerun()


def _start_presenting() -> None:
    st.session_state["present"] = 1


def _facilitator() -> None:
    code = participants.normalise_code(state.get("ws"))
    if not code:
        _create_form()
        return
    ws = _fetch(code)
    if ws is None:
        st.button("Back to the workshop list", key="ws_leave_bad", on_click=_leave)
        return
    head = st.container(horizontal=True, vertical_alignment="center", gap="small")
    head.subheader(cards.plain(ws["name"]), width="stretch")
    head.button("Presentation mode", key="ws_present", icon=":material/co_present:",
                on_click=_start_presenting)
    head.button("Other workshops", key="ws_leave", icon=":material/list:", on_click=_leave)
    _about(ws)
    if ws["status"] != lifecycle.OPEN:
        view.frozen_view(ws, f"wsf_{code}", facilitator=True)
        return
    _share_box(code)
    crit = _criteria()
    _live(code, crit)
    _close_controls(ws, crit)


# --- closed workshops --------------------------------------------------------------------------------

def _closed_list() -> None:
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
    ws = _fetch(chosen)
    if ws is not None:
        st.subheader(cards.plain(ws["name"]))
        _about(ws)
        view.frozen_view(ws, f"wsc_{chosen}", facilitator=True)


# --- presentation ---------------------------------------------------------------------------------------

def _present_result(code: str, crit: scoring.CriteriaData | None) -> None:
    """Read the workshop now (so a close elsewhere shows at once) and draw the projector view."""
    ws = lifecycle.get_workshop(code, get_engine())
    if ws["record"] is not None:
        result = group_result.GroupResult.from_record(ws["record"]["result"])
    else:
        result = group_result.aggregate_from(ws, lifecycle.list_submissions(code, get_engine()), crit)
    view.present_view(result, code, is_open=ws["record"] is None)


@st.fragment(run_every="5s")
def _present_live(code: str, crit: scoring.CriteriaData) -> None:
    _present_result(code, crit)


def _stop_presenting() -> None:
    st.session_state["present"] = 0


def _presentation() -> None:
    st.html(view.PRESENT_CSS)
    code = participants.normalise_code(state.get("ws"))
    ws = _fetch(code) if code else None
    head = st.container(horizontal=True, vertical_alignment="center")
    head.title(cards.plain(ws["name"]) if ws else "Workshop", width="stretch")
    head.button("Leave presentation", key="ws_present_off", icon=":material/close_fullscreen:",
                on_click=_stop_presenting)
    if ws is None:
        st.info("Presentation mode shows the workshop you facilitate: open one first.",
                icon=":material/co_present:")
    elif ws["status"] == lifecycle.OPEN:
        _present_live(code, _criteria())
    else:
        _present_result(code, None)


# --- page ------------------------------------------------------------------------------------------------

def _main() -> None:
    cards.inject_css()
    st.title("Workshop")
    st.markdown("Gather a group's view on which materials to act on first: everyone weighs the criteria "
                "on their own device, and the group ranking, its agreement and its distance from the "
                "model default appear as the weights come in.")
    st.segmented_control("Mode", list(MODES), format_func=MODES.__getitem__, required=True,
                         label_visibility="collapsed", **state.widget("ws_mode"))
    _show_flash()
    mode = state.get("ws_mode")
    if not _allowed(mode):
        needed = roles.WORKSHOP_MODES[mode]
        what = {"run": "Facilitating a workshop", "closed": "Reading closed workshops"}[mode]
        st.warning(f"{what} is for {needed}s only. Sign in as a {needed} to open it; joining a workshop "
                   "with its code needs no account.", icon=":material/lock:")
        signin.sign_in_form("ws_signin")
    elif mode == "run":
        _facilitator()
    elif mode == "closed":
        _closed_list()
    else:
        _participant()
    with st.expander("How the group result is computed"):
        st.markdown(METHOD)


def _allowed(mode: str) -> bool:
    """True when the session's role may use this mode of the page."""
    return roles.allows(signin.role(), roles.WORKSHOP_MODES.get(mode, roles.EDITOR))


# No st.stop() here: the router writes the address after the page has run.
if state.get("present") and state.get("ws") and _allowed("run"):
    _presentation()
else:
    _main()
