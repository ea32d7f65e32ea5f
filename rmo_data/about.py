"""What a download says about itself: sources with years and licences, filters, weights, data version, date, link.

No streamlit here.  ``components.provenance`` gathers an ``About`` while a page
draws a figure (cheap: a few values from session state), and only when a
download is clicked turns it into rows (``about_rows``): the *About* sheet of a
workbook, the ``about.csv`` beside a CSV in its zip, and the lines under a
chart's PNG or SVG (``about_lines``).  All three read the same rows.

Sources are named by pages as plain titles ("Worldwide Governance Indicators
2024"); ``register_rows`` finds each in the store's source register (table
``source``) to give its publisher, year, licence and address.  A title the
register does not hold, or a source without a licence, says so
("licence not recorded"): no licence is ever guessed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rmo_data import constants, formatting, vocabulary

APP_NAME = "RMO Leverage Explorer"
NO_LICENCE = "licence not recorded"
NOT_REGISTERED = "not in the source register"


def source_text(sources: Iterable[str], years: Iterable[object] | pd.DataFrame = (), unit: str | None = None,
                note: str | None = None, escape: Callable[[str], str] = str) -> str:
    """One sentence naming sources, years and unit (empty parts left out); ``escape`` is applied to data text.

    ``years`` holds one year per row (None or NaN where a row states none), or
    counts of them: a frame with columns ``year`` and ``n`` (as
    ``queries.evidence_provenance`` returns), which reads the same as each year
    repeated ``n`` times without building a column as long as the table.
    """
    names = [escape(s) for s in dict.fromkeys(str(s) for s in sources if s and str(s) != "nan")]
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
        parts.append(f"unit: {escape(unit)}")
    text = " · ".join(parts)
    return f"{text}. {escape(note)}" if note else text + "."


@dataclass(frozen=True)
class About:
    """What one figure's download says about itself, gathered while the page is drawn.

    ``filters`` are (what, value) pairs as a reader says them; ``weights`` maps
    criterion slugs to the weights set (0–10), or is None when the view uses no
    weights, with ``weights_note`` saying why.  ``data_version`` is the store's
    reference-data counter and the time it last changed.  ``weight_items``
    replaces the weight rows when a view's weights are not the page's 0–10
    sliders (a workshop's group weights, as shares of the score), and
    ``version_note`` the data version in words when it was frozen earlier (a
    closed workshop's record carries the version it was computed on).
    """

    title: str
    page: str
    source_line: str
    sources: tuple[str, ...] = ()
    filters: tuple[tuple[str, str], ...] = ()
    weights: Mapping[str, int] | None = None
    weights_note: str = "No weights: this view does not rank materials."
    data_version: tuple[int, str] = (0, "")
    link: str = ""
    made_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    weight_items: tuple[tuple[str, str], ...] = ()
    version_note: str = ""


def _key(title: str) -> str:
    """A title without parenthesised parts, edition words and punctuation, for matching."""
    text = re.sub(r"\([^)]*\)", " ", title.lower())
    text = re.sub(r"\b(update|final report|data release)\b", " ", text)
    return " ".join(re.findall(r"[a-z0-9]+", text))


def register_rows(names: Iterable[str], register: pd.DataFrame) -> pd.DataFrame:
    """The register's facts for each source named: Source, Publisher, Year, Licence, Address.

    A name matches a register title exactly, or when one of the two, stripped of
    parenthesised parts and edition words ("update", "Final Report"), starts
    with the other.  Unmatched names stay, marked ``NOT_REGISTERED``; a matched
    source without a licence reads ``NO_LICENCE``.
    """
    rows = []
    titles = register["title"].astype(str).tolist() if not register.empty else []
    keys = [_key(t) for t in titles]
    for name in dict.fromkeys(str(n) for n in names if n and str(n) != "nan"):
        hit = titles.index(name) if name in titles else None
        if hit is None:
            wanted = _key(name)
            hit = next((i for i, k in enumerate(keys) if wanted and (k.startswith(wanted) or wanted.startswith(k))),
                       None)
        if hit is None:
            rows.append({"Source": name, "Publisher": "", "Year": "", "Licence": NOT_REGISTERED, "Address": ""})
            continue
        row = register.iloc[hit]
        year = row.get("year")
        licence = row.get("licence")
        rows.append({"Source": str(row["title"]), "Publisher": str(row.get("publisher") or ""),
                     "Year": "" if year is None or pd.isna(year) else str(int(year)),
                     "Licence": NO_LICENCE if licence is None or pd.isna(licence) or not str(licence).strip()
                     else str(licence),
                     "Address": "" if row.get("url") is None or pd.isna(row.get("url")) else str(row["url"])})
    return pd.DataFrame(rows, columns=["Source", "Publisher", "Year", "Licence", "Address"]).drop_duplicates()


def weight_rows(weights: Mapping[str, int]) -> list[tuple[str, str]]:
    """(criterion, "weight w of 10 · s % of the score") for every criterion, in the app's order."""
    ints = [max(int(weights.get(slug, 0)), 0) for slug in constants.CRITERION_SLUGS]
    shares = formatting.shares(ints, 1)  # adding up to 100.0
    out = []
    for slug, pct in zip(constants.CRITERION_SLUGS, shares):
        w = int(weights.get(slug, 0))
        share = "no weight set" if formatting.is_missing(pct) else f"{formatting.percent(pct, 1)} of the score"
        out.append((vocabulary.name("criterion", slug), f"{w} of {constants.WEIGHT_MAX} · {share}"))
    return out


def version_text(version: tuple[int, str], build: Mapping[str, str]) -> str:
    """The data version in words: the reference-data counter, when it changed, and the build."""
    counter, changed = version
    parts = [f"reference data version {counter}" + (f" (changed {changed[:19]} UTC)" if changed else "")]
    if build.get("finished_at"):
        parts.append(f"store built {str(build['finished_at'])[:19]}")
    if build.get("version"):
        parts.append(f"build format {build['version']}")
    return "; ".join(parts)


def column_rows(rules: Mapping[str, str]) -> list[tuple[str, str]]:
    """(heading, how its values are written) for each column of a readable frame (``exports.readable_frame``)."""
    return [(heading, vocabulary.ROUNDING.get(rule, rule)) for heading, rule in rules.items()]


ABOUT_COLUMNS = ["Section", "Item", "Value"]


def about_rows(about: About, register: pd.DataFrame, build: Mapping[str, str],
               columns: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The About table: Section, Item, Value rows for the view, sources, filters, weights, data and columns.

    ``columns`` maps each heading of the downloaded table to its rounding rule
    (``readable_frame(...).attrs["rules"]``).
    """
    rows: list[tuple[str, str, str]] = [
        ("View", "Title", about.title),
        ("View", "Page", about.page),
        ("View", "Made", about.made_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("View", "Link that reproduces it", about.link or "no address known (opened without a browser)"),
        ("View", "App", APP_NAME),
        ("View", "Data version", about.version_note or version_text(about.data_version, build)),
        ("View", "Source line", about.source_line),
    ]
    for _, src in register_rows(about.sources, register).iterrows():
        facts = " · ".join(p for p in (src["Publisher"], src["Year"] and f"year {src['Year']}",
                                       f"licence: {src['Licence']}", src["Address"]) if p)
        rows.append(("Sources", src["Source"], facts))
    if not about.sources:
        rows.append(("Sources", "None named", "this view names no source"))
    rows += [("Filters", what, value) for what, value in about.filters] or [("Filters", "None", "no filter set")]
    if about.weight_items:
        rows += [("Weights", what, text) for what, text in about.weight_items]
    elif about.weights is None:
        rows.append(("Weights", "None", about.weights_note))
    else:
        rows += [("Weights", criterion, text) for criterion, text in weight_rows(about.weights)]
    rows += [("Columns", heading, rule) for heading, rule in column_rows(columns or {})]
    return pd.DataFrame(rows, columns=ABOUT_COLUMNS)


def about_lines(rows: pd.DataFrame, width: int = 150) -> list[str]:
    """The About rows as short lines for a chart image (columns and source addresses left out).

    The source line itself is the image's subtitle (``source_of``); these lines
    go under the chart: date and data version, the link, the sources with
    their years and licences, the filters and the weights.
    """
    def section(name: str) -> pd.DataFrame:
        return rows[rows["Section"] == name]

    view = dict(zip(section("View")["Item"], section("View")["Value"], strict=True))
    lines = [f"Made {view.get('Made', '')} with the {APP_NAME} · Data version: {view.get('Data version', '')}",
             f"Link that reproduces it: {view.get('Link that reproduces it', '')}"]
    sources = []
    for _, r in section("Sources").iterrows():
        facts = [p for p in str(r["Value"]).split(" · ") if not p.startswith(("http://", "https://"))]
        sources.append(f"{r['Item']} ({', '.join(facts)})")
    lines.append("Sources and licences: " + "; ".join(sources))
    lines.append("Filters: " + "; ".join(f"{r['Item']}: {r['Value']}" for _, r in section("Filters").iterrows()))
    weights = section("Weights")
    if list(weights["Item"]) == ["None"]:
        lines.append(f"Weights: {weights['Value'].iloc[0]}")
    else:
        lines.append("Weights: " + "; ".join(f"{r['Item']} {r['Value']}" for _, r in weights.iterrows()))
    return wrap(lines, width)


def source_of(rows: pd.DataFrame) -> str:
    """The figure's source line, as the About rows hold it."""
    found = rows.loc[(rows["Section"] == "View") & (rows["Item"] == "Source line"), "Value"]
    return str(found.iloc[0]) if len(found) else ""


def wrap(lines: Iterable[str], width: int) -> list[str]:
    """Lines cut at word boundaries to at most ``width`` characters (a Vega text mark does not wrap)."""
    out: list[str] = []
    for line in lines:
        while len(line) > width:
            cut = line.rfind(" ", 0, width)
            cut = cut if cut > 0 else width
            out.append(line[:cut])
            line = "    " + line[cut:].lstrip()
        out.append(line)
    return out
