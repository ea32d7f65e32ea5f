"""Checking uploaded rows: the header, each row against its seed model and the store's vocabularies.

A row is validated with the seed model of its table (``rmo_data.ingest.seeds``,
so an upload obeys the same rules as the repository's files), then turned into
the database record it would write and checked against what the store holds:
materials, sources, countries (resolved as the build resolves them),
commodities and organisations.  Every failure is a ``Problem`` naming file,
row, column and what is wrong; nothing here raises on bad input or writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import pandas as pd
from pydantic import ValidationError
from sqlalchemy import Table

from rmo_data import constants
from rmo_data.analysis.severity import case_severity
from rmo_data.ingest import public_sources, seeds
from rmo_data.ingest.seeds import Problem
from rmo_data.stewardship.record_diff import values_equal
from rmo_data.stewardship.upload_reader import RawRow
from rmo_data.stewardship.upload_tables import UPLOAD_COLUMN, TableSpec
from rmo_data.store import schema
from rmo_data.store.reference_rows import Key, Record, Vocabulary

def header_problems(file: str, header: list[str], expected: Iterable[str], required: Iterable[str],
                    ) -> list[Problem]:
    """Columns that appear twice, are not expected, or are required and missing."""
    allowed = list(expected)
    problems = []
    if len(header) == 1 and ";" in header[0]:
        # Excel in many European locales writes CSV with semicolons.
        return [Problem(file, 1, None, "the columns are separated by ';', not ','; in Excel, save the file "
                                       "as 'CSV UTF-8 (comma delimited)' or upload it as .xlsx")]
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(Problem(file, 1, name, "column appears twice"))
        seen.add(name)
        if name not in allowed:
            problems.append(Problem(file, 1, name or "(blank)",
                                    f"unexpected column; expected: {', '.join(allowed)}"))
    for name in required:
        if name not in header:
            problems.append(Problem(file, 1, name, "required column is missing"))
    return problems


@lru_cache(maxsize=1)
def country_resolver() -> Any:
    """Country names to ISO3 as the build resolves them (pycountry plus the seed aliases)."""
    rows, _problems = seeds.validate_file(seeds.SEED_DIR / "country_aliases.csv")
    aliases = pd.DataFrame([r.model_dump() for r in rows], columns=["name", "iso3"])
    return public_sources.make_country_resolver(aliases)


def record_of_row(spec: TableSpec, row: Any, known: Vocabulary, file: str, line: int) -> tuple[Record, list[Problem]]:
    """The database record of one validated upload row and the store checks it fails."""
    problems: list[Problem] = []

    def problem(column: str, message: str) -> None:
        problems.append(Problem(file, line, column, message))

    material = None if getattr(row, "material", None) == constants.CROSS_MATERIAL else getattr(row, "material", None)
    if material is not None and material not in known.materials:
        problem("material", f"unknown material {material!r}: the store holds no such material")
    if row.source not in known.sources:
        problem("source", f"unknown source id {row.source!r}: use a source of the store or add it "
                          "in a sources file (or an XLSX sheet named 'sources') with this upload")

    def country(name: str | None) -> str | None:
        if not name:
            return None
        iso3 = country_resolver()(name)
        if iso3 is None or iso3 not in known.iso3:
            problem("country", f"unknown country {name!r}: use the country's usual English name")
        return iso3

    if spec.name == "risk_evidence":
        record = {
            "id": row.id, "material": row.material, "stage": row.stage, "category": row.category,
            "country_name": row.country, "iso3": country(row.country), "company": row.company,
            "site": row.site, "year": row.year, "scale": row.scale, "scope": row.scope,
            "irremediability": row.irremediability,
            "severity": case_severity(row.scale, row.scope, row.irremediability),
            "summary": row.summary, "url": row.url, "source_id": row.source, "section": row.section,
            "confidence": row.confidence, "confidence_reason": row.confidence_reason,
            "passage": row.passage}
    elif spec.name == "production":
        commodity = known.commodities.get(row.commodity)
        if commodity is None:
            problem("commodity", f"unknown commodity {row.commodity!r}: use one of the store's commodities")
        else:
            for column in ("material", "stage", "unit"):
                if commodity[column] != getattr(row, column):
                    problem(column, f"commodity {row.commodity!r} has {column} {commodity[column]!r}, "
                                    f"not {getattr(row, column)!r}")
        iso3 = country(row.country) if row.country_kind == "country" else None
        record = {
            "commodity": row.commodity, "material": row.material, "stage": row.stage,
            "country_name": row.country, "iso3": iso3, "country_kind": row.country_kind,
            "year": row.year, "quantity": row.quantity, "unit": row.unit,
            "value_flag": row.value_flag, "is_estimate": row.is_estimate, "edition": row.edition,
            "source_id": row.source}
    elif spec.name == "end_use_share":
        record = {**row.model_dump(exclude={"source"}), "source_id": row.source}
    elif spec.name == "organisation":
        unknown = [m for m in row.materials if m not in known.materials]
        if unknown:
            problem("materials", f"unknown material(s) {', '.join(unknown)}")
        record = {
            "slug": row.slug, "name": row.name, "acronym": row.acronym, "type": row.type,
            "description": row.description, "url": row.url,
            "is_material_standard": row.is_material_standard, "source_id": row.source,
            "section": row.section, "materials": sorted(set(row.materials))}
    else:  # leverage
        unknown = [o for o in row.organisations if o not in known.organisations]
        if unknown:
            problem("organisations", f"unknown organisation(s) {', '.join(unknown)}: upload them first")
        record = {
            "id": row.id, "material": material, "category": row.category, "actor": row.actor,
            "title": row.title, "action": row.action, "source_id": row.source, "section": row.section,
            "targets": sorted(set(row.targets)), "stages": sorted(set(row.stages)),
            "risks": sorted(set(row.risks)), "organisations": sorted(set(row.organisations))}
    problems += length_problems(spec.table, record, file, line)
    return record, problems



def length_problems(table: Table, record: Mapping[str, Any], file: str, line: int) -> list[Problem]:
    """Text longer than its column allows (PostgreSQL refuses it; SQLite would keep it silently)."""
    out = []
    for column in table.c:
        limit = getattr(column.type, "length", None)
        value = record.get(column.name)
        if limit and isinstance(value, str) and len(value) > limit:
            out.append(Problem(file, line, UPLOAD_COLUMN.get(column.name, column.name),
                               f"too long: at most {limit} characters, got {len(value)}"))
    return out


def cell_problems(spec: TableSpec, cells: Mapping[str, str], known: Vocabulary, file: str, line: int,
                  reported: set[str | None]) -> list[Problem]:
    """Store checks of a row the model refused, so one pass finds a bad source or country too."""
    out = []
    source = (cells.get("source") or "").strip()
    if source and "source" not in reported and source not in known.sources:
        out.append(Problem(file, line, "source", f"unknown source id {source!r}: use a source of the store "
                                                 "or add it in a sources file with this upload"))
    country = (cells.get("country") or "").strip()
    kind = (cells.get("country_kind") or "country").strip()
    if spec.name in {"risk_evidence", "production"} and country and kind == "country" \
            and "country" not in reported:
        iso3 = country_resolver()(country)
        if iso3 is None or iso3 not in known.iso3:
            out.append(Problem(file, line, "country", f"unknown country {country!r}: use the country's usual "
                                                      "English name"))
    return out


def delete_key(spec: TableSpec, raw: Mapping[str, str], file: str, line: int) -> tuple[Key | None, list[Problem]]:
    """The key of a ``delete`` row, which needs only its key columns."""
    values: list[Any] = []
    problems = []
    for column in spec.key_columns:
        text_value = (raw.get(column) or "").strip()
        if column == "year":
            if not text_value:
                if spec.name == "production":
                    problems.append(Problem(file, line, column, "required to say which row to delete"))
                values.append(None)
                continue
            try:
                number = float(text_value)
                if not number.is_integer():
                    raise ValueError
                values.append(int(number))
            except (ValueError, OverflowError):
                problems.append(Problem(file, line, column, f"not a whole number: {text_value!r}"))
                values.append(None)
            continue
        if not text_value:
            problems.append(Problem(file, line, column, "required to say which row to delete"))
        values.append(text_value or None)
    return (None if problems else tuple(values)), problems


def new_sources(file: str, raw_rows: list[RawRow], known: Vocabulary, problems: list[Problem]) -> list[Record]:
    """The valid source rows of an upload that the store does not hold yet; problems go to ``problems``."""
    out: list[Record] = []
    seen: dict[str, int] = {}
    for line, raw in raw_rows:
        try:
            row = seeds.SourceRow.model_validate(raw)
        except ValidationError as err:
            problems.extend(seeds.row_problems(file, line, err))
            continue
        record = row.model_dump()
        too_long = length_problems(schema.source, record, file, line)
        if too_long:
            problems.extend(too_long)
            continue
        if row.id in seen:
            problems.append(Problem(file, line, "id", f"duplicate row: same id as row {seen[row.id]}"))
            continue
        seen[row.id] = line
        stored = known.sources.get(row.id)
        if stored is not None:
            if any(not values_equal(stored.get(k), v) for k, v in record.items()):
                problems.append(Problem(file, line, "id", f"source {row.id!r} exists already with other "
                                        "details; new sources can be added here, not changed"))
            continue  # the same source again: nothing to add
        out.append(record)
    return out
