"""On a phone, every page opens with the sidebar closed (issue 15 item 3).

Streamlit closes the sidebar on narrow screens on a first visit
(``initial_sidebar_state="auto"``), but once a reader has opened it, it
remembers that in the browser (local storage) and opens it again over every
page after, and a tap on a page in its menu leaves it open over the new page.
``close_sidebar_on_new_page`` adds a few lines of JavaScript, in a hidden
container of the sidebar, that close it on a screen as narrow as Streamlit's
own phone breakpoint when a new page is shown (a tap in the menu) or the app
is loaded again with the sidebar remembered open, and then forget the
remembered state, so that a wide screen later still gets Streamlit's own
choice; a rerun of the same page (a filter changed in the open sidebar)
leaves it as it is.
"""

from __future__ import annotations

import json
from typing import Final

import streamlit as st

KEY: Final[str] = "phone_sidebar"
PHONE_MAX_PX: Final[int] = 768  # Streamlit's "md" breakpoint, below which "auto" closes the sidebar

SCRIPT: Final[str] = """
(() => {
  if (window.innerWidth > %(max)d) return;
  const page = %(page)s, key = 'stSidebarCollapsed-';
  const first = window.__rmoShownPage === undefined;  // a new load of the app, not a page change in it
  if (window.__rmoShownPage === page) return;  // a rerun of the page already shown
  window.__rmoShownPage = page;
  let remembered = null;
  try { remembered = window.localStorage.getItem(key); } catch (e) { /* storage blocked */ }
  // On a new load Streamlit closes the sidebar by itself unless it remembers the reader opening it.
  if (first && remembered !== 'false') return;
  // Forget the state Streamlit stores, so that neither the reader's opening nor this closing sticks.
  const forget = (tries) => {
    try { if (window.localStorage.getItem(key) !== null) { window.localStorage.removeItem(key); return; } }
    catch (e) { return; }
    if (tries > 0) requestAnimationFrame(() => forget(tries - 1));
  };
  const close = (tries) => {
    const sidebar = document.querySelector('[data-testid="stSidebar"]');
    const button = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
    if (sidebar && sidebar.getAttribute('data-collapsed') === 'true') return;
    if (sidebar && button) { button.click(); forget(60); return; }
    if (tries > 0) requestAnimationFrame(() => close(tries - 1));
  };
  close(60);
})();
"""


def close_sidebar_on_new_page(page: str) -> None:
    """On a narrow screen, close the sidebar when ``page`` (its address) is not the page shown before."""
    script = SCRIPT % {"max": PHONE_MAX_PX, "page": json.dumps(page)}
    # In the sidebar, which such a session always has, and hidden, so it leaves no gap there.
    with st.sidebar.container(key=KEY):
        st.html(f"<style>.st-key-{KEY} {{display: none;}}</style><script>{script}</script>",
                unsafe_allow_javascript=True, width="content")
