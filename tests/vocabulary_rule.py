"""What counts as "a name" on a page, and when it is a vocabulary name (``rmo_data.vocabulary``).

**A name** is any collected text (``tests/shown_names.py``: widget labels and
options, table headers and name-column cells, encoding titles, legend and axis
values, Plotly trace names, dimensions and axis titles, metric labels) in
which one of the **stems** below occurs, case-insensitively and at the start
of a word.  Each stem belongs to one or more vocabulary entries (kind, slug):
"ree" and "rare earth" to the rare earth elements, "hhi" and "concentration"
to the three concentration criteria and the concentration measure, "mining"
to the mining stage and the mining-concentration criterion, and so on.  A
text with no stem is not a name and is not checked.

**The strict rule**, for a text that stands for one thing (``Shown.strict``:
an option, a cell of a name column, a legend or axis value, a trace name, and
a weight slider's label): the text is a display or short name of an entry
whose stems it contains (of the place's kind when the place has one: a column
headed "Material" holds materials), exactly, case included, optionally
followed by a unit or qualifier in parentheses ("Mining concentration (HHI
0–10 000)", "Mining (12)") or " *" (the matrix's mark for an input with no
data recorded); several such names may be joined by ", ", "; ", " + " or
" · ", and a part after a separator that holds no stem is a qualifier
("Mining concentration · detail").  The options of a widget, values of a
field or cells of a column are checked together when the place names a kind
or at least one of them is a vocabulary name, and never when the place holds
data (organisations, companies, countries, series, cards).

**The loose rule**, for other labels and titles ("Highest severity (1–5)",
"Which should count more: Auto share or Mining conc.?"): every stem outside
parentheses lies inside a vocabulary name written out in full (any case).
"Mining HHI" and "Governance-weighted HHI (mining)" fail both rules: no
vocabulary name covers "HHI".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache

from rmo_data import vocabulary
from tests.shown_names import Shown

Entry = tuple[str, str]

# Stems per entry: regular expressions, matched case-insensitively after a word boundary.
STEMS: dict[Entry, tuple[str, ...]] = {
    ("material", "aluminium"): (r"bauxite", r"alumin"),
    ("material", "graphite"): (r"graphite",),
    ("material", "iron_steel"): (r"iron\b", r"steel"),
    ("material", "magnesium"): (r"magnesium",),
    ("material", "manganese"): (r"manganese",),
    ("material", "molybdenum"): (r"molybdenum", r"moly\b"),
    ("material", "nickel"): (r"nickel",),
    ("material", "ree"): (r"rare.earth", r"rees?\b"),
    ("material", "tantalum"): (r"tantal",),
    ("material", "zinc"): (r"zinc",),
    ("criterion", "auto_share"): (r"auto(motive|\.)?\s+share",),
    ("criterion", "mining_hhi"): (r"mining\s+(hhi|conc)", r"hhi\b", r"concentration"),
    ("criterion", "processing_hhi"): (r"processing\s+(hhi|conc)", r"hhi\b", r"concentration"),
    ("criterion", "top_share"): (r"top.country\s+share", r"top\s+share"),
    ("criterion", "gov_hhi"): (r"gov(ernance|\.)?.?(weighted|hhi|conc)", r"hhi\b", r"concentration"),
    ("criterion", "supply_risk"): (r"supply.risk",),
    ("criterion", "severity"): (r"severity", r"sev\b"),
    ("criterion", "salience"): (r"salience",),
    ("criterion", "likelihood"): (r"likelihood",),
    ("criterion", "social_breadth"): (r"human.rights\s+risk", r"social\s+(risk|breadth)"),
    ("criterion", "env_breadth"): (r"env(ironmental|\.)?\s*(&|and)?\s*(climate\s+)?risk", r"climate\s*(&|and)\s*env"),
    ("criterion", "standards_gap"): (r"standards?\s+gap",),
    ("lens", "due_diligence"): (r"due.diligence",),
    ("lens", "breadth"): (r"breadth\s*(&|and|of)\s*(flagged\s+risks\s+and\s+)?standards",),
    ("lens", "supply_security"): (r"supply\s+security",),
    ("lens", "industry_weight"): (r"industry.?s?\s+weight",),
    ("stage", "mining"): (r"mining",),
    ("stage", "processing"): (r"processing", r"smelting", r"refining"),
    ("stage", "casting"): (r"casting", r"intermediar"),
    ("stage", "components"): (r"component",),
    ("stage", "oem"): (r"oems?\b",),
    ("stage", "recycling"): (r"recycl", r"disposal"),
    ("risk_category", "ghg_energy"): (r"ghg", r"greenhouse", r"energy\s+use"),
    ("risk_category", "air_emissions"): (r"dust", r"air\s+emission"),
    ("risk_category", "land_biodiversity"): (r"biodiversity", r"land\s+(use|&)", r"closure"),
    ("risk_category", "water"): (r"water",),
    ("risk_category", "waste_tailings"): (r"waste", r"tailings"),
    ("risk_category", "indigenous_rights"): (r"indigenous", r"resettlement"),
    ("risk_category", "community_health"): (r"community\s+health", r"livelihood"),
    ("risk_category", "stakeholder_engagement"): (r"engagement",),
    ("risk_category", "ohs"): (r"occup", r"worker\s+safety"),
    ("risk_category", "labour_rights"): (r"labour",),
    ("risk_category", "human_rights_abuses"): (r"abuses?\b", r"violence"),
    ("risk_category", "local_value"): (r"local\s+value",),
    ("risk_category", "conflict"): (r"conflict",),
    ("risk_category", "corruption"): (r"corruption", r"illicit", r"extortion"),
    ("risk_category", "legal_compliance"): (r"compliance",),
    ("risk_category", "transparency"): (r"transparency", r"traceab"),
    ("leverage_category", "commercial"): (r"commercial",),
    ("leverage_category", "internal"): (r"internal",),
    ("leverage_category", "peers"): (r"(business\s+)?peers",),
    ("leverage_category", "bilateral"): (r"bilateral",),
    ("leverage_category", "msi"): (r"multi.stakeholder",),
    ("quadrant", "use_now"): (r"use\s+leverage",),
    ("quadrant", "build"): (r"build\s+leverage",),
    ("quadrant", "quick_wins"): (r"quick\s+win",),
    ("quadrant", "monitor"): (r"monitor\b",),
    ("preset", "balanced"): (r"balanced",),
    ("preset", "human_rights"): (r"human.rights\s+first",),
    ("preset", "supply_security"): (r"supply\s+security",),
    ("preset", "climate"): (r"climate\b",),
    ("preset", "due_diligence"): (r"due.diligence\s+(preset|\(sev)",),
    ("actor", "oem"): (r"individual\s+oem",),
    ("actor", "initiative"): (r"drive\s+sustainability",),
    ("target", "tier1"): (r"tier.?1\b",),
    ("target", "producers"): (r"upstream",),
    ("target", "associations"): (r"industry\s+association",),
    ("target", "governments"): (r"government",),
    ("target", "peers"): (r"(business\s+)?peers",),
    ("target", "other_sectors"): (r"other\s+sectors?",),
    ("target", "msi"): (r"multi.stakeholder",),
    ("target", "civil_society"): (r"civil\s+society", r"rights\s+holders?"),
    ("target", "own_teams"): (r"own\s+teams?",),
    ("target", "consumers"): (r"end\s+users?\b",),
    ("pillar", "E"): (r"environmental\b",),
    ("pillar", "S"): (r"social\b",),
    ("pillar", "G"): (r"governance\b",),
    ("organisation_type", "industry_association"): (r"industry\s+association",),
    ("organisation_type", "msi"): (r"multi.stakeholder",),
    ("organisation_type", "standard"): (r"assurance\s+scheme",),
    ("organisation_type", "government"): (r"government",),
    ("organisation_type", "intergovernmental"): (r"intergovernmental",),
    ("organisation_type", "civil_society"): (r"civil\s+society",),
    ("organisation_type", "union"): (r"trade\s+union",),
    ("organisation_type", "research"): (r"research\s+or\s+technical",),
    ("organisation_type", "business_initiative"): (r"business\s+initiative",),
    ("organisation_type", "finance"): (r"finance\s+institution",),
}
# Measures (``vocabulary`` kind "measure") share stems with the criteria they sit beside.
MEASURE_STEMS: dict[str, tuple[str, ...]] = {
    "case_severity": (r"severity", r"sev\b"),
    "stage_hhi": (r"hhi\b", r"concentration"),
    "matrix_salience": (r"salience",),
    "matrix_leverage": (r"industry.?s?\s+leverage", r"leverage\s*(\(|$)"),
}
# The EU lists (kind "regulatory_list"): the Act's short name, the regulation, the 2023 thresholds.
STEMS[("regulatory_list", "eu_crma_strategic")] = (r"crma\b",)
STEMS[("regulatory_list", "eu_battery_dd")] = (r"batter(y|ies)\s+(regulation|due)",)
STEMS[("regulatory_list", "eu_crm_2023_critical")] = (r"eu\s+critical\s+2023", r"criticality\s+thresholds?")
for _slug, _stems in MEASURE_STEMS.items():
    STEMS[("measure", _slug)] = _stems

SUFFIX = re.compile(r"\s*(\(.*\)|\*)")
LIST_SEPARATORS = (", ", "; ", " + ", " · ")
# Groups (options of a widget, values of a chart field, cells of a column) that hold data,
# not vocabulary: names of organisations, companies, countries, series, cards.
DATA_WORDS = re.compile(r"organisation|\borg|company|companies|countr|series|commodit|item|source|title|participant",
                        re.IGNORECASE)


@cache
def _pattern(stem: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){stem}", re.IGNORECASE)


def entries_in(text: str) -> set[Entry]:
    """The vocabulary entries whose stems occur in ``text``."""
    return {entry for entry, stems in STEMS.items() if any(_pattern(s).search(text) for s in stems)}


def spellings(entries: Iterable[Entry]) -> set[str]:
    """The display and short names of ``entries`` (entries missing from the vocabulary have none)."""
    out: set[str] = set()
    for kind, slug in entries:
        try:
            t = vocabulary.term(kind, slug)
        except KeyError:
            continue
        out |= {t.name, t.short}
    return out


def all_spellings() -> set[str]:
    """Every display and short name of the vocabulary."""
    return spellings(STEMS)


def _names_list(text: str, spelled: list[str]) -> bool:
    """``text`` is one name with an optional suffix, or several joined by a list separator."""
    if not entries_in(text):
        return True  # a qualifier with no name in it ("detail", "all cases")
    for name in spelled:
        if not text.startswith(name):
            continue
        rest = text[len(name):]
        suffix = SUFFIX.match(rest)
        for tail in {rest, rest[suffix.end():] if suffix else rest}:
            if tail == "":
                return True
            for sep in LIST_SEPARATORS:
                if tail.startswith(sep) and _names_list(tail[len(sep):], spelled):
                    return True
    return False


def is_name(text: str, kind: str | None = None) -> bool:
    """The strict rule: ``text`` is a vocabulary name (of ``kind`` when given) of what it mentions."""
    entries = entries_in(text)
    if not entries:
        return True
    if kind is not None:
        entries = {e for e in entries if e[0] == kind}
    return _names_list(text, sorted(spellings(entries), key=len, reverse=True))


def _parenthesised(text: str) -> list[tuple[int, int]]:
    """Spans of the outermost parentheses in ``text``: units and qualifiers, not checked."""
    spans, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth, start = depth + 1, (i if depth == 0 else start)
        elif ch == ")" and depth:
            depth -= 1
            if depth == 0:
                spans.append((start, i + 1))
    return spans


def names_covered(text: str) -> bool:
    """The loose rule: every stem outside parentheses lies inside a vocabulary name written in full."""
    hits: dict[int, set[Entry]] = {}
    for entry, stems in STEMS.items():
        for stem in stems:
            for hit in _pattern(stem).finditer(text):
                hits.setdefault(hit.start(), set()).add(entry)
    # Spelled-out names of anything the text mentions, and its parentheses, cover a stem.
    spans = _parenthesised(text) + [(m.start(), m.end()) for spelled in spellings(entries_in(text))
                                    for m in re.finditer(rf"(?<!\w){re.escape(spelled)}(?!\w)", text,
                                                         re.IGNORECASE)]
    return all(any(a <= start < b for a, b in spans) for start in hits)


def problems(found: Iterable[Shown], key_kinds: Mapping[str, str] | None = None) -> list[str]:
    """Every collected text that breaks the rule (module docstring), once each, with where it was.

    ``key_kinds`` maps widget keys (regular expressions) to the kind their label
    and options name, e.g. ``{r"wt_": "criterion"}`` for the weight sliders.
    """
    found = list(found)
    every = all_spellings()

    def key_kind(shown: Shown) -> str | None:
        return next((k for pattern, k in (key_kinds or {}).items() if shown.key and re.match(pattern, shown.key)),
                    None)

    groups: dict[str, list[Shown]] = {}
    for s in found:
        if s.strict:
            groups.setdefault(s.group, []).append(s)
    checked = {g for g, members in groups.items()
               if not DATA_WORDS.search(g) and (any(m.kind or key_kind(m) for m in members)
                                                or any(m.text in every for m in members))}
    out: list[str] = []
    for s in found:
        kind = key_kind(s)
        if s.strict:
            ok = s.group not in checked or is_name(s.text, s.kind or kind)
        elif kind:
            ok = is_name(s.text, kind)
        else:
            ok = names_covered(s.text)
        if not ok:
            names = sorted(spellings(e for e in entries_in(s.text) if not (s.kind or kind) or e[0] == (s.kind or kind)))
            out.append(f"{s.where}: {s.text!r} is not one of {names}")
    return sorted(set(out))
