"""The smallest useful Streamlit app: a title, a text input and a button.

``bench/room.py`` starts it the same way as the app (``streamlit run`` with the
same options, its own process) and drives it with the same websocket client,
so the room's per-interaction server CPU can be read against Streamlit's own
cost for one session's open, text entry and button press.
"""

from __future__ import annotations

import streamlit as st

st.title("Trivial app")
name = st.text_input("Your name", key="name")
if st.button("Send", key="send"):
    st.success(f"Thank you, {name or 'anonymous'}.")
