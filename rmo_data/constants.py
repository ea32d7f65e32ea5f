"""One source of truth for the names the whole app shares.

Materials, value-chain stages, Shift leverage categories, actors, targets,
risk categories and organisation types are defined here once.  Seed files,
the build, the queries and every page refer to them by slug; labels,
colours and icons come only from this module.

Long because: it is the one place every shown name lives (``rmo_data.vocabulary`` reads it), and
splitting it by page would bring back the second copies it exists to prevent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Named:
    """A slug with its display label and an optional short description."""

    slug: str
    label: str
    description: str = ""


@dataclass(frozen=True)
class Material(Named):
    """One of the materials the Raw Materials Outlook covers."""

    short: str = ""


MATERIALS: Final[tuple[Material, ...]] = (
    Material("aluminium", "Bauxite (aluminium)", short="Aluminium"),
    Material("graphite", "Graphite", short="Graphite"),
    Material("iron_steel", "Iron ore (steel)", short="Iron & steel"),
    Material("magnesium", "Magnesium", short="Magnesium"),
    Material("manganese", "Manganese", short="Manganese"),
    Material("molybdenum", "Molybdenum", short="Molybdenum"),
    Material("nickel", "Nickel", short="Nickel"),
    Material("ree", "Rare earth elements", short="Rare earths"),
    Material("tantalum", "Tantalum", short="Tantalum"),
    Material("zinc", "Zinc", short="Zinc"),
)
MATERIAL_SLUGS: Final[tuple[str, ...]] = tuple(m.slug for m in MATERIALS)
MATERIAL_LABELS: Final[dict[str, str]] = {m.slug: m.label for m in MATERIALS}
MATERIAL_SHORT: Final[dict[str, str]] = {m.slug: m.short for m in MATERIALS}

# Leverages and salient risks that apply to every material carry this slug
# instead of a material (stored as NULL material in the database).
CROSS_MATERIAL: Final[str] = "cross"
CROSS_MATERIAL_LABEL: Final[str] = "Cross-material"

STAGES: Final[tuple[Named, ...]] = (
    Named("mining", "Mining", "Extraction and beneficiation of ore."),
    Named("processing", "Processing: smelting & refining",
          "Refining, smelting, roasting, purification and separation."),
    Named("casting", "Casting & intermediary products",
          "Alloys, castings, semi-fabricated and intermediary products."),
    Named("components", "Component manufacturing",
          "Parts and components made by tier-1 to tier-n suppliers."),
    Named("oem", "OEMs", "Vehicle makers, including Drive Sustainability members."),
    Named("recycling", "Recycling & disposal", "Scrap, recycling and end-of-life handling."),
)
STAGE_SLUGS: Final[tuple[str, ...]] = tuple(s.slug for s in STAGES)
STAGE_LABELS: Final[dict[str, str]] = {s.slug: s.label for s in STAGES}
# Short forms for narrow chart axes.
STAGE_SHORT: Final[dict[str, str]] = {
    "mining": "Mining", "processing": "Processing", "casting": "Casting",
    "components": "Components", "oem": "OEMs", "recycling": "Recycling",
}


@dataclass(frozen=True)
class LeverageCategory(Named):
    """A Shift/UNGP leverage category, with the colour and icon used everywhere."""

    colour: str = "#555555"
    icon: str = ":material/help:"
    group: str = ""
    short: str = ""


# Colours are from the Okabe-Ito palette so the five stay apart for
# colour-blind readers and on projectors; pills take dark or white text, whichever reaches
# 4.5:1 on the colour (rmo_data.charts.contrast.text_on).
LEVERAGE_CATEGORIES: Final[tuple[LeverageCategory, ...]] = (
    LeverageCategory(
        "commercial", "Traditional commercial leverage",
        "Requirements in contracts, bids, audits and incentives with direct suppliers.",
        colour="#0072B2", icon=":material/handshake:", group="Individual company", short="Commercial leverage"),
    LeverageCategory(
        "internal", "Broader internal leverage",
        "Company activity outside the contract: leadership endorsement, standards, training.",
        colour="#009E73", icon=":material/school:", group="Individual company", short="Internal leverage"),
    LeverageCategory(
        "peers", "Leverage together with business peers",
        "Collective action through Drive Sustainability or with other sectors buying the same material.",
        colour="#E69F00", icon=":material/groups:", group="Initiative and stakeholders",
        short="With business peers"),
    LeverageCategory(
        "bilateral", "Bilateral engagement with third parties",
        "Direct engagement with one or more associations, governments or organisations.",
        colour="#CC79A7", icon=":material/forum:", group="Initiative and stakeholders",
        short="Bilateral engagement"),
    LeverageCategory(
        "msi", "Multi-stakeholder collaboration",
        "Collective action with peers, governments and civil society in a shared forum.",
        colour="#56B4E9", icon=":material/hub:", group="Initiative and stakeholders"),
)
LEVERAGE_CATEGORY_SLUGS: Final[tuple[str, ...]] = tuple(c.slug for c in LEVERAGE_CATEGORIES)
LEVERAGE_CATEGORY_LABELS: Final[dict[str, str]] = {c.slug: c.label for c in LEVERAGE_CATEGORIES}
LEVERAGE_CATEGORY_COLOURS: Final[dict[str, str]] = {c.slug: c.colour for c in LEVERAGE_CATEGORIES}
# Short forms for narrow page columns and chart legends.
LEVERAGE_CATEGORY_SHORT: Final[dict[str, str]] = {c.slug: c.short or c.label for c in LEVERAGE_CATEGORIES}

ACTORS: Final[tuple[Named, ...]] = (
    Named("oem", "Individual OEM", "An individual vehicle maker acting on its own."),
    Named("initiative", "Drive Sustainability", "The industry initiative acting for its members."),
)
ACTOR_SLUGS: Final[tuple[str, ...]] = tuple(a.slug for a in ACTORS)
ACTOR_LABELS: Final[dict[str, str]] = {a.slug: a.label for a in ACTORS}

TARGETS: Final[tuple[Named, ...]] = (
    Named("tier1", "Tier-1 suppliers"),
    Named("producers", "Upstream producers"),
    Named("associations", "Industry associations"),
    Named("governments", "Governments"),
    Named("peers", "Business peers"),
    Named("other_sectors", "Other sectors"),
    Named("msi", "Multi-stakeholder initiatives"),
    Named("civil_society", "Civil society & rights holders"),
    Named("own_teams", "Own teams"),
    # The report's fifth group to exert leverage through: vehicle buyers (people, businesses,
    # dealers, public fleets), whose awareness can back the industry's asks of others.
    Named("consumers", "End users & consumers"),
)
TARGET_SLUGS: Final[tuple[str, ...]] = tuple(t.slug for t in TARGETS)
TARGET_LABELS: Final[dict[str, str]] = {t.slug: t.label for t in TARGETS}

PILLARS: Final[dict[str, str]] = {"E": "Environmental", "S": "Social", "G": "Governance"}


@dataclass(frozen=True)
class RiskCategory(Named):
    """An ESG risk category with its pillar (E, S or G)."""

    pillar: str = "S"


RISK_CATEGORIES: Final[tuple[RiskCategory, ...]] = (
    RiskCategory("ghg_energy", "GHG emissions & energy use",
                 "Energy-intensive processes, fossil fuel use and greenhouse-gas emissions.", "E"),
    RiskCategory("air_emissions", "Dust & air emissions",
                 "Dust, fumes and other emissions to air around sites.", "E"),
    RiskCategory("land_biodiversity", "Land use, biodiversity & closure",
                 "Deforestation, habitat loss and poor closure or rehabilitation.", "E"),
    RiskCategory("water", "Water use & access",
                 "Water consumption in scarce areas and community access to water.", "E"),
    RiskCategory("waste_tailings", "Waste, tailings & contamination",
                 "Tailings, hazardous or radioactive waste, soil and water contamination.", "E"),
    RiskCategory("indigenous_rights", "Land, resettlement & Indigenous Peoples' rights",
                 "Residential and Indigenous Peoples' rights, FPIC, displacement.", "S"),
    RiskCategory("community_health", "Community health, safety & livelihoods",
                 "Harm to nearby communities' health, safety and livelihoods.", "S"),
    RiskCategory("stakeholder_engagement", "Community & stakeholder engagement",
                 "Poor or absent engagement with affected communities.", "S"),
    RiskCategory("ohs", "Occupational health & safety",
                 "Worker injuries, illness, fatalities, fires and explosions.", "S"),
    RiskCategory("labour_rights", "Labour rights & terms of employment",
                 "Contracts, wages, union rights, child and forced labour.", "S"),
    RiskCategory("human_rights_abuses", "Serious human rights abuses & violence",
                 "Violence, intimidation and repression of dissent.", "S"),
    RiskCategory("local_value", "Local value added",
                 "Little benefit for host economies and communities.", "S"),
    RiskCategory("conflict", "Conflict & high-risk areas",
                 "Sourcing from conflict-affected areas and armed interference in trade.", "G"),
    RiskCategory("corruption", "Corruption, extortion & illicit trade",
                 "Bribery, extortion, black markets.", "G"),
    RiskCategory("legal_compliance", "Legal & regulatory compliance",
                 "Breaches of environmental and other law; weak enforcement.", "G"),
    RiskCategory("transparency", "Supply chain transparency",
                 "Little traceability or disclosure about where material comes from.", "G"),
)
RISK_CATEGORY_SLUGS: Final[tuple[str, ...]] = tuple(r.slug for r in RISK_CATEGORIES)
RISK_CATEGORY_LABELS: Final[dict[str, str]] = {r.slug: r.label for r in RISK_CATEGORIES}
RISK_CATEGORY_PILLARS: Final[dict[str, str]] = {r.slug: r.pillar for r in RISK_CATEGORIES}
# Short forms for narrow charts (the evidence flows' category labels must fit a phone's width),
# each a shortening of the label: the same words, fewer of them.
RISK_CATEGORY_SHORT: Final[dict[str, str]] = {
    "ghg_energy": "GHG & energy", "air_emissions": "Dust & air", "land_biodiversity": "Biodiversity",
    "water": "Water", "waste_tailings": "Waste & tailings", "indigenous_rights": "Indigenous rights",
    "community_health": "Community health", "stakeholder_engagement": "Engagement",
    "ohs": "Occup. safety", "labour_rights": "Labour rights", "human_rights_abuses": "Rights abuses",
    "local_value": "Local value", "conflict": "Conflict areas", "corruption": "Corruption",
    "legal_compliance": "Compliance", "transparency": "Transparency",
}

ORGANISATION_TYPES: Final[tuple[Named, ...]] = (
    Named("industry_association", "Industry association"),
    Named("msi", "Multi-stakeholder initiative"),
    Named("standard", "Standard or assurance scheme"),
    Named("government", "Government"),
    Named("intergovernmental", "Intergovernmental organisation"),
    Named("civil_society", "Civil society organisation"),
    Named("union", "Trade union"),
    Named("research", "Research or technical body"),
    Named("business_initiative", "Business initiative"),
    Named("finance", "Finance institution"),
)
ORGANISATION_TYPE_SLUGS: Final[tuple[str, ...]] = tuple(t.slug for t in ORGANISATION_TYPES)
ORGANISATION_TYPE_LABELS: Final[dict[str, str]] = {t.slug: t.label for t in ORGANISATION_TYPES}

# Severity of a risk evidence case is rated 1-5 on three UNGP criteria; the
# overall severity is their rounded mean, computed at build time.
SEVERITY_CRITERIA: Final[tuple[str, ...]] = ("scale", "scope", "irremediability")
SEVERITY_LABELS: Final[dict[int, str]] = {
    1: "1 · minor", 2: "2 · moderate", 3: "3 · serious", 4: "4 · severe", 5: "5 · very severe",
}
# A case with no severity recorded (shown as such, never dropped).
SEVERITY_NOT_RATED: Final[str] = "not rated"

MISSING: Final[str] = "no data recorded"

# How firmly the report supports a risk evidence case (risk_evidence.confidence): one
# slug per case, with the reason in the project's own words (confidence_reason).
CONFIDENCE_LEVELS: Final[tuple[Named, ...]] = (
    Named("documented", "Documented incident",
          "The report states a specific harm at a named place by a named actor or at a stated time."),
    Named("reported", "Reported allegation",
          "The report relays a finding, allegation or press or NGO report of harm, without all of "
          "place, actor and time."),
    Named("inferred", "Inferred from context",
          "The project joined what the report says separately (a place named as needing "
          "remediation, a company named in a list), or the report names no harm."),
)
CONFIDENCE_SLUGS: Final[tuple[str, ...]] = tuple(c.slug for c in CONFIDENCE_LEVELS)
CONFIDENCE_LABELS: Final[dict[str, str]] = {c.slug: c.label for c in CONFIDENCE_LEVELS}
# A case stored before confidence was recorded (an editor's upload without the column).
CONFIDENCE_NOT_ASSESSED: Final[str] = "not assessed"

# What the year of a report figure or statement rests on (concentration_statement.year_basis,
# material_fact.year_basis).
YEAR_BASES: Final[tuple[Named, ...]] = (
    Named("stated", "stated in the source"),
    Named("report", "report year; the passage gives none"),
    Named("target", "target year of a commitment"),
    Named("projection", "year of a projection"),
)
YEAR_BASIS_SLUGS: Final[tuple[str, ...]] = tuple(b.slug for b in YEAR_BASES)
YEAR_BASIS_LABELS: Final[dict[str, str]] = {b.slug: b.label for b in YEAR_BASES}

# Kinds of cross-material point the report makes that are not leverage cards (report_theme.kind).
REPORT_THEME_KINDS: Final[tuple[Named, ...]] = (
    Named("summary", "Summary recommendation"),
    Named("principle", "Cross-cutting point"),
)
REPORT_THEME_KIND_SLUGS: Final[tuple[str, ...]] = tuple(k.slug for k in REPORT_THEME_KINDS)
REPORT_THEME_KIND_LABELS: Final[dict[str, str]] = {k.slug: k.label for k in REPORT_THEME_KINDS}

# EU regulations whose material lists are stored (regulatory_listing.regulation).
REGULATIONS: Final[tuple[Named, ...]] = (
    Named("eu_crma_strategic", "EU Critical Raw Materials Act: strategic raw material",
          "Regulation (EU) 2024/1252, Annex I, Section 1."),
    Named("eu_battery_dd", "EU Batteries Regulation: raw material under due diligence",
          "Regulation (EU) 2023/1542, Annex X, point 1."),
)
REGULATION_SLUGS: Final[tuple[str, ...]] = tuple(r.slug for r in REGULATIONS)
REGULATION_LABELS: Final[dict[str, str]] = {r.slug: r.label for r in REGULATIONS}
# The EU method's criticality thresholds (2023 study): a material at or above both is critical.
EU_CRITICAL_SUPPLY_RISK: Final[float] = 1.0
EU_CRITICAL_ECONOMIC_IMPORTANCE: Final[float] = 2.8
EU_CRITICAL_2023: Final[str] = "eu_crm_2023_critical"


@dataclass(frozen=True)
class RegulatoryList(Named):
    """A list a material may be on (a filter and a badge), with its short name for badges."""

    short: str = ""


# What the sidebar filters by and the badges show: the two stored EU lists and the 2023 thresholds,
# read from the store's EU CRM figures.
REGULATORY_LISTS: Final[tuple[RegulatoryList, ...]] = (
    RegulatoryList("eu_crma_strategic", "EU Critical Raw Materials Act (CRMA): strategic raw material",
                   "Regulation (EU) 2024/1252, Annex I, Section 1: the raw materials the Act calls strategic, "
                   "with its 65 % single-country benchmark.", short="CRMA strategic"),
    RegulatoryList("eu_battery_dd", REGULATION_LABELS["eu_battery_dd"],
                   "Regulation (EU) 2023/1542, Annex X, point 1: raw materials whose supply chains "
                   "battery makers must cover by due diligence.", short="Batteries due diligence"),
    RegulatoryList(EU_CRITICAL_2023, "EU 2023 assessment: at or above both criticality thresholds",
                   f"Supply risk ≥ {EU_CRITICAL_SUPPLY_RISK:g} and economic importance ≥ "
                   f"{EU_CRITICAL_ECONOMIC_IMPORTANCE:g} in the 2023 study for the EU (its primary series).",
                   short="EU critical 2023"),
)
REGULATORY_LIST_SLUGS: Final[tuple[str, ...]] = tuple(r.slug for r in REGULATORY_LISTS)
REGULATORY_LIST_LABELS: Final[dict[str, str]] = {r.slug: r.label for r in REGULATORY_LISTS}
REGULATORY_LIST_SHORT: Final[dict[str, str]] = {r.slug: r.short or r.label for r in REGULATORY_LISTS}
# The CRMA benchmark (Article 5(1)(d)): no more than this share of a strategic raw material, at
# any relevant stage, from one third country.
CRMA_SINGLE_COUNTRY_LIMIT_PCT: Final[float] = 65.0
# Outcomes of that check per material and stage (rmo_data.analysis.regulatory.benchmark_65).
BENCHMARK_STATUSES: Final[tuple[Named, ...]] = (
    Named("pass", "Within the 65 % benchmark", "No third country has more than 65 % of world output."),
    Named("fail", "Above the 65 % benchmark", "One third country has more than 65 % of world output."),
    Named("no_data", MISSING, "No country share is recorded for this stage."),
)
BENCHMARK_STATUS_SLUGS: Final[tuple[str, ...]] = tuple(b.slug for b in BENCHMARK_STATUSES)
BENCHMARK_STATUS_LABELS: Final[dict[str, str]] = {b.slug: b.label for b in BENCHMARK_STATUSES}
# The 27 EU member states (ISO3): the Union itself is not a third country for that benchmark.
EU_MEMBER_ISO3: Final[frozenset[str]] = frozenset({
    "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN", "IRL",
    "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP", "SWE",
})

# Country rows in production data that are aggregates, never countries.
AGGREGATE_COUNTRY_KINDS: Final[tuple[str, ...]] = ("world", "other")

# A salience cell the report flags as salient but where no case is rated: its label on a heat map.
SALIENCE_GAP_LABEL: Final[str] = "gap"
SALIENCE_GAP_NOTE: Final[str] = ("gap = the report flags this risk here but no case is rated: "
                                 "severity, and so salience, has no data recorded")

# --- prioritisation -------------------------------------------------------------


@dataclass(frozen=True)
class Criterion(Named):
    """A prioritisation criterion: its unit, where its values come from, and its colour.

    ``higher_is_priority`` says which way the raw value points; every criterion
    here is already oriented so that a higher value raises priority (the
    standards criterion counts the *gap*, not the coverage).
    """

    unit: str = ""
    source: str = ""
    colour: str = "#555555"
    higher_is_priority: bool = True
    short: str = ""


# Colours: Okabe–Ito hues where they reach 3:1 on white, darker forms and Paul Tol's colour-blind-safe
# hues for the rest, each at least 3:1 against the background (tests/charts/test_contrast.py). Twelve
# colours cannot all stay apart for every reader, so the charts name each criterion in the legend and
# the tooltip as well.
CRITERIA: Final[tuple[Criterion, ...]] = (
    Criterion("auto_share", "Automotive share",
              "Share of the material's use that goes to vehicles: the industry's own leverage.",
              unit="% of use", colour="#0072B2",
              short="Auto share",
              source="Raw materials value chain leverages (end-use figures; global where given)"),
    Criterion("mining_hhi", "Mining concentration",
              "Herfindahl-Hirschman index of mine production by country, latest year.",
              unit="HHI 0–10,000", colour="#D55E00",
              short="Mining conc.",
              source="USGS Mineral Commodity Summaries (latest year)"),
    Criterion("processing_hhi", "Processing concentration",
              "Herfindahl-Hirschman index of refining or smelting output by country, latest year.",
              unit="HHI 0–10,000", colour="#8E6200",
              short="Processing conc.",
              source="USGS Mineral Commodity Summaries; IEA Critical Minerals Data Explorer"),
    Criterion("top_share", "Top-country share",
              "Largest single-country share at mining or processing, whichever is higher.",
              unit="% of world output", colour="#CC79A7",
              short="Top-country share",
              source="USGS Mineral Commodity Summaries; IEA Critical Minerals Data Explorer"),
    Criterion("gov_hhi", "Governance-weighted concentration",
              "EU CRM method: Σ share² × WGI risk score; the higher of mining and processing.",
              unit="0–10 scale", colour="#882255",
              short="Gov.-weighted conc.",
              source="USGS / IEA production with World Bank WGI 2024"),
    Criterion("supply_risk", "EU supply risk",
              "Supply-risk score of the EU 2023 criticality assessment (1 and above = critical range).",
              unit="EU CRM score", colour="#9C755F",
              short="EU supply risk",
              source="Study on the Critical Raw Materials for the EU 2023"),
    Criterion("severity", "Evidence severity",
              "Mean severity of the three most severe recorded evidence cases (fewer when fewer "
              "are recorded); cases split from one report passage count as one.",
              unit="1–5 severity", colour="#332288",
              short="Evidence severity",
              source="Risk evidence named by the report, rated on UNGP criteria by the project"),
    Criterion("salience", "Salience (severity × likelihood)",
              "Mean salience of the material's three most salient risks (risk category at a "
              "value-chain stage): severity of the worst case (1–5) × likelihood (1–5).",
              unit="1–25 salience", colour="#2B8CC4",
              short="Salience",
              source="Risk evidence rated on UNGP criteria; USGS / IEA production with World Bank WGI"),
    Criterion("likelihood", "Likelihood of harm",
              "Mean likelihood (1–5) of the same three risks: how often and how recently cases are "
              "recorded, with the governance of the countries producing at that stage.",
              unit="1–5 likelihood", colour="#5E4FA2",
              short="Likelihood",
              source="Risk evidence; USGS / IEA production shares with World Bank WGI"),
    Criterion("social_breadth", "Human-rights risk breadth",
              "Number of social and governance risk categories the report flags as salient.",
              unit="categories (of 11)", colour="#009E73",
              short="Human-rights risks",
              source="Raw materials value chain leverages (salient risks)"),
    Criterion("env_breadth", "Environmental & climate risk breadth",
              "Number of environmental risk categories, greenhouse gases and energy included, "
              "the report flags as salient.",
              unit="categories (of 5)", colour="#117733",
              short="Env. & climate risks",
              source="Raw materials value chain leverages (salient risks)"),
    Criterion("standards_gap", "Standards gap",
              "1 when no material-specific standard or assurance scheme is linked to the "
              "material, 0 when one is.",
              unit="1 = gap, 0 = covered", colour="#6F6F6F",
              short="Standards gap",
              source="Organisations and standards named by the report"),
)
CRITERION_SLUGS: Final[tuple[str, ...]] = tuple(c.slug for c in CRITERIA)
CRITERION_LABELS: Final[dict[str, str]] = {c.slug: c.label for c in CRITERIA}
CRITERION_UNITS: Final[dict[str, str]] = {c.slug: c.unit for c in CRITERIA}
CRITERION_COLOURS: Final[dict[str, str]] = {c.slug: c.colour for c in CRITERIA}
CRITERION_SHORT: Final[dict[str, str]] = {c.slug: c.short or c.label for c in CRITERIA}
# One plain line per criterion for workshop participants on a phone: what a high weight says.
CRITERION_PLAIN: Final[dict[str, str]] = {
    "auto_share": "How much of the material ends up in cars: the more, the more our industry can ask.",
    "mining_hhi": "Whether a few countries dig up most of it, so one disruption hits everyone.",
    "processing_hhi": "Whether a few countries refine most of it, a bottleneck after the mine.",
    "top_share": "How much of the world's supply hangs on one single country.",
    "gov_hhi": "Whether the supply is concentrated in countries with weak governance.",
    "supply_risk": "How risky the EU's own 2023 assessment judges the supply to be.",
    "severity": "How grave the worst harms recorded for the material are.",
    "salience": "How grave and how likely its most serious harms are, together.",
    "likelihood": "How likely those harms are: cases recorded, and how well governed the producers are.",
    "social_breadth": "How many kinds of human-rights and governance harm are flagged.",
    "env_breadth": "How many kinds of environmental and climate harm are flagged.",
    "standards_gap": "Whether no standard or assurance scheme yet covers the material.",
}



@dataclass(frozen=True)
class Lens(Named):
    """A question the ranking can answer, and the criteria that answer it (slugs, in display order)."""

    criteria: tuple[str, ...] = ()
    short: str = ""


# Two questions, two axes: what comes first (due diligence: severity and likelihood only, as UNGP 24,
# the OECD guidance and the EU directive rank impacts) and, separately, lenses that are not
# part of that rule. Every criterion belongs to exactly one lens.
LENSES: Final[tuple[Lens, ...]] = (
    Lens("due_diligence", "Due diligence: severity and likelihood",
         "Where harm is most severe and most likely. The due-diligence rule ranks on these alone.",
         criteria=("salience", "severity", "likelihood"), short="Due diligence"),
    Lens("breadth", "Breadth of flagged risks and standards",
         "How many kinds of harm the report flags and whether a standard covers the material: "
         "context, neither the severity nor the likelihood of a harm.",
         criteria=("social_breadth", "env_breadth", "standards_gap"), short="Breadth & standards"),
    Lens("supply_security", "Supply security",
         "How concentrated and how risky the supply is: a business risk, not a measure of harm.",
         criteria=("mining_hhi", "processing_hhi", "top_share", "gov_hhi", "supply_risk")),
    Lens("industry_weight", "Industry's weight",
         "How much of the material the vehicle industry uses: leverage, which counts when choosing "
         "how to act, not what comes first.",
         criteria=("auto_share",)),
)
LENS_LABELS: Final[dict[str, str]] = {lens.slug: lens.label for lens in LENSES}
LENS_SHORT: Final[dict[str, str]] = {lens.slug: lens.short or lens.label for lens in LENSES}
CRITERION_LENS: Final[dict[str, str]] = {c: lens.slug for lens in LENSES for c in lens.criteria}
# What each criterion measures of an impact, in the UNGP's terms (empty: neither).
CRITERION_MEASURES: Final[dict[str, tuple[str, ...]]] = {
    "salience": ("severity", "likelihood"), "severity": ("severity",), "likelihood": ("likelihood",),
}
DUE_DILIGENCE: Final[str] = "due_diligence"

WEIGHT_MAX: Final[int] = 10
WEIGHT_DEFAULT: Final[int] = 5

# Weight sets offered as starting points (0-10 each; the score rescales them to sum 1).
WEIGHT_PRESETS: Final[dict[str, dict[str, int]]] = {
    # The due-diligence rule: salience (severity × likelihood) with severity counted once more, as
    # the UNGPs make severity the predominant factor; every other lens at 0.
    DUE_DILIGENCE: {c: 0 for c in CRITERION_SLUGS} | {"salience": 10, "severity": 5},
    "balanced": {c: WEIGHT_DEFAULT for c in CRITERION_SLUGS},
    "human_rights": {"auto_share": 5, "mining_hhi": 2, "processing_hhi": 2, "top_share": 2,
                     "gov_hhi": 6, "supply_risk": 0, "severity": 10, "salience": 8, "likelihood": 3,
                     "social_breadth": 10, "env_breadth": 3, "standards_gap": 7},
    "supply_security": {"auto_share": 6, "mining_hhi": 7, "processing_hhi": 8, "top_share": 8,
                        "gov_hhi": 7, "supply_risk": 10, "severity": 1, "salience": 1, "likelihood": 1,
                        "social_breadth": 1, "env_breadth": 1, "standards_gap": 1},
    "climate": {"auto_share": 6, "mining_hhi": 1, "processing_hhi": 2, "top_share": 1,
                "gov_hhi": 2, "supply_risk": 1, "severity": 3, "salience": 2, "likelihood": 2,
                "social_breadth": 2, "env_breadth": 10, "standards_gap": 5},
}
PRESET_LABELS: Final[dict[str, str]] = {
    DUE_DILIGENCE: "Due diligence (severity × likelihood)",
    "balanced": "Balanced", "human_rights": "Human rights first",
    "supply_security": "Supply security", "climate": "Climate",
}
# Where a gap (no data recorded) goes in a ranking, said once for every page and pack.
IMPUTATION_NOTE: Final[str] = ("no data recorded takes the median of the materials in view (a typical "
                               "material), never 0")

TOP_N: Final[int] = 3


@dataclass(frozen=True)
class PairwiseWord:
    """One answer to "how much more does this criterion count than that one?" in a pairwise comparison.

    ``word`` reads in a sentence ("Evidence severity counts much more than Mining conc."),
    ``short`` fits a button on a phone, ``value`` is the Saaty scale value it
    stands for (how many times the one counts as much as the other).
    """

    word: str
    short: str
    value: int


# The plain words for Saaty's odd steps (1 equal, 3 moderate, 5 strong, 7 very strong,
# 9 extreme importance); the in-between steps 2, 4, 6, 8 are not offered.
PAIRWISE_SCALE: Final[tuple[PairwiseWord, ...]] = (
    PairwiseWord("Equal", "Equal", 1),
    PairwiseWord("A little more", "A little", 3),
    PairwiseWord("Clearly more", "Clearly", 5),
    PairwiseWord("Much more", "Much", 7),
    PairwiseWord("Overwhelmingly more", "Overwhelmingly", 9),
)


@dataclass(frozen=True)
class Quadrant(Named):
    """A cell of the salience × leverage matrix and the card categories that fit it."""

    categories: tuple[str, ...] = ()
    colour: str = "#555555"
    high_salience: bool = True
    high_leverage: bool = True


# Shift/UNGP logic: where the harm is most severe and likely (salient), act first; where the
# industry has little weight, it must build weight together before it can use it.
QUADRANTS: Final[tuple[Quadrant, ...]] = (
    Quadrant("use_now", "Use leverage now",
             "Salient harm and real weight as a buyer: use contracts, internal standards and "
             "direct engagement today.",
             categories=("commercial", "internal", "bilateral"), colour="#C0392B",
             high_salience=True, high_leverage=True),
    Quadrant("build", "Build leverage collectively",
             "Salient harm but little weight alone: pool it with peers, other sectors and "
             "multi-stakeholder initiatives.",
             categories=("peers", "msi", "bilateral"), colour="#AF601A",
             high_salience=True, high_leverage=False),
    Quadrant("quick_wins", "Quick wins",
             "Less salient harm and real weight: low-cost steps through existing supplier "
             "relationships and peers.",
             categories=("commercial", "internal", "peers"), colour="#2874A6",
             high_salience=False, high_leverage=True),
    Quadrant("monitor", "Monitor",
             "Less salient harm and little weight: keep watch, build internal knowledge and "
             "follow the initiatives that cover the material.",
             categories=("internal", "msi"), colour="#5D6D7E",
             high_salience=False, high_leverage=False),
)
QUADRANT_LABELS: Final[dict[str, str]] = {q.slug: q.label for q in QUADRANTS}


@dataclass(frozen=True)
class Measure(Named):
    """A value shown beside the criteria that is not one of them, with its short name and unit."""

    short: str = ""
    unit: str = ""


# Named once so that no page calls them "HHI" in one place and "concentration" in another.
MEASURES: Final[tuple[Measure, ...]] = (
    Measure("case_severity", "Severity",
            "One evidence case's severity: the rounded mean of scale, scope and irremediability.",
            short="Severity", unit="1–5"),
    Measure("stage_hhi", "Concentration",
            "Herfindahl-Hirschman index of one stage's output by country, in any year.",
            short="Concentration", unit="HHI 0–10,000"),
    Measure("matrix_salience", "Salience, scaled",
            "The salience × leverage matrix's vertical axis: the material's salience, scaled 0–1 "
            "across the materials in view.",
            short="Salience", unit="0–1"),
    Measure("matrix_leverage", "Industry leverage",
            "The matrix's leverage: the automotive share and the organisations linked to the material.",
            short="Leverage", unit="0–1"),
)
MEASURE_LABELS: Final[dict[str, str]] = {m.slug: m.label for m in MEASURES}
MEASURE_SHORT: Final[dict[str, str]] = {m.slug: m.short or m.label for m in MEASURES}
MEASURE_UNITS: Final[dict[str, str]] = {m.slug: m.unit for m in MEASURES}

# Only these material links make two materials one joint supply chain.
JOINT_RELATIONS: Final[tuple[str, ...]] = ("co-product", "by-product")

# --- action plan ---------------------------------------------------------------

PLAN_STATUSES: Final[tuple[Named, ...]] = (
    Named("planned", "Planned"),
    Named("in_progress", "In progress"),
    Named("done", "Done"),
    Named("on_hold", "On hold"),
    Named("dropped", "Dropped"),
)
PLAN_STATUS_SLUGS: Final[tuple[str, ...]] = tuple(s.slug for s in PLAN_STATUSES)
PLAN_STATUS_LABELS: Final[dict[str, str]] = {s.slug: s.label for s in PLAN_STATUSES}

# There is no sign-in: audit rows name the app as the actor unless a caller says otherwise.
DEFAULT_ACTOR: Final[str] = "app user (no sign-in)"
