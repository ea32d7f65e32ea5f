"""PDF layout of a briefing pack (reportlab), from a ``briefing.BriefingData``.

Why reportlab: its page-layout engine (platypus) wraps text in table cells,
splits long tables across pages with the header repeated, and calls back at
the end of each page, which is where the source footer is drawn.  It is a
long-maintained BSD-licensed library whose only dependencies are Pillow and
charset-normalizer.

Pages: title, priority ranking, one page per material (kept to one page by
shrinking slightly if a material has unusually long text), the action plan
and the sources.  Every page has a footer with the sources and years of the
section it belongs to, and a page number.

reportlab's ``Paragraph`` reads its text as markup, so every piece of data
passes through ``xml.sax.saxutils.escape`` first (``_esc``); only the few
tags written in this module are markup.
"""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import reportlab
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (BaseDocTemplate, Flowable, Frame, Image, KeepInFrame, LongTable,
                                PageBreak, PageTemplate, Paragraph, Spacer, Table, TableStyle)

from rmo_data import constants, vocabulary
from rmo_data.briefing.model import (COMPARISON_HEADER, HHI_NOTE, BriefingData, MaterialBrief, Progress,
                                comparison_rows, main_reasons, shorten)

PAGE_W, PAGE_H = A4
LEFT = RIGHT = 15 * mm
TOP = 16 * mm
BOTTOM = 24 * mm  # room for a two-line footer
END_USE_H = 92 * mm
PRODUCTION_H = 50 * mm
MAX_PT_PER_PX = 0.33  # PNGs are rendered at scale 2, so 13 px chart text prints at about 8.5 pt
FRAME_W = PAGE_W - LEFT - RIGHT
FRAME_H = PAGE_H - TOP - BOTTOM

INK = colors.HexColor("#1B2631")
MUTED = colors.HexColor("#566573")
ACCENT = colors.HexColor("#0B5563")
BAND = colors.HexColor("#F2F4F5")
RULE = colors.HexColor("#D5D8DC")

# DejaVu Sans where the system has it (widest character coverage); otherwise
# Bitstream Vera, which ships inside reportlab, so the PDF never depends on
# fonts a machine may lack.
_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
              Path("/usr/share/fonts/TTF"))
_VERA = Path(reportlab.__file__).resolve().parent / "fonts"
FONT, FONT_BOLD = "PackSans", "PackSans-Bold"
_FALLBACK_CHARS = {"\u202f": " ", "\u2009": " ", "\u00a0": " ", "Σ": "sum ", "→": "->", "−": "-",
                   "≈": "~", "≥": ">=", "≤": "<="}


@lru_cache(maxsize=1)
def _fonts() -> frozenset[int]:
    """Register the pack's fonts once; return the code points the regular face can draw."""
    regular, bold = _VERA / "Vera.ttf", _VERA / "VeraBd.ttf"
    for folder in _FONT_DIRS:
        if (folder / "DejaVuSans.ttf").is_file() and (folder / "DejaVuSans-Bold.ttf").is_file():
            regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
            break
    face = TTFont(FONT, os.fspath(regular))
    pdfmetrics.registerFont(face)
    pdfmetrics.registerFont(TTFont(FONT_BOLD, os.fspath(bold)))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)
    return frozenset(face.face.charToGlyph)


def _safe(text: Any) -> str:
    """Text the font can draw: characters it lacks get a plain stand-in instead of a blank box."""
    glyphs = _fonts()
    out = []
    for ch in str(text):
        if ord(ch) in glyphs or ch in "\n\t":
            out.append(ch)
        else:
            out.append(_FALLBACK_CHARS.get(ch, "?"))
    return "".join(out)


def _esc(text: Any) -> str:
    """Data text made safe for ``Paragraph``: escaped, so it is never read as markup."""
    return escape(_safe(text))


@lru_cache(maxsize=1)
def _styles() -> dict[str, ParagraphStyle]:
    _fonts()
    base = ParagraphStyle("body", fontName=FONT, fontSize=8.8, leading=11.2, textColor=INK)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.8, leading=9.8, textColor=MUTED),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.8, leading=9.6),
        "head": ParagraphStyle("head", parent=base, fontName=FONT_BOLD, fontSize=7.8, leading=9.6,
                               textColor=colors.white),
        "bullet": ParagraphStyle("bullet", parent=base, fontSize=8, leading=9.8, leftIndent=8,
                                 bulletIndent=0, spaceAfter=2),
        "h1": ParagraphStyle("h1", parent=base, fontName=FONT_BOLD, fontSize=17, leading=21,
                             textColor=ACCENT, spaceAfter=4),
        "h2": ParagraphStyle("h2", parent=base, fontName=FONT_BOLD, fontSize=10, leading=12.5,
                             textColor=ACCENT, spaceBefore=6, spaceAfter=2.5),
        "title": ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=30, leading=36,
                                textColor=ACCENT, spaceAfter=14),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=14, leading=19, spaceAfter=10),
    }


def _p(text: Any, style: str = "body", bold_prefix: str = "") -> Paragraph:
    """A paragraph of data text, optionally led by a bold label written here."""
    lead = f"<b>{_esc(bold_prefix)}</b> " if bold_prefix else ""
    return Paragraph(lead + _esc(text), _styles()[style])


def _bullet(text: Any, bold_prefix: str = "") -> Paragraph:
    lead = f"<b>{_esc(bold_prefix)}</b> " if bold_prefix else ""
    return Paragraph(lead + _esc(text), _styles()["bullet"], bulletText="•")


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[float],
           long: bool = False) -> Table:
    """A wrapped-text table with a teal header row and light banding."""
    body = [[_p(h, "head") for h in header]]
    body += [[v if isinstance(v, Flowable) else _p(v, "cell") for v in row] for row in rows]
    cls = LongTable if long else Table
    table = cls(body, colWidths=list(widths), repeatRows=1, hAlign="LEFT")
    style = [("BACKGROUND", (0, 0), (-1, 0), ACCENT), ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
             ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
             ("LEFTPADDING", (0, 0), (-1, -1), 3.5), ("RIGHTPADDING", (0, 0), (-1, -1), 3.5)]
    style += [("BACKGROUND", (0, r), (-1, r), BAND) for r in range(2, len(body), 2)]
    table.setStyle(TableStyle(style))
    return table


def _image(png: bytes, max_w: float, max_h: float) -> Image:
    """A chart PNG as large as fits the box, proportions kept.

    The scale is capped so a small chart is not blown up: chart text then
    stays near one size (about 8.5 pt) from one material to the next.
    """
    px_w, px_h = struct.unpack(">II", png[16:24])
    scale = min(max_w / px_w, max_h / px_h, MAX_PT_PER_PX)
    return Image(io.BytesIO(png), width=px_w * scale, height=px_h * scale)


class _Footer(Flowable):
    """Invisible marker: from the page it lands on, the footer names these sources."""

    def __init__(self, state: dict[str, str], text: str) -> None:
        super().__init__()
        self.state, self.text = state, text
        self.width = self.height = 0

    def draw(self) -> None:
        self.state["footer"] = self.text


def _draw_footer(state: dict[str, str]):  # type: ignore[no-untyped-def]
    def draw(canvas, doc) -> None:  # type: ignore[no-untyped-def]
        canvas.saveState()
        canvas.setStrokeColor(RULE)
        canvas.line(LEFT, BOTTOM - 5 * mm, PAGE_W - RIGHT, BOTTOM - 5 * mm)
        canvas.setFont(FONT, 7)
        canvas.setFillColor(MUTED)
        lines = simpleSplit(_safe(state.get("footer", "")), FONT, 7, FRAME_W - 20 * mm)[:3]
        y = BOTTOM - 9 * mm
        for line in lines:
            canvas.drawString(LEFT, y, line)
            y -= 8.5
        canvas.drawRightString(PAGE_W - RIGHT, BOTTOM - 9 * mm, f"Page {doc.page}")
        canvas.restoreState()
    return draw


def _title_page(data: BriefingData, state: dict[str, str]) -> list[Flowable]:
    built = f" (data store built {data.store_built})" if data.store_built else ""
    return [
        _Footer(state, data.footer(data.sources, limit=5)),
        Spacer(1, 60 * mm),
        _p(data.title, "title"),
        _p(f"Materials: {data.subtitle}", "subtitle"),
        _p(f"Prepared {data.prepared.isoformat()} with the RMO Leverage Explorer{built}.", "body"),
        Spacer(1, 4),
        _p("Facts and figures come from the Raw Materials Outlook leverage report and public "
           "production, governance and criticality data; every page names its sources at the "
           "foot. Text is the project's own summary of the report.", "small"),
        PageBreak(),
    ]


def _ranking_page(data: BriefingData, state: dict[str, str]) -> list[Flowable]:
    section = data.ranking
    out: list[Flowable] = [_Footer(state, data.footer(section.source_ids, section.years)),
                           _p("Priority ranking", "h1"), _p(section.note, "body"), Spacer(1, 6)]
    if not section.ran:
        png = data.pngs.get("overview")
        if png:
            out.append(_image(png, FRAME_W, FRAME_H * 0.55))
            out.append(_p("Colour shows each material's rank among those in the pack on that "
                          "indicator; it is not a priority score.", "small"))
        out.append(_p("Overview comparison", "h2"))
        out.append(_table(COMPARISON_HEADER, comparison_rows(section.comparison),
                          [24 * mm, 26 * mm, 30 * mm, 30 * mm, 16 * mm, 14 * mm, 20 * mm, FRAME_W - 160 * mm]))
        out.append(PageBreak())
        return out
    rows = [[str(int(r["rank"])), section.row_name(r), f"{r['score']:.2f}", section.gap_text(r), main_reasons(r)]
            for _, r in section.table.iterrows()]
    out.append(_table(["Rank", "Material", "Score (0–1)", "On gaps", "Main reasons (contribution to the score)"],
                      rows, [14 * mm, 44 * mm, 20 * mm, 18 * mm, FRAME_W - 96 * mm]))
    if section.gap_note:
        out.append(_p(section.gap_note, "small"))
    out.append(_p("Weights used", "h2"))
    if section.weights:
        total = sum(section.weights.values())
        wrows = [[constants.CRITERION_LABELS[c], f"{section.weights.get(c, 0):g}",
                  f"{section.weights.get(c, 0) / total * 100:.0f} %" if total else "–", constants.CRITERION_UNITS[c]]
                 for c in constants.CRITERION_SLUGS if c in section.weights]
        out.append(_table(["Criterion", "Weight (0–10)", "Share", "Unit of the raw value"], wrows,
                          [70 * mm, 24 * mm, 18 * mm, FRAME_W - 112 * mm]))
    else:
        out.append(_p("The weights used were not passed to this pack.", "small"))
    out.append(PageBreak())
    return out


def _material_page(data: BriefingData, brief: MaterialBrief, state: dict[str, str]) -> list[Flowable]:
    content: list[Flowable] = [
        _p(brief.name, "h1"), _p(brief.summary, "body"), Spacer(1, 3),
        _p(f"{shorten(brief.automotive_uses, 180)} Automotive share: {brief.auto_share_text}", "body",
           bold_prefix="Uses in vehicles."),
        Spacer(1, 5),
    ]
    half = FRAME_W / 2
    end_use, production = (data.pngs.get(f"{brief.slug}:{k}") for k in ("end_use", "production"))
    no_end_use = _p(f"No end-use figure is recorded for {brief.name}: the sources give no shares "
                    "by sector.", "small")
    production_block: Flowable = (_image(production, half - 10, PRODUCTION_H) if production else
                                  _p(f"No country production data is recorded for {brief.name} at "
                                     "mining.", "small"))
    rows = [["", *(c.stage_label for c in brief.concentration)]]
    labels = ("Top country", "Top 3 countries", vocabulary.with_unit("measure", "stage_hhi"),
              f"{vocabulary.short('criterion', 'gov_hhi')} (0–10)", "Data year")
    cells = [c.cells()[1:] for c in brief.concentration]
    rows += [[label, *(col[i] for col in cells)] for i, label in enumerate(labels)]
    figures = [_p("Supply concentration", "h2"),
               _table(rows[0], rows[1:], [34 * mm, (half - 34 * mm - 10) / 2, (half - 34 * mm - 10) / 2])]
    # The end-use chart can hold several panels, so it gets the full height of the
    # left half; production and the concentration figures share the right half.
    if end_use:
        left_top: list[Flowable] = [_image(end_use, half - 10, END_USE_H)]
        right_top: list[Flowable] = [production_block, *figures]
    else:
        left_top, right_top = [production_block], [no_end_use, *figures]
    top = Table([[left_top, right_top]], colWidths=[half, half], hAlign="LEFT")
    top.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                             ("LEFTPADDING", (0, 0), (0, 0), 0), ("RIGHTPADDING", (0, 0), (0, 0), 10),
                             ("LEFTPADDING", (1, 0), (1, 0), 10), ("RIGHTPADDING", (1, 0), (1, 0), 0)]))
    content.append(top)
    content.append(Spacer(1, 3))
    content.append(_p(" · ".join(c.series_text for c in brief.concentration) + ". " + HHI_NOTE, "small",
                      bold_prefix="Concentration series and sources."))

    left: list[Flowable] = [_p(f"Salient risks ({len(brief.risks)} of {brief.n_risks})", "h2")]
    for risk in brief.risks:
        evidence = (f"{risk.n_evidence} case(s), most severe {risk.max_severity} of 5" if risk.n_evidence
                    else "no evidence recorded")
        left.append(_bullet(f"{shorten(risk.summary, 90)} ({', '.join(risk.stages) or 'stage not stated'}; "
                            f"{evidence})", bold_prefix=f"{risk.label}:"))
    if not brief.risks:
        left.append(_p("The report flags no salient risk for this material.", "small"))
    left.append(_p(f"Most severe evidence ({len(brief.evidence)} of {brief.n_evidence} cases)", "h2"))
    for case in brief.evidence:
        year = f", {case.year}" if case.year else ""
        left.append(_bullet(f"{case.where}{year}: {shorten(case.summary, 130)} (source: {case.source_label})",
                            bold_prefix=f"Severity {case.severity} · {case.category_label} · "
                                        f"{case.stage_label} ·"))
    if not brief.evidence:
        left.append(_p("No evidence case is recorded (which is not the same as low risk).", "small"))

    right: list[Flowable] = [
        _p(f"Recommended leverages ({len(brief.leverages)} of {brief.n_leverages} cards)", "h2")]
    for lev in brief.leverages:
        right.append(_bullet(f"{lev.category_short}; {lev.actor_label} ({lev.id})", bold_prefix=f"{lev.title}."))
    if not brief.leverages:
        right.append(_p("No leverage card is recorded for this material.", "small"))
    right.append(_p(f"Organisations to engage ({len(brief.organisations)} of {brief.n_organisations})", "h2"))
    for org in brief.organisations:
        named = f", {org.n_leverages} card(s)" if org.n_leverages else ""
        right.append(_bullet(f"({org.type_label}{named})", bold_prefix=org.name))
    if not brief.organisations:
        right.append(_p("No organisation is linked to this material.", "small"))
    right.append(Spacer(1, 3))
    right.append(_p("Cards addressing the risks with the most severe evidence come first, one per "
                    "leverage category in turn; all cards are in the app.", "small"))
    columns = Table([[left, right]], colWidths=[FRAME_W * 0.52, FRAME_W * 0.48], hAlign="LEFT")
    columns.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                 ("LEFTPADDING", (0, 0), (0, 0), 0), ("RIGHTPADDING", (0, 0), (0, 0), 8),
                                 ("LEFTPADDING", (1, 0), (1, 0), 8), ("RIGHTPADDING", (1, 0), (1, 0), 0)]))
    content.append(columns)
    # One page per material: an unusually long text shrinks a little rather than spill over.
    return [_Footer(state, data.footer(brief.source_ids, brief.years)),
            KeepInFrame(FRAME_W, FRAME_H - 2, content, mode="shrink"), PageBreak()]


def _plan_page(data: BriefingData, state: dict[str, str]) -> list[Flowable]:
    out: list[Flowable] = [_Footer(state, data.footer(data.ranking.source_ids[:1])), _p("Action plan", "h1")]
    if data.plan is None:
        out.append(_p("The action plan is empty: no action-plan item was included in this pack.", "body"))
        out.append(_p("The action plan is kept on the Leverage cards page.", "small"))
    else:
        rows = [list(r) for r in data.plan.itertuples(index=False)]
        out.append(_table(list(data.plan.columns), rows,
                          [14 * mm, 42 * mm, 22 * mm, 24 * mm, 20 * mm, 18 * mm, FRAME_W - 140 * mm],
                          long=True))
    out.append(PageBreak())
    return out


def _sources_page(data: BriefingData, state: dict[str, str]) -> list[Flowable]:
    rows = []
    for ref in data.sources.values():
        title = Paragraph(_esc(ref.title) + (f"<br/><font size='6.5' color='#566573'>{_esc(ref.url)}</font>"
                                             if ref.url else ""), _styles()["cell"])
        rows.append([title, ref.publisher or "–", ref.year_text, ref.licence or "–"])
    return [_Footer(state, data.footer(list(data.sources), limit=3)), _p("Sources", "h1"),
            _p("Every source this pack cites, with its year of publication. Data years of the "
               "production figures are given with each figure.", "body"), Spacer(1, 4),
            _table(["Source", "Publisher", "Year", "Licence"], rows,
                   [FRAME_W - 118 * mm, 42 * mm, 22 * mm, 54 * mm], long=True)]


def render(data: BriefingData, progress: Progress) -> bytes:
    """The PDF file as bytes (charts must already be rendered into ``data.pngs``)."""
    _fonts()
    state: dict[str, str] = {}
    buffer = io.BytesIO()
    doc = BaseDocTemplate(buffer, pagesize=A4, leftMargin=LEFT, rightMargin=RIGHT, topMargin=TOP,
                          bottomMargin=BOTTOM, title=_safe(data.title), subject=_safe(data.subtitle),
                          author="RMO Leverage Explorer", creator="RMO Leverage Explorer (reportlab)")
    frame = Frame(LEFT, BOTTOM, FRAME_W, FRAME_H, id="body", leftPadding=0, rightPadding=0,
                  topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPageEnd=_draw_footer(state))])
    progress("Title and ranking pages", 0.05)
    story: list[Flowable] = [*_title_page(data, state), *_ranking_page(data, state)]
    for i, brief in enumerate(data.materials):
        progress(f"Page for {brief.name}", 0.1 + 0.5 * i / len(data.materials))
        story += _material_page(data, brief, state)
    story += _plan_page(data, state)
    story += _sources_page(data, state)
    progress("Laying out pages", 0.7)
    doc.build(story)
    progress("Saved", 1.0)
    return buffer.getvalue()

