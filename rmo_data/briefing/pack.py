"""Briefing packs: what goes into an executive pack, and the PowerPoint and PDF files made from it.

The work is split in two so each half can be tested on its own:

* ``collect`` is the data step.  It reads the store through ``rmo_data.store.queries``
  and ``rmo_data.analysis.metrics`` and returns a ``BriefingData`` made of dataclasses
  and small DataFrames: per material the end-use shares, mining and processing
  concentration, the salient risks and the most severe evidence, a short list
  of recommended leverages and the organisations to engage, each with the
  sources and years behind it.  A ranking, its weights and an action plan are
  only shown when the caller passes them; the pack never makes one up.
* ``to_pptx`` and ``to_pdf`` (in ``briefing_pptx`` and ``briefing_pdf``) lay
  the same content out as slides and as pages, with a footer naming sources
  and years on every slide and page.

Charts are drawn by the app's own builders in ``rmo_data.charts.material_charts``.  That
module imports only altair, pandas and ``rmo_data.constants`` (no streamlit),
so importing it here keeps this package free of streamlit while the pack shows
exactly the charts the pages show.  ``vl-convert-python`` turns them into PNG
files without a browser; each chart is rendered once per ``BriefingData`` and
the PNG is shared by both formats.

Nothing is built until a caller asks: the UI calls ``build_packs`` only after
a click.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import altair as alt
import pandas as pd
from sqlalchemy import Engine

from rmo_data.charts import material_charts
from rmo_data import constants
from rmo_data.store import concentration, queries

Progress = Callable[[str, float], None]

DEFAULT_TITLE = "Raw materials briefing"
REPORT_SOURCE = "rmo_report"

# How much of each list one material page holds; the app has the full lists.
MAX_RISKS = 4
MAX_EVIDENCE = 3
MAX_LEVERAGES = 5
MAX_ORGANISATIONS = 5
SUMMARY_CHARS = 300

# Chart widths in Vega-Lite pixels; PNGs are rendered at twice this size.
HEAT_WIDTH = 900
END_USE_WIDTH = 180
PRODUCTION_WIDTH = 280
PRODUCTION_HEIGHT = 210

HHI_NOTE = ("HHI: high above 2 500, moderate from 1 500 to 2 500 (usual competition-authority "
            "thresholds).")

# Short names of the Shift categories for narrow page columns (labels in constants).
CATEGORY_SHORT = {"commercial": "Commercial leverage", "internal": "Internal leverage",
                  "peers": "With business peers", "bilateral": "Bilateral engagement",
                  "msi": "Multi-stakeholder collaboration"}

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _noop(_step: str, _fraction: float) -> None:
    """Progress callback used when the caller passes none."""


def clean(value: Any) -> str:
    """Data as plain text: missing reads as empty, control characters are dropped.

    XML-based formats (pptx) reject control characters outright, so they are
    removed once here for both renderers.
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if value is pd.NA or value is pd.NaT:
        return ""
    return _CONTROL.sub("", str(value)).strip()


def shorten(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters at a sentence or word boundary, marking the cut."""
    text = clean(text)
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = cut.rfind(". ")
    if end > limit * 0.6:
        return cut[:end + 1]
    return cut[:cut.rfind(" ")].rstrip(",;:") + " …"


def _int_or_none(value: Any) -> int | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- dataclasses -------------------------------------------------------------------


@dataclass(frozen=True)
class SourceRef:
    """One row of the source register, as the pack cites it."""

    id: str
    title: str
    publisher: str
    year: int | None
    url: str = ""
    licence: str = ""

    @property
    def year_text(self) -> str:
        """The publication year, or a plain statement that there is none."""
        return str(self.year) if self.year else "year not stated"

    @property
    def label(self) -> str:
        """Short citation used in footers: title and year."""
        return f"{self.title}, {self.year_text}"

    @property
    def short_label(self) -> str:
        """Inline citation: the title without its trailing parenthesis, and the year."""
        title = re.sub(r"\s*\([^()]*\)$", "", self.title) or self.title
        return f"{title}, {self.year_text}"


@dataclass(frozen=True)
class StageConcentration:
    """Country concentration of one material at one value-chain stage."""

    stage: str
    commodity_name: str
    year: int | None
    is_estimate: bool
    hhi: float | None
    top1_country: str
    top1_share: float | None
    top3_share: float | None
    hhi_wgi: float | None
    source_id: str | None
    source_title: str

    @property
    def stage_label(self) -> str:
        """Stage name without its sub-title ("Processing", not "Processing: smelting & refining")."""
        return constants.STAGE_LABELS.get(self.stage, self.stage).split(":")[0]

    @property
    def year_text(self) -> str:
        """Data year, marked when the figures are estimates."""
        if self.year is None:
            return constants.MISSING
        return f"{self.year} (estimate)" if self.is_estimate else str(self.year)

    @property
    def top_text(self) -> str:
        """Largest producing country and its share."""
        if self.top1_share is None:
            return constants.MISSING
        return f"{self.top1_country} {self.top1_share:.0f} %"

    def cells(self) -> list[str]:
        """Table cells: stage, top country, top-3 share, HHI, governance-weighted HHI, year.

        A stage without country data says so once instead of in every cell.
        """
        if self.top1_share is None:
            return [self.stage_label, constants.MISSING, "–", "–", "–", self.year_text if self.year else "–"]
        top3 = constants.MISSING if self.top3_share is None else f"{self.top3_share:.0f} %"
        wgi = constants.MISSING if self.hhi_wgi is None else f"{self.hhi_wgi:.2f}"
        return [self.stage_label, self.top_text, top3, self.hhi_text, wgi, self.year_text]

    @property
    def series_text(self) -> str:
        """Which series the figures describe and where it comes from."""
        if self.year is None:
            return f"{self.stage_label}: no country data recorded"
        return f"{self.stage_label}: {self.commodity_name} ({self.source_title})"

    @property
    def hhi_text(self) -> str:
        """HHI with its usual reading: above 2 500 high, 1 500-2 500 moderate, below low."""
        if self.hhi is None:
            return constants.MISSING
        reading = "high" if self.hhi > 2500 else "moderate" if self.hhi >= 1500 else "low"
        return f"{self.hhi:,.0f} ({reading})"


@dataclass(frozen=True)
class RiskLine:
    """A salient risk the report flags for a material, with the evidence recorded for it."""

    category: str
    label: str
    pillar: str
    summary: str
    stages: tuple[str, ...]
    n_evidence: int
    max_severity: int | None


@dataclass(frozen=True)
class EvidenceLine:
    """One recorded case of harm, with where it happened and who reported it."""

    severity: int
    category_label: str
    stage_label: str
    where: str
    year: int | None
    summary: str
    source_id: str
    source_label: str


@dataclass(frozen=True)
class LeverageLine:
    """A recommended leverage card: its title, Shift category and who acts."""

    id: str
    title: str
    category: str
    category_label: str
    actor_label: str

    @property
    def category_short(self) -> str:
        """A short name of the Shift category for narrow layouts."""
        return CATEGORY_SHORT.get(self.category, self.category_label)


@dataclass(frozen=True)
class OrganisationLine:
    """An organisation to engage on a material."""

    name: str
    type_label: str
    n_leverages: int


@dataclass
class MaterialBrief:
    """Everything one material's page shows."""

    slug: str
    name: str
    summary: str
    automotive_uses: str
    auto_share_text: str
    end_use: pd.DataFrame
    concentration: list[StageConcentration]
    risks: list[RiskLine]
    n_risks: int
    evidence: list[EvidenceLine]
    n_evidence: int
    leverages: list[LeverageLine]
    n_leverages: int
    organisations: list[OrganisationLine]
    n_organisations: int
    source_ids: list[str]
    years: list[int]
    charts: dict[str, str] = field(default_factory=dict)


@dataclass
class RankingSection:
    """The ranking passed in by the caller, or the plain comparison when none was run."""

    ran: bool
    table: pd.DataFrame
    weights: dict[str, float]
    comparison: pd.DataFrame
    source_ids: list[str]
    years: list[int]
    note: str


@dataclass
class BriefingData:
    """The content of a briefing pack, ready for either renderer."""

    title: str
    subtitle: str
    prepared: dt.date
    store_built: str
    materials: list[MaterialBrief]
    ranking: RankingSection
    plan: pd.DataFrame | None
    sources: dict[str, SourceRef]
    charts: dict[str, str] = field(default_factory=dict)
    pngs: dict[str, bytes] = field(default_factory=dict, repr=False)

    def footer(self, source_ids: Iterable[str], years: Iterable[int] = (), limit: int = 4) -> str:
        """Footer text for one slide or page: the sources it rests on, with years.

        At most ``limit`` sources are named; the rest are counted and point to
        the Sources page, so the footer keeps to two lines.
        """
        ids = [i for i in dict.fromkeys(source_ids) if i in self.sources]
        if not ids:
            ids = [REPORT_SOURCE] if REPORT_SOURCE in self.sources else list(self.sources)[:1]
        named = [self.sources[i].label for i in ids[:limit]]
        text = "Sources: " + "; ".join(named)
        if len(ids) > limit:
            text += f"; and {len(ids) - limit} more (see Sources)"
        known = sorted({int(y) for y in years if y})
        if known:
            span = str(known[0]) if len(known) == 1 else f"{known[0]}–{known[-1]}"
            text += f" · data years {span}"
        return text + "."

    def chart_specs(self) -> dict[str, str]:
        """Every chart in the pack by key (pack-level first, then per material)."""
        out = dict(self.charts)
        for brief in self.materials:
            out.update({f"{brief.slug}:{k}": v for k, v in brief.charts.items()})
        return out


# --- static chart specs ---------------------------------------------------------------


def _walk(node: Any, visit: Callable[[dict[str, Any]], None]) -> None:
    if isinstance(node, dict):
        visit(node)
        for value in list(node.values()):
            _walk(value, visit)
    elif isinstance(node, list):
        for value in node:
            _walk(value, visit)


def _fix_wrapped_labels(encoding: dict[str, Any]) -> None:
    """Make multi-line axis labels render in a static image as they do in the app.

    The builders wrap long labels with ``split(datum.label, ' ')`` and anchor
    them with ``labelBaseline: line-bottom``.  Vega's SVG output (which
    vl-convert uses) ignores that anchor for the extra lines and draws them
    over the plot, so here every label is padded with empty first lines to the
    same count and the axis is moved up by the height of those lines.
    """
    for channel in ("x", "y"):
        enc = encoding.get(channel)
        if not isinstance(enc, dict) or not isinstance(enc.get("axis"), dict):
            continue
        axis = enc["axis"]
        if "split(" not in str(axis.get("labelExpr", "")):
            continue
        labels = enc.get("sort") if isinstance(enc.get("sort"), list) else []
        lines = max((len(str(label).split(" ")) for label in labels), default=1)
        words = "split(datum.label, ' ')"
        expr = ""
        for count in range(1, lines):
            padded = ", ".join(["''"] * (lines - count) + [f"{words}[{i}]" for i in range(count)])
            expr += f"length({words}) == {count} ? [{padded}] : "
        axis["labelExpr"] = expr + words
        axis["labelBaseline"] = "alphabetic"
        axis["labelPadding"] = (lines - 1) * int(axis.get("labelLineHeight", 14)) + 6


def static_spec(chart: alt.TopLevelMixin, width: int) -> str:
    """Vega-Lite JSON of a builder's chart, ready to render without a page around it.

    ``width="container"`` has no container here, so it becomes ``width``
    pixels; wrapped axis labels are fixed as ``_fix_wrapped_labels`` says.
    """
    spec = material_charts.configure(chart).to_dict()
    if spec.get("width") == "container":
        spec["width"] = width

    def visit(node: dict[str, Any]) -> None:
        if isinstance(node.get("encoding"), dict):
            _fix_wrapped_labels(node["encoding"])
        if node.get("width") == "container":
            node["width"] = width

    _walk(spec, visit)
    return json.dumps(spec)


def render_png(spec: str, scale: float = 2) -> bytes:
    """PNG of a Vega-Lite spec through vl-convert (no browser)."""
    import vl_convert  # imported late: only pack building needs it

    return vl_convert.vegalite_to_png(spec, scale=scale)


def render_charts(data: BriefingData, progress: Progress | None = None) -> dict[str, bytes]:
    """Render every chart of ``data`` once; later calls reuse the PNGs kept on ``data``.

    Two worker threads: vl-convert does its work outside Python, so two
    charts render at once on a two-core machine.
    """
    report = progress or _noop
    todo = {k: v for k, v in data.chart_specs().items() if k not in data.pngs}
    if todo:
        done = 0
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = {key: pool.submit(render_png, spec) for key, spec in todo.items()}
            for key, future in futures.items():
                data.pngs[key] = future.result()
                done += 1
                report(f"Drawing charts ({done} of {len(todo)})", done / len(todo))
    return data.pngs


# --- collection ------------------------------------------------------------------------


def _sources(engine: Engine) -> dict[str, SourceRef]:
    frame = queries.sources(engine)
    return {str(r["id"]): SourceRef(str(r["id"]), clean(r["title"]), clean(r["publisher"]),
                                    _int_or_none(r["year"]), clean(r["url"]), clean(r["licence"]))
            for _, r in frame.iterrows()}


def _auto_share_text(row: pd.Series | None) -> str:
    if row is None or pd.isna(row.get("auto_share_pct")):
        return "No automotive share is recorded in the sources."
    year = _int_or_none(row.get("auto_year"))
    scope = f"{clean(row['auto_basis'])}, {clean(row['auto_scope'])}" + (f", {year}" if year else "")
    return f"{row['auto_share_pct']:g} % goes to {clean(row['auto_sector']).lower()} ({scope})."


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
    stats = (evidence.groupby("category").agg(n=("id", "count"), top=("severity", "max"))
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
        top = _int_or_none(stats.at[cat, "top"]) if cat in stats.index else None
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
    scored = levs.assign(
        fit=[min((rank.get(r, 99) for r in risks), default=99) for risks in levs["risks"]],
        pos=range(len(levs)))
    pools = {cat: scored[scored["category"] == cat].sort_values(["fit", "pos"]).to_dict("records")
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


def _material_charts(name: str, shares: pd.DataFrame, production: pd.DataFrame) -> dict[str, str]:
    out: dict[str, str] = {}
    if not shares.empty:
        out["end_use"] = static_spec(material_charts.end_use_chart(shares, width=END_USE_WIDTH), END_USE_WIDTH)
    if not production.empty:
        unit = clean(production["unit"].iloc[0])
        title = clean(production["commodity_name"].iloc[0]) or f"{name} production"
        # The app's chart is 320 px tall beside a table; in a pack it shares a row, so it is lower.
        chart = material_charts.production_chart(production, unit, title).properties(height=PRODUCTION_HEIGHT)
        out["production"] = static_spec(chart, PRODUCTION_WIDTH)
    return out


def _material(slug: str, record: dict[str, Any], overview_row: pd.Series | None, shares: pd.DataFrame,
              risks: pd.DataFrame, evidence: pd.DataFrame, levs: pd.DataFrame, orgs: pd.DataFrame,
              sources: Mapping[str, SourceRef], engine: Engine) -> MaterialBrief:
    name = clean(record["name"])
    conc = [_concentration(slug, stage,
                           None if overview_row is None else overview_row.get(f"{stage}_hhi_wgi"), engine)
            for stage in ("mining", "processing")]
    production = queries.production(slug, "mining", engine=engine)
    if not production.empty:
        production = production[production["is_primary"].astype(bool)]
    risk_lines = _risk_lines(risks, evidence)
    cases = [EvidenceLine(int(c["severity"]), clean(c["category_name"]),
                          constants.STAGE_SHORT.get(c["stage"], clean(c["stage"])), _where(c),
                          _int_or_none(c["year"]), clean(c["summary"]), str(c["source_id"]),
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
        evidence=cases, n_evidence=len(evidence), leverages=_recommend(levs, focus), n_leverages=len(levs),
        organisations=_organisations(orgs, levs), n_organisations=len(orgs),
        source_ids=list(dict.fromkeys(i for i in ids if i)), years=years,
        charts=_material_charts(name, shares, production))


def _ranking_table(ranking: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """The caller's ranking in one shape: material, name, rank, score, criterion columns.

    Accepts the wide form (index or column ``material``; ``score``, ``rank``
    and one contribution column per criterion slug) or the long form of
    ``scoring.explained`` (``criterion`` and ``contribution`` per row).
    """
    frame = ranking.copy()
    if "material" not in frame.columns:
        frame = frame.rename_axis("material").reset_index()
    if {"criterion", "contribution"} <= set(frame.columns):
        wide = frame.pivot_table(index="material", columns="criterion", values="contribution",
                                 aggfunc="sum")
        keep = [c for c in ("score", "rank") if c in frame.columns]
        frame = frame.groupby("material", as_index=False, sort=False)[keep].first().merge(
            wide, left_on="material", right_index=True, how="left")
    if "score" not in frame.columns:
        raise ValueError("a ranking needs a score column")
    if "rank" not in frame.columns:
        frame["rank"] = frame["score"].rank(ascending=False, method="min").astype(int)
    frame["name"] = frame["material"].map(lambda m: names.get(m, constants.MATERIAL_LABELS.get(m, str(m))))
    crits = [c for c in constants.CRITERION_SLUGS if c in frame.columns]
    frame = frame.sort_values(["rank", "score"], ascending=[True, False], kind="stable")
    return frame[["material", "name", "rank", "score", *crits]].reset_index(drop=True)


COMPARISON_HEADER = ("Material", "Automotive share", "Mining: top country · HHI",
                     "Processing: top country · HHI", "Data years", "EU supply risk",
                     "Evidence cases (worst)", "Leverage cards")


def comparison_rows(overview: pd.DataFrame) -> list[list[str]]:
    """The overview comparison as table rows (``COMPARISON_HEADER``); missing reads "no data recorded"."""
    def stage(row: pd.Series, name: str) -> str:
        if pd.isna(row[f"{name}_hhi"]):
            return constants.MISSING
        return f"{clean(row[f'{name}_top1_country'])} {row[f'{name}_top1_share']:.0f} % · {row[f'{name}_hhi']:,.0f}"

    rows = []
    for _, r in overview.iterrows():
        years = sorted({int(y) for y in (r["mining_year"], r["processing_year"]) if not pd.isna(y)})
        auto = (constants.MISSING if pd.isna(r["auto_share_pct"])
                else f"{r['auto_share_pct']:g} % ({clean(r['auto_basis'])}, {clean(r['auto_scope'])})")
        worst = "" if pd.isna(r["severity_max"]) else f" ({int(r['severity_max'])} of 5)"
        rows.append([clean(r["name"]), auto, stage(r, "mining"), stage(r, "processing"),
                     ", ".join(map(str, years)) or constants.MISSING,
                     constants.MISSING if pd.isna(r["supply_risk"]) else f"{r['supply_risk']:.1f}",
                     f"{int(r['evidence_count'])}{worst}", str(int(r["leverage_count"]))])
    return rows


def main_reasons(row: pd.Series, top: int = 3) -> str:
    """The criteria that add most to a material's score, largest first."""
    parts = [(c, float(row[c])) for c in constants.CRITERION_SLUGS if c in row.index and not pd.isna(row[c])]
    parts = [p for p in sorted(parts, key=lambda p: -p[1]) if p[1] > 0][:top]
    return "; ".join(f"{constants.CRITERION_SHORT[c]} {v:.2f}" for c, v in parts) or "no contribution recorded"


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
                "sum (0–1).")
        if not clean_weights:
            note += " The weights were not passed to this pack."
        return RankingSection(True, _ranking_table(ranking, names), clean_weights, overview, ids, years, note)
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
    return pd.DataFrame({
        "Card": col("leverage_id", "Card").map(clean),
        "Action": col("title", "leverage_title", "Action").map(clean),
        "Material": material,
        "Owner": col("owner", "Owner").map(clean),
        "Due date": col("due_date", "Due date").map(due),
        "Status": col("status", "Status").map(lambda s: constants.PLAN_STATUS_LABELS.get(s, clean(s))),
        "Note": col("note", "Note").map(clean),
    }).reset_index(drop=True)


def collect(materials: Sequence[str], engine: Engine, ranking: pd.DataFrame | None = None,
            weights: Mapping[str, float] | None = None, plan: pd.DataFrame | None = None,
            title: str = DEFAULT_TITLE, progress: Progress | None = None) -> BriefingData:
    """Gather the content of a briefing pack for ``materials`` from the store.

    Parameters
    ----------
    materials
        Material slugs, in the order the pages should follow (the ranking's
        order when a ranking is given).
    engine
        Engine on the data store.
    ranking
        Optional ranking from the prioritisation page (see ``_ranking_table``
        for the accepted shapes).  Without it the pack says no prioritisation
        was run and shows the overview comparison instead.
    weights
        Optional criterion weights (slug to weight) used for ``ranking``.
    plan
        Optional action-plan items (``leverage_id``, ``title``, ``material``,
        ``owner``, ``due_date``, ``status``, ``note``); without it the pack
        says the plan is empty.
    title
        Title of the pack.
    progress
        ``progress(step, fraction)`` callback.

    Returns
    -------
    BriefingData
    """
    report = progress or _noop
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
    overview = queries.overview(engine)
    rows = {str(r["material"]): r for _, r in overview.iterrows()}
    ranking_section = _ranking_section(ranking, weights,
                                       overview[overview["material"].isin(chosen)].reset_index(drop=True),
                                       names, sources)
    if ranking_section.ran:
        table = ranking_section.table
        position = {m: i for i, m in enumerate(table["material"])}
        chosen.sort(key=lambda m: position.get(m, len(position)))
        # When the pack covers only some of the ranked materials, mark which ones.
        if not set(table["material"]) <= set(chosen):
            table["name"] = [f"{n} *" if m in chosen else n for m, n in zip(table["material"], table["name"],
                                                                           strict=True)]
            ranking_section.note += " Materials marked * have their own pages in this pack."
    shares = queries.end_use_shares(engine=engine)
    risks = queries.salient_risks(engine=engine)
    evidence = queries.evidence(materials=chosen, engine=engine)
    levs = queries.leverages(materials=chosen, include_cross=False, engine=engine)
    briefs: list[MaterialBrief] = []
    for i, slug in enumerate(chosen):
        report(f"Collecting {names[slug]}", 0.05 + 0.9 * i / len(chosen))
        briefs.append(_material(
            slug, records[slug], rows.get(slug),
            shares[shares["material"] == slug].reset_index(drop=True),
            risks[risks["material"] == slug].reset_index(drop=True),
            evidence[evidence["material"] == slug].reset_index(drop=True),
            levs[levs["material"] == slug].reset_index(drop=True),
            queries.organisations(materials=[slug], engine=engine), sources, engine))
    pack_charts: dict[str, str] = {}
    if not ranking_section.ran:
        comparison = overview[overview["material"].isin(chosen)].reset_index(drop=True)
        pack_charts["overview"] = static_spec(material_charts.overview_heat_table(comparison), HEAT_WIDTH)
    used = [*ranking_section.source_ids, *(i for b in briefs for i in b.source_ids)]
    cited = {i: sources[i] for i in dict.fromkeys(used) if i in sources}
    built = queries.build_info(engine).get("finished_at", "")
    report("Content collected", 1.0)
    return BriefingData(
        title=clean(title) or DEFAULT_TITLE,
        subtitle=", ".join(b.name for b in briefs),
        prepared=dt.date.today(), store_built=built[:10],
        materials=briefs, ranking=ranking_section, plan=_plan_table(plan), sources=cited,
        charts=pack_charts)


# --- output ---------------------------------------------------------------------------


def _scaled(progress: Progress, start: float, end: float) -> Progress:
    """A progress callback that maps 0-1 onto ``start``-``end`` of the caller's bar."""
    return lambda step, fraction: progress(step, start + (end - start) * max(0.0, min(1.0, fraction)))


def to_pptx(data: BriefingData, progress: Progress | None = None) -> bytes:
    """The pack as a PowerPoint file (see ``rmo_data.briefing.pptx``)."""
    from rmo_data.briefing import pptx

    report = progress or _noop
    render_charts(data, _scaled(report, 0.0, 0.6))
    return pptx.render(data, _scaled(report, 0.6, 1.0))


def to_pdf(data: BriefingData, progress: Progress | None = None) -> bytes:
    """The pack as a PDF file (see ``rmo_data.briefing.pdf``)."""
    from rmo_data.briefing import pdf

    report = progress or _noop
    render_charts(data, _scaled(report, 0.0, 0.6))
    return pdf.render(data, _scaled(report, 0.6, 1.0))


FORMATS = {"pptx": to_pptx, "pdf": to_pdf}
MIME = {"pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "pdf": "application/pdf"}


def build_packs(materials: Sequence[str], engine: Engine, formats: Sequence[str] = ("pptx", "pdf"),
                progress: Progress | None = None, **kw: Any) -> dict[str, bytes]:
    """Collect once, render the charts once, and write every format asked for.

    Keyword arguments go to ``collect`` (ranking, weights, plan, title).
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown format(s): {', '.join(unknown)}")
    report = progress or _noop
    data = collect(materials, engine, progress=_scaled(report, 0.0, 0.15), **kw)
    render_charts(data, _scaled(report, 0.15, 0.6))
    out: dict[str, bytes] = {}
    share = 0.4 / max(1, len(formats))
    for i, fmt in enumerate(formats):
        label = "PowerPoint" if fmt == "pptx" else "PDF"
        step = _scaled(report, 0.6 + i * share, 0.6 + (i + 1) * share)
        out[fmt] = FORMATS[fmt](data, lambda s, f, label=label, step=step: step(f"{label}: {s}", f))
    report("Briefing pack ready", 1.0)
    return out


def build_pack(materials: Sequence[str], engine: Engine, fmt: str = "pptx", **kw: Any) -> bytes:
    """One briefing pack file (``fmt`` "pptx" or "pdf"); see ``build_packs``."""
    return build_packs(materials, engine, (fmt,), **kw)[fmt]
