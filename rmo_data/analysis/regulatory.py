"""The EU Critical Raw Materials Act's 65 % benchmark, checked on production shares (pure).

Article 5(1)(d) of Regulation (EU) 2024/1252 sets the benchmark that, by 2030,
the Union's annual consumption of each strategic raw material, at any relevant
stage of processing, relies on no more than 65 % from a single third country.
The app holds world production by country, not the Union's imports, so
:func:`benchmark_65` reads the benchmark on world output as a **proxy**: for each
material and stage it finds the largest share of any country outside the EU
(member states are not third countries) in the latest year with data and says
whether it is above 65 %.  A material with a high world share from one country
may still meet the benchmark through the Union's own sourcing, and the other way
round; the result is a flag for review, not a finding of compliance.

Nothing here reads the store: ``rmo_data.store.concentration.latest_country_shares``
gives the shares and ``report_facts.regulatory_listings`` which materials are strategic.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from rmo_data import constants

BENCHMARK_COLUMNS = ("material", "stage", "top_country", "top_iso3", "top_share", "year", "is_estimate",
                     "source_title", "limit_pct", "status")


def benchmark_65(shares: pd.DataFrame, materials: Iterable[str] | None = None,
                 stages: Iterable[str] = ("mining", "processing"),
                 limit_pct: float = constants.CRMA_SINGLE_COUNTRY_LIMIT_PCT,
                 union: Iterable[str] = constants.EU_MEMBER_ISO3) -> pd.DataFrame:
    """The largest third-country share per material and stage, and whether it is within ``limit_pct``.

    Parameters
    ----------
    shares : pandas.DataFrame
        One row per material, stage and country: ``iso3``, ``country_name``,
        ``share_pct`` (of world output), ``year`` and optionally ``is_estimate``
        and ``source_title`` (``concentration.latest_country_shares``).
    materials : iterable of str, optional
        The materials to report on, in this order (e.g. the strategic raw
        materials among the ten); default: every material in ``shares``.
    stages : iterable of str
        The stages to check for each material.
    limit_pct : float
        The benchmark: at most this share from one third country (65).
    union : iterable of str
        ISO3 codes of the EU member states, which are not third countries.

    Returns
    -------
    pandas.DataFrame
        One row per material and stage (``BENCHMARK_COLUMNS``): the top third
        country, its share, the data year, and ``status`` ``fail`` (share above
        the limit), ``pass`` (at or below it) or ``no_data`` (no country share
        recorded for that stage; the other columns are then empty).
    """
    eu = set(union)
    wanted = list(dict.fromkeys(materials)) if materials is not None else list(dict.fromkeys(shares["material"]))
    rows = []
    for material in wanted:
        for stage in stages:
            part = shares[(shares["material"] == material) & (shares["stage"] == stage)]
            third = part[~part["iso3"].isin(eu) & part["share_pct"].notna()]
            if third.empty:
                rows.append({"material": material, "stage": stage, "top_country": None, "top_iso3": None,
                             "top_share": None, "year": None, "is_estimate": None, "source_title": None,
                             "limit_pct": limit_pct, "status": "no_data"})
                continue
            top = third.sort_values("share_pct", ascending=False, kind="stable").iloc[0]
            share = float(top["share_pct"])
            rows.append({"material": material, "stage": stage, "top_country": top["country_name"],
                         "top_iso3": top["iso3"], "top_share": share, "year": int(top["year"]),
                         "is_estimate": bool(top["is_estimate"]) if "is_estimate" in top else None,
                         "source_title": top["source_title"] if "source_title" in top else None,
                         "limit_pct": limit_pct, "status": "fail" if share > limit_pct else "pass"})
    out = pd.DataFrame(rows, columns=list(BENCHMARK_COLUMNS))
    out["year"] = out["year"].astype("Int64")  # a year, or <NA> where no share is recorded
    return out


LIST_COLUMNS = ("material", "list", "label", "short", "detail", "source_title", "source_year", "source_url")


def material_lists(listings: pd.DataFrame, crm: pd.DataFrame,
                   supply_risk: float = constants.EU_CRITICAL_SUPPLY_RISK,
                   economic_importance: float = constants.EU_CRITICAL_ECONOMIC_IMPORTANCE) -> pd.DataFrame:
    """Which material is on which of ``constants.REGULATORY_LISTS``, with what the entry says and its source.

    Parameters
    ----------
    listings : pandas.DataFrame
        ``report_facts.regulatory_listings()``: material, regulation, listing
        (the entry's wording), source_title, source_year, source_url.
    crm : pandas.DataFrame
        EU 2023 criticality figures (``queries.eu_crm()``) with the source's
        title, year and URL: material, eu_name, supply_risk,
        economic_importance, is_primary, source_title, source_year, source_url.
        Only each material's primary series is read; a material without
        figures is simply not on that list (never guessed).
    supply_risk, economic_importance : float
        The EU method's thresholds (both must be met).

    Returns
    -------
    pandas.DataFrame
        One row per material and list it is on (``LIST_COLUMNS``), in the
        order of ``constants.REGULATORY_LISTS``, then by material.
    """
    rows = []
    for rec in listings.to_dict("records"):
        if rec["regulation"] in constants.REGULATORY_LIST_SLUGS:
            rows.append({"material": rec["material"], "list": rec["regulation"], "detail": rec["listing"],
                         "source_title": rec.get("source_title"), "source_year": rec.get("source_year"),
                         "source_url": rec.get("source_url")})
    primary = crm[crm["is_primary"].astype(bool)] if not crm.empty else crm
    for rec in primary.to_dict("records"):
        sr, ei = rec.get("supply_risk"), rec.get("economic_importance")
        if sr is None or ei is None or pd.isna(sr) or pd.isna(ei):
            continue
        if float(sr) >= supply_risk and float(ei) >= economic_importance:
            rows.append({"material": rec["material"], "list": constants.EU_CRITICAL_2023,
                         "detail": f"{rec['eu_name']}: supply risk {float(sr):.1f}, economic importance "
                                   f"{float(ei):.1f}",
                         "source_title": rec.get("source_title"), "source_year": rec.get("source_year"),
                         "source_url": rec.get("source_url")})
    out = pd.DataFrame(rows, columns=[c for c in LIST_COLUMNS if c not in ("label", "short")])
    order = {slug: i for i, slug in enumerate(constants.REGULATORY_LIST_SLUGS)}
    out = (out.assign(_o=out["list"].map(order)).sort_values(["_o", "material"], kind="stable")
           .drop(columns="_o").reset_index(drop=True))
    out["label"] = out["list"].map(constants.REGULATORY_LIST_LABELS)
    out["short"] = out["list"].map(constants.REGULATORY_LIST_SHORT)
    out["source_year"] = out["source_year"].astype("Int64")
    return out[list(LIST_COLUMNS)]


def on_lists(lists_table: pd.DataFrame, chosen: Iterable[str]) -> set[str]:
    """The materials on any of the ``chosen`` lists (an empty choice: none)."""
    wanted = set(chosen)
    return set(lists_table.loc[lists_table["list"].isin(wanted), "material"])
