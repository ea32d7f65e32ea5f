"""Collecting a briefing pack's content from the store: the data step of a pack.

``collect`` reads the store through ``rmo_data.store.queries`` and
``rmo_data.store.concentration`` and returns a ``BriefingData`` made of dataclasses
and small frames: per material the end-use shares, mining and processing
concentration, salient risks and the most severe evidence, recommended leverages
and organisations to engage, each with its sources and years. A ranking, its
weights and an action plan appear only when the caller passes them; a pack never
makes one up.  The executive summary and the salience view are made in
``rmo_data.briefing.summary`` from what is read here.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from rmo_data import constants, formatting
from rmo_data.analysis import evidence_rollups, salience, scoring
from rmo_data.briefing.chart_images import ChartImages, material_chart_specs, static_spec
from rmo_data.briefing.model import (DEFAULT_TITLE, GAP_COLUMNS, GAP_MARK, HEAT_WIDTH, MAX_EVIDENCE, MAX_LEVERAGES,
                                     MAX_ORGANISATIONS, MAX_RISKS, REPORT_SOURCE, SUMMARY_CHARS, SUMMARY_TOP,
                                     BriefingData, EvidenceLine, LeverageLine, MaterialBrief, OrganisationLine,
                                     Progress, RankingSection, RiskLine, SourceRef, StageConcentration,
                                     WorkshopDecision, clean, int_or_none, no_progress, shorten)
from rmo_data.charts import material_charts
from rmo_data.store import concentration, queries
from rmo_data.store.salience_reads import salience_table
from rmo_data.briefing.summary import ranking_chart, robustness, salience_view, summarise


# --- collection ------------------------------------------------------------------------


def _sources(engine: Engine) -> dict[str, SourceRef]:
    frame = queries.sources(engine)
    return {str(r["id"]): SourceRef(str(r["id"]), clean(r["title"]), clean(r["publisher"]),
                                    int_or_none(r["year"]), clean(r["url"]), clean(r["licence"]))
            for _, r in frame.iterrows()}


def _auto_share_text(row: pd.Series | None) -> str:
    if row is None or pd.isna(row.get("auto_share_pct")):
        return "No automotive share is recorded in the sources."
    year = int_or_none(row.get("auto_year"))
    scope = f"{clean(row['auto_basis'])}, {clean(row['auto_scope'])}" + (f", {year}" if year else "")
    return f"{row['auto_share_pct']:g} % goes to {clean(row['auto_sector']).lower()} ({scope})."


def _quoted_shares(shares: pd.DataFrame, row: pd.Series | None) -> tuple[pd.DataFrame, str]:
    """The end-use rows of the basis the automotive share is quoted from, and the other bases in words.

    A chart of every basis (up to three panels of seven sectors) shrank to unreadable
    text on a slide; the slide quotes one of them. With no quoted share, or none
    that matches a basis, every row is kept and nothing is said.
    """
    if shares.empty or row is None or pd.isna(row.get("auto_share_pct")):
        return shares, ""
    year = int_or_none(row.get("auto_year"))
    same_year = shares["year"].isna() if year is None else shares["year"] == year
    quoted = (shares["basis"] == row.get("auto_basis")) & (shares["scope"] == row.get("auto_scope")) & same_year
    if not quoted.any() or quoted.all():
        return shares, ""
    others = []
    for (basis, scope, y), panel in shares[~quoted].groupby(["basis", "scope", "year"], dropna=False, sort=False):
        auto = panel[panel["is_automotive"].astype(bool)]
        share = ("; ".join(f"{clean(a['sector']).lower()} {formatting.percent(a['share_pct'], None)}"
                           for _, a in auto.iterrows()) or "no automotive sector named")
        when = f", {int(y)}" if not pd.isna(y) else ""
        others.append(f"{clean(basis)}, {clean(scope)}{when}: {share}")
    return shares[quoted], "Also recorded: " + " · ".join(others) + "."


def _concentration(slug: str, stage: str, hhi_wgi: Any, engine: Engine) -> StageConcentration:
    conc = concentration.concentration(slug, stage, engine=engine)
    return StageConcentration(
        stage=stage, commodity_name=clean(conc["commodity_name"]) or constants.MISSING,
        year=conc["year"], is_estimate=bool(conc["is_estimate"]), hhi=conc["hhi"],
        top1_country=clean(conc["top1_country"]), top1_share=conc["top1_share"],
        top3_share=conc["top3_share"],
        hhi_wgi=None if hhi_wgi is None or pd.isna(hhi_wgi) else float(hhi_wgi),
        source_id=conc["source"], source_title=clean(conc["source_title"]))


def _where(case: pd.Series) -> str:
    parts = [clean(case.get(k)) for k in ("site", "company", "country_name")]
    return ", ".join(p for p in parts if p) or "place not stated"


def _risk_lines(risks: pd.DataFrame, evidence: pd.DataFrame) -> list[RiskLine]:
    """Salient risks, those with the most severe and most numerous evidence first."""
    # Cases split from one passage of the report count once (evidence_rollups.passage_keys).
    stats = (evidence.assign(key=evidence_rollups.passage_keys(evidence)).groupby("category")
             .agg(n=("key", "nunique"), top=("severity", "max"))
             if not evidence.empty else pd.DataFrame(columns=["n", "top"]))
    lines: dict[str, RiskLine] = {}
    for _, r in risks.iterrows():
        cat = str(r["category"])
        stages = tuple(constants.STAGE_SHORT.get(s, s) for s in r["stages"])
        if cat in lines:  # two rows of one category read as one line, stages merged
            old = lines[cat]
            merged = tuple(dict.fromkeys(old.stages + stages))
            lines[cat] = RiskLine(cat, old.label, old.pillar, f"{old.summary} {clean(r['summary'])}",
                                  merged, old.n_evidence, old.max_severity)
            continue
        n = int(stats.at[cat, "n"]) if cat in stats.index else 0
        top = int_or_none(stats.at[cat, "top"]) if cat in stats.index else None
        lines[cat] = RiskLine(cat, clean(r["category_name"]), clean(r["pillar"]), clean(r["summary"]),
                              stages, n, top)
    order = {c: i for i, c in enumerate(constants.RISK_CATEGORY_SLUGS)}
    return sorted(lines.values(), key=lambda x: (-(x.max_severity or 0), -x.n_evidence,
                                                 order.get(x.category, 99)))


def _recommend(levs: pd.DataFrame, focus: Sequence[str]) -> list[LeverageLine]:
    """A short, varied list of the material's leverage cards.

    Cards that address the risks with the most severe evidence come first;
    then one card per Shift category in turn, so the list mixes individual and
    collective action instead of repeating one kind.
    """
    if levs.empty:
        return []
    rank = {cat: i for i, cat in enumerate(focus)}
    # Plain records, pooled in Python: a pandas filter and sort per category cost more than the rest.
    records = levs.to_dict("records")
    for pos, rec in enumerate(records):
        rec["fit"], rec["pos"] = min((rank.get(r, 99) for r in rec["risks"]), default=99), pos
    pools = {cat: sorted((r for r in records if r["category"] == cat), key=lambda r: (r["fit"], r["pos"]))
             for cat in constants.LEVERAGE_CATEGORY_SLUGS}
    # Categories whose best card fits best go first in each round.
    order = sorted(constants.LEVERAGE_CATEGORY_SLUGS, key=lambda c: (pools[c][0]["fit"] if pools[c] else 999,
                                                             constants.LEVERAGE_CATEGORY_SLUGS.index(c)))
    picked: list[dict[str, Any]] = []
    while len(picked) < MAX_LEVERAGES and any(pools.values()):
        for cat in order:
            if pools[cat] and len(picked) < MAX_LEVERAGES:
                picked.append(pools[cat].pop(0))
    return [LeverageLine(str(p["id"]), clean(p["title"]), str(p["category"]),
                         constants.LEVERAGE_CATEGORY_LABELS.get(p["category"], clean(p["category"])),
                         constants.ACTOR_LABELS.get(p["actor"], clean(p["actor"]))) for p in picked]


def _organisations(orgs: pd.DataFrame, levs: pd.DataFrame) -> list[OrganisationLine]:
    """Organisations linked to the material, those named by most of its cards first."""
    if orgs.empty:
        return []
    counts: dict[str, int] = {}
    for names in levs.get("organisations", pd.Series(dtype=object)):
        for slug in names:
            counts[slug] = counts.get(slug, 0) + 1
    frame = orgs.assign(here=orgs["slug"].map(lambda s: counts.get(s, 0)))
    frame = frame.sort_values(["here", "n_leverages", "name"], ascending=[False, False, True])
    out = []
    for _, o in frame.head(MAX_ORGANISATIONS).iterrows():
        name = clean(o["name"])
        acronym = clean(o["acronym"])
        if acronym and acronym not in name:
            name = f"{name} ({acronym})"
        out.append(OrganisationLine(name, constants.ORGANISATION_TYPE_LABELS.get(o["type"], clean(o["type"])),
                                    int(o["here"])))
    return out


def _material(slug: str, record: dict[str, Any], overview_row: pd.Series | None, shares: pd.DataFrame,
              risks: pd.DataFrame, evidence: pd.DataFrame, levs: pd.DataFrame, orgs: pd.DataFrame,
              sources: Mapping[str, SourceRef], engine: Engine) -> MaterialBrief:
    name = clean(record["name"])
    conc = [_concentration(slug, stage,
                           None if overview_row is None else overview_row.get(f"{stage}_hhi_wgi"), engine)
            for stage in ("mining", "processing")]
    quoted, others = _quoted_shares(shares, overview_row)
    production = queries.production(slug, "mining", engine=engine)
    if not production.empty:
        production = production[production["is_primary"].astype(bool)]
    risk_lines = _risk_lines(risks, evidence)
    cases = [EvidenceLine(int(c["severity"]), clean(c["category_name"]),
                          constants.STAGE_SHORT.get(c["stage"], clean(c["stage"])), _where(c),
                          int_or_none(c["year"]), clean(c["summary"]), str(c["source_id"]),
                          sources[c["source_id"]].short_label if c["source_id"] in sources
                          else clean(c["source_title"]))
             for _, c in evidence.head(MAX_EVIDENCE).iterrows()]
    focus = list(dict.fromkeys([*evidence["category"].tolist(), *[r.category for r in risk_lines]]))
    ids = [str(record.get("source_id") or REPORT_SOURCE), *shares.get("source_id", pd.Series()).tolist(),
           *[c.source_id for c in conc if c.source_id], *[c.source_id for c in cases]]
    years = [*shares.get("year", pd.Series(dtype=float)).dropna().astype(int).tolist(),
             *[c.year for c in conc if c.year]]
    return MaterialBrief(
        slug=slug, name=name, summary=shorten(record.get("summary"), SUMMARY_CHARS),
        automotive_uses=clean(record.get("automotive_uses")), auto_share_text=_auto_share_text(overview_row),
        end_use=shares, concentration=conc, risks=risk_lines[:MAX_RISKS], n_risks=len(risk_lines),
        evidence=cases, leverages=_recommend(levs, focus), n_leverages=len(levs),
        n_evidence=int(evidence_rollups.passage_keys(evidence).nunique()) if not evidence.empty else 0,
        organisations=_organisations(orgs, levs), n_organisations=len(orgs),
        source_ids=list(dict.fromkeys(i for i in ids if i)), years=years,
        charts=material_chart_specs(name, quoted, production), end_use_others=others,
        main_category=_most_named(levs, "category", {}),
        main_actor=_most_named(levs, "actor", {}))


def _most_named(levs: pd.DataFrame, column: str, labels: Mapping[str, str]) -> str:
    """The label most of the material's cards carry in ``column`` (first in list order on a tie)."""
    if levs.empty or column not in levs.columns:
        return ""
    counts = levs[column].dropna().astype(str).value_counts(sort=False)
    if counts.empty:
        return ""
    best = max(counts.index, key=lambda v: (counts[v], -list(counts.index).index(v)))
    return labels.get(best, clean(best))


def _ranking_table(ranking: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """The caller's ranking in one shape: material, name, rank, score, criterion columns.

    Accepts the wide form (index or column ``material``; ``score``, ``rank``
    and one contribution column per criterion slug) or the long form of
    ``scoring.explained`` (``criterion`` and ``contribution`` per row).
    ``gap_share`` (0-1) and ``gap_flag`` (text, "" when not flagged;
    ``gaps.gap_analysis``) are kept when the ranking carries them.
    """
    frame = ranking.copy()
    if "material" not in frame.columns:
        frame = frame.rename_axis("material").reset_index()
    if {"criterion", "contribution"} <= set(frame.columns):
        wide = frame.pivot_table(index="material", columns="criterion", values="contribution",
                                 aggfunc="sum")
        keep = [c for c in ("score", "rank", *GAP_COLUMNS) if c in frame.columns]
        frame = frame.groupby("material", as_index=False, sort=False)[keep].first().merge(
            wide, left_on="material", right_index=True, how="left")
    if "score" not in frame.columns:
        raise ValueError("a ranking needs a score column")
    if "rank" not in frame.columns:
        frame["rank"] = frame["score"].rank(ascending=False, method="min").astype(int)
    frame["name"] = frame["material"].map(lambda m: names.get(m, constants.MATERIAL_LABELS.get(m, str(m))))
    crits = [c for c in constants.CRITERION_SLUGS if c in frame.columns]
    for column, empty in (("gap_share", float("nan")), ("gap_flag", "")):
        frame[column] = frame[column] if column in frame.columns else empty
    frame["gap_flag"] = frame["gap_flag"].fillna("").astype(str)
    frame = frame.sort_values(["rank", "score"], ascending=[True, False], kind="stable")
    return frame[["material", "name", "rank", "score", *GAP_COLUMNS, *crits]].reset_index(drop=True)


def _gap_note(table: pd.DataFrame) -> str:
    """One sentence per material whose top place rests on gaps; empty when none does."""
    flagged = table[table["gap_flag"] != ""]
    return " ".join(f"{GAP_MARK} {n}: {f}" for n, f in zip(flagged["name"], flagged["gap_flag"], strict=True))



def _ranking_section(ranking: pd.DataFrame | None, weights: Mapping[str, float] | None,
                     overview: pd.DataFrame, names: Mapping[str, str],
                     sources: Mapping[str, SourceRef]) -> RankingSection:
    by_title = {s.title: s.id for s in sources.values()}
    ids = [REPORT_SOURCE]
    years: list[int] = []
    for stage in ("mining", "processing"):
        ids += [by_title[t] for t in overview[f"{stage}_source_title"].dropna().unique() if t in by_title]
        years += overview[f"{stage}_year"].dropna().astype(int).tolist()
    ids += [i for i in ("wb_wgi_2024", "eu_crm_2023") if i in sources]
    clean_weights = {k: float(v) for k, v in (weights or {}).items() if k in constants.CRITERION_SLUGS}
    if ranking is not None and not ranking.empty:
        # The ranking comes from the prioritisation page or from a closed workshop's group result.
        note = ("Ranking as set in the app (prioritisation page or a closed workshop): each criterion "
                "is scaled 0–1 across the materials ranked and weighted; the score is the weighted "
                f"sum (0–1); {constants.IMPUTATION_NOTE}.")
        if not clean_weights:
            note += " The weights were not passed to this pack."
        table = _ranking_table(ranking, names)
        return RankingSection(True, table, clean_weights, overview, ids, years, note, gap_note=_gap_note(table))
    note = ("No prioritisation was run for this pack, so it holds no ranking. The materials are "
            "listed in the app's display order with the overview comparison, unweighted.")
    return RankingSection(False, pd.DataFrame(), clean_weights, overview, ids, years, note)


PLAN_COLUMNS = ("Card", "Action", "Material", "Owner", "Due date", "Status", "Note")


def _plan_table(plan: pd.DataFrame | None) -> pd.DataFrame | None:
    """Action-plan items with readable labels, or None when there are none."""
    if plan is None or plan.empty:
        return None

    def col(*names: str) -> pd.Series:
        for name in names:
            if name in plan.columns:
                return plan[name]
        return pd.Series([None] * len(plan), index=plan.index)

    def due(value: Any) -> str:
        if isinstance(value, dt.date):
            return value.isoformat()
        return clean(value)

    material = col("material").map(
        lambda m: constants.MATERIAL_LABELS.get(m, clean(m)) if isinstance(m, str) and m else constants.CROSS_MATERIAL_LABEL)
    table = pd.DataFrame({
        "Card": col("leverage_id", "Card").map(clean),
        "Action": col("title", "leverage_title", "Action").map(clean),
        "Material": material,
        "Owner": col("owner", "Owner").map(clean),
        "Due date": col("due_date", "Due date").map(due),
        "Status": col("status", "Status").map(lambda s: constants.PLAN_STATUS_LABELS.get(s, clean(s))),
        "Note": col("note", "Note").map(clean),
    }).reset_index(drop=True)
    # One card for one material is one action, however often it was added: shown once,
    # with the first owner, date and status, and every distinct note.
    key = ["Card", "Action", "Material"]
    notes = table.groupby(key, sort=False)["Note"].agg(lambda n: " ".join(dict.fromkeys(x for x in n if x)))
    table = table.drop_duplicates(key).set_index(key)
    table["Note"] = notes
    return table.reset_index()[list(PLAN_COLUMNS)]


# The store-wide reads behind the summary and the salience view, kept per store and build
# (the same rule as the pages' cache): a second pack on the same data does not score every case again.
_READS: dict[tuple[str, str, int], tuple[pd.DataFrame, scoring.CriteriaData]] = {}
_READS_LOCK = threading.Lock()


def _store_reads(engine: Engine, cells: pd.DataFrame | None, criteria: scoring.CriteriaData | None,
                 overview: pd.DataFrame, risks: pd.DataFrame) -> tuple[pd.DataFrame, scoring.CriteriaData]:
    """Salience cells and criteria of the store (cells feed the criteria: scored once).

    The criteria are ``criteria_table``'s, made from the overview and salient
    risks the pack has read already rather than reading them a second time.
    """
    key = (engine.url.render_as_string(hide_password=True), str(queries.build_info(engine).get("finished_at", "")),
           dt.date.today().year)
    with _READS_LOCK:
        kept = _READS.get(key)
    if kept is None:
        found = cells if cells is not None else salience_table(engine)
        made = criteria if criteria is not None else scoring.criteria_from(
            overview, queries.standards_coverage(engine=engine), queries.evidence_severity_counts(engine=engine),
            risks, salience=salience.material_salience(found))
        kept = (found, made)
        with _READS_LOCK:
            _READS.clear()  # one store build at a time: a rebuilt store replaces the old reads
            _READS[key] = kept
    return (cells if cells is not None else kept[0]), (criteria if criteria is not None else kept[1])


def collect(materials: Sequence[str], engine: Engine, ranking: pd.DataFrame | None = None,
            weights: Mapping[str, float] | None = None, plan: pd.DataFrame | None = None,
            title: str = DEFAULT_TITLE, progress: Progress | None = None, kind: str | None = None,
            workshop: WorkshopDecision | None = None, leave_gaps_out: bool = False,
            cells: pd.DataFrame | None = None, criteria: scoring.CriteriaData | None = None) -> BriefingData:
    """Gather the content of a briefing pack for ``materials`` from the store.

    Parameters
    ----------
    materials
        Material slugs, in the order the pages should follow (the ranking's
        order when a ranking is given).
    engine
        Engine on the data store.
    ranking
        Optional ranking from the prioritisation page or a closed workshop
        (see ``_ranking_table`` for the accepted shapes).  Without it the pack
        says no prioritisation was run and shows the overview comparison; its
        summary then orders the materials by the app's default due-diligence
        weights, and says so.
    weights
        Optional criterion weights (slug to weight) used for ``ranking``; with
        them the summary gives each material's P(top 3).
    plan
        Optional action-plan items (``leverage_id``, ``title``, ``material``,
        ``owner``, ``due_date``, ``status``, ``note``); without it the pack
        says the plan is empty.  A card listed twice for one material is shown once.
    title
        Title of the pack.
    progress
        ``progress(step, fraction)`` callback.
    kind
        The reader's question: "all", "one", "selection" or "workshop"
        (guessed from the materials when omitted).
    workshop
        What a closed workshop decided (``workshop_decision``), for its pack.
    leave_gaps_out
        The ranking was made leaving gaps out (the Prioritisation page's toggle).
    cells, criteria
        The store's salience cells (``salience_reads.salience_table``) and
        criteria (``criteria_table``) when the caller keeps them (the pages
        do); otherwise read here, and kept for the next pack on the same
        store build (``_store_reads``).

    Returns
    -------
    BriefingData
        Its chart images are already rendering in the background.
    """
    report = progress or no_progress
    images = ChartImages()
    known = queries.materials(engine)
    records = {str(r["slug"]): r.to_dict() for _, r in known.iterrows()}
    chosen = list(dict.fromkeys(materials))
    unknown = [m for m in chosen if m not in records]
    if unknown:
        raise ValueError(f"unknown material(s): {', '.join(unknown)}")
    if not chosen:
        raise ValueError("a briefing pack needs at least one material")
    names = {slug: clean(r["name"]) for slug, r in records.items()}
    report("Reading the data store", 0.02)
    sources = _sources(engine)
    # Only the packed materials' overview rows, unless the criteria of every material must be made
    # from them here: a one-material pack on a store of a hundred then reads one material's production.
    overview = queries.overview(engine, materials=chosen if criteria is not None else None)
    rows = {str(r["material"]): r for _, r in overview.iterrows()}
    risks = queries.salient_risks(engine=engine)
    ranking_section = _ranking_section(ranking, weights,
                                       overview[overview["material"].isin(chosen)].reset_index(drop=True),
                                       names, sources)
    if not ranking_section.ran:
        comparison = overview[overview["material"].isin(chosen)].reset_index(drop=True)
        images.submit("overview", static_spec(material_charts.overview_heat_table(comparison), HEAT_WIDTH))
    if cells is None or criteria is None:
        report("Scoring salience and criteria", 0.05)
        cells, criteria = _store_reads(engine, cells, criteria, overview, risks)
    salience_found, salience_spec, salience_wide = salience_view(cells, chosen, names, sources)
    if salience_spec:
        images.submit("salience", salience_spec)  # the PDF's portrait page
    if salience_wide:
        images.submit("salience_wide", salience_wide)  # the slide's landscape
    report("Ranking and robustness", 0.1)
    crit = criteria
    if ranking_section.ran:
        table = ranking_section.table
        ranked = table["material"].tolist()
        prio, mc = robustness(crit, ranked, ranking_section.weights, leave_gaps_out)
        ranks = dict(zip(table["material"], table["rank"].astype(int), strict=True))
        who = "the workshop's frozen group ranking" if workshop is not None else "the ranking set in the app"
        basis, basis_note = who, f"The order is {who}, with its weights."
        chart = ranking_chart(ranking_section, prio, mc)
        if chart:
            images.submit("ranking", chart)
    else:
        table = None
        preset = dict(constants.WEIGHT_PRESETS[constants.DUE_DILIGENCE])
        prio, mc = robustness(crit, list(crit.raw.index), preset, False)
        ranks = ({} if prio is None or prio.ranked is None
                 else dict(zip(prio.ranked.index, prio.ranked["rank"].astype(int), strict=True)))
        label = constants.PRESET_LABELS[constants.DUE_DILIGENCE].split(" (")[0].lower()
        basis = f"the app's default {label} weights"
        basis_note = (f"No prioritisation was run for this pack, so the order is the app's default {label} "
                      f"weights (severity and likelihood of harm only), across all {len(ranks)} materials.")
    if ranking_section.ran:
        position = {m: i for i, m in enumerate(table["material"])}
        chosen.sort(key=lambda m: position.get(m, len(position)))
        # When the pack covers only some of the ranked materials, mark which ones.
        if not set(table["material"]) <= set(chosen):
            table["name"] = [f"{n} *" if m in chosen else n for m, n in zip(table["material"], table["name"],
                                                                           strict=True)]
            ranking_section.note += " Materials marked * have their own pages in this pack."
    if mc is not None and ranking_section.ran:
        ranking_section.table["p_top"] = ranking_section.table["material"].map(mc["p_top"])
    shares = queries.end_use_shares(engine=engine)
    evidence = queries.evidence(materials=chosen, engine=engine)
    levs = queries.leverages(materials=chosen, include_cross=False, engine=engine)
    briefs: list[MaterialBrief] = []
    for i, slug in enumerate(chosen):
        report(f"Collecting {names[slug]}", 0.15 + 0.8 * i / len(chosen))
        brief = _material(
            slug, records[slug], rows.get(slug),
            shares[shares["material"] == slug].reset_index(drop=True),
            risks[risks["material"] == slug].reset_index(drop=True),
            evidence[evidence["material"] == slug].reset_index(drop=True),
            levs[levs["material"] == slug].reset_index(drop=True),
            queries.organisations(materials=[slug], engine=engine), sources, engine)
        for key, spec in brief.charts.items():  # start drawing while the next material is read
            images.submit(f"{slug}:{key}", spec)
        briefs.append(brief)
    order = list(ranks) if ranks else chosen
    if ranking_section.ran:
        order = ranking_section.table["material"].tolist()
    summary = summarise(briefs, order, ranks, prio, mc, table, ranking_section.weights if ranking_section.ran
                       else dict(constants.WEIGHT_PRESETS[constants.DUE_DILIGENCE]), basis, basis_note, workshop,
                       [*ranking_section.source_ids, *(i for b in briefs[:SUMMARY_TOP] for i in b.source_ids)],
                       [*ranking_section.years, *(y for b in briefs[:SUMMARY_TOP] for y in b.years)])
    used = [*ranking_section.source_ids, *(i for b in briefs for i in b.source_ids),
            *(salience_found.source_ids if salience_found else ())]
    cited = {i: sources[i] for i in dict.fromkeys(used) if i in sources}
    built = queries.build_info(engine).get("finished_at", "")
    if kind is None:
        kind = ("workshop" if workshop is not None else "one" if len(chosen) == 1
                else "all" if set(chosen) >= set(records) else "selection")
    report("Content collected", 1.0)
    return BriefingData(
        title=clean(title) or DEFAULT_TITLE,
        subtitle=", ".join(b.name for b in briefs),
        prepared=dt.date.today(), store_built=built[:10],
        materials=briefs, ranking=ranking_section, plan=_plan_table(plan), sources=cited,
        charts=dict(images.specs), summary=summary, salience=salience_found, kind=kind, images=images)
