"""Source lines under figures, and the download of what a figure shows.

Every chart and table on a page is followed by ``figure_footer``: its source
titles and years, its unit, any caveat, and CSV and XLSX downloads of exactly
the data drawn.  The XLSX file is only written when the user clicks its button
(``st.download_button`` takes a callable), so pages pay nothing for it on a
rerun.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Literal

import numpy as np
import pandas as pd
import streamlit as st

from components import signin
from components.safe import escape_html
from rmo_data.exports import XLSX_MIME, table_csv, table_xlsx


def source_line(sources: Iterable[str], years: Iterable[object] | pd.DataFrame = (), unit: str | None = None,
                note: str | None = None) -> str:
    """One sentence naming sources, years and unit (empty parts left out), as safe markdown.

    Source titles, unit and note may come from data, so all of them are escaped
    (``components.safe.escape_html``): callers pass plain text, never markup.

    ``years`` holds one year per row (None or NaN where a row states none), or
    counts of them: a frame with columns ``year`` and ``n`` (as
    ``queries.evidence_provenance`` returns), which reads the same as each year
    repeated ``n`` times without building a column as long as the table.
    """
    names = [escape_html(s) for s in dict.fromkeys(str(s) for s in sources if s and str(s) != "nan")]
    if isinstance(years, pd.DataFrame):
        counts = years["n"].astype("int64")
        stated = years["year"].notna()
        given_count, known_count = int(counts.sum()), int(counts[stated].sum())
        year_values = sorted({int(y) for y in years.loc[stated & (counts > 0), "year"]})
    elif isinstance(years, pd.Series | pd.Index | np.ndarray):
        # Vectorised for long columns (a year per evidence case); same result as the loop below.
        column = pd.Series(years)
        present = column[column.notna()]
        given_count, known_count = len(column), len(present)
        year_values = sorted({int(y) for y in present.unique()})
    else:
        given = list(years)
        known = [int(y) for y in given if y is not None and not pd.isna(y)]
        given_count, known_count = len(given), len(known)
        year_values = sorted(set(known))
    parts = []
    if names:
        parts.append("Source: " + "; ".join(names))
    if year_values:
        span = (str(year_values[0]) if len(year_values) == 1
                else f"{year_values[0]}–{year_values[-1]}")
        # Say so when only some rows carry a year, rather than imply all do.
        partial = f" (stated for {known_count} of {given_count} rows)" if known_count < given_count else ""
        parts.append(f"year {span}{partial}")
    else:
        parts.append("year not stated by the source")
    if unit:
        parts.append(f"unit: {escape_html(unit)}")
    text = " · ".join(parts)
    return f"{text}. {escape_html(note)}" if note else text + "."


def slug_filename(title: str) -> str:
    """A safe file name from a figure title."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:80] or "data"


def download_buttons(data: pd.DataFrame | Callable[[], pd.DataFrame], title: str, key: str,
                     file_stem: str | None = None,
                     csv_label: str = "Download CSV", xlsx_label: str = "Download XLSX",
                     kind: Literal["primary", "secondary", "tertiary"] = "tertiary") -> None:
    """CSV and XLSX downloads of ``data`` side by side.

    Both files are made by a callable only when their button is clicked (a page
    has a dozen tables; writing each as CSV on every rerun cost 5-10 ms apiece),
    and a click needs no rerun of the page.  The CSV button keeps ``key``; the
    XLSX button's key is ``key`` + "-xlsx".  ``data`` may also be a function
    returning the frame (a large table read only when a button is clicked).
    Nothing is drawn for a role without downloads (the public).
    """
    if not signin.can("downloads"):
        return  # downloads are for partners (rmo_data.access.roles.FEATURES); pages say so once
    stem = file_stem or slug_filename(title)
    if callable(data):
        frame_now = data
    else:
        frame = data.copy()  # the callable runs later, on another thread: keep the rows as shown now

        def frame_now() -> pd.DataFrame:
            return frame
    row = st.container(horizontal=True, gap="small")
    row.download_button(
        csv_label, lambda: table_csv(frame_now()), file_name=f"{stem}.csv", mime="text/csv", key=key,
        icon=":material/download:", on_click="ignore",
        help=f"Download the data behind “{escape_html(title)}” as CSV", type=kind,
    )
    row.download_button(
        xlsx_label, lambda: table_xlsx(frame_now(), title), file_name=f"{stem}.xlsx", mime=XLSX_MIME,
        key=f"{key}-xlsx", icon=":material/table_view:", on_click="ignore",
        help=f"Download the data behind “{escape_html(title)}” as an Excel workbook", type=kind,
    )


def figure_footer(data: pd.DataFrame | Callable[[], pd.DataFrame], title: str, sources: Iterable[str],
                  years: Iterable[object] | pd.DataFrame = (), unit: str | None = None,
                  note: str | None = None, key: str | None = None) -> None:
    """Source caption, and CSV and XLSX downloads of ``data``, under a chart or table.

    ``data`` may be a function returning the frame, run only when a download is clicked.
    """
    st.caption(source_line(sources, years, unit, note))
    download_buttons(data, title, key or f"dl-{slug_filename(title)}")
