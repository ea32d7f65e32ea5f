"""RMO Leverage Explorer: the router.

Sets up the page, makes sure the data store exists, checks who is signed in,
draws the shared sidebar filters (kept across pages and mirrored in the URL)
and runs the chosen page from the pages the session's role may open.  A
session opened by a participant's join link gets neither menu nor sidebar and
stays on the Workshop page (``workshop_participant.focused_session``).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from components import a11y, phone, router, sidebar, state, store
from components import signin
from components import workshop_participant as participant

st.set_page_config(
    page_title="RMO Leverage Explorer",
    # A file of the app's own: a Material icon as favicon is fetched from Google's font host,
    # which an offline laptop in a workshop room cannot reach.
    page_icon=str(Path(__file__).resolve().parent / "assets" / "favicon.png"),
    layout="wide",
    # Shown on a desktop, closed on a phone (Streamlit decides by the width): open, it covers the page.
    initial_sidebar_state="auto",
)

router.mark_router_ran()
state.load_from_url()
store.ensure()

# Who may open which page is decided in rmo_data.access.roles; the router builds this
# session's menu from it (pages of a higher role are refused at their address).
signin.refresh()
# A participant's join link opens a focused page on their phone: no menu, no filters, no account box.
focused = participant.focused_session()
if not focused:
    account = st.sidebar.container()  # filled after st.navigation: its sign-in link needs the pages
router.show_menu()
sections, pages = router.navigation(signin.role())
page = st.navigation(sections, position="hidden" if focused else "sidebar")
router.open_wanted_page(pages)
if focused:
    router.stay_on(page, pages, participant.WORKSHOP_PAGE)
else:
    signin.sidebar_box(account)
    if router.shows_filters(page, pages):  # not on pages where they would do nothing (data management)
        sidebar.render()
    phone.close_sidebar_on_new_page(page.url_path)  # on a phone each new page opens with it closed
a11y.inject()  # captions and their links in colours that pass WCAG contrast
state.show_url_notes()
page.run()
state.write_to_url()
