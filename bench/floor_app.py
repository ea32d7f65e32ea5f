"""The floor for ``bench/clicks.py``: the smallest Streamlit page with one slider.

What a click costs here is Streamlit's own price for a rerun (websocket,
script runner, one element, the browser drawing it); the app's clicks are
read as multiples of it in the same run.  No app code is imported.
"""

from __future__ import annotations

import streamlit as st

value = st.slider("Value", 0, 10, 5, key="floor")
st.write(f"The value is {value}.")
