"""What a briefing pack says: its dataclasses, limits and shared wording, with no I/O.

``rmo_data.briefing.content.collect`` fills a ``BriefingData`` from the store;
``rmo_data.briefing.pptx`` and ``rmo_data.briefing.pdf`` lay the same object out
as slides and pages, so both formats import from here and never from each other.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from rmo_data import constants, vocabulary

Progress = Callable[[str, float], None]

DEFAULT_TITLE = "Raw materials briefing"
REPORT_SOURCE = "rmo_report"

# How much of each list one material page holds; the app has the full lists.
MAX_RISKS = 4
MAX_EVIDENCE = 3
MAX_LEVERAGES = 5
MAX_ORGANISATIONS = 5
SUMMARY_CHARS = 300
SUMMARY_TOP = 3  # materials the executive summary names
SLIDE_WORDS = 60  # body words on one slide at most (the rest goes to the speaker notes)
BODY_PT = 14  # smallest body text on a slide

# Chart widths in Vega-Lite pixels; PNGs are rendered at twice this size.
HEAT_WIDTH = 900
END_USE_WIDTH = 300  # the sector names stand above the bars now, within this width
PRODUCTION_WIDTH = 280
PRODUCTION_HEIGHT = 210

# A top-3 place that rests on imputed values (``rmo_data.analysis.gaps``): its mark in the ranking
# table (a plain character every pack font has) and the ranking's gap columns.
GAP_MARK = "†"
GAP_COLUMNS = ("gap_share", "gap_flag")

HHI_NOTE = (f"{vocabulary.name('measure', 'stage_hhi')} (HHI): high above 2 500, moderate from 1 500 to "
            "2 500 (usual competition-authority thresholds).")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def no_progress(_step: str, _fraction: float) -> None:
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
    """Whole sentences of ``text`` up to about ``limit`` characters; never a cut mid-sentence.

    The first sentence is always kept whole, even when it is longer than
    ``limit``: a pack says less rather than end a line with an ellipsis.
    """
    text = clean(text)
    if len(text) <= limit:
        return text
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9(“\"])", text)
    out = sentences[0]
    for sentence in sentences[1:]:
        if len(out) + 1 + len(sentence) > limit:
            break
        out += " " + sentence
    return out


_WORD = re.compile(r"[^\W\d_]", re.UNICODE)


def word_count(text: str) -> int:
    """Words of body text: tokens with a letter in them (figures such as "49 %" are not words)."""
    return sum(1 for token in str(text).split() if _WORD.search(token))


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th: a rank as it reads in a sentence."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def names_list(names: Sequence[str]) -> str:
    """"A", "A and B", "A, B and C"."""
    names = [n for n in names if n]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def int_or_none(value: Any) -> int | None:
    """A whole number, or None for a missing or non-numeric value."""
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
        """Table cells: stage, top country, top-3 share, concentration, governance-weighted concentration, year.

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
        """Concentration (HHI) with its usual reading: above 2 500 high, 1 500-2 500 moderate, below low."""
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
        return constants.LEVERAGE_CATEGORY_SHORT.get(self.category, self.category_label)


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
    # The end-use bases left out of the chart, in words ("" when it shows them all): the pack's
    # chart keeps the basis its automotive share is quoted from, so it is large enough to read.
    end_use_others: str = ""
    # Slugs of the Shift category and actor most of the material's cards name (all cards, not only those shown).
    main_category: str = ""
    main_actor: str = ""

    @property
    def worst_case(self) -> EvidenceLine | None:
        """The most severe recorded case, if any."""
        return self.evidence[0] if self.evidence else None


@dataclass(frozen=True)
class SummaryLine:
    """One material of the executive summary: its place, why, how robust, its gaps and who acts."""

    slug: str
    name: str
    rank: int
    of: int
    reasons: tuple[str, ...]  # slugs of the criteria adding most to its score
    p_top: float | None  # share of Monte-Carlo draws in the top 3; None when not computed
    rank_range: str  # "1–2": the 5th to 95th percentile of its rank over the draws
    gaps: tuple[str, ...]  # slugs of weighted criteria with no data recorded (imputed)
    rests_on_gaps: str  # ``gaps.gap_analysis`` flag text, "" when its place does not rest on gaps
    leverage: LeverageLine | None
    main_category: str
    main_actor: str
    evidence_text: str  # "12 cases, worst 5 of 5", or that none is recorded


@dataclass(frozen=True)
class WorkshopDecision:
    """What a closed workshop decided, read from its frozen record."""

    name: str
    code: str
    closed_at: str
    n: int
    top: tuple[str, ...]  # material names, group rank 1 first
    agreement: str  # Kendall's W and its band, or why there is none
    apart: str  # the criteria participants weighed most differently
    disagreed: tuple[str, ...]  # materials whose ranks participants disputed


@dataclass
class ExecutiveSummary:
    """The first page: the top materials and why, how robust, the gaps, who acts, what a workshop decided."""

    basis: str  # what the order rests on, in a phrase
    basis_note: str  # the same in a sentence, for the notes
    lines: list[SummaryLine]
    ranked: int  # materials in the ranking the places are counted in
    robustness_note: str
    workshop: WorkshopDecision | None
    source_ids: list[str]
    years: list[int]


@dataclass(frozen=True)
class SalienceFinding:
    """The most salient cell among the pack's materials and how many cells are gaps."""

    material: str
    category: str
    stage: str
    value: float | None
    n_cells: int
    n_gaps: int
    source_ids: tuple[str, ...]
    years: tuple[int, ...]


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
    gap_note: str = ""  # the materials whose top place rests on gaps, one sentence each

    def row_name(self, row: pd.Series) -> str:
        """The material's name in the ranking table, marked when its top place rests on gaps."""
        return f"{row['name']} {GAP_MARK}" if str(row.get("gap_flag") or "") else str(row["name"])

    def gap_text(self, row: pd.Series) -> str:
        """How much of the score rests on gaps or weak inputs, as a whole percent ("–" when unknown)."""
        share = row.get("gap_share")
        return "–" if share is None or pd.isna(share) else f"{float(share) * 100:.0f} %"


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
    summary: ExecutiveSummary | None = None
    salience: SalienceFinding | None = None
    kind: str = "selection"  # "all", "one", "selection" or "workshop": the reader's question
    images: Any = field(default=None, repr=False)  # chart_images.ChartImages, started by collect

    @property
    def pngs(self) -> Any:
        """The chart PNGs by key (``chart_images.ChartImages``: a lookup waits for its render); {} before any."""
        return self.images if self.images is not None else {}

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



# --- comparison table shared by both formats ----------------------------------------


# Cells "China 60 % · 3,200": the top country and its share, then the stage's concentration.
COMPARISON_HEADER = ("Material", vocabulary.name("criterion", "auto_share"),
                     f"Mining: top country · {vocabulary.name('measure', 'stage_hhi').lower()} (HHI)",
                     f"Processing: top country · {vocabulary.name('measure', 'stage_hhi').lower()} (HHI)",
                     "Data years", vocabulary.name("criterion", "supply_risk"),
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


