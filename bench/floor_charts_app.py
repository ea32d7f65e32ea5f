"""A second reference for ``bench/clicks.py``'s first renders: the floor page plus two charts and a table.

The one-slider floor (``floor_app.py``) loads neither Vega nor the data grid.
This stock page (no app code) shows what Streamlit itself takes to draw the
kinds of element the Overview answers with: two small Altair charts and one
``st.dataframe``.  Its first render is printed beside the floor's, for
reading the app's pages; the issue's target stays the one-slider floor.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

value = st.slider("Value", 0, 10, 5, key="floor")
frame = pd.DataFrame({"name": list("abcde"), "value": [1, 2, 3, 4, value]})
st.altair_chart(alt.Chart(frame).mark_bar().encode(x="name", y="value"))
st.altair_chart(alt.Chart(frame).mark_point().encode(x="name", y="value"))
st.dataframe(frame)
