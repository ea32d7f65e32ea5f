"""Make every page run inside the router (app.py), even on a fresh server.

Until some session has called ``st.navigation``, Streamlit still honours the
legacy ``pages/`` folder: the first request to ``/material`` on a newly
started server runs ``pages/material.py`` on its own, without the sidebar,
the store check or the link's filters.  Each page calls ``guard()`` first; when
the router has not run in this session it keeps the link's filters, remembers
the page and hands over to the router, which then opens that page.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from components import state

_ROUTER_FLAG = "_router_ran"
_WANTED = "_wanted_page"
APP_DIR = Path(__file__).resolve().parents[1]


def mark_router_ran() -> None:
    """Called by app.py on every run."""
    st.session_state[_ROUTER_FLAG] = True


def guard(page_file: str) -> None:
    """Hand over to the router when a page is run without it (legacy pages/ mode)."""
    if st.session_state.get(_ROUTER_FLAG):
        return
    state.load_from_url()  # keep the link's filters before the address changes
    st.session_state[_WANTED] = Path(page_file).resolve().relative_to(APP_DIR).as_posix()
    st.switch_page("app.py")


def open_wanted_page() -> None:
    """After st.navigation: switch to the page a guarded link asked for, once."""
    wanted = st.session_state.pop(_WANTED, None)
    if wanted:
        st.switch_page(wanted)
