"""A synthetic store of the same schema, for benchmarking the app at scale.

``synthesise(url, materials=100, evidence=200_000, production=50_000, seed=42)``
first builds the real store at ``url`` (sources, stages, risk categories,
countries, governance indicators and the ten real materials), then adds
synthetic materials ``syn_001`` … with rows shaped like the real ones:

* production over real ISO3 countries with a Zipf-like concentration (a few
  countries hold most of the output), years 2021–2025 with 2023 and 2025 as
  estimates, a published world total and an "Other countries" row per series,
  and about 2 % of country figures withheld (W) or not available (NA);
* risk evidence with the real data's skew: mostly mining and processing, a
  category mix close to the report's, severities mostly 3–4, countries drawn
  from the material's producers, more cases for some materials than others;
* salient risks, organisations, leverage cards (with their link tables),
  companies, end-use shares (summing to at most 100 % per material) and EU
  criticality figures, scaled in proportion to the real store.

Every synthetic row cites one ``source`` row (``synthetic``) that says the data
is generated.  Everything is drawn from ``numpy.random.default_rng(seed)`` in a
fixed order, so two runs with the same arguments write identical rows.  Rows
go in with ``executemany`` in chunks inside one transaction; nothing here
imports streamlit.  Command line: ``python -m rmo_data synth --url URL``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Connection

from rmo_data import constants
from rmo_data.store import rebuild, schema
from rmo_data.analysis.severity import case_severity
from rmo_data.ingest.build import build
from rmo_data.store.engine import database_url, make_engine

Progress = Callable[[str, float], None]
Records = list[dict[str, Any]]

SOURCE_ID = "synthetic"
SLUG_PREFIX = "syn_"
YEARS: tuple[int, ...] = (2021, 2022, 2023, 2024, 2025)
ESTIMATE_YEARS = frozenset({2023, 2025})  # as in the real USGS editions
CHUNK = 10_000  # rows per executemany: large enough to be fast, small enough to stay lean

# Shares observed in the real evidence (68 cases), smoothed so every value occurs.
STAGE_WEIGHTS: dict[str, float] = {"mining": 45, "processing": 17, "casting": 2, "components": 3,
                                   "oem": 1, "recycling": 2}
CATEGORY_WEIGHTS: dict[str, float] = {
    "ghg_energy": 2, "air_emissions": 2, "land_biodiversity": 6, "water": 5, "waste_tailings": 13,
    "indigenous_rights": 10, "community_health": 20, "stakeholder_engagement": 2, "ohs": 9,
    "labour_rights": 3, "human_rights_abuses": 3, "local_value": 1, "conflict": 2, "corruption": 2,
    "legal_compliance": 3, "transparency": 2,
}
RATING_WEIGHTS = np.array([0.03, 0.12, 0.45, 0.30, 0.10])  # ratings 1..5, peaked at 3-4 as in the seed
# Real store per ten materials, used to scale the smaller tables.
REAL_PER_TEN = {"salient_risk": 70, "organisation": 77, "leverage": 201, "company": 58}
SECTORS: tuple[str, ...] = ("Transportation", "Construction", "Electrical", "Machinery",
                            "Packaging", "Consumer goods", "Chemicals", "Energy storage")
SUMMARY_WORDS: tuple[str, ...] = ("tailings spill", "dust complaints", "unpaid wages",
                                  "child labour allegations", "water pollution", "forced evictions",
                                  "fatal accident", "bribery case", "protest repression",
                                  "missing closure plan", "emissions above permit",
                                  "undisclosed sourcing")


@dataclass(frozen=True)
class SynthReport:
    """What ``synthesise`` wrote: rows added per table, the arguments, and how long it took."""

    url: str
    added: dict[str, int]
    params: dict[str, int]
    seconds: float


def _weights(mapping: dict[str, float], keys: Sequence[str]) -> np.ndarray:
    w = np.array([float(mapping.get(k, 1.0)) for k in keys])
    return w / w.sum()


def _split(total: int, parts: int) -> list[int]:
    """``total`` rows spread over ``parts`` groups as evenly as possible (sizes differ by ≤ 1)."""
    if parts <= 0:
        return []
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _scaled(real_per_ten: int, materials: int) -> int:
    return max(materials, round(real_per_ten * materials / 10))


def _countries(conn: Connection) -> tuple[list[str], dict[str, str]]:
    """ISO3 codes that have governance data (so the governance HHI is defined), and their names."""
    with_wgi, names = rebuild.governance_countries(conn)
    codes = [iso for iso in sorted(names) if iso in with_wgi] or sorted(names)
    return codes, names


def _materials(n: int, rng: np.random.Generator) -> tuple[Records, Records]:
    mats, links = [], []
    for i in range(1, n + 1):
        slug = f"{SLUG_PREFIX}{i:03d}"
        mats.append({
            "slug": slug, "name": f"Synthetic {i:03d}", "short_name": f"Syn {i:03d}",
            "sort_order": 100 + i, "ore": f"synthetic ore {i:03d}",
            "summary": f"Generated material {i:03d} for benchmarking; its figures are not real.",
            "automotive_uses": "Generated: castings, wiring and battery parts.",
            "automotive_relevance": "Generated: the industry buys a varying share of its output.",
            "source_id": SOURCE_ID, "section": "synthetic",
        })
    # About one material in ten is mined with another (a co-product link), as in the report.
    for i in range(1, n + 1):
        if n > 1 and rng.random() < 0.1:
            other = int(rng.integers(1, n + 1))
            if other != i:
                links.append({"material": f"{SLUG_PREFIX}{i:03d}",
                              "linked_name": f"Synthetic {other:03d}",
                              "linked_slug": f"{SLUG_PREFIX}{other:03d}", "relation": "co-product",
                              "note": "generated link", "source_id": SOURCE_ID, "section": "synthetic"})
    return mats, links


def _commodities(slugs: Sequence[str], rng: np.random.Generator) -> Records:
    rows = []
    for slug in slugs:
        rows.append({"slug": f"{slug}_mine", "material": slug, "stage": "mining",
                     "name": f"{slug} mine production", "unit": "thousand metric tons",
                     "is_primary": True, "note": "synthetic"})
        # Processing data exists for most materials, not all (as for the real ten).
        if rng.random() < 0.7:
            rows.append({"slug": f"{slug}_refined", "material": slug, "stage": "processing",
                         "name": f"{slug} refinery production", "unit": "thousand metric tons",
                         "is_primary": True, "note": "synthetic"})
    return rows


def _production(commodities: Records, total: int, codes: Sequence[str], names: dict[str, str],
                rng: np.random.Generator) -> tuple[Records, dict[str, tuple[list[str], np.ndarray]]]:
    """Country rows per commodity and year with a Zipf-like concentration; exactly ``total`` rows.

    Returns the rows and, per material, its mining countries and their shares
    (evidence is placed where a material is produced).
    """
    rows: Records = []
    producers: dict[str, tuple[list[str], np.ndarray]] = {}
    series = [(com, year) for com in commodities for year in YEARS]
    sizes = _split(total, len(series))
    per_commodity: dict[str, list[int]] = {}
    for (com, _year), size in zip(series, sizes, strict=True):
        per_commodity.setdefault(com["slug"], []).append(size)
    for com in commodities:
        n_max = min(max(per_commodity[com["slug"]]), len(codes))
        order = [codes[i] for i in rng.permutation(len(codes))[:max(n_max, 1)]]
        exponent = rng.uniform(0.8, 1.8)  # higher = more concentrated
        weights = 1.0 / np.arange(1, len(order) + 1) ** exponent
        tail = rng.uniform(0.02, 0.10)  # output of countries not listed ("Other countries")
        shares = weights / weights.sum() * (1 - tail)
        if com["stage"] == "mining":
            producers[com["material"]] = (order, shares)
        base = 10 ** rng.uniform(1.5, 5.5)
        growth = rng.normal(0.03, 0.04)
        for year, size in zip(YEARS, per_commodity[com["slug"]], strict=True):
            if size == 0:
                continue
            level = base * (1 + growth) ** (year - YEARS[0])
            n_countries = size - 2 if size >= 3 else size - 1 if size == 2 else 1
            noise = rng.lognormal(0.0, 0.08, n_countries)
            quantities = level * shares[:n_countries] * noise
            withheld = rng.random(n_countries) < 0.02
            flags = np.where(rng.random(n_countries) < 0.5, "W", "NA")
            known_sum = 0.0
            common = {"commodity": com["slug"], "material": com["material"], "stage": com["stage"],
                      "year": year, "unit": com["unit"], "is_estimate": year in ESTIMATE_YEARS,
                      "edition": "SYN", "source_id": SOURCE_ID}
            for j in range(n_countries):
                iso3 = order[j]
                quantity = None if withheld[j] else round(float(quantities[j]), 3)
                known_sum += quantity or 0.0
                rows.append({**common, "country_name": names[iso3], "iso3": iso3,
                             "country_kind": "country", "quantity": quantity,
                             "value_flag": str(flags[j]) if withheld[j] else None})
            if size >= 2:
                other = round(level * tail, 3) if size >= 3 else 0.0
                if size >= 3:
                    rows.append({**common, "country_name": "Other countries", "iso3": None,
                                 "country_kind": "other", "quantity": other, "value_flag": None})
                # Like USGS: the world total leaves withheld figures out.
                rows.append({**common, "country_name": "World total", "iso3": None,
                             "country_kind": "world", "quantity": round(known_sum + other, 3),
                             "value_flag": None})
    return rows, producers


def _evidence(total: int, slugs: Sequence[str], mat_names: dict[str, str],
              producers: dict[str, tuple[list[str], np.ndarray]], codes: Sequence[str],
              names: dict[str, str], rng: np.random.Generator) -> Records:
    """``total`` evidence cases, vectorised per column and then turned into rows."""
    if total <= 0 or not slugs:
        return []
    # Some materials are documented far more than others.
    mat_w = rng.pareto(1.5, len(slugs)) + 0.2
    mat_idx = rng.choice(len(slugs), size=total, p=mat_w / mat_w.sum())
    stages = list(constants.STAGE_SLUGS)
    stage_idx = rng.choice(len(stages), size=total, p=_weights(STAGE_WEIGHTS, stages))
    cats = list(constants.RISK_CATEGORY_SLUGS)
    cat_idx = rng.choice(len(cats), size=total, p=_weights(CATEGORY_WEIGHTS, cats))
    ratings = rng.choice(np.arange(1, 6), size=(total, 3), p=RATING_WEIGHTS)
    no_country = rng.random(total) < 0.08
    pick = rng.random(total)
    any_country = rng.integers(0, len(codes), size=total)
    has_company = rng.random(total) < 0.6
    company_no = rng.integers(1, 2001, size=total)
    has_site = rng.random(total) < 0.4
    has_year = rng.random(total) < 0.9
    years = rng.integers(2000, 2026, size=total)
    words = rng.integers(0, len(SUMMARY_WORDS), size=total)
    where = rng.random(total)
    cat_labels = [constants.RISK_CATEGORY_LABELS[c] for c in cats]
    # Cases sit mostly where the material is produced, weighted by output.
    cumulative = {slug: (order, np.cumsum(shares) / shares.sum())
                  for slug, (order, shares) in producers.items() if len(order)}
    rows = []
    for i in range(total):
        slug = slugs[mat_idx[i]]
        iso3: str | None = None
        if not no_country[i]:
            found = cumulative.get(slug)
            if found is not None and pick[i] < 0.9:
                order, cum = found
                iso3 = order[int(min(np.searchsorted(cum, where[i]), len(order) - 1))]
            else:
                iso3 = codes[any_country[i]]
        scale, scope, irr = (int(v) for v in ratings[i])
        country = names[iso3] if iso3 else None
        company = f"Synthetic Mining Co. {company_no[i]:04d}" if has_company[i] else None
        rows.append({
            "id": f"SY-{i + 1:07d}", "material": slug, "stage": stages[stage_idx[i]],
            "category": cats[cat_idx[i]], "country_name": country, "iso3": iso3,
            "company": company, "site": f"Site {company_no[i]:04d}-{i % 7}" if has_site[i] else None,
            "year": int(years[i]) if has_year[i] else None,
            "scale": scale, "scope": scope, "irremediability": irr,
            "severity": case_severity(scale, scope, irr),
            "summary": (f"Generated case: {SUMMARY_WORDS[words[i]]} ({cat_labels[cat_idx[i]].lower()}) "
                        f"linked to {mat_names[slug]}" + (f" in {country}." if country else ".")),
            "url": None, "source_id": SOURCE_ID, "section": "synthetic",
        })
    return rows


def _salient_risks(slugs: Sequence[str], first_id: int, rng: np.random.Generator) -> tuple[Records, Records]:
    risks, stages = [], []
    cats = list(constants.RISK_CATEGORY_SLUGS)
    p = _weights(CATEGORY_WEIGHTS, cats)
    per_material = _split(_scaled(REAL_PER_TEN["salient_risk"], len(slugs)), len(slugs))
    rid = first_id
    for slug, k in zip(slugs, per_material, strict=True):
        for cat in rng.choice(len(cats), size=min(k, len(cats)), replace=False, p=p):
            risks.append({"id": rid, "material": slug, "category": cats[int(cat)],
                          "summary": f"Generated salient risk: {constants.RISK_CATEGORY_LABELS[cats[int(cat)]]}.",
                          "source_id": SOURCE_ID, "section": "synthetic"})
            n_stages = int(rng.integers(1, 4))
            for s in rng.choice(len(constants.STAGE_SLUGS), size=n_stages, replace=False,
                                p=_weights(STAGE_WEIGHTS, constants.STAGE_SLUGS)):
                stages.append({"risk_id": rid, "stage": constants.STAGE_SLUGS[int(s)]})
            rid += 1
    return risks, stages


def _organisations(slugs: Sequence[str], rng: np.random.Generator) -> tuple[Records, Records]:
    orgs, links = [], []
    n = _scaled(REAL_PER_TEN["organisation"], len(slugs))
    for i in range(1, n + 1):
        slug = f"syn-org-{i:04d}"
        kind = constants.ORGANISATION_TYPE_SLUGS[int(rng.integers(0, len(constants.ORGANISATION_TYPE_SLUGS)))]
        orgs.append({"slug": slug, "name": f"Synthetic organisation {i:04d}", "acronym": f"SO{i:04d}",
                     "type": kind, "description": "Generated organisation for benchmarking.",
                     "url": None, "is_material_standard": bool(kind == "standard" and rng.random() < 0.6),
                     "source_id": SOURCE_ID, "section": "synthetic"})
        for m in rng.choice(len(slugs), size=min(len(slugs), int(rng.integers(1, 5))), replace=False):
            links.append({"organisation": slug, "material": slugs[int(m)]})
    return orgs, links


def _leverages(slugs: Sequence[str], org_links: Records, rng: np.random.Generator) -> dict[str, Records]:
    out: dict[str, Records] = {k: [] for k in ("leverage", "leverage_target", "leverage_stage",
                                              "leverage_risk", "leverage_organisation")}
    orgs_of: dict[str, list[str]] = {}
    for link in org_links:
        orgs_of.setdefault(link["material"], []).append(link["organisation"])
    n = _scaled(REAL_PER_TEN["leverage"], len(slugs))
    for i in range(1, n + 1):
        lid = f"SYL-{i:05d}"
        slug = slugs[(i - 1) % len(slugs)]
        cat = constants.LEVERAGE_CATEGORY_SLUGS[int(rng.integers(0, len(constants.LEVERAGE_CATEGORY_SLUGS)))]
        out["leverage"].append({
            "id": lid, "material": slug, "category": cat,
            "actor": constants.ACTOR_SLUGS[int(rng.integers(0, len(constants.ACTOR_SLUGS)))],
            "title": f"Generated action {i:05d}",
            "action": "Generated leverage for benchmarking: engage suppliers, audit sites and "
                      "report progress.", "source_id": SOURCE_ID, "section": "synthetic"})
        for link, column, choices, low, high in (
                ("leverage_target", "target", constants.TARGET_SLUGS, 1, 3),
                ("leverage_stage", "stage", constants.STAGE_SLUGS, 1, 4),
                ("leverage_risk", "category", constants.RISK_CATEGORY_SLUGS, 1, 5)):
            for j in rng.choice(len(choices), size=int(rng.integers(low, high)), replace=False):
                out[link].append({"leverage_id": lid, column: choices[int(j)]})
        candidates = orgs_of.get(slug, [])
        if candidates:
            for j in rng.choice(len(candidates), size=min(len(candidates), int(rng.integers(0, 3))),
                                replace=False):
                out["leverage_organisation"].append({"leverage_id": lid,
                                                     "organisation": candidates[int(j)]})
    return out


def _companies(slugs: Sequence[str], first_id: int, codes: Sequence[str], names: dict[str, str],
               rng: np.random.Generator) -> tuple[Records, Records]:
    companies, stages = [], []
    per_material = _split(_scaled(REAL_PER_TEN["company"], len(slugs)), len(slugs))
    cid = first_id
    for slug, k in zip(slugs, per_material, strict=True):
        for _ in range(k):
            iso3 = codes[int(rng.integers(0, len(codes)))]
            companies.append({"id": cid, "material": slug, "name": f"Synthetic producer {cid:05d}",
                              "role": "miner" if rng.random() < 0.6 else "refiner",
                              "country": names[iso3], "note": "generated",
                              "source_id": SOURCE_ID, "section": "synthetic"})
            stages.append({"company_id": cid, "stage": "mining" if rng.random() < 0.6 else "processing"})
            cid += 1
    return companies, stages


def _end_use(slugs: Sequence[str], rng: np.random.Generator) -> Records:
    """Three to six sectors per material; shares add up to at most 100 %."""
    rows = []
    for slug in slugs:
        k = int(rng.integers(3, 7))
        sectors = [SECTORS[int(j)] for j in rng.choice(len(SECTORS), size=k, replace=False)]
        if rng.random() < 0.8 and "Transportation" not in sectors:
            sectors[0] = "Transportation"  # most materials have an automotive figure, not all
        covered = rng.uniform(80, 100)  # the rest is unallocated, as in real tables
        shares = np.floor(rng.dirichlet(np.ones(k)) * covered * 10) / 10  # floor: never above 100
        year = int(rng.integers(2019, 2025))
        for sector, share in zip(sectors, shares, strict=True):
            rows.append({"material": slug, "sector": sector, "share_pct": float(share), "bound": "eq",
                         "is_automotive": sector == "Transportation",
                         "basis": "consumption by industry", "scope": "global", "year": year,
                         "note": "generated", "source_id": SOURCE_ID, "section": "synthetic"})
    return rows


def _eu_crm(slugs: Sequence[str], rng: np.random.Generator) -> Records:
    rows = []
    for slug in slugs:
        if rng.random() < 0.5:  # half are assessed by the EU, as for many real materials
            rows.append({"material": slug, "eu_name": f"Synthetic {slug[-3:]}",
                         "supply_risk": round(float(rng.uniform(0.2, 5.0)), 1),
                         "economic_importance": round(float(rng.uniform(2.0, 7.0)), 1),
                         "eol_rir_pct": round(float(rng.uniform(0, 50)), 0),
                         "import_reliance_primary_pct": round(float(rng.uniform(0, 100)), 0),
                         "import_reliance_refined_pct": None, "bottleneck_stage": "mining",
                         "is_primary": True, "source_id": SOURCE_ID})
    return rows


def synthesise(url: str | None = None, materials: int = 100, evidence: int = 200_000,
               production: int = 50_000, seed: int = 42,
               progress: Progress | None = None) -> SynthReport:
    """Build the real store at ``url`` and add a seeded synthetic data set to it.

    Parameters
    ----------
    url : str, optional
        SQLAlchemy URL (default: ``RMO_DATABASE_URL`` or the package's file).
    materials, evidence, production : int
        Synthetic materials, risk-evidence rows and production rows to add
        (exact counts; the real rows come on top).
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed writes the same rows.

    Returns
    -------
    SynthReport
        Rows added per table and the seconds taken (build included).
    """
    if materials < 1 or evidence < 0 or production < 0:
        raise ValueError("materials must be at least 1; evidence and production not negative")
    report = progress or (lambda _step, _fraction: None)
    started = time.perf_counter()
    resolved = database_url(url)
    report("Building the real store", 0.0)
    build(resolved)
    rng = np.random.default_rng(seed)
    engine = make_engine(resolved)
    added: dict[str, int] = {}
    try:
        with engine.begin() as conn:
            codes, names = _countries(conn)
            report("Generating rows", 0.3)
            rebuild.insert_rows(conn, schema.source, [{
                "id": SOURCE_ID, "title": "Synthetic benchmark data (generated, not real)",
                "publisher": "RMO Leverage Explorer benchmark", "year": None, "url": None,
                "licence": "generated", "kind": "dataset", "feeds": "benchmarking only",
                "note": f"python -m rmo_data synth --materials {materials} --evidence {evidence} "
                        f"--production {production} --seed {seed}"}])
            mats, links = _materials(materials, rng)
            slugs = [m["slug"] for m in mats]
            mat_names = {m["slug"]: m["name"] for m in mats}
            commodities = _commodities(slugs, rng)
            prod_rows, producers = _production(commodities, production, codes, names, rng)
            risks, risk_stages = _salient_risks(slugs, rebuild.next_id(conn, schema.salient_risk), rng)
            orgs, org_links = _organisations(slugs, rng)
            levs = _leverages(slugs, org_links, rng)
            comps, comp_stages = _companies(slugs, rebuild.next_id(conn, schema.company), codes, names, rng)
            shares = _end_use(slugs, rng)
            crm = _eu_crm(slugs, rng)
            ev_rows = _evidence(evidence, slugs, mat_names, producers, codes, names, rng)
            report("Writing rows", 0.6)
            # Parents before children, so foreign keys hold at every statement.
            for table, rows in ((schema.material, mats), (schema.material_link, links),
                                (schema.commodity, commodities), (schema.production, prod_rows),
                                (schema.salient_risk, risks), (schema.salient_risk_stage, risk_stages),
                                (schema.organisation, orgs), (schema.organisation_material, org_links),
                                (schema.leverage, levs["leverage"]),
                                (schema.leverage_target, levs["leverage_target"]),
                                (schema.leverage_stage, levs["leverage_stage"]),
                                (schema.leverage_risk, levs["leverage_risk"]),
                                (schema.leverage_organisation, levs["leverage_organisation"]),
                                (schema.company, comps), (schema.company_stage, comp_stages),
                                (schema.end_use_share, shares), (schema.eu_crm, crm),
                                (schema.risk_evidence, ev_rows)):
                added[table.name] = rebuild.insert_rows(conn, table, rows, CHUNK)
            added["source"] = 1
            del ev_rows, prod_rows  # free the big lists before counting
            counts = rebuild.reference_counts(conn, (t.name for t in schema.REFERENCE_TABLES))
            params = {"materials": materials, "evidence": evidence, "production": production, "seed": seed}
            rebuild.set_build_facts(conn, {"counts": json.dumps(counts, sort_keys=True),
                                           "synthetic": json.dumps(params, sort_keys=True)})
        with engine.connect() as conn:
            rebuild.refresh_statistics(conn)  # planner statistics for the new row counts
            conn.commit()
        report("Done", 1.0)
    finally:
        engine.dispose()
    return SynthReport(resolved, added, params, time.perf_counter() - started)
