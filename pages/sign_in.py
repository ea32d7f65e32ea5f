"""Sign in: partners and editors sign in here; a signed-in user sees the account and can sign out."""

from __future__ import annotations

import streamlit as st

from components import feedback, router
from components import signin
from rmo_data.access import roles

router.guard(__file__)

if signin.current() is None:
    st.title("Sign in")
    st.markdown("Everyone can use the Overview, the Material profiles, Sources & method and join a "
                "workshop with its code. Partners also see the risk evidence, stakeholders, leverage "
                "cards, prioritisation, workshop facilitation, downloads and briefing packs; editors "
                "also manage the data.")
    signin.sign_in_form("signin")
else:
    st.title("Account")
    feedback.show_flash("signin")  # "Signed in as …", kept by the form's callback
    signin.signed_in_box("page")
    opened = [p for p in roles.pages_for(signin.role(), router.APP_DIR)
              if p.min_role != roles.PUBLIC]
    if opened:
        st.markdown("**Pages your role opens**")
        for spec in opened:
            st.page_link(spec.path, label=spec.title, icon=spec.icon)
