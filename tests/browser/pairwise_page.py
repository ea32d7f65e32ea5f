"""A page with nothing but the pairwise input, served by ``streamlit run`` for the browser test.

The criteria come from the address (``?criteria=a,b,c``), so the test that
opens the page says which it compares.  The participant's page draws its own
title and submit; this one only shows what ``pairwise_input`` returns, for
the test to compare.
"""

from __future__ import annotations

import json

import streamlit as st

from components.workshop_pairwise import pairwise_input
from rmo_data.workshops import pairwise

criteria = [c for c in st.query_params.get("criteria", "").split(",") if c]
st.title("Compare the criteria")
if criteria:
    answer = pairwise_input(criteria, "pw")
    st.caption("Returned: " + ("nothing yet" if answer is None else json.dumps(pairwise.answer_shares(answer))))
else:
    st.info("Give the criteria in the address: ?criteria=auto_share,severity,…")
