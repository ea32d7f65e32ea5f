"""The shared sidebar: filters every page reads, kept across pages and in the URL."""

from __future__ import annotations

import streamlit as st

from components import state
from components import cached
from rmo_data import constants


def render() -> None:
    """Draw the shared filters (their values live in session state and the URL)."""
    # Materials come from the store, so any material added to it can be chosen.
    slugs = cached.material_slugs()
    labels = cached.material_labels()
    with st.sidebar:
        st.markdown("### Filters")
        st.selectbox("Focus material", slugs, **state.widget("material"),
                     format_func=lambda s: labels.get(s, s),
                     help="The material shown on the Material profile page.")
        st.multiselect("Materials in view", slugs, **state.widget("materials"),
                       format_func=lambda s: labels.get(s, s),
                       placeholder="All ten materials" if len(slugs) == 10 else f"All {len(slugs)} materials",
                       help="Limits comparisons, evidence and stakeholders. Empty = all.")
        st.multiselect("On EU lists", constants.REGULATORY_LIST_SLUGS, **state.widget("lists"),
                       format_func=constants.REGULATORY_LIST_SHORT.__getitem__, placeholder="No list: every material",
                       help="Keeps the materials on any of these lists: "
                            + "; ".join(f"**{r.short}**: {r.description}" for r in constants.REGULATORY_LISTS))
        if state.lists_leave_nothing():
            st.caption(":material/info: None of the materials in view is on these lists, so they are not "
                       "applied.")
        elif state.get("lists"):
            kept = state.selected_materials()
            st.caption(f"In view: {', '.join(labels.get(m, m) for m in kept)} ({len(kept)} of {len(slugs)}).")
        st.multiselect("Value-chain stages", constants.STAGE_SLUGS, **state.widget("stages"),
                       format_func=constants.STAGE_LABELS.__getitem__, placeholder="All stages",
                       help="Limits evidence and risks to these stages. Empty = all.")
        st.multiselect("Risk categories", constants.RISK_CATEGORY_SLUGS, **state.widget("risks"),
                       format_func=constants.RISK_CATEGORY_LABELS.__getitem__, placeholder="All categories",
                       help="Limits evidence and risks to these categories. Empty = all.")
        st.button("Reset all filters", on_click=state.reset, icon=":material/restart_alt:",
                  width="stretch")
        st.caption("The page address holds these filters: copy it to share this exact view.")
