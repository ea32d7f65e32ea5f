"""PDF layout of a briefing pack (reportlab), from a ``briefing.BriefingData``.

Why reportlab: its page-layout engine (platypus) wraps text in table cells,
splits long tables across pages with the header repeated, and calls back at
the end of each page, which is where the source footer is drawn.  It is a
long-maintained BSD-licensed library whose only dependencies are Pillow and
charset-normalizer.

Pages: the executive summary first (with the pack's title, so the first page
is never a blank cover), the priority ranking with its chart, the salience
view, one page per material (a long text continues on the next page rather
than being cut), the action plan and the sources.  Each page's heading is the
sentence of ``rmo_data.briefing.headlines`` that the slide carries too.  Every
page has a footer with the sources and years of the section it belongs to,
and a page number.

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

import pandas as pd
from xml.sax.saxutils import escape

import reportlab
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (BaseDocTemplate, CondPageBreak, Flowable, Frame, Image, KeepInFrame, KeepTogether,
                                LongTable,
                                PageBreak, PageTemplate, Paragraph, Spacer, Table, TableStyle)

from rmo_data import constants, formatting, vocabulary
from rmo_data.briefing import headlines
from rmo_data.briefing.model import (COMPARISON_HEADER, HHI_NOTE, BriefingData, MaterialBrief, Progress,
                                     comparison_rows, main_reasons, names_list)

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
        "h1": ParagraphStyle("h1", parent=base, fontName=FONT_BOLD, fontSize=14.5, leading=18,
                             textColor=ACCENT, spaceAfter=5),
        "kicker": ParagraphStyle("kicker", parent=base, fontSize=9, leading=12, textColor=MUTED, spaceAfter=2),
        "lead": ParagraphStyle("lead", parent=base, fontSize=10, leading=13.5, spaceAfter=5),
        "item": ParagraphStyle("item", parent=base, fontSize=10, leading=13.5, leftIndent=10, bulletIndent=0,
                               spaceAfter=5),
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


def _summary_page(data: BriefingData, state: dict[str, str]) -> list[Flowable]:
    """The first page: the pack's title block, then the executive summary, on one page."""
    summary = data.summary
    assert summary is not None
    built = f"; data store built {data.store_built}" if data.store_built else ""
    n = len(data.materials)
    out: list[Flowable] = [
        _p(data.title, "title"),
        _p(f"{n} material{'s' if n != 1 else ''}: {data.subtitle}. Prepared {data.prepared.isoformat()} with the "
           f"RMO Leverage Explorer{built}.", "kicker"),
        Spacer(1, 6),
        _p(headlines.summary_title(summary), "h1"),
        _p(summary.basis_note, "lead"),
        _p("The top materials and why", "h2"),
    ]
    for line in summary.lines:
        # Who acts has its own list below, so each line stops at the gaps.
        out.append(Paragraph(_esc(headlines.summary_line_text(line, with_action=False)), _styles()["item"],
                             bulletText="•"))
    if data.salience is not None and data.salience.value is not None:
        out.append(_p("Where harm is most salient", "h2"))
        out.append(_p(headlines.salience_title(data.salience), "lead"))
    out.append(_p("How robust", "h2"))
    out.append(_p(summary.robustness_note, "lead"))
    out.append(_p("Data gaps that could change it", "h2"))
    gap_lines = [f"{line.name}: no data on {names_list([headlines.criterion_name(g) for g in line.gaps])}, "
                 "imputed as a typical material in view."
                 for line in summary.lines if line.gaps]
    gap_lines += [f"{line.name}: {line.rests_on_gaps}" for line in summary.lines if line.rests_on_gaps]
    for text in gap_lines or ["Every weighted input of the materials above is recorded; a gap elsewhere does not "
                              "move them."]:
        out.append(Paragraph(_esc(text), _styles()["item"], bulletText="•"))
    out.append(_p("Who acts", "h2"))
    for line in summary.lines:
        if line.leverage:
            phrase = headlines.lever_phrase(line.main_category, line.main_actor)
            text = (f"{line.leverage.title} ({line.leverage.category_label}; {line.leverage.actor_label}). Across "
                    f"all its cards, {phrase}.")
        else:
            text = "No leverage card is recorded."
        out.append(Paragraph(f"<b>{_esc(line.name)}:</b> {_esc(text)}", _styles()["item"], bulletText="•"))
    ws_text = headlines.workshop_text(summary)
    if ws_text:
        out.append(_p("What the workshop decided", "h2"))
        out.append(_p(ws_text, "lead"))
    out.append(Spacer(1, 4))
    out.append(_p("Facts and figures come from the Raw Materials Outlook leverage report and public production, "
                  "governance and criticality data; every page names its sources at the foot. Text is the "
                  "project's own summary of the report.", "small"))
    # One page, whatever the names' lengths: an unusually long summary shrinks a little.
    return [_Footer(state, data.footer(summary.source_ids, summary.years)),
            KeepInFrame(FRAME_W, FRAME_H - 2, out, mode="shrink")]


def _ranking_page(data: BriefingData, state: dict[str, str]) -> list[Flowable]:
    section = data.ranking
    if not section.ran and len(data.materials) == 1:
        return []  # a comparison of one material says nothing; its rank is on the summary
    # Each section starts on a new page and none ends with a break, so a section left out leaves no blank page.
    out: list[Flowable] = [PageBreak(), _Footer(state, data.footer(section.source_ids, section.years)),
                           _p(headlines.ranking_title(data), "h1"), _p(section.note, "body"), Spacer(1, 6)]
    if not section.ran:
        png = data.pngs.get("overview")
        if png:
            out.append(_image(png, FRAME_W, FRAME_H * 0.55))
            out.append(_p("Colour shows each material's rank among those in the pack on that "
                          "indicator; it is not a priority score.", "small"))
        out.append(_p("Overview comparison", "h2"))
        out.append(_table(COMPARISON_HEADER, comparison_rows(section.comparison),
                          [24 * mm, 26 * mm, 30 * mm, 30 * mm, 16 * mm, 14 * mm, 20 * mm, FRAME_W - 160 * mm]))
        return out
    png = data.pngs.get("ranking")
    if png:
        out.append(_image(png, FRAME_W, FRAME_H * 0.36))
        out.append(Spacer(1, 4))
    has_p = "p_top" in section.table.columns and section.table["p_top"].notna().any()
    rows = [[str(int(r["rank"])), section.row_name(r), f"{r['score']:.2f}",
             headlines.percent(r["p_top"]) if has_p and not pd.isna(r["p_top"]) else "–", section.gap_text(r),
             main_reasons(r, top=2)] for _, r in section.table.iterrows()]
    out.append(_table(["Rank", "Material", "Score (0–1)", f"P(top {constants.TOP_N})", "On gaps",
                       "Main reasons (contribution)"],
                      rows, [12 * mm, 40 * mm, 18 * mm, 18 * mm, 16 * mm, FRAME_W - 104 * mm]))
    if data.summary is not None:
        out.append(_p(data.summary.robustness_note, "small"))
    if section.gap_note:
        out.append(_p(section.gap_note, "small"))
    weights_head = _p("Weights used", "h2")
    if section.weights:
        used = [c for c in constants.CRITERION_SLUGS if c in section.weights]
        share = dict(zip(used, formatting.shares(section.weights[c] for c in used)))  # adding up to 100
        items = [[constants.CRITERION_LABELS[c], f"{section.weights.get(c, 0):g}",
                  "–" if formatting.is_missing(share[c]) else formatting.percent(share[c])]
                 for c in used]
        # Two criteria per row, so the weights stay on the ranking's page.
        half = (len(items) + 1) // 2
        wrows = [a + (items[half + i] if half + i < len(items) else ["", "", ""]) for i, a in enumerate(items[:half])]
        col = (FRAME_W - 2 * 40 * mm) / 2
        out.append(KeepTogether([weights_head, _table(["Criterion", "Weight (0–10)", "Share"] * 2, wrows,
                                                      [col, 22 * mm, 18 * mm, col, 22 * mm, 18 * mm])]))
    else:
        out += [weights_head, _p("The weights used were not passed to this pack.", "small")]
    return out


def _salience_page(data: BriefingData, state: dict[str, str]) -> list[Flowable]:
    found = data.salience
    png = data.pngs.get("salience")
    if found is None or not png:
        return []
    ids = list(found.source_ids) or data.ranking.source_ids
    return [PageBreak(), _Footer(state, data.footer(ids, found.years)), _p(headlines.salience_title(found), "h1"),
            _p("Where harm is most severe and most likely: each cell is one material and risk at its most salient "
               "value-chain stage, salience = severity (1–5) × likelihood (1–5) from the rated evidence cases. "
               "The weights of the ranking do not apply.", "body"), Spacer(1, 6),
            _image(png, FRAME_W, FRAME_H * 0.75), Spacer(1, 4),
            _p(constants.SALIENCE_GAP_NOTE[0].upper() + constants.SALIENCE_GAP_NOTE[1:] + ".", "small")]


def _material_page(data: BriefingData, brief: MaterialBrief, state: dict[str, str]) -> list[Flowable]:
    content: list[Flowable] = [
        _p(headlines.risk_title(brief), "h1"), _p(headlines.concentration_title(brief), "lead"),
        _p(brief.summary, "body"), Spacer(1, 3),
        _p(f"{brief.automotive_uses} Automotive share: {brief.auto_share_text}", "body",
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
        if brief.end_use_others:
            left_top.append(_p(brief.end_use_others, "small"))
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
        left.append(_bullet(f"{risk.summary} ({', '.join(risk.stages) or 'stage not stated'}; "
                            f"{evidence})", bold_prefix=f"{risk.label}:"))
    if not brief.risks:
        left.append(_p("The report flags no salient risk for this material.", "small"))
    left.append(_p(f"Most severe evidence ({len(brief.evidence)} of {brief.n_evidence} cases)", "h2"))
    for case in brief.evidence:
        year = f", {case.year}" if case.year else ""
        left.append(_bullet(f"{case.where}{year}: {case.summary} (source: {case.source_label})",
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
    # splitInRow: when the lists do not fit the page they continue on the next one, side by side.
    columns = Table([[left, right]], colWidths=[FRAME_W * 0.52, FRAME_W * 0.48], hAlign="LEFT", splitInRow=1)
    columns.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                 ("LEFTPADDING", (0, 0), (0, 0), 0), ("RIGHTPADDING", (0, 0), (0, 0), 8),
                                 ("LEFTPADDING", (1, 0), (1, 0), 8), ("RIGHTPADDING", (1, 0), (1, 0), 0)]))
    content.append(columns)
    # Nothing is cut or shrunk: a material with long texts continues on the next page,
    # which keeps the same footer.
    return [PageBreak(), _Footer(state, data.footer(brief.source_ids, brief.years)), *content]


def _plan_page(data: BriefingData, state: dict[str, str]) -> list[Flowable]:
    # The plan follows the last material on its page when there is room (a short pack stays short).
    out: list[Flowable] = [CondPageBreak(70 * mm), Spacer(1, 8), _Footer(state, data.footer(data.ranking.source_ids[:1])),
                           _p(headlines.plan_title(data.plan), "h1")]
    if data.plan is None:
        out.append(_p("No action-plan item was included in this pack.", "body"))
        out.append(_p("The action plan is kept on the Leverage cards page.", "small"))
    else:
        rows = [list(r) for r in data.plan.itertuples(index=False)]
        out.append(_table(list(data.plan.columns), rows,
                          [14 * mm, 42 * mm, 22 * mm, 24 * mm, 20 * mm, 18 * mm, FRAME_W - 140 * mm],
                          long=True))
    return out


def _sources_page(data: BriefingData, state: dict[str, str]) -> list[Flowable]:
    rows = []
    for ref in data.sources.values():
        title = Paragraph(_esc(ref.title) + (f"<br/><font size='6.5' color='#566573'>{_esc(ref.url)}</font>"
                                             if ref.url else ""), _styles()["cell"])
        rows.append([title, ref.publisher or "–", ref.year_text, ref.licence or "–"])
    return [CondPageBreak(90 * mm), Spacer(1, 8), _Footer(state, data.footer(list(data.sources), limit=3)),
            _p(headlines.sources_title(data), "h1"),
            _p("Every source this pack cites, with its year of publication. Data years of the "
               "production figures are given with each figure.", "body"), Spacer(1, 4),
            _table(["Source", "Publisher", "Year", "Licence"], rows,
                   [FRAME_W - 118 * mm, 42 * mm, 22 * mm, 54 * mm], long=True)]


def render(data: BriefingData, progress: Progress) -> bytes:
    """The PDF file as bytes (charts must already be rendered into ``data.pngs``)."""
    _fonts()
    # Images go in binary (zlib only): reportlab's pure-Python ASCII85 step took half a second
    # of a ten-material pack and made the file a quarter larger.
    rl_config.useA85 = 0
    state: dict[str, str] = {}
    buffer = io.BytesIO()
    doc = BaseDocTemplate(buffer, pagesize=A4, leftMargin=LEFT, rightMargin=RIGHT, topMargin=TOP,
                          bottomMargin=BOTTOM, title=_safe(data.title), subject=_safe(data.subtitle),
                          author="RMO Leverage Explorer", creator="RMO Leverage Explorer (reportlab)")
    frame = Frame(LEFT, BOTTOM, FRAME_W, FRAME_H, id="body", leftPadding=0, rightPadding=0,
                  topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPageEnd=_draw_footer(state))])
    progress("Summary and ranking pages", 0.05)
    story: list[Flowable] = [*_summary_page(data, state), *_ranking_page(data, state), *_salience_page(data, state)]
    for i, brief in enumerate(data.materials):
        progress(f"Page for {brief.name}", 0.1 + 0.5 * i / len(data.materials))
        story += _material_page(data, brief, state)
    story += _plan_page(data, state)
    story += _sources_page(data, state)
    progress("Laying out pages", 0.7)
    doc.build(story)
    progress("Saved", 1.0)
    return buffer.getvalue()

