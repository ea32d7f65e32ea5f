"""Source lines under figures, and the download of what a figure shows.

Every chart and table on a page is followed by ``figure_footer``: its source
titles and years, its unit, any caveat, and a CSV download of exactly the data
drawn.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd
import streamlit as st


def source_line(sources: Iterable[str], years: Iterable[object] = (), unit: str | None = None,
                note: str | None = None) -> str:
    """One plain sentence naming sources, years and unit (empty parts left out)."""
    names = [s for s in dict.fromkeys(str(s) for s in sources if s and str(s) != "nan")]
    given = list(years)
    known = [int(y) for y in given if y is not None and not pd.isna(y)]
    year_values = sorted(set(known))
    parts = []
    if names:
        parts.append("Source: " + "; ".join(names))
    if year_values:
        span = (str(year_values[0]) if len(year_values) == 1
                else f"{year_values[0]}–{year_values[-1]}")
        # Say so when only some rows carry a year, rather than imply all do.
        partial = f" (stated for {len(known)} of {len(given)} rows)" if len(known) < len(given) else ""
        parts.append(f"year {span}{partial}")
    else:
        parts.append("year not stated by the source")
    if unit:
        parts.append(f"unit: {unit}")
    text = " · ".join(parts)
    return f"{text}. {note}" if note else text + "."


def slug_filename(title: str) -> str:
    """A safe file name from a figure title."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:80] or "data"


def figure_footer(data: pd.DataFrame, title: str, sources: Iterable[str],
                  years: Iterable[object] = (), unit: str | None = None,
                  note: str | None = None, key: str | None = None) -> None:
    """Source caption and a CSV download of ``data`` under a chart or table."""
    st.caption(source_line(sources, years, unit, note))
    st.download_button(
        "Download CSV", data.to_csv(index=False).encode("utf-8"),
        file_name=f"{slug_filename(title)}.csv", mime="text/csv",
        key=key or f"dl-{slug_filename(title)}", icon=":material/download:",
        help=f"Download the data behind “{title}” as CSV", type="tertiary",
    )
