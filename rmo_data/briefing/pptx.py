"""PowerPoint layout of a briefing pack (python-pptx), from a ``briefing.BriefingData``.

One message per slide: every title is a sentence stating the slide's finding
(``rmo_data.briefing.headlines``), the body keeps to ``model.SLIDE_WORDS``
words at ``model.BODY_PT`` pt or more, and everything else (full texts,
method, each source with its year) goes into the speaker notes.  Slides: the
executive summary first, the ranking (a native, editable bar chart of what
drives each score when a ranking was passed in; the app's overview heat table
otherwise), the salience view, two slides per material, the action plan and
the sources.  Every slide carries a footer text box named ``Footer: sources``
with the sources and years it rests on, and a page number.

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

from rmo_data import constants, formatting, vocabulary
from rmo_data.briefing import headlines
from rmo_data.briefing.model import (BODY_PT, COMPARISON_HEADER, HHI_NOTE, SLIDE_WORDS, BriefingData, MaterialBrief,
                                     Progress, comparison_rows, main_reasons, word_count)

WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.5)
CONTENT_TOP = Inches(1.45)
CONTENT_WIDTH = WIDTH - 2 * MARGIN
FOOTER_TOP = Inches(6.85)
INK = RGBColor(0x1B, 0x26, 0x31)
MUTED = RGBColor(0x56, 0x65, 0x73)
ACCENT = RGBColor(0x0B, 0x55, 0x63)
HEADER_FILL = RGBColor(0x0B, 0x55, 0x63)
ROW_FILL = (RGBColor(0xFF, 0xFF, 0xFF), RGBColor(0xF2, 0xF4, 0xF5))

TITLE_ONLY_LAYOUT = 5
MAX_EMU_PER_PX = Pt(0.5)  # PNGs are rendered at scale 2: 13 px chart text shows at 13 pt
TITLE_PT = 24
LIST_ITEMS = 3  # bullets per list on a material's slide; the rest are in the notes


def _rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#").upper())


def _png_size(png: bytes) -> tuple[int, int]:
    """Pixel width and height from a PNG header (no image library needed)."""
    return struct.unpack(">II", png[16:24])


def _slide(prs: Presentation, title: str, notes: Sequence[str]) -> Slide:
    """A slide with its concluding title placed for 16:9, styled like the app, and its speaker notes."""
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY_LAYOUT])
    slide.notes_slide.notes_text_frame.text = "\n\n".join(n for n in notes if n)
    shape = slide.shapes.title
    shape.left, shape.top, shape.width, shape.height = MARGIN, Inches(0.25), CONTENT_WIDTH, Inches(1.1)
    frame = shape.text_frame
    frame.text = title
    frame.word_wrap = True
    frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    para = frame.paragraphs[0]
    para.alignment = PP_ALIGN.LEFT
    # A long finding keeps to two lines, also where the theme's font is replaced by a wider one
    # (LibreOffice draws DejaVu Sans: a 130-character title at 24 pt took three lines there).
    size = TITLE_PT if len(title) <= 100 else TITLE_PT - 4
    for run in para.runs:
        run.font.size, run.font.bold, run.font.color.rgb = Pt(size), True, ACCENT
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
          blocks: Sequence[Block], size: int = BODY_PT, name: str | None = None) -> None:
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
            font.size = Pt(size + 2 if kind == "heading" else size)
            font.bold = kind == "heading" or bold
            font.color.rgb = ACCENT if kind == "heading" else MUTED if kind == "note" else INK
        para.space_before = Pt(10 if kind == "heading" and i > 0 else 2)
        para.space_after = Pt(2)


def _table(slide: Slide, left: int, top: int, widths: Sequence[float], header: Sequence[str],
           rows: Sequence[Sequence[str]], size: int = BODY_PT, row_height: float = 0.42,
           name: str | None = None) -> None:
    """A plain table: teal header row, light banding, fixed column widths in inches."""
    shape = slide.shapes.add_table(len(rows) + 1, len(header), left, top,
                                   Inches(sum(widths)), Inches(row_height * (len(rows) + 1)))
    if name:
        shape.name = name
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


def _words(blocks: Sequence[Block]) -> int:
    return sum(word_count(b[1]) + (word_count(b[2]) if len(b) > 2 else 0) for b in blocks)


def _fit(blocks: Sequence[Block], budget: int) -> tuple[list[Block], list[Block]]:
    """The blocks that fit ``budget`` words in order (headings only with a line after them), and the rest."""
    shown: list[Block] = []
    rest: list[Block] = []
    used = 0
    for i, block in enumerate(blocks):
        need = _words([block])
        if block[0] == "heading" and i + 1 < len(blocks):
            need += _words([blocks[i + 1]])  # never a heading left alone at the foot
        if not rest and used + need <= budget:
            shown.append(block)
            used += _words([block])
        else:
            rest.append(block)
    while shown and shown[-1][0] == "heading":
        rest.insert(0, shown.pop())
    return shown, rest


def _block_text(blocks: Sequence[Block]) -> str:
    return "\n".join(((b[2] + " ") if len(b) > 2 else "") + b[1] for b in blocks)


def _sources_note(data: BriefingData, ids: Sequence[str], years: Sequence[int] = ()) -> str:
    """The notes' source list: every source of the slide with publisher, year and link."""
    refs = [data.sources[i] for i in dict.fromkeys(ids) if i in data.sources]
    lines = [f"- {r.title} ({r.publisher or 'publisher not stated'}, {r.year_text})" + (f" {r.url}" if r.url else "")
             for r in refs]
    known = sorted({int(y) for y in years if y})
    span = "" if not known else f" Data years {known[0]}–{known[-1]}." if len(known) > 1 else f" Data year {known[0]}."
    return "Sources:" + span + "\n" + "\n".join(lines) if lines else ""


def _summary_slide(prs: Presentation, data: BriefingData) -> None:
    summary = data.summary
    assert summary is not None
    n = len(data.materials)
    kicker = f"{data.title} · {n} material{'s' if n != 1 else ''} · prepared {data.prepared.isoformat()}"
    notes = [kicker + (f" (data store built {data.store_built})" if data.store_built else "") + ".",
             summary.basis_note, *[headlines.summary_line_text(line) for line in summary.lines],
             summary.robustness_note, *[f"{line.name}: {line.rests_on_gaps}" for line in summary.lines
                                        if line.rests_on_gaps]]
    slide = _slide(prs, headlines.summary_title(summary),
                   [*notes, headlines.workshop_text(summary), _sources_note(data, summary.source_ids, summary.years)])
    _text(slide, MARGIN, CONTENT_TOP - Inches(0.1), CONTENT_WIDTH, Inches(0.4), [("note", kicker)], name="Kicker")
    rows = []
    for line in summary.lines:
        lever = (f"{line.leverage.category_short} · {line.leverage.actor_label}" if line.leverage
                 else "none recorded")
        rows.append([f"{line.rank}. {line.name}" if line.rank else line.name,
                     ", ".join(constants.CRITERION_SHORT[r] for r in line.reasons) or "–", headlines.percent(line.p_top) if line.p_top is not None else "–",
                     ", ".join(constants.CRITERION_SHORT[g] for g in line.gaps) + " imputed" if line.gaps else "none",
                     lever])
    header = ["Material", "Why", f"P(top {constants.TOP_N})", "Data gaps", "Leverage · who acts"]
    _table(slide, MARGIN, CONTENT_TOP + Inches(0.45), [2.6, 3.1, 1.3, 2.3, 3.0], header, rows, row_height=0.6,
           name="Summary table")
    blocks: list[Block] = [("body", f"Order: {summary.basis}. P(top {constants.TOP_N}) from jittered weights "
                                    "and inputs; detail in the notes.")]
    ws = summary.workshop
    if ws is not None:
        blocks.append(("body", f"{ws.name}: group top {len(ws.top)} {', '.join(ws.top)}; agreement {ws.agreement}."
                       if ws.n else f"{ws.name}: closed with no submission."))
    used = sum(word_count(c) for c in header) + sum(word_count(c) for r in rows for c in r) + word_count(kicker)
    shown, _rest = _fit(blocks, SLIDE_WORDS - used)
    if shown:
        _text(slide, MARGIN, CONTENT_TOP + Inches(0.75 + 0.6 * (len(rows) + 1)), CONTENT_WIDTH, Inches(1.2),
              shown, name="Summary note")
    _footer(slide, data.footer(summary.source_ids, summary.years))


def _ranking_slides(prs: Presentation, data: BriefingData) -> None:
    section = data.ranking
    footer = data.footer(section.source_ids, section.years)
    title = headlines.ranking_title(data)
    if not section.ran and len(data.materials) == 1:
        return  # a comparison of one material says nothing; its rank is on the summary
    if not section.ran:
        rows = comparison_rows(section.comparison)
        notes = [section.note, "Overview comparison (" + "; ".join(COMPARISON_HEADER) + "):",
                 *["; ".join(r) for r in rows], _sources_note(data, section.source_ids, section.years)]
        slide = _slide(prs, title, notes)
        _text(slide, MARGIN, CONTENT_TOP, CONTENT_WIDTH, Inches(0.8),
              [("body", "No prioritisation was run for this pack. Colour shows each material's rank on each "
                        "indicator, not a priority score; the figures are in the notes.")], name="Ranking note")
        png = data.pngs.get("overview")
        if png:
            _image(slide, png, MARGIN, CONTENT_TOP + Inches(0.9), CONTENT_WIDTH, Inches(4.4),
                   "Chart: overview comparison")
        _footer(slide, footer)
        return
    table = section.table
    weights = section.weights
    used = [c for c in constants.CRITERION_SLUGS if c in weights]
    share = dict(zip(used, formatting.shares(weights[c] for c in used)))  # adding up to 100
    wlines = [f"{constants.CRITERION_LABELS[c]}: weight {weights.get(c, 0):g}"
              + ("" if formatting.is_missing(share[c]) else f" ({formatting.percent(share[c])} of the score)")
              for c in used]
    reasons = [f"{int(r['rank'])}. {section.row_name(r)}: score {r['score']:.2f}, on gaps {section.gap_text(r)}; "
               f"main reasons {main_reasons(r)}" for _, r in table.iterrows()]
    notes = [section.note, "Weights used:\n" + "\n".join(wlines) if wlines else
             "The weights used were not passed to this pack.", *reasons, section.gap_note,
             data.summary.robustness_note if data.summary else "", _sources_note(data, section.source_ids, section.years)]
    slide = _slide(prs, title, notes)
    has_p = "p_top" in table.columns and table["p_top"].notna().any()
    rows = [[str(int(r["rank"])), section.row_name(r), f"{r['score']:.2f}",
             headlines.percent(r["p_top"]) if has_p and not pd.isna(r["p_top"]) else "–"] for _, r in table.iterrows()]
    crits = [c for c in constants.CRITERION_SLUGS if c in table.columns]
    left_width = Inches(6.8) if crits else 0
    size = BODY_PT if len(rows) <= 11 else 12
    _table(slide, MARGIN + left_width + Inches(0.2 if crits else 0), CONTENT_TOP,
           [0.7, 2.5, 0.9, 1.2], ["Rank", "Material", "Score", f"P(top {constants.TOP_N})"], rows, size=size,
           row_height=0.4 if len(rows) <= 11 else 0.3, name="Ranking table")
    if crits:
        chart_data = CategoryChartData()
        chart_data.categories = [str(n) for n in table["name"]]
        for c in crits:
            chart_data.add_series(constants.CRITERION_SHORT[c], [round(float(v), 4) if not pd.isna(v) else 0.0
                                                                 for v in table[c]])
        frame = slide.shapes.add_chart(XL_CHART_TYPE.BAR_STACKED, MARGIN, CONTENT_TOP, left_width,
                                       Inches(5.3), chart_data)
        frame.name = "Chart: score contributions"
        chart = frame.chart
        chart.has_legend = True
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM
        chart.legend.include_in_layout = False
        chart.legend.font.size = Pt(11)
        chart.category_axis.reverse_order = True  # rank 1 at the top, as on the page
        chart.category_axis.tick_labels.font.size = Pt(12)
        chart.value_axis.tick_labels.font.size = Pt(11)
        chart.value_axis.has_major_gridlines = True
        for plot in chart.plots:
            plot.gap_width = 60
            for series, crit in zip(plot.series, crits, strict=True):
                series.format.fill.solid()
                series.format.fill.fore_color.rgb = _rgb(constants.CRITERION_COLOURS[crit])
    _footer(slide, footer)


def _salience_slide(prs: Presentation, data: BriefingData) -> None:
    found = data.salience
    # Materials as rows on a landscape slide (several materials); one material's map fits as it is.
    png = data.pngs.get("salience_wide") or data.pngs.get("salience")
    if found is None or not png:
        return
    ids = list(found.source_ids) or data.ranking.source_ids
    slide = _slide(prs, headlines.salience_title(found), [
        "Salience = severity (1–5) × likelihood (1–5) of each risk at the material's most salient stage, from "
        f"the rated evidence cases; {constants.SALIENCE_GAP_NOTE}. The weights of the ranking do not apply.",
        _sources_note(data, ids, found.years)])
    _text(slide, MARGIN, CONTENT_TOP, CONTENT_WIDTH, Inches(0.5),
          [("body", "Each cell: severity × likelihood (1–25) at the most salient stage; grey cells are gaps.")],
          name="Salience note")
    _image(slide, png, MARGIN, CONTENT_TOP + Inches(0.6), CONTENT_WIDTH, Inches(4.7), "Chart: salience")
    _footer(slide, data.footer(ids, found.years))


def _material_slides(prs: Presentation, data: BriefingData, brief: MaterialBrief) -> None:
    footer = data.footer(brief.source_ids, brief.years)
    sources = _sources_note(data, brief.source_ids, brief.years)
    conc_notes = " · ".join(c.series_text for c in brief.concentration) + ". " + HHI_NOTE
    slide = _slide(prs, headlines.concentration_title(brief), [
        brief.summary, f"Uses in vehicles: {brief.automotive_uses}", f"Automotive share: {brief.auto_share_text}",
        "Concentration: " + "; ".join(f"{c.stage_label}: top country {c.top_text}, top 3 "
                                       f"{c.cells()[2]}, HHI {c.hhi_text}, governance-weighted {c.cells()[4]}, "
                                       f"data year {c.year_text}" for c in brief.concentration) + ".",
        *([brief.end_use_others] if brief.end_use_others else []), conc_notes, sources])
    _text(slide, MARGIN, CONTENT_TOP, CONTENT_WIDTH, Inches(0.5),
          [("body", f"Automotive share: {brief.auto_share_text}")], name="Automotive share")
    top = CONTENT_TOP + Inches(0.65)
    right = MARGIN + Inches(5.95)
    right_width = WIDTH - MARGIN - right
    # End use on the left at full height (it can hold several panels); production and
    # the concentration figures share the right-hand column.
    end_use, production = (data.pngs.get(f"{brief.slug}:{k}") for k in ("end_use", "production"))
    if end_use:
        _image(slide, end_use, MARGIN, top, Inches(5.75), Inches(4.6), "Chart: end_use")
    if production:
        box = (right, right_width, Inches(2.5)) if end_use else (MARGIN, Inches(5.75), Inches(4.6))
        _image(slide, production, box[0], top, box[1], box[2], "Chart: production")
    missing = ([] if end_use else ["No end-use shares are recorded."]) + (
        [] if production else ["No country production data is recorded."])
    if missing:
        spot = MARGIN if not end_use and not production else right
        _text(slide, spot, top, right_width, Inches(0.8), [("body", " ".join(missing))], name="Missing charts")
    # Widths so that "Processing" and the "Concentration" header (14 pt) each fit on one line.
    _table(slide, right, top + Inches(2.65), [1.45, 1.5, 1.7, 1.15],
           ["Stage", "Top country", vocabulary.with_unit("measure", "stage_hhi").split(" (")[0], "Data year"],
           [[c.stage_label, c.top_text, f"{c.hhi:,.0f}" if c.hhi is not None else "–",
             str(c.year) if c.year else "–"] for c in brief.concentration], name="Concentration table")
    _footer(slide, footer)

    risk_notes = [f"{r.label} ({', '.join(r.stages) or 'stage not stated'}; "
                  + (f"{r.n_evidence} case(s), most severe {r.max_severity} of 5" if r.n_evidence
                     else "no evidence recorded") + f"): {r.summary}" for r in brief.risks]
    case_notes = [f"Severity {c.severity} · {c.category_label} · {c.stage_label} · {c.where}"
                  + (f", {c.year}" if c.year else "") + f": {c.summary} (source: {c.source_label})"
                  for c in brief.evidence]
    lev_notes = [f"{lev.title}: {lev.category_label}; {lev.actor_label} ({lev.id})" for lev in brief.leverages]
    org_notes = [f"{o.name}: {o.type_label}" + (f"; named by {o.n_leverages} card(s)" if o.n_leverages else "")
                 for o in brief.organisations]
    blocks: list[Block] = [("heading", "Salient risks")]
    for risk in brief.risks[:LIST_ITEMS]:
        blocks.append(("bullet", f"{risk.n_evidence} case(s), worst {risk.max_severity} of 5" if risk.n_evidence
                       else "no case recorded", f"{risk.label}:"))
    if not brief.risks:
        blocks.append(("body", "The report flags no salient risk."))
    right_blocks: list[Block] = [("heading", "Recommended leverage")]
    for lev in brief.leverages[:LIST_ITEMS]:
        right_blocks.append(("bullet", f"{lev.title} ({lev.actor_label})"))
    if not brief.leverages:
        right_blocks.append(("body", "No leverage card is recorded."))
    shown_left, rest_left = _fit(blocks, SLIDE_WORDS // 2)
    shown_right, rest_right = _fit(right_blocks, SLIDE_WORDS - _words(shown_left))
    notes = [f"Salient risks ({len(brief.risks)} of {brief.n_risks} shown):\n" + "\n".join(risk_notes)
             if risk_notes else "The report flags no salient risk for this material.",
             f"Most severe evidence ({len(brief.evidence)} of {brief.n_evidence} cases):\n" + "\n".join(case_notes)
             if case_notes else "No evidence case is recorded (which is not the same as low risk).",
             f"Recommended leverages ({len(brief.leverages)} of {brief.n_leverages} cards; those addressing the "
             "risks with the most severe evidence first, one per leverage category in turn):\n" + "\n".join(lev_notes)
             if lev_notes else "No leverage card is recorded for this material.",
             f"Organisations to engage ({len(brief.organisations)} of {brief.n_organisations}):\n"
             + "\n".join(org_notes) if org_notes else "No organisation is linked to this material.",
             _block_text(rest_left + rest_right), sources]
    slide = _slide(prs, headlines.risk_title(brief), notes)
    _text(slide, MARGIN, CONTENT_TOP, Inches(5.6), Inches(5.2), shown_left, name="Risks")
    _text(slide, MARGIN + Inches(6.0), CONTENT_TOP, Inches(6.3), Inches(5.2), shown_right, name="Leverage")
    _footer(slide, footer)


PLAN_SHOWN = ("Card", "Action", "Material", "Owner", "Due date", "Status")


def _plan_slides(prs: Presentation, data: BriefingData) -> None:
    footer = data.footer([*data.ranking.source_ids[:1]], [])
    plan = data.plan
    title = headlines.plan_title(plan)
    if plan is None:
        slide = _slide(prs, title, ["The action plan is kept on the Leverage cards page."])
        _text(slide, MARGIN, CONTENT_TOP, CONTENT_WIDTH, Inches(1.5), [
            ("body", "No action-plan item was included in this pack; the plan is kept on the Leverage cards "
                     "page.")], name="Plan note")
        _footer(slide, footer)
        return
    rows = [[str(r[c]) or "–" for c in PLAN_SHOWN] for _, r in plan.iterrows()]
    header_words = sum(word_count(h) for h in PLAN_SHOWN)
    pages: list[list[int]] = [[]]
    used = header_words
    for i, row in enumerate(rows):  # a new slide whenever the next row would pass the word limit
        need = sum(word_count(c) for c in row)
        if pages[-1] and used + need > SLIDE_WORDS:
            pages.append([])
            used = header_words
        pages[-1].append(i)
        used += need
    for n, part in enumerate(pages):
        notes = [f"{plan.at[i, 'Card']} · {plan.at[i, 'Action']} · {plan.at[i, 'Material']}: owner "
                 f"{plan.at[i, 'Owner'] or 'not set'}, due {plan.at[i, 'Due date'] or 'not set'}, "
                 f"{plan.at[i, 'Status']}" + (f". Note: {plan.at[i, 'Note']}" if plan.at[i, "Note"] else "")
                 for i in part]
        slide = _slide(prs, title if n == 0 else f"{title[:-1]} (continued, {n + 1} of {len(pages)}).", notes)
        _table(slide, MARGIN, CONTENT_TOP, [1.0, 4.4, 1.9, 1.8, 1.5, 1.7], list(PLAN_SHOWN),
               [rows[i] for i in part], row_height=0.55, name="Plan table")
        _footer(slide, footer)


def _source_slides(prs: Presentation, data: BriefingData) -> None:
    refs = list(data.sources.values())
    by_publisher: dict[str, list[int]] = {}
    for r in refs:
        by_publisher.setdefault(r.publisher or "Publisher not stated", []).append(r.year or 0)
    top = sorted(by_publisher.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:6]
    notes = [f"- {r.title} ({r.publisher or 'publisher not stated'}, {r.year_text}; licence: {r.licence or 'not stated'})"
             + (f" {r.url}" if r.url else "") for r in refs]
    slide = _slide(prs, headlines.sources_title(data), ["Every source this pack cites:", *notes])
    _text(slide, MARGIN, CONTENT_TOP, CONTENT_WIDTH, Inches(0.5),
          [("body", "The full list with licences and links is in the notes and the PDF.")], name="Sources note")
    rows = [[name, str(len(years)), (lambda ys: f"{ys[0]}–{ys[-1]}" if len(ys) > 1 else str(ys[0]) if ys else "–")(
        sorted({y for y in years if y}))] for name, years in top]
    _table(slide, MARGIN, CONTENT_TOP + Inches(0.6), [6.5, 1.5, 2.0], ["Publisher", "Sources", "Years"], rows,
           name="Publisher table")
    _footer(slide, data.footer([r.id for r in refs], limit=3))


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
    progress("Summary and ranking slides", 0.05)
    _summary_slide(prs, data)
    _ranking_slides(prs, data)
    _salience_slide(prs, data)
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
