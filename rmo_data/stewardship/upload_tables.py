"""The tables editors may upload, their columns and keys, templates and current rows.

Each uploadable table has a ``TableSpec``: the seed model its rows are checked
with (``rmo_data.ingest.seeds``), the template's columns, the natural key (in
database and in upload column names) and its link tables.  A row whose action
column says ``delete`` is removed; ``action_column`` names that column (a
leverage has its own column called "action", so there it is ``row_action``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, Table

from rmo_data import constants
from rmo_data.ingest import seeds
from rmo_data.ingest.seeds import Flag, MaterialSlug, Opt, OptFloat, Req, StageSlug
from rmo_data.store import reference_rows, schema
from rmo_data.store.reference_rows import Link
from rmo_data.store.writes import engine_or_default

Mode = Literal["upsert", "replace"]
MODES: tuple[str, ...] = ("upsert", "replace")
ACTION_COLUMN = "action"
DELETE_ACTIONS = frozenset({"delete", "remove"})
UPSERT_ACTIONS = frozenset({"", "upsert", "add", "update"})


class ProductionRow(BaseModel):
    """An uploaded production figure, built from the seed models' own field types."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    commodity: Req
    material: MaterialSlug
    stage: StageSlug
    country: Req
    country_kind: Literal["country", "world", "other"] = "country"
    year: int = Field(ge=1900, le=2100)
    quantity: OptFloat = Field(default=None, ge=0)
    unit: Req
    value_flag: Opt = None
    is_estimate: Flag = False
    edition: Opt = None
    source: Req


@dataclass(frozen=True)
class TableSpec:
    """One uploadable table: its seed model, template columns, natural key and link tables."""

    name: str
    label: str
    model: type[BaseModel]
    columns: tuple[str, ...]  # template columns, as in the seed files
    key: tuple[str, ...]  # natural key, database column names
    key_columns: tuple[str, ...]  # the same key, upload column names
    links: tuple[Link, ...] = ()
    surrogate: bool = False  # an integer id the database assigns, kept out of the key
    # Columns that a file may leave out without clearing them: a stored row keeps its value (the
    # upload and database names are the same).  Files made before the column existed lack it.
    kept_when_absent: tuple[str, ...] = ()

    @property
    def table(self) -> Table:
        return schema.metadata.tables[self.name]

    @property
    def replace_by_material(self) -> bool:
        """Replace mode works on tables with one material per row."""
        return "material" in self.table.c


SPECS: dict[str, TableSpec] = {spec.name: spec for spec in (
    TableSpec("risk_evidence", "Risk evidence", seeds.EvidenceRow,
              ("id", "material", "stage", "category", "country", "company", "site", "year", "scale",
               "scope", "irremediability", "summary", "url", "source", "section",
               "confidence", "confidence_reason", "passage"),  # the last three are optional
              key=("id",), key_columns=("id",), kept_when_absent=("confidence", "confidence_reason", "passage")),
    TableSpec("production", "Production", ProductionRow,
              ("commodity", "material", "stage", "country", "country_kind", "year", "quantity", "unit",
               "value_flag", "is_estimate", "edition", "source"),
              key=("commodity", "country_name", "year"), key_columns=("commodity", "country", "year"),
              surrogate=True),
    TableSpec("end_use_share", "End-use shares", seeds.EndUseRow,
              ("material", "sector", "share_pct", "bound", "is_automotive", "basis", "scope", "year",
               "note", "source", "section"),
              key=("material", "sector", "basis", "scope", "year", "source_id"),
              key_columns=("material", "sector", "basis", "scope", "year", "source"), surrogate=True),
    TableSpec("organisation", "Organisations", seeds.OrganisationRow,
              ("slug", "name", "acronym", "type", "materials", "is_material_standard", "description",
               "url", "source", "section"),
              key=("slug",), key_columns=("slug",),
              links=(Link("materials", schema.organisation_material, "organisation", "material"),)),
    TableSpec("leverage", "Leverages", seeds.LeverageRow,
              ("id", "material", "category", "actor", "targets", "stages", "risks", "organisations",
               "title", "action", "source", "section"),
              key=("id",), key_columns=("id",),
              links=(Link("targets", schema.leverage_target, "leverage_id", "target"),
                     Link("stages", schema.leverage_stage, "leverage_id", "stage"),
                     Link("risks", schema.leverage_risk, "leverage_id", "category"),
                     Link("organisations", schema.leverage_organisation, "leverage_id", "organisation"))),
)}
SOURCE_COLUMNS: tuple[str, ...] = tuple(seeds.SourceRow.model_fields)
# A leverage has a column called "action" (its text), so the row action column is renamed there.
ROW_ACTION = {"leverage": "row_action"}


def action_column(table: str) -> str:
    """Name of the optional column that marks a row for removal (``delete``)."""
    return ROW_ACTION.get(table, ACTION_COLUMN)


def key_text(spec: TableSpec, key: Sequence[Any]) -> str:
    """A key as the audit log and messages show it: the value, or JSON for a composite key."""
    if len(spec.key) == 1:
        return str(key[0])
    return json.dumps(dict(zip(spec.key, key, strict=True)), ensure_ascii=False, sort_keys=True)


# --- templates and current rows ----------------------------------------------------------------

def template_csv(table: str) -> bytes:
    """An empty CSV with the columns an upload of ``table`` expects (the action column last)."""
    spec = SPECS[table]
    return (",".join((*spec.columns, action_column(table))) + "\n").encode("utf-8")


def sources_template_csv() -> bytes:
    """An empty CSV with the columns of new source rows."""
    return (",".join(SOURCE_COLUMNS) + "\n").encode("utf-8")


# Upload column -> database column where the names differ.
DB_COLUMN = {"source": "source_id", "country": "country_name"}
# Database column -> upload column, to name a column in a problem.
UPLOAD_COLUMN = {db: upload for upload, db in DB_COLUMN.items()}


def current_rows(table: str, materials: Sequence[str] = (), engine: Engine | None = None) -> pd.DataFrame:
    """Stored rows of ``table`` in the template's columns, ready to edit and upload again.

    Lists are written ``a;b``, a cross-material row's material as ``cross``; uploading the
    frame unchanged changes nothing.  ``materials`` narrows the rows (all when empty).
    """
    spec = SPECS[table]
    with engine_or_default(engine).connect() as conn:
        records = list(reference_rows.all_records(conn, spec, materials).values())
    out = []
    for record in records:
        row: dict[str, Any] = {}
        for column in spec.columns:
            value = record.get(DB_COLUMN.get(column, column))
            if column == "material" and value is None and table == "leverage":
                value = constants.CROSS_MATERIAL
            if isinstance(value, list):
                value = ";".join(value)
            elif isinstance(value, bool):
                value = "true" if value else "false"
            row[column] = value
        out.append(row)
    frame = pd.DataFrame(out, columns=list(spec.columns))
    if spec.surrogate:
        frame = frame.sort_values(list(spec.key_columns), kind="stable", na_position="first")
    else:
        frame = frame.sort_values(list(spec.key_columns), kind="stable")
    return frame.reset_index(drop=True)

