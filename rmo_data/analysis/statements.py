"""What the report says about concentration, set beside what the production data measure (pure).

The report's concentration statements ("China has more than 80 % of rare earth
mining") carry the report's year; the production data (USGS, IEA) give each
country's share of world output in later years.  :func:`statement_pairs` puts
the measured share of the same country and stage, in the latest year with
data, beside each country statement, so a reader sees both and how far apart
they are, e.g. "report (2021): ≥ 80 % · USGS 2025 (estimate): 69 %".

Nothing here reads the store: ``rmo_data.store.concentration.latest_country_shares``
and ``rmo_data.store.queries.concentration_statements`` feed it.
"""

from __future__ import annotations

import re

import pandas as pd

from rmo_data import constants, formatting

# How a bounded figure reads in a short label (seed ``bound``: eq, approx, ge, le).
BOUND_PREFIX: dict[str, str] = {"eq": "", "approx": "≈ ", "ge": "≥ ", "le": "≤ "}

PAIR_COLUMNS = ("measured_share", "measured_year", "measured_estimate", "measured_source",
                "measured_label", "report_text", "measured_text")


def share_text(share: float | None, bound: str | None = None) -> str:
    """A share as a short label ("≥ 80 %", "71 %"); "no figure" when there is none."""
    if share is None or pd.isna(share):
        return "no figure"
    return f"{BOUND_PREFIX.get(bound or 'eq', '')}{formatting.number(share, 0)} %"


def source_label(publisher: str | None, title: str | None = None) -> str:
    """A short name for a production source: the publisher's initials ("USGS", "IEA").

    Built from the capital letters of the publisher's name (U.S. Geological
    Survey → USGS, International Energy Agency → IEA), or of the title when no
    publisher is known.
    """
    name = publisher if isinstance(publisher, str) and publisher.strip() else (title or "")
    name = re.sub(r"\([^)]*\)", "", name)  # "World Bank (Kaufmann & Kraay)" → "World Bank"
    initials = "".join(ch for ch in name if ch.isupper())
    return initials or name.strip() or "source"


def statement_pairs(statements: pd.DataFrame, measured: pd.DataFrame) -> pd.DataFrame:
    """Each concentration statement with the measured share of the country and stage it names.

    Parameters
    ----------
    statements : pandas.DataFrame
        ``queries.concentration_statements``: material, stage, level, iso3,
        share_pct, bound, year (the statement's), among others.
    measured : pandas.DataFrame
        ``concentration.latest_country_shares``: per material, stage and ISO3
        the ``share_pct`` of world output in the latest year with data, with
        ``year``, ``is_estimate``, ``source_title`` and ``source_publisher``.

    Returns
    -------
    pandas.DataFrame
        ``statements`` (same rows, same order) plus ``measured_share``,
        ``measured_year``, ``measured_estimate``, ``measured_source`` (title),
        ``measured_label`` (short source name), ``report_text`` ("report (2021):
        ≥ 80 %") and ``measured_text`` ("USGS 2024: 71 %", or "no data
        recorded" when the data give no share for that country and stage).
        Company statements have no measured side (NaN / None): no open source
        publishes company shares.
    """
    out = statements.copy().reset_index(drop=True)
    for column in PAIR_COLUMNS:
        out[column] = None
    if out.empty:
        return out
    lookup: dict[tuple[str, str, str], dict[str, object]] = {}
    if not measured.empty:
        for rec in measured.to_dict("records"):
            if isinstance(rec.get("iso3"), str):
                lookup[(rec["material"], rec["stage"], rec["iso3"])] = rec
    for i, row in out.iterrows():
        year = row.get("year")
        when = f" ({int(year)})" if year is not None and not pd.isna(year) else ""
        out.at[i, "report_text"] = f"report{when}: {share_text(row.get('share_pct'), row.get('bound'))}"
        iso3 = row.get("iso3")
        if row.get("level") != "country" or not isinstance(iso3, str):
            continue
        found = lookup.get((row["material"], row["stage"], iso3))
        if found is None or found.get("share_pct") is None or pd.isna(found.get("share_pct")):
            out.at[i, "measured_text"] = constants.MISSING
            continue
        label = source_label(found.get("source_publisher"), found.get("source_title"))
        estimate = bool(found.get("is_estimate"))
        out.at[i, "measured_share"] = float(found["share_pct"])
        out.at[i, "measured_year"] = int(found["year"])
        out.at[i, "measured_estimate"] = estimate
        out.at[i, "measured_source"] = found.get("source_title")
        out.at[i, "measured_label"] = label
        out.at[i, "measured_text"] = (f"{label} {int(found['year'])}{' (estimate)' if estimate else ''}: "
                                      f"{share_text(float(found['share_pct']))}")
    return out
