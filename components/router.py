"""Make every page run inside the router (app.py), even on a fresh server, and only for its roles.

Until some session has called ``st.navigation``, Streamlit still honours the
legacy ``pages/`` folder: the first request to ``/material`` on a newly
started server runs ``pages/material.py`` on its own, without the sidebar,
the store check or the link's filters.  Each page calls ``guard()`` first; when
the router has not run in this session it keeps the link's filters, remembers
the page and hands over to the router, which then opens that page.

Access: ``navigation()`` builds the session's ``st.navigation`` list from
``rmo_data.access.roles.PAGES``: the pages its role may open, and, at the address of
each page it may not open, a hidden stand-in that refuses with a sign-in form
(so a direct link never falls through to another page and never runs the
real script).  ``guard()`` refuses too when a page script runs for a role
that may not open it, so no page can forget the check.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from components import state
from components import signin
from rmo_data.access import roles

_ROUTER_FLAG = "_router_ran"
_PAGE_NOW = "_page_now"  # the page script last opened, for downloads that say which view they hold
_WANTED = "_wanted_page"
APP_DIR = Path(__file__).resolve().parents[1]


def mark_router_ran() -> None:
    """Called by app.py on every run."""
    st.session_state[_ROUTER_FLAG] = True


def guard(page_file: str) -> None:
    """Hand over to the router when a page is run without it; refuse a role that may not open it."""
    page = Path(page_file).resolve().relative_to(APP_DIR).as_posix()
    st.session_state[_PAGE_NOW] = page
    if not st.session_state.get(_ROUTER_FLAG):
        state.load_from_url()  # keep the link's filters before the address changes
        st.session_state[_WANTED] = page
        st.switch_page("app.py")
    # Checked here as well as in app.py: a page can run without the router (AppTest
    # after switch_page), and an expired session must never open a partner page.
    signin.refresh()
    if not signin.may_open(page):
        spec = roles.page(page)
        if spec is None:
            st.error("This page is not part of the app.", icon=":material/error:")
        else:
            signin.refusal_page(spec)()
        st.stop()


def show_menu() -> None:
    """Let ``st.navigation`` draw its sidebar menu (call before it, on every run).

    ``.streamlit/config.toml`` turns ``client.showSidebarNavigation`` off, so the menu Streamlit
    makes from the files of ``pages/`` in a new server's first run (before app.py has run,
    see ``streamlit.runtime.scriptrunner.script_runner._mpa_v1``) is never shown; with the option
    off, ``st.navigation(position="sidebar")`` would hide the app's own menu too, so it is turned
    on again here, after that first list was sent and before the app's menu is.
    """
    if st.get_option("client.showSidebarNavigation") is not True:
        st.set_option("client.showSidebarNavigation", True)


def current_page() -> str:
    """The page script this session last opened ("pages/overview.py"); "" before any."""
    return str(st.session_state.get(_PAGE_NOW, ""))


def navigation(role: str) -> tuple[dict[str, list[StreamlitPage]], dict[str, StreamlitPage]]:
    """The sections for ``st.navigation`` for ``role``, and every registered page by its path.

    Pages whose file does not exist (yet) are left out.  A page ``role`` may not
    open is represented by a hidden refusal page at its address.
    """
    sections: dict[str, list[StreamlitPage]] = {}
    stand_ins: list[StreamlitPage] = []
    by_path: dict[str, StreamlitPage] = {}
    signed_in = signin.current() is not None
    for spec in roles.PAGES:
        if not (APP_DIR / spec.path).is_file():
            continue
        if roles.allows(role, spec.min_role):
            title, icon = spec.title, spec.icon
            if spec.path == "pages/sign_in.py" and signed_in:
                title, icon = "Account", ":material/account_circle:"
            # The default page is served at "/", but reserves an address of its own as well; its
            # file name is left to the alias that leads there (_default_page_alias).
            page = st.Page(spec.path, title=title, icon=icon, default=spec.default,
                           url_path=f"{spec.url_path}-default" if spec.default else None)
            sections.setdefault(spec.section, []).append(page)
        else:
            page = st.Page(signin.refusal_page(spec), title=spec.title, icon=spec.icon,
                           url_path=spec.url_path, visibility="hidden")
            stand_ins.append(page)
        by_path[spec.path] = page
    stand_ins.extend(_default_page_alias(by_path))
    # Hidden pages show in no menu; kept in a visible section so no empty heading is drawn.
    next(iter(sections.values())).extend(stand_ins)
    return sections, by_path


def _default_page_alias(by_path: dict[str, StreamlitPage]) -> list[StreamlitPage]:
    """A hidden page at the default page's own address (``/overview``) that opens it at ``/``.

    Streamlit serves the default page at the root only: its file name as an address found no
    page and showed "Page not found", although every other page opens at its file name.
    """
    spec = next((p for p in roles.PAGES if p.default and p.path in by_path), None)
    if spec is None:
        return []
    target = by_path[spec.path]

    def open_default_page() -> None:
        st.switch_page(target, query_params=st.query_params.to_dict())  # a shared link keeps its filters

    return [st.Page(open_default_page, title=spec.title, icon=spec.icon, url_path=spec.url_path,
                    visibility="hidden")]


def shows_filters(page: StreamlitPage, pages: dict[str, StreamlitPage]) -> bool:
    """True unless ``page`` is one whose spec says the shared sidebar filters do nothing there."""
    path = next((p for p, registered in pages.items() if registered is page), None)
    spec = roles.page(path) if path else None
    return spec is None or spec.filters


def open_wanted_page(pages: dict[str, StreamlitPage]) -> None:
    """After st.navigation: switch to the page a guarded link asked for, once.

    A page the role may not open is in ``pages`` as its refusal stand-in, so
    the link shows the refusal at the page's own address.
    """
    wanted = st.session_state.pop(_WANTED, None)
    if wanted and wanted in pages:
        st.switch_page(pages[wanted])


def stay_on(page: StreamlitPage, pages: dict[str, StreamlitPage], path: str) -> None:
    """After st.navigation: switch to the page at ``path`` unless it is the one running (no menu to leave by)."""
    target = pages.get(path)
    if target is not None and page.url_path != target.url_path:
        st.switch_page(target)
