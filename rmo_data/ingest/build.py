"""Build the store from the seed files and the public source data.

``build()`` validates everything first and writes nothing unless all of it is
valid.  A SQLite store is written to a temporary file next to the target and
swapped in with one ``os.replace``, so a build killed half-way leaves the
previous store untouched.  Other databases (PostgreSQL) are rebuilt inside one
transaction, so a failed build rolls back to the previous data.  User-made
tables (scenarios, workshops, plans, audit log, change sets, and any table a
later migration adds) are carried over from the previous store in both
cases, and editors' active change sets are written again over the rebuilt
reference tables (``rmo_data.stewardship.reapply``).

Tables are created by the Alembic migrations (``rmo_data.store.migrate``), not by
``metadata.create_all``: the previous store is first upgraded to the newest
revision, so its user rows have today's shape, and the new store is at that
revision too.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, inspect

from rmo_data import constants
from rmo_data.analysis.severity import case_severity
from rmo_data.ingest import indicator_sources, production_sources, public_sources
from rmo_data.store import migrate
from rmo_data.store import rebuild, schema
from rmo_data.store.engine import database_url, make_engine, sqlite_path, store_status
from rmo_data.ingest.seeds import SEED_DIR, Problem, SeedError, SeedSet, load_seeds
from rmo_data.stewardship.reapply import reapply

Progress = Callable[[str, float], None]
Records = list[dict[str, Any]]
STORE_FILE_MODE = 0o600  # the store holds participants' names and partners' plans: owner only
KEPT_COPIES = 10  # time-stamped copies of replaced store files kept beside the store


class StoreUnavailable(RuntimeError):
    """The existing store cannot be read or locked now (busy, read-only): nothing was replaced."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


@dataclass(frozen=True)
class BuildReport:
    """What a build wrote: row counts per table, where, and how long it took."""

    url: str
    counts: dict[str, int]
    seconds: float
    kept: Path | None = None  # where the replaced SQLite file was kept, if there was one
    recovered: int | None = None  # user rows carried over from a damaged file (None: it was not damaged)


def _clean(records: Iterable[dict[str, Any]]) -> Records:
    """Turn pandas' NaN/NA into None so every database stores NULL."""
    out = []
    for rec in records:
        out.append({k: (None if _is_missing(v) else v) for k, v in rec.items()})
    return out


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _frame_records(frame: pd.DataFrame, columns: Iterable[str]) -> Records:
    cols = list(columns)
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ValueError(f"source loader returned no column(s) {missing}")
    return _clean(frame[cols].astype(object).to_dict("records"))


def _table_columns(table: Any, skip: Iterable[str] = ()) -> list[str]:
    skipped = set(skip)
    return [c.name for c in table.columns if c.name not in skipped]


def assemble(seeds: SeedSet, sources_dir: Path = public_sources.SOURCES_DIR) -> dict[str, Records]:
    """Turn validated seeds and source files into rows for every reference table.

    Raises ``SeedError`` when a source file cannot be read or refers to
    something unknown (a country name with no ISO code, for example).
    """
    problems: list[Problem] = []
    tables: dict[str, Records] = {}

    tables["source"] = [s.model_dump() for s in seeds["sources.csv"]]
    tables["stage"] = [
        {"slug": s.slug, "name": s.label, "sort_order": i, "description": s.description}
        for i, s in enumerate(constants.STAGES)
    ]
    tables["risk_category"] = [
        {"slug": r.slug, "name": r.label, "pillar": r.pillar,
         "description": r.description, "sort_order": i}
        for i, r in enumerate(constants.RISK_CATEGORIES)
    ]

    order = {slug: i for i, slug in enumerate(constants.MATERIAL_SLUGS)}
    tables["material"], tables["material_link"] = [], []
    for mat in seeds["materials.yaml"]:
        tables["material"].append({
            "slug": mat.slug, "name": constants.MATERIAL_LABELS[mat.slug],
            "short_name": constants.MATERIAL_SHORT[mat.slug], "sort_order": order[mat.slug],
            "ore": mat.ore, "summary": mat.summary, "automotive_uses": mat.automotive_uses,
            "automotive_relevance": mat.automotive_relevance,
            "source_id": mat.source, "section": mat.section,
        })
        for link in mat.links:
            tables["material_link"].append({
                "material": mat.slug, "linked_name": link.linked_name,
                "linked_slug": link.linked_slug, "relation": link.relation,
                "note": link.note, "source_id": link.source, "section": link.section,
            })

    aliases = pd.DataFrame([a.model_dump() for a in seeds["country_aliases.csv"]])
    try:
        countries = public_sources.load_countries(aliases)
        resolve = public_sources.make_country_resolver(aliases)
    except Exception as exc:  # noqa: BLE001 - reported with its file, never a traceback
        raise SeedError([Problem("country_aliases.csv", None, None, str(exc))]) from exc
    tables["country"] = _frame_records(countries, ["iso3", "name", "iso_numeric"])
    known_iso3 = {c["iso3"] for c in tables["country"]}

    def resolve_country(file: str, row_label: str, name: str | None) -> str | None:
        if not name:
            return None
        iso3 = resolve(name)
        if iso3 is None or iso3 not in known_iso3:
            problems.append(Problem(file, None, "country",
                                    f"{row_label}: unknown country {name!r} "
                                    "(add it to country_aliases.csv)"))
        return iso3

    tables["end_use_share"] = [
        {**r.model_dump(exclude={"source"}), "source_id": r.source}
        for r in seeds["end_use_shares.csv"]
    ]
    try:
        us_shares = indicator_sources.load_us_end_use(base=sources_dir)
    except Exception as exc:  # noqa: BLE001
        raise SeedError([Problem("usgs_mcs2026_text", None, None, str(exc))]) from exc
    tables["end_use_share"] += _frame_records(
        us_shares, _table_columns(schema.end_use_share, skip=("id",)))

    tables["concentration_statement"] = [
        {**r.model_dump(exclude={"source", "country"}), "source_id": r.source,
         "country_name": r.country,
         "iso3": resolve_country("concentration_statements.csv", f"{r.material} {r.stage}", r.country)}
        for r in seeds["concentration_statements.csv"]
    ]

    tables["company"], tables["company_stage"] = [], []
    for i, r in enumerate(seeds["companies.csv"], start=1):
        tables["company"].append({
            "id": i, "material": r.material, "name": r.name, "role": r.role,
            "country": r.country, "note": r.note, "source_id": r.source, "section": r.section,
        })
        tables["company_stage"] += [{"company_id": i, "stage": s} for s in dict.fromkeys(r.stages)]

    tables["salient_risk"], tables["salient_risk_stage"] = [], []
    for i, r in enumerate(seeds["salient_risks.csv"], start=1):
        tables["salient_risk"].append({
            "id": i, "material": None if r.material == constants.CROSS_MATERIAL else r.material,
            "category": r.category, "summary": r.summary,
            "source_id": r.source, "section": r.section,
        })
        tables["salient_risk_stage"] += [{"risk_id": i, "stage": s} for s in dict.fromkeys(r.stages)]

    tables["risk_evidence"] = []
    for r in seeds["risk_evidence.csv"]:
        tables["risk_evidence"].append({
            "id": r.id, "material": r.material, "stage": r.stage, "category": r.category,
            "country_name": r.country,
            "iso3": resolve_country("risk_evidence.csv", r.id, r.country),
            "company": r.company, "site": r.site, "year": r.year,
            "scale": r.scale, "scope": r.scope, "irremediability": r.irremediability,
            "severity": case_severity(r.scale, r.scope, r.irremediability),
            "summary": r.summary, "url": r.url, "source_id": r.source, "section": r.section,
            "confidence": r.confidence, "confidence_reason": r.confidence_reason, "passage": r.passage,
        })

    tables["organisation"], tables["organisation_material"] = [], []
    for r in seeds["organisations.csv"]:
        tables["organisation"].append({
            "slug": r.slug, "name": r.name, "acronym": r.acronym, "type": r.type,
            "description": r.description, "url": r.url,
            "is_material_standard": r.is_material_standard,
            "source_id": r.source, "section": r.section,
        })
        tables["organisation_material"] += [
            {"organisation": r.slug, "material": m} for m in dict.fromkeys(r.materials)
        ]

    for name in ("leverage", "leverage_target", "leverage_stage", "leverage_risk",
                 "leverage_organisation"):
        tables[name] = []
    for r in seeds["leverages.csv"]:
        tables["leverage"].append({
            "id": r.id, "material": None if r.material == constants.CROSS_MATERIAL else r.material,
            "category": r.category, "actor": r.actor, "title": r.title, "action": r.action,
            "source_id": r.source, "section": r.section,
        })
        tables["leverage_target"] += [{"leverage_id": r.id, "target": t} for t in dict.fromkeys(r.targets)]
        tables["leverage_stage"] += [{"leverage_id": r.id, "stage": s} for s in dict.fromkeys(r.stages)]
        tables["leverage_risk"] += [{"leverage_id": r.id, "category": c} for c in dict.fromkeys(r.risks)]
        tables["leverage_organisation"] += [
            {"leverage_id": r.id, "organisation": o} for o in dict.fromkeys(r.organisations)
        ]

    tables["other_sector"] = [
        {**r.model_dump(exclude={"source"}), "source_id": r.source}
        for r in seeds["other_sectors.csv"]
    ]

    tables["material_fact"] = [
        {**r.model_dump(exclude={"source", "material"}), "source_id": r.source,
         "material": None if r.material == constants.CROSS_MATERIAL else r.material}
        for r in seeds["material_facts.csv"]
    ]
    tables["report_theme"] = [
        {**r.model_dump(exclude={"source"}), "source_id": r.source, "sort_order": i}
        for i, r in enumerate(seeds["report_themes.csv"])
    ]
    tables["regulatory_listing"] = [
        {**r.model_dump(exclude={"source"}), "source_id": r.source} for r in seeds["regulatory_listings.csv"]
    ]

    tables["commodity"] = [c.model_dump() for c in seeds["commodities.csv"]]
    commodity_slugs = {c["slug"] for c in tables["commodity"]}
    commodity_frame = pd.DataFrame(tables["commodity"])
    loaders: list[tuple[str, str, Callable[[], pd.DataFrame], Any]] = [
        ("production", "production sources (USGS, IEA)",
         lambda: production_sources.load_production(resolve, base=sources_dir, commodities=commodity_frame),
         schema.production),
        ("governance_indicator", "worldbank_wgi",
         lambda: indicator_sources.load_wgi(resolve, base=sources_dir), schema.governance_indicator),
        ("eu_crm", "eu_crm2023", lambda: indicator_sources.load_eu_crm(base=sources_dir), schema.eu_crm),
    ]
    for table_name, label, loader, table in loaders:
        try:
            frame = loader()
        except Exception as exc:  # noqa: BLE001 - named file and reason, never a traceback
            raise SeedError([Problem(label, None, None, str(exc))]) from exc
        skip = ("id",) if table_name == "production" else ()
        tables[table_name] = _frame_records(frame, _table_columns(table, skip=skip))

    unknown_commodities = {r["commodity"] for r in tables["production"]} - commodity_slugs
    if unknown_commodities:
        problems.append(Problem("commodities.csv", None, "slug",
                                f"production uses commodities not listed: "
                                f"{', '.join(sorted(unknown_commodities))}"))
    for rec in tables["production"]:
        if rec["iso3"] is not None and rec["iso3"] not in known_iso3:
            problems.append(Problem("production sources", None, "iso3",
                                    f"unknown ISO3 {rec['iso3']!r} for {rec['country_name']!r}"))
    for rec in tables["governance_indicator"]:
        if rec["iso3"] not in known_iso3:
            problems.append(Problem("worldbank_wgi", None, "code",
                                    f"unknown ISO3 {rec['iso3']!r} for {rec['country_name']!r}"))
            break
    if problems:
        raise SeedError(problems)
    return tables


def _keep_aside(path: Path) -> Path | None:
    """Keep the current store file (and its side files) under a time-stamped name; return it.

    A hard link keeps the old file's contents under the new name while ``os.replace``
    then swaps the new store in, so there is never a moment without a store; where
    links are not possible the file is copied.
    """
    if not path.exists() or path.stat().st_size == 0:
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    kept = path.with_name(f"{path.name}.{stamp}.bak")
    for suffix in ("", "-wal", "-shm"):
        source = path.with_name(path.name + suffix)
        if not source.exists():
            continue
        target = kept.with_name(kept.name + suffix)
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)
        os.chmod(target, STORE_FILE_MODE)
    _prune_kept(path)
    return kept


def _prune_kept(path: Path, keep: int = KEPT_COPIES) -> None:
    """Remove all but the newest ``keep`` kept copies of ``path`` (their names sort by time)."""
    copies = sorted(path.parent.glob(f"{path.name}.*.bak"))
    for old in copies[:-keep]:
        for suffix in ("", "-wal", "-shm"):
            old.with_name(old.name + suffix).unlink(missing_ok=True)


def _reapply_change_sets(conn: Connection, counts: dict[str, int]) -> tuple[dict[str, int], dict[str, Any]]:
    """Write editors' active change sets again over the rebuilt reference tables.

    Returns the row counts of the store afterwards and what was re-applied (or
    skipped, and why), which ``build_info`` keeps under ``change_sets``.
    """
    summary = reapply(conn)
    if not summary["reapplied"]:
        return counts, summary
    return rebuild.reference_counts(conn, counts), summary


def _side_files(path: Path) -> list[Path]:
    return [path, *(path.with_name(path.name + sfx) for sfx in ("-wal", "-shm", "-journal"))]


def _write_sqlite_file(path: Path, tables: dict[str, Records],
                       progress: Progress) -> tuple[dict[str, int], Path | None, int | None]:
    """Write a new store file beside ``path`` and swap it in; return counts, the kept copy, rows recovered."""
    tmp = path.with_name(path.name + ".tmp")
    # A killed build leaves its half-written file (and SQLite's side files) behind: start afresh.
    for leftover in _side_files(tmp):
        leftover.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)

    user_rows: dict[str, Records] = {}
    recovered = False
    carried = 0
    old_url = f"sqlite:///{path}"
    # A readable old store is migrated first, and a failing migration stops the build rather
    # than dropping the user's rows; a damaged one gives up what SQLite can still read.
    # A busy, unreadable or unreachable one stops the build (nothing is replaced).
    if path.exists() and path.stat().st_size > 0:
        status = store_status(old_url)
        if status in {"busy", "read_only"}:
            raise StoreUnavailable(status)
        if status == "corrupt":
            user_rows, recovered = rebuild.recover_user_rows(path), True
        else:
            migrate.upgrade(old_url)
            old = make_engine(old_url)
            try:
                user_rows = rebuild.read_user_rows(old)
                with old.connect() as conn:
                    # Fold the WAL into the main file so no stale log outlives the swap.
                    rebuild.checkpoint_wal(conn)
            finally:
                old.dispose()

    try:
        # Created owner-only before SQLite opens it: SQLite gives its side files the same mode.
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, STORE_FILE_MODE))
        migrate.upgrade(f"sqlite:///{tmp}")  # every table, at the newest revision
        engine = make_engine(f"sqlite:///{tmp}")
        try:
            progress("Writing tables", 0.7)
            with engine.begin() as conn:
                counts = rebuild.insert_reference_rows(conn, tables, progress)
                carried = rebuild.write_user_rows(conn, user_rows, one_by_one=recovered)
                counts, change_sets = _reapply_change_sets(conn, counts)
                rebuild.write_build_info(conn, counts, change_sets,
                                  {"recovered_user_rows": carried} if recovered else None)
            with engine.connect() as conn:
                rebuild.finish_sqlite_file(conn)
        finally:
            engine.dispose()
        os.chmod(tmp, STORE_FILE_MODE)
        kept = _keep_aside(path)
    except BaseException:
        # Disk full, no permission, killed by a signal that Python sees: leave no half file.
        for leftover in _side_files(tmp):
            leftover.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
    for stale in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    return counts, kept, (carried if recovered else None)


def _write_in_transaction(engine: Engine, tables: dict[str, Records], progress: Progress) -> dict[str, int]:
    """Rebuild reference tables in one transaction (PostgreSQL has transactional DDL).

    User tables stay where they are; the migrations bring them (and the
    ``alembic_version`` row) to the newest revision in the same transaction, so
    a failure anywhere leaves the previous store exactly as it was.
    """
    with engine.begin() as conn:
        migrate.upgrade_connection(conn)
        # Reference tables as schema.py declares them (the migrations' head, checked by a test).
        rebuild.replace_reference_tables(conn, inspect(conn).get_table_names())
        progress("Writing tables", 0.7)
        counts = rebuild.insert_reference_rows(conn, tables, progress)
        counts, change_sets = _reapply_change_sets(conn, counts)
        rebuild.write_build_info(conn, counts, change_sets)
        rebuild.refresh_statistics(conn)  # PostgreSQL allows ANALYZE in a transaction
    return counts


def build(
    url: str | None = None,
    seed_dir: Path = SEED_DIR,
    sources_dir: Path = public_sources.SOURCES_DIR,
    progress: Progress | None = None,
) -> BuildReport:
    """Validate all inputs and (re)build the store at ``url``.

    Raises ``SeedError`` (with every problem listed) before anything is written.
    """
    report = progress or (lambda _step, _fraction: None)
    started = time.perf_counter()
    resolved = database_url(url)
    report("Validating seed files", 0.05)
    seeds = load_seeds(seed_dir)
    report("Reading public data sources", 0.3)
    tables = assemble(seeds, sources_dir)
    path = sqlite_path(resolved)
    kept: Path | None = None
    recovered: int | None = None
    if path is not None:
        counts, kept, recovered = _write_sqlite_file(path, tables, report)
    else:
        engine = make_engine(resolved)
        try:
            counts = _write_in_transaction(engine, tables, report)
        finally:
            engine.dispose()
    report("Done", 1.0)
    return BuildReport(resolved, counts, time.perf_counter() - started, kept, recovered)


def ensure_store(url: str | None = None, progress: Progress | None = None) -> str:
    """Build the store when it is missing or empty, migrate it when it exists; return its status.

    A corrupt store is left alone: the caller shows a message and offers a rebuild,
    so that nothing is replaced without the user asking for it.
    """
    status = store_status(url)
    if status in {"missing", "empty"}:
        build(url, progress=progress)
        status = store_status(url)
    elif status == "ok":
        migrate.ensure_current(url)  # a store made by an older version gets the newest tables
    return status
