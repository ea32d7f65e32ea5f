"""The Workshop page's participant mode: join with a code, weigh the criteria, revise with the private link.

Anyone holding a code may join: the code is the credential.  Wrong codes are
throttled (``workshop_view.code_wait``); a rerun with the same wrong code is
neither looked up nor counted again.  A participant's first submission hands
back a private token, kept in their address (``p``) and in this session: only
it brings back and revises their answer, never their name.  A closed workshop
shows its frozen group result; names only to partners.  The submission goes
through ``feedback.saving``: a store fault is one plain message and the form
keeps what was entered.

A participant's link (``?join=CODE``, with or without the private ``p``) opens
the focused view (``focused_session`` / ``focused_view``): the router draws no
sidebar, no menu and no filters (``app.py``), and the page shows only the
workshop's title, what to do, one card per criterion with a plain line on what
it means, and one submit button, laid out for a phone.  While the workshop is
open, a small fragment (``_watch``) reads only its status every
``WATCH_EVERY_S`` seconds (one cached read per workshop and server, however
many participants wait) and reruns the page when it changes, so a close
reaches every open page in about a second and is said once, in one message.
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
from rmo_data import constants, faults
from rmo_data.store.engine import database_url, get_engine
from rmo_data.workshops import group_result, lifecycle, participants

LOADED = "_ws_loaded_for"
OUTCOME = "_ws_outcome"
TOKENS = "_ws_tokens"  # this session's private tokens, by workshop code
BAD_CODE = "_ws_bad_code"  # the last unknown code, so a rerun does not count it again
SLOT = "workshop"  # feedback slot of the participant's form
FOCUS = "_ws_focus"  # True when this session was opened by a participant's link
WORKSHOP_PAGE = "pages/workshop.py"
# The status poll: a close shows within WATCH_EVERY_S + STATUS_TTL_S seconds (well inside 2 s),
# and forty waiting phones cost one status read per STATUS_TTL_S, not forty.
WATCH_EVERY_S = 1.0
STATUS_TTL_S = 0.5

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


def _mine(code: str) -> tuple[str | None, dict[str, Any] | None]:
    """This session's token for the workshop and the submission it owns, or (None, None).

    The link's token (``p``) comes first, then one kept from an earlier submission in this session.
    """
    kept = st.session_state.get(TOKENS, {}).get(code)
    token, row = lifecycle.first_owned(code, (state.get("p"), kept), get_engine())
    if row is not None:
        st.session_state["p"] = token  # the address now brings this answer back
    return token, row


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
    crit = cached.criteria()
    table = group_result.own_ranking(ws, weights, crit, names)
    tables.dataframe(table, hide_index=True, width="stretch", key="ws_own_rank", column_config={
        "Rank": st.column_config.NumberColumn(format="%d", width="small"),
        "Score (0–1)": st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="%.2f")})
    sources, years = group_result.criteria_provenance(crit, ws["criteria"])
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
    # A second press sent before the page redrew still carries no token: the session kept the one
    # the first press got, so it revises that answer instead of failing on the now taken name.
    token = token or st.session_state.get(TOKENS, {}).get(code)
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


def _form(code: str, ws: dict[str, Any], token: str | None, mine: dict[str, Any] | None,
          names: Mapping[str, str]) -> None:
    """The weights form: a slider per criterion, the flagged materials, submit or revise."""
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


def _closed(code: str, ws: dict[str, Any], outcome: dict[str, Any] | None) -> None:
    """A closed workshop: one message that says so (and what became of a late change), then its result."""
    closed_at = (ws["record"] or {}).get("workshop", {}).get("closed_at") or ws["closed_at"]
    kept = st.session_state.get(TOKENS, {}).get(code) or state.get("p")
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


@st.cache_data(ttl=STATUS_TTL_S, show_spinner=False, max_entries=1000)
def _status(url: str, code: str) -> str | None:
    """The workshop's status, read at most once per ``STATUS_TTL_S`` for all sessions of this server."""
    return lifecycle.status_of(code, get_engine())


@st.fragment(run_every=WATCH_EVERY_S)
def _watch(code: str, shown: str) -> None:
    """Rerun the whole page as soon as the workshop's status is no longer the one drawn (``shown``)."""
    try:
        now = _status(database_url(), code)
    except faults.WRITE_ERRORS:  # the store faults a read can meet too (SQLAlchemy, OS)
        return  # a busy or lost store: try again at the next tick, the page stays as it is
    if now != shown:
        st.rerun(scope="app")


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


def focused_view() -> None:
    """The participant's page on a phone: the workshop, what to do, a card per criterion, one submit."""
    st.html(FOCUS_CSS)
    names = cached.material_labels()
    code = participants.normalise_code(state.get("join"))
    outcome = st.session_state.pop(OUTCOME, None)
    head = st.container()
    ws = _join(code) if code else None
    if ws is None:
        head.title("Join a workshop")
        st.text_input("Join code", max_chars=12, placeholder="e.g. K7PX3M", **state.widget("join"),
                      help="Six letters and digits, shown by your facilitator. Case does not matter.")
        if not code:
            st.info("Type the code your facilitator shows.", icon=":material/login:")
        return
    head.title(escape_html(ws["name"]))
    if ws["status"] != lifecycle.OPEN:
        _closed(code, ws, outcome)
        return
    crits = [c for c in constants.CRITERIA if c.slug in ws["criteria"]]
    head.markdown(f"Say how much each of these {len(crits)} criteria should count when the group ranks "
                  f"{len(ws['materials'])} materials, from 0 (leave it out) to 10 (counts most), then "
                  "press the button at the end.")
    head.caption("Materials: " + ", ".join(escape_html(names.get(m, m)) for m in ws["materials"]))
    feedback.show_flash(SLOT)
    if outcome and "error" in outcome:
        st.error(escape_html(outcome["error"]), icon=":material/error:")
    token, mine = _mine(code)
    if outcome and "error" not in outcome and outcome["code"] == code:
        verb = "revised" if outcome["revised"] else "received"
        st.success(f"**Your answer is in.** Thank you, {escape_html(outcome['participant'])}: your weights "
                   f"were {verb} at {view.when(outcome['submitted_at'])}. You take part as "
                   f"{escape_html(outcome['participant'])} and can revise them until the facilitator "
                   "closes the workshop.", icon=":material/check_circle:")
    elif mine:
        st.success(f"**Your answer is in.** You take part as {escape_html(mine['participant'])} and sent "
                   f"it at {view.when(mine['submitted_at'])}; change any weight and press the button "
                   "again to revise it until the facilitator closes the workshop.",
                   icon=":material/check_circle:")
    else:
        st.text_input("Your name", key="ws_name", max_chars=participants.PARTICIPANT_MAX,
                      placeholder="As the group knows you",
                      help="After you submit, this page's address holds a private key that lets you, "
                           "and only you, revise your answer.")
        name = st.session_state.get("ws_name", "")
        if name.strip() and lifecycle.name_taken(code, name, get_engine()):
            st.error(participants.NAME_TAKEN, icon=":material/person_off:")
    _prefill(code, token, mine, ws)
    with st.form("ws_form", border=False):
        for crit in crits:
            with st.container(border=True):
                st.slider(crit.label, 0, constants.WEIGHT_MAX, key=f"ws_w_{crit.slug}")
                st.caption(constants.CRITERION_PLAIN.get(crit.slug, crit.description))
        st.multiselect(f"Materials you think matter most (up to {participants.FLAG_MAX}, optional)",
                       ws["materials"], key="ws_flags", max_selections=participants.FLAG_MAX,
                       format_func=lambda m: names.get(m, m))
        st.form_submit_button("Revise my weights" if mine else "Submit my weights", key="ws_submit",
                              type="primary", icon=":material/send:", width="stretch", on_click=_submit,
                              args=(code, list(ws["criteria"]), token if mine else None))
    if mine:
        st.markdown("**Your ranking with the weights you sent**")
        _own_ranking(ws, mine["weights"], names)
        with st.expander("Your private link (to revise from another device)"):
            st.caption("This address brings your answer back. Anyone who has it can change your weights, "
                       "so keep it to yourself; share the workshop's code instead.")
            st.code(view.join_link(code, token), language=None, wrap_lines=True)
    _watch(code, ws["status"])


def participant_view() -> None:
    """The participant's mode: the code box, then the workshop it opens and the weights form."""
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
    st.subheader(escape_html(ws["name"]))
    view.about(ws)
    feedback.show_flash(SLOT)
    if ws["status"] != lifecycle.OPEN:
        _closed(code, ws, outcome)
        return
    if outcome and "error" in outcome:
        st.error(escape_html(outcome["error"]), icon=":material/error:")

    token, mine = _mine(code)
    if mine:
        st.markdown(f"You take part as **{escape_html(mine['participant'])}**.")
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
        st.success(f"Thank you, {escape_html(outcome['participant'])}: your weights were {verb} at "
                   f"{view.when(outcome['submitted_at'])}. You can revise them until the facilitator closes "
                   "the workshop.", icon=":material/check_circle:")
    elif mine:
        st.caption(f"You submitted at {view.when(mine['submitted_at'])}. Change the weights and submit "
                   "again to revise them until the facilitator closes the workshop.")
    _form(code, ws, token, mine, names)
    if mine:
        st.markdown("**Your ranking with the weights you submitted**")
        _own_ranking(ws, mine["weights"], names)
        with st.expander("Your private link (to revise from another device)"):
            st.code(view.join_link(code, token), language=None, wrap_lines=True)
    _watch(code, ws["status"])
