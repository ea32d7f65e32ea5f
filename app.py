"""RMO Leverage Explorer: the router.

Sets up the page, makes sure the data store exists, draws the shared sidebar
filters (kept across pages and mirrored in the URL) and runs the chosen page.
"""

from __future__ import annotations

import streamlit as st

from components import router, sidebar, state, store

st.set_page_config(
    page_title="RMO Leverage Explorer",
    page_icon=":material/diamond:",
    layout="wide",
    initial_sidebar_state="expanded",
)

router.mark_router_ran()
state.load_from_url()
store.ensure()

PAGES = {
    "Explore": [
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page("pages/material.py", title="Material profile", icon=":material/category:"),
        st.Page("pages/evidence.py", title="Risk evidence", icon=":material/report:"),
        st.Page("pages/stakeholders.py", title="Stakeholders & initiatives", icon=":material/groups:"),
    ],
    "Act": [
        st.Page("pages/prioritisation.py", title="Prioritisation", icon=":material/leaderboard:"),
        st.Page("pages/leverage_cards.py", title="Leverage cards", icon=":material/style:"),
        st.Page("pages/workshop.py", title="Workshop", icon=":material/diversity_3:"),
    ],
    "About": [
        st.Page("pages/sources.py", title="Sources & method", icon=":material/menu_book:"),
    ],
    "Manage": [
        st.Page("pages/data_management.py", title="Data management", icon=":material/database:"),
    ],
}

sidebar.render()
page = st.navigation(PAGES)
router.open_wanted_page()
state.show_url_notes()
page.run()
state.write_to_url()
