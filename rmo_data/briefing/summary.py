"""The executive summary of a pack: top materials and why, P(top 3), data gaps, who acts; the salience view.

``content.collect`` calls these once the materials are read: ``robustness``
ranks the materials as the Prioritisation page does and runs its seeded
Monte-Carlo with the Robustness tab's defaults, so a pack's P(top 3) is the
figure the app shows; ``summarise`` turns that into ``model.SummaryLine``s;
``salience_view`` finds the most salient cell and draws the app's heat map;
``ranking_chart`` draws the app's contribution chart of the ranking passed in;
``workshop_decision`` reads what a closed workshop decided from its frozen
result.  Pure: the store is read by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from rmo_data import constants
from rmo_data.analysis import prioritisation, salience, scoring
from rmo_data.briefing.chart_images import static_spec
from rmo_data.briefing.model import (SUMMARY_TOP, ExecutiveSummary, MaterialBrief, RankingSection, SalienceFinding,
                                     SourceRef, SummaryLine, WorkshopDecision, clean)
from rmo_data.charts import priority_charts, salience_charts

RANKING_WIDTH = 620
SALIENCE_WIDTH = 620
SALIENCE_WIDE_WIDTH = 820  # the slide's map turned round: sixteen risk columns
# The Robustness tab's defaults (pages/prioritisation.py), so the pack's P(top 3) is the one the app shows.
MC_DRAWS, MC_WEIGHT_JITTER, MC_INPUT_JITTER = 2000, 0.25, 0.05


def robustness(crit: scoring.CriteriaData, materials: Sequence[str], weights: Mapping[str, float],
                leave_gaps_out: bool) -> tuple[prioritisation.Prioritisation | None, pd.DataFrame | None]:
    """The ranking of ``materials`` with ``weights`` and its Monte-Carlo, as the Robustness tab computes them."""
    present = [m for m in materials if m in crit.raw.index]
    if len(present) < 2 or not any(float(v) > 0 for v in weights.values()):
        return None, None
    prio = prioritisation.prioritise(crit, present, weights, leave_gaps_out=leave_gaps_out)
    if prio.ranked is None:
        return prio, None
    mc = scoring.monte_carlo(prio.normalised, weights, n=MC_DRAWS, seed=scoring.DEFAULT_SEED,
                             weight_jitter=MC_WEIGHT_JITTER, input_jitter=MC_INPUT_JITTER, missing=prio.missing,
                             leave_gaps_out=leave_gaps_out)
    return prio, mc


def _reasons(prio: prioritisation.Prioritisation | None, table: pd.DataFrame | None, slug: str) -> tuple[str, ...]:
    """Slugs of the (at most two) criteria adding most to ``slug``'s score."""
    if prio is not None and prio.explained is not None:
        rows = prio.explained[(prio.explained["material"] == slug) & (prio.explained["contribution"] > 0)]
        rows = rows.sort_values("contribution", ascending=False).head(2)
        return tuple(rows["criterion"])
    if table is not None and not table.empty:
        row = table[table["material"] == slug]
        crits = [c for c in constants.CRITERION_SLUGS if c in table.columns]
        if not row.empty and crits:
            values = row.iloc[0][crits].astype(float).dropna().sort_values(ascending=False)
            return tuple(c for c, v in values.head(2).items() if v > 0)
    return ()


def _evidence_text(brief: MaterialBrief) -> str:
    if not brief.n_evidence or brief.worst_case is None:
        return "no harm case recorded"
    return f"{brief.n_evidence} case(s), worst {brief.worst_case.severity} of 5"


def summarise(briefs: Sequence[MaterialBrief], order: Sequence[str], ranks: Mapping[str, int],
             prio: prioritisation.Prioritisation | None, mc: pd.DataFrame | None, table: pd.DataFrame | None,
             weights: Mapping[str, float], basis: str, basis_note: str, workshop: WorkshopDecision | None,
             source_ids: Sequence[str], years: Sequence[int]) -> ExecutiveSummary:
    """The top materials of the pack in rank order, each with why, P(top 3), gaps and who acts."""
    by_slug = {b.slug: b for b in briefs}
    inside = [m for m in order if m in by_slug]
    inside += [b.slug for b in briefs if b.slug not in inside]
    lines = []
    for slug in inside[:SUMMARY_TOP]:
        brief = by_slug[slug]
        p_top = rank_range = None
        if mc is not None and slug in mc.index:
            p_top = float(mc.at[slug, "p_top"])
            low, high = int(mc.at[slug, "rank_p05"]), int(mc.at[slug, "rank_p95"])
            rank_range = str(low) if low == high else f"{low}–{high}"
        gaps: tuple[str, ...] = ()
        flag = ""
        if prio is not None and slug in prio.missing.index:
            weighted = [c for c, w in weights.items() if float(w) > 0 and c in prio.missing.columns]
            gaps = tuple(c for c in weighted if bool(prio.missing.at[slug, c]))
            if prio.gaps is not None and slug in prio.gaps.index:
                flag = clean(prio.gaps.at[slug, "gap_flag"])
        lines.append(SummaryLine(
            slug=slug, name=brief.name, rank=int(ranks.get(slug, 0)), of=len(ranks),
            reasons=_reasons(prio, table, slug), p_top=p_top, rank_range=rank_range or "", gaps=gaps,
            rests_on_gaps=flag, leverage=brief.leverages[0] if brief.leverages else None,
            main_category=brief.main_category, main_actor=brief.main_actor, evidence_text=_evidence_text(brief)))
    note = (f"P(top {constants.TOP_N}): the share of {MC_DRAWS:,} draws, each weight shaken by ±"
            f"{MC_WEIGHT_JITTER:.0%} and each input by {MC_INPUT_JITTER:.0%} of its range (gaps drawn anywhere "
            f"in 0–1), in which the material stays in the top {constants.TOP_N}, as on the Robustness tab "
            f"(seed {scoring.DEFAULT_SEED}).") if mc is not None else (
            "P(top 3) was not computed: the weights behind this ranking were not passed to the pack.")
    return ExecutiveSummary(basis=basis, basis_note=basis_note, lines=lines, ranked=len(ranks),
                            robustness_note=note, workshop=workshop, source_ids=list(source_ids),
                            years=list(years))


def salience_view(cells: pd.DataFrame, chosen: Sequence[str], names: Mapping[str, str],
              sources: Mapping[str, SourceRef]) -> tuple[SalienceFinding | None, str | None, str | None]:
    """The most salient cell of the pack's materials, the heat map spec and its landscape spec.

    The landscape one (materials as rows) is for the slide; it is None for one
    material, whose map of risks by stage already fits a slide.  Both specs are
    None when nothing is in view.
    """
    across = salience.across_materials(cells[cells["material"].isin(chosen)])
    if across.empty:
        return None, None, None
    wide = None
    short = prioritisation.short_labels(names)  # the app's narrow-chart names: no label is cut
    if len(chosen) == 1:  # one material: its risks by stage, as on its profile
        rows = salience_charts.heatmap_rows(cells[cells["material"] == chosen[0]], short, show_cases=False)
        chart = salience_charts.material_heatmap(rows, names[chosen[0]])
    else:
        rows = salience_charts.heatmap_rows(across, short, show_cases=False)
        order = [short[m] for m in chosen if m in set(across["material"])]
        chart = salience_charts.overview_heatmap(rows, order)
        wide = static_spec(salience_charts.overview_heatmap(rows, order, wide=True), SALIENCE_WIDE_WIDTH)
    spec = static_spec(chart, SALIENCE_WIDTH)
    rated = across.dropna(subset=["salience"])
    by_title = {s.title: s.id for s in sources.values()}
    ids = tuple(dict.fromkeys(by_title[t] for ts in across["sources"] for t in ts if t in by_title))
    years = tuple(sorted({int(y) for col in ("production_year", "wgi_year") if col in across
                          for y in across[col].dropna()}))
    n_gaps = int((across["status"] == salience.GAP).sum())
    if rated.empty:
        return SalienceFinding("", "", "", None, len(across), n_gaps, ids, years), spec, wide
    top = rated.sort_values("salience", ascending=False, kind="stable").iloc[0]
    return SalienceFinding(names[str(top["material"])], constants.RISK_CATEGORY_LABELS.get(
        str(top["category"]), str(top["category"])), constants.STAGE_SHORT.get(str(top["stage"]), str(top["stage"])),
        float(top["salience"]), len(across), n_gaps, ids, years), spec, wide


def ranking_chart(section: RankingSection, prio: prioritisation.Prioritisation | None,
                   mc: pd.DataFrame | None) -> str | None:
    """The app's contribution chart of the passed ranking (or its robustness chart when it has no criteria)."""
    table = section.table
    crits = [c for c in constants.CRITERION_SLUGS if c in table.columns and section.weights.get(c, 0) > 0]
    if not crits:
        crits = [c for c in constants.CRITERION_SLUGS if c in table.columns
                 and table[c].astype(float).fillna(0).gt(0).any()]
    if crits:
        total = sum(float(section.weights.get(c, 0)) for c in crits) or 1.0
        long = table.melt(id_vars=["material", "name", "rank", "score"], value_vars=crits, var_name="criterion",
                          value_name="contribution")
        long["contribution"] = long["contribution"].astype(float).fillna(0.0)
        share = long["criterion"].map(lambda c: float(section.weights.get(c, 0)) / total if section.weights else 1.0)
        long["weight"] = share.where(share > 0, 1.0)
        long["value"] = long["contribution"] / long["weight"]
        long["raw_text"] = ""
        missing = prio.missing if prio is not None else None
        long["missing"] = [bool(missing.at[m, c]) if missing is not None and m in missing.index
                           and c in missing.columns else False for m, c in zip(long["material"], long["criterion"],
                                                                                strict=True)]
        data = priority_charts.contribution_data(long, table["name"].tolist())
        chart = priority_charts.contribution_chart(tuple(crits))
        return static_spec(chart, RANKING_WIDTH, datasets=data)
    if mc is not None:
        names = dict(zip(table["material"], table["name"], strict=True))
        frame = mc.loc[[m for m in table["material"] if m in mc.index]].assign(
            name=lambda f: [names[m] for m in f.index])
        return static_spec(priority_charts.robustness_chart(frame, frame["name"].tolist()), RANKING_WIDTH)
    return None


def workshop_decision(result: Any, info: Mapping[str, Any]) -> WorkshopDecision:
    """What a closed workshop decided, from its frozen result (``records.record_result``) and record info."""
    from rmo_data.workshops import records  # late: only workshop packs read records

    ranking = result.ranking
    top = tuple(clean(n) for n in ranking.sort_values("rank")["name"].head(constants.TOP_N)) if result.n else ()
    disagreed = (tuple(clean(n) for n in ranking.loc[ranking["disagree"].astype(bool), "name"])
                 if result.n and "disagree" in ranking.columns else ())
    return WorkshopDecision(name=clean(info.get("name") or result.name), code=clean(result.code),
                            closed_at=clean(info.get("closed_at"))[:10], n=int(result.n), top=top,
                            agreement=records.agreement_text(result), apart=records.apart_text(result),
                            disagreed=disagreed)
