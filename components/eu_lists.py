"""EU lists as badges and the Critical Raw Materials Act's 65 % check, each with its source.

The lists (``constants.REGULATORY_LISTS``) come from ``report_facts.regulatory_lists``;
the check is ``regulatory.benchmark_65`` on the latest production shares.  Both are
read through the one bounded cache, so an editor's change shows at the next click.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import cached, tables
from components.provenance import figure_footer, source_line
from components.safe import escape_html
from rmo_data import constants, formatting
from rmo_data.analysis import regulatory
from rmo_data.store import concentration, report_facts

# One colour per list, so a badge reads the same on every page.
BADGE_COLOURS: dict[str, str] = {"eu_crma_strategic": "violet", "eu_battery_dd": "orange",
                                 constants.EU_CRITICAL_2023: "blue"}
STATUS_ICONS: dict[str, str] = {"fail": ":material/error:", "pass": ":material/check_circle:",
                                "no_data": ":material/help:"}


def lists_table() -> pd.DataFrame:
    """Every material's entries on the EU lists (cached)."""
    return cached.read(report_facts.regulatory_lists)


def material_badges(material: str) -> None:
    """One badge per EU list the material is on, its entries and sources under them; a line when it is on none."""
    table = lists_table()
    mine = table[table["material"] == material]
    if mine.empty:
        st.caption("On none of the EU lists tracked here (" + ", ".join(constants.REGULATORY_LIST_SHORT.values())
                   + ").")
        return
    # Markdown badges sit on one line at any width (one column per badge would wrap on a phone).
    st.markdown(" ".join(f":{BADGE_COLOURS.get(row.list, 'gray')}-badge[:material/gavel: {escape_html(row.short)}]"
                         for row in mine.itertuples(index=False)),
                help="  \n".join(f"**{row.label}.** Entry: {row.detail}." for row in mine.itertuples(index=False)))
    # What each entry says is in the badges' help; the caption keeps to sources and years.
    st.caption(source_line(mine["source_title"], mine["source_year"]))


def benchmark(materials: list[str] | None = None) -> pd.DataFrame:
    """The 65 % check per stage for the strategic raw materials among ``materials`` (all when None)."""
    strategic = lists_table()
    strategic = strategic.loc[strategic["list"] == "eu_crma_strategic", "material"].tolist()
    wanted = [m for m in strategic if materials is None or m in materials]
    shares = cached.read(concentration.latest_country_shares)
    return regulatory.benchmark_65(shares, wanted)


def benchmark_lines(material: str, name: str) -> None:
    """The 65 % check of one material, one line per stage, for a strategic raw material only."""
    check = benchmark([material])
    if check.empty:
        return
    st.markdown(f"**Critical Raw Materials Act, 65 % benchmark** (at most "
                f"{formatting.number(constants.CRMA_SINGLE_COUNTRY_LIMIT_PCT, 0)} % from one third country at any stage), read on "
                "world production as a proxy:")
    for row in check.itertuples(index=False):
        stage = constants.STAGE_LABELS[row.stage]
        if row.status == "no_data":
            text = f"{stage}: {formatting.NO_DATA}"
        else:
            text = (f"{stage}: {escape_html(row.top_country)} {formatting.percent(row.top_share)} in {row.year}"
                    f"{' (estimate)' if row.is_estimate else ''} — {constants.BENCHMARK_STATUS_LABELS[row.status]}")
        st.markdown(f"{STATUS_ICONS[row.status]} {text}")
    st.caption(source_line([*check["source_title"].dropna(), "Critical Raw Materials Act (EU) 2024/1252"],
                           check["year"].dropna().tolist(),
                           note=f"The Act's benchmark is about the EU's own consumption; world output says where "
                                f"supply is concentrated, not where the EU buys, so {escape_html(name)} is flagged "
                                "for review, not judged."))


def benchmark_table(materials: list[str] | None = None, key: str = "dl_crma65") -> None:
    """The 65 % check of every strategic raw material in view as a table, with its download."""
    check = benchmark(materials)
    if check.empty:
        st.info("No strategic raw material of the Critical Raw Materials Act is in view.", icon=":material/info:")
        return
    names = cached.material_labels()
    shown = check.assign(
        name=check["material"].map(names), stage_name=check["stage"].map(constants.STAGE_LABELS),
        status_name=check["status"].map(constants.BENCHMARK_STATUS_LABELS),
        top_share=check["top_share"].astype(float).round(1))
    tables.dataframe(
        shown[["name", "stage_name", "top_country", "top_share", "year", "status_name"]], hide_index=True,
        width="stretch", column_config={
            "name": st.column_config.TextColumn("Material", pinned=True),
            "stage_name": "Stage", "top_country": "Top third country",
            "top_share": st.column_config.NumberColumn("Share of world output (%)", format=formatting.table_format(1)),
            # Wide enough for "no data recorded" where a stage has no country share.
            "year": st.column_config.NumberColumn("Year", format=formatting.TABLE_YEAR, width=115),
            "status_name": "Against the 65 % benchmark"})
    figure_footer(shown[["name", "stage_name", "top_country", "top_share", "year", "is_estimate", "limit_pct",
                         "status_name", "source_title"]]
                  .rename(columns={"name": "Material", "stage_name": "Stage", "top_country": "Largest third country",
                                   "top_share": "Share of world output (%)", "year": "Year",
                                   "is_estimate": "Estimate", "limit_pct": "Benchmark (%)",
                                   "status_name": "Result", "source_title": "Source"}),
                  "CRMA 65 % benchmark on world production", [*check["source_title"].dropna(),
                                                              "Critical Raw Materials Act (EU) 2024/1252"],
                  check["year"].dropna().tolist(), unit="% of world output",
                  note="World production as a proxy for the EU's consumption; EU member states are not third "
                       "countries.", key=key)


NOT_LISTED = "none"  # the EU-lists cell of a material on none of them


def short_names(materials: pd.Series) -> list[str]:
    """Each material's EU lists as short names ("CRMA strategic, EU critical 2023"); NOT_LISTED when on none.

    A material on no list is not missing data: its cell says so instead of standing empty
    (an empty cell reads "no data recorded" everywhere else).
    """
    table = lists_table()
    by_material: dict[str, list[str]] = {}
    for mat, short in zip(table["material"], table["short"], strict=True):
        by_material.setdefault(mat, []).append(short)
    return [", ".join(by_material.get(m, [])) or NOT_LISTED for m in materials]


LIST_COLUMN_HELP = ("EU lists the material is on: " + "; ".join(f"{r.short} = {r.label}"
                                                                  for r in constants.REGULATORY_LISTS)
                    + ". Sources: Regulation (EU) 2024/1252, Regulation (EU) 2023/1542, EU CRM study 2023.")
