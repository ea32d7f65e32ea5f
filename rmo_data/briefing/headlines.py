"""Titles that conclude: each slide's and page's headline is a sentence written from its data.

Consulting-style decks put the finding in the headline and the detail in the
notes.  Every function here takes the pack's content (``model``) and returns
one sentence; none is written by hand for a material, so a new store or a new
material gets its own findings.  Both renderers use the same sentences, so the
PowerPoint and the PDF say the same thing.
"""

from __future__ import annotations

import pandas as pd

from rmo_data import constants, vocabulary
from rmo_data.briefing.model import (BriefingData, ExecutiveSummary, MaterialBrief, SalienceFinding, SummaryLine,
                                     names_list, ordinal)

SEVERITY_WORDS = {5: "severe", 4: "serious", 3: "moderate", 2: "minor", 1: "minor"}


def criterion_name(slug: str) -> str:
    """A criterion's display name inside a sentence ("evidence severity", "EU supply risk")."""
    name = vocabulary.name("criterion", slug)
    return name if name[:2].isupper() else name[0].lower() + name[1:]


def percent(p: float | None) -> str:
    """A probability as a whole percent ("94 %"), or "not computed"."""
    return "not computed" if p is None else f"{p * 100:.0f} %"


def robustness_word(p: float | None) -> str:
    """How firm a top-3 place is, in a word, from P(top 3)."""
    if p is None:
        return "not tested"
    return "robust" if p >= 0.9 else "fairly stable" if p >= 0.6 else "uncertain" if p >= 0.3 else "unlikely"


# How a Shift category and an actor read inside a sentence ("leverage mainly through ... by ...").
CATEGORY_PHRASES = {"commercial": "commercial terms", "internal": "the company's own functions",
                    "peers": "business peers", "bilateral": "engaging third parties",
                    "msi": "multi-stakeholder collaboration"}
ACTOR_PHRASES = {"oem": "an individual OEM", "initiative": "Drive Sustainability"}


def lever_phrase(category: str, actor: str) -> str:
    """"leverage mainly through commercial terms, by an individual OEM" from category and actor slugs."""
    if not category:
        return "no leverage card recorded"
    what = CATEGORY_PHRASES.get(category, constants.LEVERAGE_CATEGORY_LABELS.get(category, category).lower())
    who = ACTOR_PHRASES.get(actor, constants.ACTOR_LABELS.get(actor, actor)) if actor else ""
    return f"leverage mainly through {what}" + (f", by {who}" if who else "")


def summary_title(summary: ExecutiveSummary) -> str:
    """The pack's main finding: who leads, and how firm that is."""
    lines = summary.lines
    if not lines:
        return "No material of this pack could be ranked from the data recorded."
    first = lines[0]
    if len(lines) == 1:
        where = (f"ranks {ordinal(first.rank)} of {first.of} on {summary.basis}" if first.rank
                 else f"is not ranked on {summary.basis}")
        firm = (f" and is in the top {constants.TOP_N} in {percent(first.p_top)} of draws"
                if first.p_top is not None else "")
        return f"{first.name} {where}{firm}."
    names = names_list([line.name for line in lines])
    firm = (f"; the first place is {robustness_word(first.p_top)}, in the top {constants.TOP_N} in "
            f"{percent(first.p_top)} of draws" if first.p_top is not None else "")
    return f"{names} lead on {summary.basis}{firm}."


def summary_line_text(line: SummaryLine, with_action: bool = True) -> str:
    """One material of the summary in a sentence: place, why, evidence, gaps and (``with_action``) who acts."""
    # "ranks 1st of 10 on X" would read as a place on X alone: say these are what lift it most.
    why = (f", lifted most by {names_list([criterion_name(r) for r in line.reasons])}" if line.reasons
           else "")
    place = f"ranks {ordinal(line.rank)} of {line.of}{why}" if line.rank else "is not ranked"
    robust = (f"; in the top {constants.TOP_N} in {percent(line.p_top)} of draws (rank {line.rank_range})"
              if line.p_top is not None else "")
    gaps = (f"; no data on {names_list([criterion_name(g) for g in line.gaps])} (imputed)" if line.gaps
            else "; every weighted input recorded")
    act = (f" Recommended: {line.leverage.title} ({line.leverage.category_short}, {line.leverage.actor_label})."
           if line.leverage else " No leverage card is recorded.")
    return f"{line.name} {place}{robust}; {line.evidence_text}{gaps}." + (act if with_action else "")


def ranking_title(data: BriefingData) -> str:
    """What the ranking page shows: who is first and on what, or what the comparison shows."""
    section = data.ranking
    if section.ran and not section.table.empty:
        table = section.table
        first = str(table.iloc[0]["name"]).rstrip(" *")
        others = [str(n).rstrip(" *") for n in table["name"].iloc[1:3]]
        lead = data.summary.lines[0] if data.summary and data.summary.lines else None
        reasons = lead.reasons if lead is not None and lead.slug == table.iloc[0]["material"] else ()
        on = f", mainly on {names_list([criterion_name(r) for r in reasons])}" if reasons else ""
        ahead = f", ahead of {names_list(others)}" if others else ""
        return f"{first} ranks first{ahead}{on}."
    comp = section.comparison
    if comp.empty:
        return "No material of this pack has comparison data recorded."
    parts = []
    if comp["mining_hhi"].notna().any():
        top = comp.loc[comp["mining_hhi"].idxmax()]
        parts.append(f"{top['name']} has the most concentrated mining ({top['mining_hhi']:,.0f} HHI)")
    if comp["evidence_count"].fillna(0).gt(0).any():
        most = comp.loc[comp["evidence_count"].fillna(0).idxmax()]
        parts.append(f"{most['name']} the most recorded harm ({int(most['evidence_count'])} cases)")
    if not parts:
        return "No concentration or evidence figure is recorded for these materials."
    return "Without a prioritisation, " + " and ".join(parts) + "."


def salience_title(found: SalienceFinding | None) -> str:
    """Where harm is most severe and likely among the pack's materials."""
    if found is None or found.value is None:
        return "No salient risk or rated case is recorded for these materials."
    gaps = f"; {found.n_gaps} of {found.n_cells} cells lack data" if found.n_gaps else ""
    return (f"Salience is highest for {found.material}: {found.category[0].lower() + found.category[1:]} at "
            f"{found.stage.lower()} scores {found.value:.1f} of 25{gaps}.")


def concentration_title(brief: MaterialBrief) -> str:
    """Where the material comes from: the top country of each stage and how concentrated it is."""
    known = [c for c in brief.concentration if c.top1_share is not None]
    if not known:
        return f"{brief.name}: no country production data is recorded, so concentration is unknown."
    readings = [c.hhi_text.split("(")[-1].rstrip(")") for c in known if c.hhi is not None]
    if len(known) == 2 and known[0].top1_country == known[1].top1_country:
        a, b = known
        held = (f"{a.top1_country} holds {a.top1_share:.0f} % of {a.stage_label.lower()} and "
                f"{b.top1_share:.0f} % of {b.stage_label.lower()}")
    else:
        held = " and ".join(f"{c.top1_country} holds {c.top1_share:.0f} % of {c.stage_label.lower()}" for c in known)
    if not readings:
        return f"{brief.name}: {held}."
    if len(readings) == 2:
        reading = (f"both {readings[0]} concentration" if readings[0] == readings[1]
                   else f"{readings[0]} and {readings[1]} concentration")
    else:
        reading = f"{readings[0]} concentration"
    return f"{brief.name}: {held} ({reading})."


def risk_title(brief: MaterialBrief) -> str:
    """The material's harm and its main way to act, e.g. "Nickel: severe community harm in 12 cases, ..."."""
    lever = lever_phrase(brief.main_category, brief.main_actor)
    worst = brief.worst_case
    if worst is None:
        flagged = f"{brief.n_risks} salient risk(s) flagged but no harm case recorded"
        return f"{brief.name}: {flagged}; {lever}."
    word = SEVERITY_WORDS.get(worst.severity, "recorded")
    category = worst.category_label[0].lower() + worst.category_label[1:]
    cases = f"{brief.n_evidence} case{'s' if brief.n_evidence != 1 else ''}"
    return f"{brief.name}: {word} {category} harm recorded, {cases} in all; {lever}."


def plan_title(plan: pd.DataFrame | None) -> str:
    """How many actions the plan holds and where they stand."""
    if plan is None or plan.empty:
        return "The action plan is empty: 0 items were included in this pack."
    counts = plan["Status"].value_counts()
    parts = ", ".join(f"{n} {s.lower()}" for s, n in counts.items())
    unowned = int((plan["Owner"] == "").sum())
    owners = f"; {unowned} without an owner" if unowned else ""
    return f"The action plan holds {len(plan)} action{'s' if len(plan) != 1 else ''}: {parts}{owners}."


def sources_title(data: BriefingData) -> str:
    """What the pack rests on: how many sources, publishers and years."""
    refs = list(data.sources.values())
    years = sorted({r.year for r in refs if r.year})
    span = "" if not years else f", published {years[0]}" if len(years) == 1 else f", published {years[0]}–{years[-1]}"
    publishers = len({r.publisher for r in refs if r.publisher})
    return f"This pack rests on {len(refs)} sources from {publishers} publishers{span}."


def workshop_text(summary: ExecutiveSummary) -> str:
    """What the workshop decided, in a sentence or two; empty when the pack has no workshop."""
    ws = summary.workshop
    if ws is None:
        return ""
    if not ws.n:
        return f"Workshop “{ws.name}” closed {ws.closed_at} with no submission, so it decided no ranking."
    disputed = (f" Participants disputed the place of {names_list(list(ws.disagreed))}." if ws.disagreed else "")
    return (f"Workshop “{ws.name}” (closed {ws.closed_at}, {ws.n} submission(s)) put {names_list(list(ws.top))} "
            f"in its top {len(ws.top)}; agreement {ws.agreement}; weighed most differently: {ws.apart}.{disputed}")
