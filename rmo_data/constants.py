"""One source of truth for the names the whole app shares.

Materials, value-chain stages, Shift leverage categories, actors, targets,
risk categories and organisation types are defined here once.  Seed files,
the build, the queries and every page refer to them by slug; labels,
colours and icons come only from this module.
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
    Material("iron_steel", "Iron ore (steel)", short="Iron/steel"),
    Material("magnesium", "Magnesium", short="Magnesium"),
    Material("manganese", "Manganese", short="Manganese"),
    Material("molybdenum", "Molybdenum", short="Molybdenum"),
    Material("nickel", "Nickel", short="Nickel"),
    Material("ree", "Rare earth elements", short="REE"),
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


# Colours are from the Okabe-Ito palette so the five stay apart for
# colour-blind readers and on projectors.
LEVERAGE_CATEGORIES: Final[tuple[LeverageCategory, ...]] = (
    LeverageCategory(
        "commercial", "Traditional commercial leverage",
        "Requirements in contracts, bids, audits and incentives with direct suppliers.",
        colour="#0072B2", icon=":material/handshake:", group="Individual company"),
    LeverageCategory(
        "internal", "Broader internal leverage",
        "Company activity outside the contract: leadership endorsement, standards, training.",
        colour="#009E73", icon=":material/school:", group="Individual company"),
    LeverageCategory(
        "peers", "Leverage together with business peers",
        "Collective action through Drive Sustainability or with other sectors buying the same material.",
        colour="#E69F00", icon=":material/groups:", group="Initiative and stakeholders"),
    LeverageCategory(
        "bilateral", "Bilateral engagement with third parties",
        "Direct engagement with one or more associations, governments or organisations.",
        colour="#CC79A7", icon=":material/forum:", group="Initiative and stakeholders"),
    LeverageCategory(
        "msi", "Multi-stakeholder collaboration",
        "Collective action with peers, governments and civil society in a shared forum.",
        colour="#56B4E9", icon=":material/hub:", group="Initiative and stakeholders"),
)
LEVERAGE_CATEGORY_SLUGS: Final[tuple[str, ...]] = tuple(c.slug for c in LEVERAGE_CATEGORIES)
LEVERAGE_CATEGORY_LABELS: Final[dict[str, str]] = {c.slug: c.label for c in LEVERAGE_CATEGORIES}
LEVERAGE_CATEGORY_COLOURS: Final[dict[str, str]] = {c.slug: c.colour for c in LEVERAGE_CATEGORIES}

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

# Country rows in production data that are aggregates, never countries.
AGGREGATE_COUNTRY_KINDS: Final[tuple[str, ...]] = ("world", "other")

MISSING: Final[str] = "no data recorded"
