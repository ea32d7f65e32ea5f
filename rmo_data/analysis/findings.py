"""Headline findings computed from the overview table, never typed by hand.

Each finding is a short sentence with its figure, the source and year that
back it, and the material it is about, so the overview can show it with a
source line and a link.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from rmo_data import constants, formatting


@dataclass(frozen=True)
class Finding:
    """One headline: the sentence, the material it is about and where the figure comes from."""

    text: str
    material: str | None
    source: str
    year: str


def _year(value: object) -> str:
    return "year not stated" if value is None or pd.isna(value) else str(int(value))


def headline_findings(overview: pd.DataFrame) -> list[Finding]:
    """Findings for the materials in ``overview`` (the frame from ``queries.overview``)."""
    out: list[Finding] = []
    if overview.empty:
        return out

    for stage in ("mining", "processing"):
        col = f"{stage}_top1_share"
        known = overview.dropna(subset=[col])
        if known.empty:
            continue
        top = known.loc[known[col].idxmax()]
        stage_word = "mine production" if stage == "mining" else "processing output"
        out.append(Finding(
            f"{top['name']} is the most concentrated at {stage}: {top[f'{stage}_top1_country']} "
            f"holds {formatting.number(top[col], 0)} % of world {stage_word} (HHI {formatting.number(top[f'{stage}_hhi'])}).",
            top["material"], str(top[f"{stage}_source_title"]), _year(top[f"{stage}_year"])))

    auto = overview.dropna(subset=["auto_share_pct"])
    if not auto.empty:
        top = auto.loc[auto["auto_share_pct"].idxmax()]
        out.append(Finding(
            f"The largest automotive share on record is {top['name']}: {formatting.number(top['auto_share_pct'], None)} % "
            f"({top['auto_basis']}, {top['auto_scope']}). Figures use different bases, so compare "
            "them with care.",
            top["material"], str(top["auto_source"]), _year(top["auto_year"])))
    missing = overview[overview["auto_share_pct"].isna()]["name"].tolist()
    if missing:
        out.append(Finding(
            f"No automotive share is recorded for {_join(missing)}: the industry's leverage on "
            "these cannot be sized from the sources.",
            None, "Raw materials value chain leverages; USGS MCS 2026", "2021; 2025"))

    if overview["evidence_count"].max() > 0:
        top = overview.loc[overview["evidence_count"].idxmax()]
        out.append(Finding(
            f"{top['name']} has the most recorded risk evidence: {int(top['evidence_count'])} cases, "
            f"highest severity {int(top['severity_max'])} of 5.",
            top["material"], "Raw materials value chain leverages (project severity rating)", "2021"))

    if overview["risk_breadth"].max() > 0:
        top = overview.loc[overview["risk_breadth"].idxmax()]
        out.append(Finding(
            f"{top['name']} has the broadest set of salient risks: {int(top['risk_breadth'])} of "
            f"{len(constants.RISK_CATEGORIES)} risk categories.",
            top["material"], "Raw materials value chain leverages", "2021"))

    crm = overview.dropna(subset=["supply_risk"])
    if not crm.empty:
        top = crm.loc[crm["supply_risk"].idxmax()]
        out.append(Finding(
            f"{top['name']} carries the highest EU supply risk among these materials: "
            f"{formatting.number(top['supply_risk'], 1)} (the supply-risk threshold in the EU criticality method is 1).",
            top["material"], "Study on the Critical Raw Materials for the EU 2023", "2023"))
    return out


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
