"""PowerPoint layout of a briefing pack (python-pptx), from a ``briefing.BriefingData``.

Slides: title, priority ranking (with a native, editable bar chart of what
drives each score when a ranking was passed in), two slides per material, the
action plan and the sources.  Every slide carries a footer text box named
``Footer: sources`` with the sources and years it rests on, and a page number.
Charts are the PNGs rendered from the app's own chart builders.

Text from the store goes into text frames as plain runs: python-pptx writes
it as XML text, so nothing in it is read as markup.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Sequence

import pandas as pd
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.slide import Slide
from pptx.util import Emu, Inches, Pt

from rmo_data import constants, vocabulary
from rmo_data.briefing.model import (COMPARISON_HEADER, HHI_NOTE, BriefingData, MaterialBrief, Progress,
                                comparison_rows, main_reasons, shorten)

WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.5)
CONTENT_TOP = Inches(1.15)
CONTENT_WIDTH = WIDTH - 2 * MARGIN
FOOTER_TOP = Inches(6.78)
INK = RGBColor(0x1B, 0x26, 0x31)
MUTED = RGBColor(0x56, 0x65, 0x73)
ACCENT = RGBColor(0x0B, 0x55, 0x63)
HEADER_FILL = RGBColor(0x0B, 0x55, 0x63)
ROW_FILL = (RGBColor(0xFF, 0xFF, 0xFF), RGBColor(0xF2, 0xF4, 0xF5))

TITLE_LAYOUT, TITLE_ONLY_LAYOUT = 0, 5
PLAN_ROWS_PER_SLIDE = 8
COMPARISON_ROWS_PER_SLIDE = 10
MAX_EMU_PER_PX = Pt(0.5)  # PNGs are rendered at scale 2: 13 px chart text shows at 13 pt
SOURCE_ROWS_PER_SLIDE = 9


def _rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#").upper())


def _png_size(png: bytes) -> tuple[int, int]:
    """Pixel width and height from a PNG header (no image library needed)."""
    return struct.unpack(">II", png[16:24])


def _slide(prs: Presentation, title: str) -> Slide:
    """A slide with the title placed for 16:9 and styled like the app."""
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY_LAYOUT])
    shape = slide.shapes.title
    shape.left, shape.top, shape.width, shape.height = MARGIN, Inches(0.3), CONTENT_WIDTH, Inches(0.75)
    frame = shape.text_frame
    frame.text = title
    frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    para = frame.paragraphs[0]
    para.alignment = PP_ALIGN.LEFT
    for run in para.runs:
        run.font.size, run.font.bold, run.font.color.rgb = Pt(26), True, ACCENT
    return slide


def _footer(slide: Slide, text: str) -> None:
    box = slide.shapes.add_textbox(MARGIN, FOOTER_TOP, CONTENT_WIDTH - Inches(0.7), Inches(0.55))
    box.name = "Footer: sources"
    frame = box.text_frame
    frame.word_wrap = True
    frame.text = text
    for para in frame.paragraphs:
        for run in para.runs:
            run.font.size, run.font.color.rgb = Pt(9), MUTED


Block = tuple[str, str] | tuple[str, str, str]


def _text(slide: Slide, left: int, top: int, width: int, height: int,
          blocks: Sequence[Block], size: int = 12, name: str | None = None) -> None:
    """A text box of paragraphs.

    Each block is (kind, text) or (kind, text, bold lead); kind is heading,
    bullet, body or note.  The lead is a bold label written before the text.
    """
    box = slide.shapes.add_textbox(left, top, width, height)
    if name:
        box.name = name
    frame = box.text_frame
    frame.word_wrap = True
    for i, block in enumerate(blocks):
        kind, text = block[0], block[1]
        lead = block[2] if len(block) > 2 else ""
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        pieces = [(("• " if kind == "bullet" else "") + (f"{lead} " if lead else ""), True), (text, False)]
        if not lead:
            pieces = [(("• " if kind == "bullet" else "") + text, False)]
        for piece, bold in pieces:
            run = para.add_run()
            run.text = piece
            font = run.font
            font.size = Pt(size + 2 if kind == "heading" else size - 1 if kind == "note" else size)
            font.bold = kind == "heading" or bold
            font.color.rgb = ACCENT if kind == "heading" else MUTED if kind == "note" else INK
        para.space_before = Pt(10 if kind == "heading" and i > 0 else 2)
        para.space_after = Pt(2)


def _table(slide: Slide, left: int, top: int, widths: Sequence[float], header: Sequence[str],
           rows: Sequence[Sequence[str]], size: int = 11, row_height: float = 0.36) -> None:
    """A plain table: teal header row, light banding, fixed column widths in inches."""
    shape = slide.shapes.add_table(len(rows) + 1, len(header), left, top,
                                   Inches(sum(widths)), Inches(row_height * (len(rows) + 1)))
    table = shape.table
    table.first_row = True
    for i, w in enumerate(widths):
        table.columns[i].width = Inches(w)
    for r in range(len(rows) + 1):
        table.rows[r].height = Inches(row_height)
        values = header if r == 0 else rows[r - 1]
        for c, value in enumerate(values):
            cell = table.cell(r, c)
            cell.margin_left = cell.margin_right = Inches(0.06)
            cell.margin_top = cell.margin_bottom = Inches(0.03)
            cell.vertical_anchor = MSO_ANCHOR.MIDDLE
            cell.text = str(value)
            cell.fill.solid()
            cell.fill.fore_color.rgb = HEADER_FILL if r == 0 else ROW_FILL[r % 2]
            for para in cell.text_frame.paragraphs:
                for run in para.runs:
                    run.font.size = Pt(size)
                    run.font.bold = r == 0
                    run.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF) if r == 0 else INK


def _image(slide: Slide, png: bytes, left: int, top: int, max_width: int, max_height: int,
           name: str) -> None:
    """Place a PNG as large as fits the box, keeping its proportions."""
    px_w, px_h = _png_size(png)
    # Capped so a small chart is not blown up: chart text stays near 13 pt on every slide.
    scale = min(max_width / px_w, max_height / px_h, MAX_EMU_PER_PX)
    picture = slide.shapes.add_picture(io.BytesIO(png), left, top, Emu(int(px_w * scale)),
                                       Emu(int(px_h * scale)))
    picture.name = name


def _title_slide(prs: Presentation, data: BriefingData) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_LAYOUT])
    title, subtitle = slide.shapes.title, slide.placeholders[1]
    title.left, title.top, title.width, title.height = MARGIN, Inches(1.9), CONTENT_WIDTH, Inches(1.4)
    subtitle.left, subtitle.top, subtitle.width, subtitle.height = (MARGIN, Inches(3.45), CONTENT_WIDTH,
                                                                    Inches(2.6))
    title.text_frame.text = data.title
    for run in title.text_frame.paragraphs[0].runs:
        run.font.size, run.font.bold, run.font.color.rgb = Pt(40), True, ACCENT
    frame = subtitle.text_frame
    frame.word_wrap = True
    lines = [f"Materials: {data.subtitle}",
             f"Prepared {data.prepared.isoformat()} with the RMO Leverage Explorer"
             + (f" (data store built {data.store_built})" if data.store_built else ""),
             "Facts and figures come from the Raw Materials Outlook leverage report and public "
             "production, governance and criticality data; every slide names its sources."]
    frame.text = lines[0]
    for line in lines[1:]:
        frame.add_paragraph().text = line
    for i, para in enumerate(frame.paragraphs):
        para.alignment = PP_ALIGN.CENTER
        for run in para.runs:
            run.font.size = Pt(20 if i == 0 else 14)
            run.font.color.rgb = INK if i == 0 else MUTED
    _footer(slide, data.footer(data.sources, limit=5))


def _ranking_slides(prs: Presentation, data: BriefingData) -> None:
    section = data.ranking
    footer = data.footer(section.source_ids, section.years)
    slide = _slide(prs, "Priority ranking")
    if not section.ran:
        _text(slide, MARGIN, CONTENT_TOP, CONTENT_WIDTH, Inches(0.7), [("body", section.note)], size=14,
              name="Ranking note")
        png = data.pngs.get("overview")
        if png:
            _image(slide, png, MARGIN, CONTENT_TOP + Inches(0.8), CONTENT_WIDTH, Inches(4.75),
                   "Chart: overview comparison")
        _footer(slide, footer)
        rows = comparison_rows(section.comparison)
        for start in range(0, len(rows), COMPARISON_ROWS_PER_SLIDE):
            slide = _slide(prs, "Overview comparison" + (" (continued)" if start else ""))
            part = rows[start:start + COMPARISON_ROWS_PER_SLIDE]
            _table(slide, MARGIN, CONTENT_TOP, [2.2, 2.0, 1.85, 1.85, 1.05, 0.9, 1.35, 1.1],
                   list(COMPARISON_HEADER), part, size=10, row_height=0.42)
            _footer(slide, footer)
        return
    table = section.table
    rows = [[str(int(r["rank"])), section.row_name(r), f"{r['score']:.2f}", section.gap_text(r), main_reasons(r)]
            for _, r in table.iterrows()]
    size = 11 if len(rows) <= 10 else 9
    _table(slide, MARGIN, CONTENT_TOP, [0.6, 2.2, 0.7, 0.8, 3.3], ["Rank", "Material", "Score", "On gaps",
                                                                  "Main reasons"],
           rows, size=size, row_height=0.4 if len(rows) <= 10 else 0.3)
    weights = section.weights
    total = sum(weights.values())
    if weights:
        wrows = [[constants.CRITERION_LABELS[c], f"{weights.get(c, 0):g}",
                  f"{weights.get(c, 0) / total * 100:.0f} %" if total else "–"]
                 for c in constants.CRITERION_SLUGS if c in weights]
        _table(slide, MARGIN + Inches(7.9), CONTENT_TOP, [2.9, 0.7, 0.8], ["Criterion", "Weight", "Share"],
               wrows, size=10, row_height=0.34)
    else:
        _text(slide, MARGIN + Inches(7.9), CONTENT_TOP, Inches(4.4), Inches(1.0),
              [("note", "The weights used were not passed to this pack.")])
    _text(slide, MARGIN, Inches(5.75), CONTENT_WIDTH, Inches(0.9),
          [("note", section.note), *([("note", section.gap_note)] if section.gap_note else [])], size=11)
    _footer(slide, footer)

    crits = [c for c in constants.CRITERION_SLUGS if c in table.columns]
    if not crits:
        return
    slide = _slide(prs, "Priority ranking: what drives each score")
    chart_data = CategoryChartData()
    chart_data.categories = table["name"].tolist()
    for c in crits:
        chart_data.add_series(constants.CRITERION_SHORT[c], [round(float(v), 4) if not pd.isna(v) else 0.0
                                                     for v in table[c]])
    frame = slide.shapes.add_chart(XL_CHART_TYPE.BAR_STACKED, MARGIN, CONTENT_TOP, CONTENT_WIDTH,
                                   Inches(5.4), chart_data)
    frame.name = "Chart: score contributions"
    chart = frame.chart
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    chart.legend.font.size = Pt(10)
    chart.category_axis.reverse_order = True  # rank 1 at the top, as on the page
    chart.category_axis.tick_labels.font.size = Pt(11)
    chart.value_axis.tick_labels.font.size = Pt(10)
    chart.value_axis.has_major_gridlines = True
    for plot in chart.plots:
        plot.gap_width = 60
        for series, crit in zip(plot.series, crits, strict=True):
            series.format.fill.solid()
            series.format.fill.fore_color.rgb = _rgb(constants.CRITERION_COLOURS[crit])
    _footer(slide, footer)


def _material_slides(prs: Presentation, data: BriefingData, brief: MaterialBrief) -> None:
    footer = data.footer(brief.source_ids, brief.years)
    slide = _slide(prs, f"{brief.name}: use and supply concentration")
    _text(slide, MARGIN, CONTENT_TOP, CONTENT_WIDTH, Inches(1.0), [
        ("body", shorten(brief.summary, 240)),
        ("note", f"{shorten(brief.automotive_uses, 130)} Automotive share: {brief.auto_share_text}",
         "Uses in vehicles.")], size=12, name="Summary")
    top = Inches(2.3)
    right = MARGIN + Inches(5.95)
    right_width = WIDTH - MARGIN - right
    # End use on the left at full height (it can hold several panels); production and
    # the concentration figures share the right-hand column.  Without end-use figures
    # the production chart moves to the left and a note takes its place.
    end_use, production = (data.pngs.get(f"{brief.slug}:{k}") for k in ("end_use", "production"))
    no_end_use = f"No end-use figure is recorded for {brief.name}: the sources give no shares by sector."
    no_production = f"No country production data is recorded for {brief.name} at mining."
    if end_use:
        _image(slide, end_use, MARGIN, top, Inches(5.75), Inches(4.4), "Chart: end_use")
    if production:
        box = (right, right_width, Inches(2.45)) if end_use else (MARGIN, Inches(5.75), Inches(4.4))
        _image(slide, production, box[0], top, box[1], box[2], "Chart: production")
    notes = ([] if end_use else [no_end_use]) + ([] if production else [no_production])
    if notes:
        spot = MARGIN if not end_use and not production else right
        _text(slide, spot, top, right_width, Inches(0.9), [("note", n) for n in notes], size=12,
              name="Missing charts")
    _table(slide, right, Inches(4.85), [0.95, 1.35, 0.7, 1.6, 0.9, 0.88],
           ["Stage", "Top country", "Top 3", vocabulary.with_unit("measure", "stage_hhi"),
            vocabulary.short("criterion", "gov_hhi"), "Data year"],
           [conc.cells() for conc in brief.concentration], size=10, row_height=0.4)
    _text(slide, right, Inches(6.1), right_width, Inches(0.6),
          [("note", " · ".join(c.series_text for c in brief.concentration) + ". " + HHI_NOTE)], size=10,
          name="Series")
    _footer(slide, footer)

    slide = _slide(prs, f"{brief.name}: risks, leverage and who to engage")
    left: list[Block] = [("heading", f"Salient risks ({len(brief.risks)} of {brief.n_risks})")]
    for risk in brief.risks:
        evidence = (f"{risk.n_evidence} case(s), most severe {risk.max_severity} of 5" if risk.n_evidence
                    else "no evidence recorded")
        left.append(("bullet", f"{shorten(risk.summary, 110)} "
                               f"({', '.join(risk.stages) or 'stage not stated'}; {evidence})", f"{risk.label}:"))
    if not brief.risks:
        left.append(("note", "The report flags no salient risk for this material."))
    left.append(("heading", f"Most severe evidence ({len(brief.evidence)} of {brief.n_evidence} cases)"))
    for case in brief.evidence:
        year = f", {case.year}" if case.year else ""
        left.append(("bullet", f"{case.where}{year}: {shorten(case.summary, 170)} "
                               f"(source: {case.source_label})",
                     f"Severity {case.severity} · {case.category_label} · {case.stage_label} ·"))
    if not brief.evidence:
        left.append(("note", "No evidence case is recorded (which is not the same as low risk)."))
    right: list[Block] = [
        ("heading", f"Recommended leverages ({len(brief.leverages)} of {brief.n_leverages} cards)")]
    for lev in brief.leverages:
        right.append(("bullet", f"{lev.category_label}; {lev.actor_label} ({lev.id})", f"{lev.title} —"))
    if not brief.leverages:
        right.append(("note", "No leverage card is recorded for this material."))
    right.append(("heading", f"Organisations to engage ({len(brief.organisations)} of "
                             f"{brief.n_organisations})"))
    for org in brief.organisations:
        named = f"; named by {org.n_leverages} card(s)" if org.n_leverages else ""
        right.append(("bullet", f"{org.type_label}{named}", f"{org.name} —"))
    if not brief.organisations:
        right.append(("note", "No organisation is linked to this material."))
    right.append(("note", "Cards addressing the risks with the most severe evidence come first, "
                          "one per leverage category in turn; all cards are in the app."))
    _text(slide, MARGIN, CONTENT_TOP, Inches(6.3), Inches(5.55), left, size=11, name="Risks")
    _text(slide, MARGIN + Inches(6.6), CONTENT_TOP, Inches(5.7), Inches(5.55), right, size=11,
          name="Leverage")
    _footer(slide, footer)


def _plan_slides(prs: Presentation, data: BriefingData) -> None:
    footer = data.footer([*data.ranking.source_ids[:1]], [])
    plan = data.plan
    if plan is None:
        slide = _slide(prs, "Action plan")
        _text(slide, MARGIN, CONTENT_TOP, CONTENT_WIDTH, Inches(1.5), [
            ("body", "The action plan is empty: no action-plan item was included in this pack."),
            ("note", "The action plan is kept on the Leverage cards page.")], size=14, name="Plan note")
        _footer(slide, footer)
        return
    rows = [[r["Card"], shorten(r["Action"], 80), r["Material"], shorten(r["Owner"], 30), r["Due date"],
             r["Status"], shorten(r["Note"], 90)] for _, r in plan.iterrows()]
    for start in range(0, len(rows), PLAN_ROWS_PER_SLIDE):
        slide = _slide(prs, "Action plan" if start == 0 else "Action plan (continued)")
        _table(slide, MARGIN, CONTENT_TOP, [0.9, 3.2, 1.7, 1.5, 1.1, 1.1, 2.8], list(plan.columns),
               rows[start:start + PLAN_ROWS_PER_SLIDE], size=10, row_height=0.6)
        _footer(slide, footer)


def _source_slides(prs: Presentation, data: BriefingData) -> None:
    refs = list(data.sources.values())
    rows = [[r.title, r.publisher or "–", r.year_text, shorten(r.licence, 70) or "–"] for r in refs]
    for start in range(0, len(rows), SOURCE_ROWS_PER_SLIDE):
        slide = _slide(prs, "Sources" if start == 0 else "Sources (continued)")
        _table(slide, MARGIN, CONTENT_TOP, [5.0, 3.2, 1.2, 2.9], ["Source", "Publisher", "Year", "Licence"],
               rows[start:start + SOURCE_ROWS_PER_SLIDE], size=10, row_height=0.52)
        part = refs[start:start + SOURCE_ROWS_PER_SLIDE]
        _footer(slide, data.footer([r.id for r in part], limit=3))


def _page_numbers(prs: Presentation) -> None:
    total = len(prs.slides)
    for i, slide in enumerate(prs.slides, start=1):
        box = slide.shapes.add_textbox(WIDTH - MARGIN - Inches(0.6), FOOTER_TOP, Inches(0.6), Inches(0.3))
        box.name = "Page number"
        box.text_frame.text = f"{i} / {total}"
        para = box.text_frame.paragraphs[0]
        para.alignment = PP_ALIGN.RIGHT
        for run in para.runs:
            run.font.size, run.font.color.rgb = Pt(9), MUTED


def render(data: BriefingData, progress: Progress) -> bytes:
    """The PowerPoint file as bytes (charts must already be rendered into ``data.pngs``)."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    prs.core_properties.title = data.title
    prs.core_properties.subject = data.subtitle
    prs.core_properties.author = "RMO Leverage Explorer"
    progress("Title and ranking slides", 0.05)
    _title_slide(prs, data)
    _ranking_slides(prs, data)
    for i, brief in enumerate(data.materials):
        progress(f"Slides for {brief.name}", 0.1 + 0.7 * i / len(data.materials))
        _material_slides(prs, data, brief)
    progress("Action plan and sources", 0.85)
    _plan_slides(prs, data)
    _source_slides(prs, data)
    _page_numbers(prs)
    buffer = io.BytesIO()
    prs.save(buffer)
    progress("Saved", 1.0)
    return buffer.getvalue()
