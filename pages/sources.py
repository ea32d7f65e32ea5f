"""Sources & method: where every figure comes from, how metrics are computed, what is missing."""

from __future__ import annotations

import json

import streamlit as st

from components import eu_lists, router, tables, tabs
from components import signin
from components import cached
from components.provenance import figure_footer
from components.safe import escape_html, safe_url
from rmo_data import constants, formatting
from rmo_data.analysis import salience
from rmo_data.store import queries

router.guard(__file__)

st.title("Sources & method")

info = cached.read(queries.build_info)
if info.get("finished_at"):
    st.caption(f"Data store built {escape_html(formatting.moment(info['finished_at']))} from the project's seed "
               "and source files.")

st.header("Sources")
sources = cached.read(queries.sources)
usage = cached.read(queries.source_usage)
per_source = usage.groupby("source_id")["rows"].sum()
feeds_tables = usage.groupby("source_id")["table"].agg(lambda t: ", ".join(sorted(set(t))))
shown = sources.assign(
    rows=sources["id"].map(per_source).fillna(0).astype(int),
    tables=sources["id"].map(feeds_tables).fillna(""),
    link=sources["url"].map(safe_url),
    kind=sources["kind"].map({"report": "Report", "dataset": "Dataset", "cited": "Cited by the report",
                              "regulation": "Regulation"}),
)
tables.dataframe(
    shown[["title", "publisher", "year", "kind", "licence", "feeds", "rows", "note", "link"]],
    hide_index=True, width="stretch",
    column_config={
        # Pinned at medium width: wider, a phone's table showed nothing but the title column.
        "title": st.column_config.TextColumn("Source", pinned=True, width="medium"),
        "publisher": "Publisher", "year": st.column_config.NumberColumn("Year", format=formatting.TABLE_YEAR),
        "kind": "Kind", "licence": st.column_config.TextColumn("Licence", width="medium"),  # holds "no data recorded"
        "feeds": st.column_config.TextColumn("Feeds", width="medium"),
        "rows": st.column_config.NumberColumn("Rows citing it"),
        "note": st.column_config.TextColumn("Caveats", width="large"),
        "link": st.column_config.LinkColumn("Link", display_text="open"),
    })
figure_footer(shown.drop(columns=["link"]), "Sources", ["this project's source register"], [],
              key="dl_sources")

st.header("How the metrics are computed")
st.markdown("""
**Country share.** A country's production divided by the world total of the same commodity, stage,
year and unit. The published *World total* is used when there is one; for the IEA refining data the
total is the sum of all rows, *Rest of world* included (the IEA total row disagrees with its own
country rows for nickel, so it is not used). *World total* and *Other countries* are never treated as
countries.

**HHI (Herfindahl-Hirschman index).** The sum of the squared country shares, in percent, over named
countries: 0 (spread across many) to 10,000 (one country). Above 1,500 reads as moderately and above
2,500 as highly concentrated. Withheld (W) or unavailable (NA) figures are left out and listed, never
read as zero, so an HHI with withheld countries is a lower bound on their part.

**Governance-weighted HHI.** As in the EU critical raw materials method: each country's share (as a
fraction) squared, times its governance risk score, summed. The score is (2.5 − mean of the six
World Bank WGI estimates) × 2, from 0 (best governed) to 10 (worst), using the latest WGI year not
after the production year. The result is on the same 0–10 scale; countries without all six
estimates are left out and the covered share is reported.

**Automotive share.** The figure the report (or, where the report has none, USGS) gives for the
automotive or transport sector. Bases differ — share of all use, of alloy use, of die casting — and
each figure is shown with its basis and scope. No figure is derived by multiplying others.

**Severity of evidence.** Each case is rated by the project on the three UNGP severity criteria, 1–5
each: *scale* (how grave), *scope* (how many people or how wide an area) and *irremediability*
(how hard to put right). Severity is the mean of the three rounded half up. The ratings are a
reading of the case as the report describes it, not a finding of the report.

**Confidence of evidence.** Each case also says how firmly the report supports it: a *documented
incident* (a specific harm at a named place by a named actor or at a stated time), a *reported
allegation* (a finding, allegation or press or NGO report without all of those), or *inferred from
context* (the project joined statements the report makes separately, or the report names a place
as needing remediation without saying what harm). A case that names no harm is rated 2 on each
criterion and never rated up on a guess; the reason is given with every case.

**One passage, one case.** Where one sentence of the report names several countries, sites or
risks, each gets its own row so it can be filtered and mapped, and the rows share a *report
passage*. Such a passage counts once in every count: evidence per material, the charts, the
headline figures and the severity criterion's three most severe cases (at its highest severity).

**Report years.** The report gives no publication date; its research was carried out in 2021.
Statements and figures that give no year of their own carry 2021 and say so; a figure's own year
(a study's, a target's) is kept where the report states it.

**Producing countries.** A country that USGS lists with a production of zero is not counted as a
producer.
""")

st.header("Salience: where harm is most severe and likely")
w = salience.CONFIDENCE_WEIGHTS
st.markdown(f"""
Due diligence ranks harm by two things only: how **severe** it is (scale, scope and how hard it is to
put right) and how **likely** it is (UN Guiding Principle 24, the OECD due-diligence guidance; the EU
due-diligence directive keeps the same two and leaves a company's influence over a partner out of this
step). The app scores every **material × risk category × value-chain stage** this way, from stored rows,
when a page asks for it; nothing is typed in.

| Scale | Range | How it is made |
|---|---|---|
| Severity | 1–5 | The cell's **most severe case**: the mean of its scale, scope and irremediability ratings (1–5 each). The worst case, not the average, because due diligence looks at the gravest harm first. |
| Evidence part E | 0–1 | Weighted number of independent cases ÷ {formatting.number(salience.FREQUENCY_SATURATION, None)}, at most 1. A case weighs its confidence (documented {formatting.number(w['documented'], None)}, reported {formatting.number(w['reported'], None)}, inferred {formatting.number(w['inferred'], None)}, {salience.UNKNOWN_CONFIDENCE} {formatting.number(salience.UNKNOWN_CONFIDENCE_WEIGHT, None)}) × its recency (1 up to {salience.RECENT_YEARS} years old, falling to {formatting.number(salience.OLD_WEIGHT, None)} at {salience.OLD_YEARS} years; {formatting.number(salience.UNKNOWN_YEAR_WEIGHT, None)} when no year is stated). Cases from one report passage count once. |
| Governance part G | 0–1 | The WGI governance risk (0–10, as in the governance-weighted HHI) of the countries producing at that stage, weighted by their share of world production, ÷ 10: the governance risk of an average tonne from that stage. |
| Likelihood | 1–5 | 1 + 4 × (E + G) ÷ 2; 1 + 4 × E where the stage has no production data. |
| Salience | 1–25 | Severity × likelihood. |

A **gap** is a risk the report flags for a material at a stage where no case is rated: it has no
severity, so no salience, and it is drawn as a gap, never as zero or low risk. A material's
*salience* criterion is the mean of its three most salient cells; how much of it rests on gaps or
weak inputs (cells without a rated case, without governance data, or with only inferred cases) is
reported with every ranking.

**Limits.** Ratings are the project's reading of cases as the report describes them, not findings
of the report. Most cases state no year, so recency is mostly the "not stated" weight. Production
data cover mining and processing only, so likelihood at casting, components, OEMs and recycling rests
on the cases alone. Governance is a country average: it says nothing about a given site or company.
The register counts what was reported, so a well-documented material can look more likely than one
nobody has looked into; the gaps say where that may be so. Cross-cutting risks that the report names
for every material are left out of the cells, as they do not separate materials.

**Gaps in a ranking.** A criterion with no data recorded for a material takes the median of the
materials in view (a typical material), not the midpoint 0.5 of the range: most criteria are
skewed, and 0.5 lifted materials without data above the typical one. *Leave gaps out* on the
Prioritisation page scores each material on the criteria recorded for it instead. A top-3 place that
would be lost with its imputed values at the lowest is flagged on the page, in the ranking download
and in the briefing pack.
""")

st.header("EU lists and the 65 % benchmark")
st.markdown(f"""
Three EU lists can narrow the materials in view (sidebar, *On EU lists*) and show as badges on the
Material profile and as a column of the Overview and Prioritisation tables:

- **{constants.REGULATORY_LIST_SHORT['eu_crma_strategic']}**: {constants.REGULATORY_LISTS[0].description}
  For aluminium, graphite, manganese, nickel and rare earths the Act lists a grade or form (battery
  grade, magnet rare earths) narrower than the production series used here; each entry says so.
- **{constants.REGULATORY_LIST_SHORT['eu_battery_dd']}**: {constants.REGULATORY_LISTS[1].description}
- **{constants.REGULATORY_LIST_SHORT[constants.EU_CRITICAL_2023]}**: {constants.REGULATORY_LISTS[2].description}
  These are the thresholds of the EU method, read on the stored 2023 figures; the EU's own list also
  takes in materials the Act names strategic (nickel is one), so the official list is longer.

**The 65 % benchmark** asks that by 2030 no more than {formatting.number(constants.CRMA_SINGLE_COUNTRY_LIMIT_PCT, 0)} % of
the EU's yearly consumption of a strategic raw material, at any processing stage, comes from one third
country. The store holds world production by country, not the EU's imports, so the check below reads
the largest share of world output held by a country outside the EU, per stage, in the latest year with
data. A material above the line is one to look at, not one found in breach.
""")
eu_lists.benchmark_table(key="dl_src_crma65")

st.header("Known limitations")
gaps = cached.read(queries.coverage_gaps)
short = cached.material_short()  # every material in the store, added ones included
missing = gaps[gaps["years"] == ""]
withheld = gaps[gaps["withheld"] > 0]
items = [
    "End-use shares from USGS are **United States** figures for 2025, not global ones; the report's "
    "figures are global but come from different years and bases.",
    "The 2023 and 2025 production figures are **estimates** (USGS MCS 2024 and 2026); later editions "
    "may revise them.",
    "Processing figures for nickel, graphite and rare earths come from the IEA for **2024 only**; IEA "
    "rare earths are magnet rare earths and graphite refining is battery-grade graphite.",
    "Magnesite is reported as gross weight in some USGS editions and as MgO content in another; the "
    "two series are kept apart and only compared within a year.",
    "China's rare-earth figures are production **quotas**.",
    "No open company-level production shares exist for these materials; companies are listed as the "
    "report names them, without shares.",
    "The British Geological Survey's historical series (1970–2021) are not included: their licence "
    "does not allow redistribution without permission.",
]
if not missing.empty:
    # Names come from the store: escaped, as every data text in markdown.
    pairs = ", ".join(f"{escape_html(short.get(m, m))} ({escape_html(s)})" for m, s in zip(missing["material"], missing["stage"],
                                                                    strict=True))
    items.insert(0, f"**No country production data recorded** for: {pairs}.")
if not withheld.empty:
    pairs = ", ".join(f"{escape_html(short.get(m, m))} {escape_html(s)} ({n})" for m, s, n in zip(
        withheld["material"], withheld["stage"], withheld["withheld"], strict=True))
    items.append(f"Country figures **withheld or not available** (count of country-years): {pairs}.")
for item in items:
    st.markdown(f"- {item}")

def _coverage() -> None:
    """Which years each material and stage has country data for, and how many figures are withheld."""
    labels = cached.material_labels()
    table = gaps.assign(material=gaps["material"].map(lambda m: labels.get(m, m)),
                        stage=gaps["stage"].map(constants.STAGE_LABELS),
                        years=gaps["years"].replace("", constants.MISSING))
    tables.dataframe(table, hide_index=True, width="stretch",
                     column_config={"material": "Material", "stage": "Stage", "years": "Years with country data",
                                    "withheld": "Withheld / NA country-years"})


def _row_counts() -> None:
    """The number of rows in each table of the store, as the last build counted them."""
    counts = json.loads(info["counts"])
    tables.dataframe({"table": list(counts), "rows": list(counts.values())}, hide_index=True)


# Built only when opened (components.tabs): each holds a table, which a first render pays for.
tabs.lazy_expander("Coverage by material and stage", _coverage, key="src_coverage")
if info.get("counts"):
    tabs.lazy_expander("Rows in the data store", _row_counts, key="src_rows")

if not signin.can("downloads"):
    signin.partner_note("downloads of these tables as CSV and Excel")
