"""How far the group agrees, drawn for the facilitator: Kendall's W with its band, and the criteria most apart.

One block (``consensus_block``) used by the live facilitator view, the
presentation view and a closed workshop's frozen record.  The figures come
from ``GroupResult.consensus`` (``rmo_data.workshops.consensus``); their
wording from ``rmo_data.workshops.records`` (``agreement_text``,
``apart_text``), so the page and the record's workbook say the same thing.
A record frozen before the figures existed says "not computed when this
workshop closed"; it is never recomputed.
"""

from __future__ import annotations

import streamlit as st

from rmo_data import formatting
from rmo_data.workshops import consensus, records
from rmo_data.workshops.group_result import GroupResult

AGREEMENT_LABEL = "Ranking agreement (Kendall's W, 0–1)"
APART_LABEL = "Weights furthest apart"
_HELP = ("Kendall's W compares the rankings each participant's own weights give: 1 when all rank the "
         "materials in the same order, 0 when there is no common order. Read as low below "
         f"{formatting.number(consensus.BANDS[1][0], None)}, moderate up to {formatting.number(consensus.BANDS[0][0], None)} and high from "
         f"{formatting.number(consensus.BANDS[0][0], None)} (a rule of thumb). It needs at least {consensus.MIN_RATERS} "
         "participants.")
_APART_HELP = ("The criteria whose weights differ most between participants (standard deviation of their "
               f"shares of the score, in percentage points), at most {consensus.TOP_DISAGREED}.")


def consensus_block(result: GroupResult, key: str) -> None:
    """W and its band beside the most disagreed criteria, in one bordered row (the projector's CSS enlarges it)."""
    with st.container(border=True, key=f"{key}_consensus"):
        c1, c2 = st.columns(2, vertical_alignment="center")
        c1.metric(AGREEMENT_LABEL, records.agreement_text(result), help=_HELP)
        c2.markdown(f"**{APART_LABEL}:** {records.apart_text(result)}", help=_APART_HELP)
