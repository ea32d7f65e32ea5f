"""Workshop: participants weigh the criteria on their own devices; the group result is shown live.

Three modes (``ws_mode`` in the address, so a link opens the right one):
joining as a participant (``?join=CODE`` fills in the code), facilitating
(create a workshop, watch submissions arrive, present, close) and viewing
closed workshops, whose frozen records can be downloaded or turned into a
briefing pack.  ``?present=1`` shows the facilitator's workshop in
presentation mode: no sidebar, projector-sized charts.  The logic lives in
``rmo_data.workshops`` (lifecycle, participants, group_result, records), the
drawing in ``components.workshop_participant`` and
``components.workshop_facilitator``; this script picks the mode.

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

import streamlit as st

from components import cards, feedback, router, signin, state
from components import workshop_facilitator as facilitator
from components import workshop_participant as participant
from components import workshop_view as view
from rmo_data import constants, formatting
from rmo_data.access import roles
from rmo_data.workshops.consensus import BANDS, MIN_ITEMS, MIN_RATERS, TOP_DISAGREED
from rmo_data.workshops.group_result import RANK_RANGE_FLAG, WEIGHT_STD_FLAG
from rmo_data.workshops.pairwise import CR_LIMIT

router.guard(__file__)

MODES = {"join": "Join as participant", "run": "Facilitate", "closed": "Closed workshops"}

METHOD = f"""
1. **Each participant's weights are rescaled to 100 %**, so only their proportions count and
   everyone carries the same weight in the group, however many points they handed out.
2. **Group weights** are the mean of those shares. The **group ranking** applies them to the
   criteria, each scaled 0–1 across the workshop's materials, exactly as on the Prioritisation page
   ({constants.IMPUTATION_NOTE}).
3. **Borda count**: every participant's own ranking gives a material n − 1 points for first place
   down to 0 for last (ties share the points). When it disagrees with the group ranking, the mean
   weights hide a split group.
4. **Disagreement** is flagged in red when a criterion's shares have a standard deviation of
   {formatting.number(WEIGHT_STD_FLAG * 100, None)} percentage points or more, or a material's ranks span
   {RANK_RANGE_FLAG} places or more.
5. **Agreement on the ranking** is Kendall's coefficient of concordance W over the rankings each
   participant's own weights give, with the usual correction for tied places: 1 when everyone ranks
   the materials in the same order, 0 when there is no common order. We read it as **low** below
   {formatting.number(BANDS[1][0], None)}, **moderate** from {formatting.number(BANDS[1][0], None)} up to {formatting.number(BANDS[0][0], None)} and **high** from
   {formatting.number(BANDS[0][0], None)}: a convention of this app, not a statistical test. It needs at least
   {MIN_RATERS} participants and {MIN_ITEMS} materials ("not enough answers" before that).
   **Weights furthest apart** names the (at most {TOP_DISAGREED}) criteria whose shares have the
   largest standard deviation among participants.
6. **Model default**: every criterion of the workshop weighted equally.
7. **Pairwise weighing** (when the facilitator chose it): each participant says, for every pair of
   criteria, which should count more and by how much (equal, a little, clearly, much,
   overwhelmingly: 1, 3, 5, 7 or 9 times). Their weights are the principal eigenvector of those
   answers, as in the Analytic Hierarchy Process, and the consistency ratio CR says how far the
   answers contradict each other: above {formatting.number(CR_LIMIT, None)} the participant is warned and shown where.
8. **Reveal and rounds**: the room sees the group result only once the facilitator reveals it. A
   second round freezes the first as it stands; participants see its result and may revise, and
   whoever does not keeps their first answer. Both rounds are kept and compared.
9. **Anonymous workshops** ask for no name and keep none: answers read "Participant 1, 2, …" in
   the order the devices joined.
10. **Closing** freezes the record (every round's submissions with their times, the result, the
   default, the agreement, the sources, who closed it, and the data version: the store's build
   and a SHA-256 fingerprint of the criterion values used); a closed workshop is always shown from
   that record. Records frozen before the agreement figure existed say "not computed when this
   workshop closed".
"""


def _main() -> None:
    cards.inject_css()
    st.title("Workshop")
    st.markdown("Gather a group's view on which materials to act on first: everyone weighs the criteria "
                "on their own device, and the group ranking, its agreement and its distance from the "
                "model default appear as the weights come in.")
    st.segmented_control("Mode", list(MODES), format_func=MODES.__getitem__, required=True,
                         label_visibility="collapsed", **state.widget("ws_mode"))
    feedback.show_flash(facilitator.FLASH_SLOT)
    mode = state.get("ws_mode")
    if not view.mode_allowed(mode):
        needed = roles.WORKSHOP_MODES[mode]
        what = {"run": "Facilitating a workshop", "closed": "Reading closed workshops"}[mode]
        st.warning(f"{what} is for {needed}s only. Sign in as a {needed} to open it; joining a workshop "
                   "with its code needs no account.", icon=":material/lock:")
        signin.sign_in_form("ws_signin")
    elif mode == "run":
        facilitator.facilitator_view()
    elif mode == "closed":
        facilitator.closed_list_view()
    else:
        participant.participant_view()
    with st.expander("How the group result is computed"):
        st.markdown(METHOD)


# No st.stop() here: the router writes the address after the page has run.
if participant.focused_session():  # opened by a participant's link: the phone view only
    participant.participant_view(focused=True)
elif state.get("present") and state.get("ws") and view.mode_allowed("run"):
    facilitator.presentation_view()
else:
    _main()
