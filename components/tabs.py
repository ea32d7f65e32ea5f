"""Tabs and expanders whose content is built only while they are open.

``st.tabs`` runs the code of every tab on every rerun, although the user sees
one.  On the Material profile that meant about fifteen reads, three charts,
every CSV download and all leverage cards for each new material, before the
first tab could show.  ``lazy_tabs`` makes the tabs with ``on_change="rerun"``
(a click on a tab reruns the script) and runs only the open tab's body, so a
rerun costs what the user sees.  The tab stays where it was when other inputs
change: the open tab is widget state under ``key``.

``lazy_expander`` does the same for an expander.  A closed expander's content
is sent to the browser on every run all the same, and a first render's time is
mostly the browser drawing elements (``bench/clicks.py``), so an expander of
report themes, a method text or a table costs the page until someone opens it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import streamlit as st


def lazy_tabs(bodies: Mapping[str, Callable[[], None]], key: str) -> str:
    """Draw tabs labelled with the keys of ``bodies`` and run the open tab's body inside it.

    Returns the label of the open tab.  Set ``st.session_state[key]`` to a
    label to open that tab (tests do; a page could link to a tab this way).
    """
    labels = list(bodies)
    containers = st.tabs(labels, key=key, on_change="rerun")
    # With on_change="rerun" exactly one tab is open; the first is the fallback should
    # streamlit ever report none (e.g. a label that no longer exists).
    open_label = next((label for label, tab in zip(labels, containers, strict=True) if tab.open), labels[0])
    with containers[labels.index(open_label)]:
        bodies[open_label]()
    return open_label


def lazy_expander(label: str, body: Callable[[], None], key: str, *, expanded: bool = False,
                  icon: str | None = None) -> bool:
    """An expander whose ``body`` runs only while it is open; returns whether it is open.

    Opening it reruns the script (``on_change="rerun"``); its state is widget state
    under ``key`` (set ``st.session_state[key] = True`` to open it, as tests do).
    """
    box = st.expander(label, expanded=expanded, key=key, icon=icon, on_change="rerun")
    if box.open:
        with box:
            body()
    return bool(box.open)
