"""The Workshop page's participant mode: join with a code, weigh the criteria, revise until the close.

One body (``participant_view``) serves both ways in.  A participant's link
(``?join=CODE``, with or without the private ``p``) opens the focused view
(``focused_session``): the router draws no sidebar, no menu and no filters
(``app.py``), and the page shows only the workshop's title, what to do, one
card per criterion with a plain line on what it means, and one submit button,
laid out for a phone.  Typing a code into the full app (``focused=False``)
shows the same body under the code box, with the app around it.

Anyone holding a code may join: the code is the credential.  Wrong codes are
throttled (``workshop_view.code_wait``); a rerun with the same wrong code is
neither looked up nor counted again.  On the first open of an open workshop
the device is registered (``lifecycle.join``) and gets its private token,
kept in the address (``p``) and in this session, before anything is typed:
a reload, a double press or a press sent again after a lost connection all
come back to the same participant.  A full workshop says so and registers
nothing.  A named workshop asks for a name; an anonymous one asks for none
and shows the label it stores ("Participant 3").  A sliders workshop asks for
a weight per criterion in one form; a pairwise one for a choice per pair of
criteria (``workshop_pairwise.pairwise_input``), whose weights follow each
tap.  Submissions go through ``feedback.saving``: a store fault is one plain
message and what was entered stays.

While the workshop is open, a small fragment (``_watch``) reads only its
phase (status, round, revealed) every ``WATCH_EVERY_S`` seconds, one cached
read per workshop and server however many participants wait, and reruns the
page when it changes, so a reveal, a new round or the close reaches every open
page within about a second and is said once, in one message.  Once revealed,
participants see the group result (never anyone's own weights); in round 2
they see round 1's result and may revise.  A closed workshop shows its frozen
group result; names only to partners.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import streamlit as st

from components import cached, feedback, state, tables
from components import workshop_view as view
from components.provenance import figure_footer
from components.safe import escape_html
from components.workshop_consensus import consensus_block
from components.workshop_pairwise import pairwise_input
from rmo_data import constants, formatting
from rmo_data.store import data_version
from rmo_data.store.engine import database_url, get_engine
from rmo_data.workshops import group_result, lifecycle, participants
from rmo_data.workshops.group_result import GroupResult

LOADED = "_ws_loaded_for"
OUTCOME = "_ws_outcome"
TOKENS = "_ws_tokens"  # this session's private tokens, by workshop code
DEVICES = "_ws_devices"  # this session's registered device (token, number), by workshop code
BAD_CODE = "_ws_bad_code"  # the last unknown code, so a rerun does not count it again
SLOT = "workshop"  # feedback slot of the participant's form
FOCUS = "_ws_focus"  # True when this session was opened by a participant's link
PAIRS_KEY = "ws_pw"  # widget keys of the pairwise input
WORKSHOP_PAGE = "pages/workshop.py"
# The phase poll: a change shows within WATCH_EVERY_S + workshop_view.PHASE_TTL_S seconds (well
# inside 2 s), and forty waiting phones cost one phase read per PHASE_TTL_S, not forty.
WATCH_EVERY_S = 1.0
RESULT_TTL_S = 2.0  # a revealed result: computed once per workshop and server every 2 s at most

# The focused (phone) view: no sidebar, no header menu, one narrow column, touch-sized controls.
# Constant CSS only; nothing typed by users or read from data goes into it.
FOCUS_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], header[data-testid="stHeader"] {display: none !important;}
[data-testid="stMainBlockContainer"] {max-width: 42rem; padding: 1.2rem 1rem 3rem;}
[data-testid="stMainBlockContainer"] h1 {font-size: 1.8rem; line-height: 1.2;}
[data-testid="stSlider"] [role="slider"] {width: 1.9rem; height: 1.9rem;}
[data-testid="stSlider"] {padding: 0 0.6rem;}
[data-testid="stMainBlockContainer"] button[kind^="primary"],
[data-testid="stMainBlockContainer"] button[data-testid^="stBaseButton-primary"] {min-height: 3.2rem;
  font-size: 1.1rem;}
[data-testid="stTextInput"] input {min-height: 2.8rem; font-size: 1.05rem;}
</style>
"""


def _join(code: str) -> dict[str, Any] | None:
    """The workshop a participant's code opens, or None with the reason shown; wrong codes are throttled."""
    if not participants.valid_code(code):
        return view.fetch(code)  # malformed: says so, and tells a guesser nothing
    bad = st.session_state.get(BAD_CODE)
    if bad and bad[0] == code:  # a rerun with the same wrong code: no new look-up, not counted again
        st.error(escape_html(bad[1]), icon=":material/error:")
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
        st.error(escape_html(str(err)), icon=":material/error:")
        return None


def _device(code: str) -> dict[str, Any] | None:
    """This device's place in the open workshop: registered on its first open, found again after that.

    The link's token (``p``) comes first, then one kept in this session. None,
    with the reason shown, when the workshop is full or the store is busy.
    """
    devices = st.session_state.setdefault(DEVICES, {})
    token = state.get("p") or st.session_state.get(TOKENS, {}).get(code)
    known = devices.get(code)
    if known and known["token"] == token:
        return known
    found = None
    with feedback.saving("Joining the workshop"):
        try:
            found = lifecycle.join(code, token, get_engine())
        except ValueError as err:
            icon = ":material/group_off:" if "full" in str(err) else ":material/error:"
            st.error(escape_html(str(err)), icon=icon)
    if found is None:
        return None
    devices[code] = found
    st.session_state.setdefault(TOKENS, {})[code] = found["token"]
    st.session_state["p"] = found["token"]  # the address now brings this device back
    return found


def _prefill(code: str, token: str | None, mine: dict[str, Any] | None, ws: dict[str, Any]) -> None:
    """Load the participant's own stored weights (or the defaults) into the sliders once per submission."""
    keys = [f"ws_w_{c}" for c in ws["criteria"]]
    ident = (code, token, mine["submitted_at"] if mine else None)
    if st.session_state.get(LOADED) != ident or any(k not in st.session_state for k in keys):
        weights = mine["weights"] if mine and ws["method"] == participants.SLIDERS else {}
        for c in ws["criteria"]:
            st.session_state[f"ws_w_{c}"] = int(weights.get(c, constants.WEIGHT_DEFAULT))
        st.session_state["ws_flags"] = list(mine["flagged"]) if mine else []
        st.session_state[LOADED] = ident


def _own_ranking(ws: dict[str, Any], weights: Mapping[str, float], names: Mapping[str, str]) -> None:
    crit = cached.criteria()
    table = group_result.own_ranking(ws, weights, crit, names)
    tables.dataframe(table, hide_index=True, width="stretch", key="ws_own_rank", column_config={
        "Rank": st.column_config.NumberColumn(format=formatting.TABLE_INTEGER, width="small"),
        "Score (0–1)": st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format=formatting.table_format(2))})
    sources, years = group_result.criteria_provenance(crit, ws["criteria"])
    figure_footer(table, "Your ranking", sources, years, unit="score 0–1",
                  note="Criteria scaled 0–1 across the workshop's materials; no data recorded counts as 0.5.",
                  key="ws_dl_own")


def _submit(code: str, criteria: list[str], token: str, method: str, answer: dict[str, Any] | None) -> None:
    """Button callback: store the answer before the page is drawn, so it shows the new state.

    The device's token was registered when the page opened, so a first press
    stores the answer under it and any later press (a double tap, a retry
    after a lost connection) revises the same answer.  A store fault is
    flashed in plain words (``feedback.saving``); what was entered stays.
    """
    weights = {c: int(st.session_state[f"ws_w_{c}"]) for c in criteria} if method == participants.SLIDERS else None
    with feedback.saving("Your weights", slot=SLOT):
        try:
            out = lifecycle.submit_weights(code, st.session_state.get("ws_name", ""), weights,
                                           st.session_state.get("ws_flags", []), engine=get_engine(),
                                           token=token, pairwise=answer)
        except ValueError as err:
            st.session_state[OUTCOME] = {"error": str(err)}
        else:
            st.session_state[OUTCOME] = {k: v for k, v in out.items() if k != "token"} | {"code": code}


def _closed(code: str, ws: dict[str, Any], outcome: dict[str, Any] | None) -> None:
    """A closed workshop: one message that says so (and what became of a late change), then its result."""
    closed_at = (ws["record"] or {}).get("workshop", {}).get("closed_at") or ws["closed_at"]
    kept = state.get("p") or st.session_state.get(TOKENS, {}).get(code)
    mine = lifecycle.own_submission(code, kept, get_engine()) if kept else None
    parts = [f"This workshop is closed (since {view.when(closed_at)}): it takes no more answers, and its "
             "result is frozen."]
    if outcome and "error" in outcome:
        parts.append("Your last change came after the close, so it was not stored.")
    if mine:
        parts.append(f"The answer you sent at {view.when(mine['submitted_at'])} is part of the result.")
    parts.append("The group's result is below.")
    st.info(" ".join(parts), icon=":material/lock:")
    # Names and single participants' weights are for partners; a code holder sees the group.
    view.frozen_view(ws, f"wsp_{code}", facilitator=False, named=view.mode_allowed("closed"), notice=False)


@st.cache_data(ttl=RESULT_TTL_S, show_spinner=False, max_entries=200)
def _revealed_result(url: str, code: str, phase: str, at: data_version.Version) -> dict[str, Any]:
    """The current group result of a revealed workshop, computed once for every participant's page."""
    return lifecycle.aggregate(code, get_engine(), cached.criteria()).to_record()


@st.fragment(run_every=WATCH_EVERY_S)
def _watch(code: str, shown: str) -> None:
    """Rerun the whole page as soon as the workshop's phase is no longer the one drawn (``shown``)."""
    view.rerun_on_phase_change(code, shown, "participant")


def focused_session() -> bool:
    """True when this session was opened by a participant's link; decided on its first run.

    A link with a join code (and no facilitator mode or projector flag) is a
    participant's: the session keeps the focused view for as long as it lasts,
    so typing a code into the full app never takes its menu away.
    """
    if FOCUS not in st.session_state:
        st.session_state[FOCUS] = bool(state.get("join")) and state.get("ws_mode") == "join" \
            and not state.get("present")
    return bool(st.session_state[FOCUS])


def _code_box() -> None:
    st.text_input("Join code", max_chars=12, placeholder="e.g. K7PX3M", **state.widget("join"),
                  help="Six letters and digits, shown by your facilitator. Case does not matter.")


def _what_to_do(ws: dict[str, Any], n_crits: int) -> str:
    if ws["method"] == participants.PAIRWISE:
        pairs = n_crits * (n_crits - 1) // 2
        return (f"Compare these {n_crits} criteria two at a time ({pairs} pairs): for each pair, tap the one "
                f"that should count more when the group ranks {len(ws['materials'])} materials, and by how "
                "much. Your weights follow from your answers. Then press the button at the end.")
    return (f"Say how much each of these {n_crits} criteria should count when the group ranks "
            f"{len(ws['materials'])} materials, from 0 (leave it out) to 10 (counts most), then press the "
            "button at the end.")


def _status_message(ws: dict[str, Any], device: dict[str, Any], mine: dict[str, Any] | None,
                    outcome: dict[str, Any] | None) -> None:
    """One message: the answer just stored, the answer already in, or the error of the last press."""
    if outcome and "error" in outcome:
        st.error(escape_html(outcome["error"]), icon=":material/error:")
        return
    later = ("until the facilitator closes the workshop" if ws["round"] == 1 and not ws["revealed_at"]
             else "until the facilitator closes the workshop, now that you have seen the group's result")
    if outcome and outcome.get("code") == ws["code"]:
        verb = "revised" if outcome["revised"] else "received"
        st.success(f"**Your answer is in.** Thank you, {escape_html(outcome['participant'])}: your weights "
                   f"were {verb} at {view.when(outcome['submitted_at'])}. You take part as "
                   f"{escape_html(outcome['participant'])} and can revise them {later}.",
                   icon=":material/check_circle:")
    elif mine:
        st.success(f"**Your answer is in.** You take part as {escape_html(mine['participant'])} and sent "
                   f"it at {view.when(mine['submitted_at'])}; change your answer and press the button "
                   f"again to revise it {later}.", icon=":material/check_circle:")
    elif ws["mode"] == participants.ANONYMOUS:
        st.caption(f"This workshop is anonymous: no name is asked for or kept. Your answer is stored as "
                   f"**{participants.anonymous_label(device['seq'])}**.")


def _name_box(code: str) -> None:
    st.text_input("Your name", key="ws_name", max_chars=participants.PARTICIPANT_MAX,
                  placeholder="As the group knows you",
                  help="This page's address holds a private key that lets you, and only you, come back "
                       "to your answer and revise it.")
    name = st.session_state.get("ws_name", "")
    if name.strip() and lifecycle.name_taken(code, name, get_engine()):
        st.error(participants.NAME_TAKEN, icon=":material/person_off:")


def _sliders(ws: dict[str, Any], crits: list[constants.Criterion], device: dict[str, Any],
             mine: dict[str, Any] | None, names: Mapping[str, str]) -> None:
    """The sliders' form: a card per criterion, the flagged materials, one submit or revise button."""
    with st.form("ws_form", border=False):
        for crit in crits:
            with st.container(border=True):
                st.slider(crit.label, 0, constants.WEIGHT_MAX, key=f"ws_w_{crit.slug}")
                st.caption(constants.CRITERION_PLAIN.get(crit.slug, crit.description))
        _flags(ws, names)
        st.form_submit_button("Revise my weights" if mine else "Submit my weights", key="ws_submit",
                              type="primary", icon=":material/send:", width="stretch", on_click=_submit,
                              args=(ws["code"], list(ws["criteria"]), device["token"], participants.SLIDERS,
                                    None))


def _pairs(ws: dict[str, Any], device: dict[str, Any], mine: dict[str, Any] | None,
           names: Mapping[str, str]) -> None:
    """The pairwise comparisons (each tap updates the weights), the flagged materials, one button."""
    answer = pairwise_input(list(ws["criteria"]), PAIRS_KEY, stored=(mine or {}).get("pairwise"))
    _flags(ws, names)
    st.button("Revise my weights" if mine else "Submit my weights", key="ws_submit", type="primary",
              icon=":material/send:", width="stretch", disabled=answer is None, on_click=_submit,
              args=(ws["code"], list(ws["criteria"]), device["token"], participants.PAIRWISE,
                    answer.to_dict() if answer is not None else None),
              help=None if answer is not None else "Compare every pair first.")


def _flags(ws: dict[str, Any], names: Mapping[str, str]) -> None:
    st.multiselect(f"Materials you think matter most (up to {participants.FLAG_MAX}, optional)",
                   ws["materials"], key="ws_flags", max_selections=participants.FLAG_MAX,
                   format_func=lambda m: names.get(m, m))


def _group_result(ws: dict[str, Any]) -> None:
    """What the facilitator has shown the room: this round's result once revealed, else round 1's in round 2."""
    if ws["revealed_at"] is not None:
        phase = participants.phase(ws["status"], ws["round"], True)
        result = GroupResult.from_record(_revealed_result(database_url(), ws["code"], phase,
                                                          cached.version(data_version.WORKSHOPS)))
        st.subheader("The group's result" + (f" (round {ws['round']})" if ws["round"] > 1 else ""))
        st.caption("Shown by the facilitator, as it stood when this page last changed (your own answer "
                   "redraws it). Nobody's own weights are shown.")
    elif ws["rounds"]:
        result = GroupResult.from_record(ws["rounds"][-1]["result"])
        st.subheader(f"The group's result in round {ws['rounds'][-1]['round']}")
        st.caption("This is where the group stood before this round: revise your answer above if it changes "
                   "your mind, or leave it as it is.")
    else:
        return
    if result.n == 0:
        st.info("Nobody has answered yet.", icon=":material/hourglass_empty:")
        return
    view.ranking_block(result, f"wsr_{ws['code']}", fold=True)
    consensus_block(result, f"wsr_{ws['code']}")


def _round_note(ws: dict[str, Any]) -> None:
    """One line on the phase the page is in, when it is not the plain first round."""
    if ws["round"] > 1 and ws["revealed_at"] is None:
        st.info(f"**Round {ws['round']}.** The group's result of the last round is at the end of this page. "
                "Revise your answer if you wish; if you do nothing, your earlier answer counts.",
                icon=":material/replay:")
    elif ws["revealed_at"] is not None:
        st.info("**The facilitator has revealed the group's result**: it is at the end of this page.",
                icon=":material/visibility:")


def participant_view(focused: bool = False) -> None:
    """The participant's page: the workshop, what to do, the answer, and once shown the group's result.

    ``focused`` is the phone view of a join link: no app around it, the
    workshop's name as the title and no code box unless the code is wrong.
    """
    if focused:
        st.html(FOCUS_CSS)
    names = cached.material_labels()
    if not focused:
        _code_box()
    code = participants.normalise_code(state.get("join"))
    outcome = st.session_state.pop(OUTCOME, None)
    head = st.container()
    ws = _join(code) if code else None
    if ws is None:
        if focused:
            head.title("Join a workshop")
            _code_box()
        if not code:
            st.info("Type the code your facilitator shows, or open the link they shared.",
                    icon=":material/login:")
        return
    if focused:
        head.title(escape_html(ws["name"]))
    else:
        head.subheader(escape_html(ws["name"]))
    if ws["status"] != lifecycle.OPEN:
        _closed(code, ws, outcome)
        return
    crits = [c for c in constants.CRITERIA if c.slug in ws["criteria"]]
    head.markdown(_what_to_do(ws, len(crits)))
    head.caption("Materials: " + ", ".join(escape_html(names.get(m, m)) for m in ws["materials"]))
    device = _device(code)
    if device is None:
        return
    feedback.show_flash(SLOT)
    mine = lifecycle.own_submission(code, device["token"], get_engine())
    _round_note(ws)
    _status_message(ws, device, mine, outcome)
    if mine is None and ws["mode"] == participants.NAMED:
        _name_box(code)
    _prefill(code, device["token"], mine, ws)
    if ws["method"] == participants.PAIRWISE:
        _pairs(ws, device, mine, names)
    else:
        _sliders(ws, crits, device, mine, names)
    if mine:
        st.markdown("**Your ranking with the weights you sent**")
        _own_ranking(ws, mine["weights"], names)
        with st.expander("Your private link (to revise from another device)"):
            st.caption("This address brings your answer back. Anyone who has it can change your weights, "
                       "so keep it to yourself; share the workshop's code instead.")
            st.code(view.join_link(code, device["token"]), language=None, wrap_lines=True)
    _group_result(ws)
    _watch(code, participants.phase(ws["status"], ws["round"], ws["revealed_at"] is not None))
