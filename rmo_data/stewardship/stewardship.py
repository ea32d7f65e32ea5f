"""Data stewardship: editors add, change and remove reference rows by uploading CSV or XLSX.

The flow is *validate → preview → apply → (roll back)*, all without streamlit:

* ``validate_upload`` reads one file (and optionally a file of new sources),
  checks every row with the seed models of ``rmo_data.ingest.seeds`` and the store's
  own vocabularies (materials, countries, commodities, sources,
  organisations) and returns a ``Preview``: either ``problems`` (each naming
  file, row, column and problem) or the rows that would be added, changed and
  removed.  It never writes and never raises on bad input.
* ``apply_preview`` writes a valid preview in ONE transaction, after checking
  that the store still holds what the preview was computed from.  Every row
  written gets an ``audit_log`` row (who, when, what, before and after as
  JSON) carrying the id of a new ``change_set`` row.
* ``rollback_change_set`` / ``rollback_audit_row`` undo a whole change set or
  one of its rows; the rollback is itself a change set with audit rows, and it
  refuses (writing nothing) when a row has changed again since.
* ``reapply`` is called by ``rmo_data.ingest.build`` after a rebuild from the
  repository's files: every upload change set that is still active is written
  again (the rows it did not roll back), so editors' work does not vanish.

Removal: a row whose ``action`` column says ``delete`` is removed (only its key
columns are needed), or, in ``replace`` mode, every stored row of a material
that appears in the file but is not in the file is removed.  Upload row numbers
are spreadsheet rows: the header is row 1, the first data row is row 2.
Portable SQLAlchemy Core only (SQLite and PostgreSQL).

Limits, so that one upload cannot tie up the server: at most ``MAX_UPLOAD_BYTES``
per file and ``MAX_UPLOAD_ROWS`` rows; a workbook is first judged from its zip
directory (what it unpacks to, how many parts, the rows a sheet declares) and
then read row by row in openpyxl's read-only mode, stopping at the row limit.
A cell that starts with a quote followed by ``= + - @``, a tab or a carriage
return loses that one quote (``exports.unescape_cell``): downloads add it, so
"current rows" downloaded and uploaded again change nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Connection, Engine, Table, and_, delete, func, insert, inspect, select, update

from rmo_data import constants
from rmo_data.ingest import public_sources
from rmo_data.store import schema
from rmo_data.ingest import seeds
from rmo_data.store.engine import get_engine
from rmo_data.exports import unescape_cell
from rmo_data.ingest.seeds import Flag, MaterialSlug, Opt, OptFloat, Problem, Req, StageSlug
from rmo_data.store.writes import audit, begin_write, now, to_json

Mode = Literal["upsert", "replace"]
MODES: tuple[str, ...] = ("upsert", "replace")
ACTION_COLUMN = "action"
DELETE_ACTIONS = frozenset({"delete", "remove"})
UPSERT_ACTIONS = frozenset({"", "upsert", "add", "update"})
MAX_UPLOAD_BYTES = 5_000_000
MAX_UPLOAD_ROWS = 20_000
# A workbook is a zip: its parts may unpack to far more than the upload's size.  20,000 rows
# of every table's columns unpack to about 15 MB; more than this is refused before parsing.
MAX_XLSX_UNPACKED_BYTES = 60_000_000
MAX_XLSX_PARTS = 1_000
# Blank rows are skipped, but reading them costs time too: a sheet is read no further than this.
MAX_SCANNED_ROWS = 5 * MAX_UPLOAD_ROWS
MAX_PROBLEMS = 500  # enough to fix a file in one pass, few enough to show
SOURCES_SHEET = "sources"


class StaleError(ValueError):
    """The store changed between the preview and the apply (or since a change set)."""


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
class Link:
    """A list column of an upload kept in a link table (e.g. a leverage's stages)."""

    column: str
    table: Table
    fk: str
    value: str


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
               "scope", "irremediability", "summary", "url", "source", "section"),
              key=("id",), key_columns=("id",)),
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


# --- results ----------------------------------------------------------------------------------

Record = dict[str, Any]


@dataclass(frozen=True)
class RowChange:
    """One row the upload adds, changes or removes; records are database columns plus lists."""

    kind: Literal["add", "change", "remove"]
    key: tuple[Any, ...]
    before: Record | None
    after: Record | None
    row: int | None  # upload row (None for rows removed by replace mode)
    changed: tuple[str, ...] = ()


@dataclass
class Preview:
    """What an upload would do, or why it cannot be applied."""

    table: str
    file_name: str
    mode: str
    problems: list[Problem] = field(default_factory=list)
    changes: list[RowChange] = field(default_factory=list)
    sources: list[Record] = field(default_factory=list)  # source rows the upload adds
    unchanged: int = 0
    sources_file: str | None = None

    @property
    def ok(self) -> bool:
        """True when the upload is valid (it may still change nothing)."""
        return not self.problems

    def of_kind(self, kind: str) -> list[RowChange]:
        return [c for c in self.changes if c.kind == kind]

    @property
    def counts(self) -> dict[str, int]:
        return {"added": len(self.of_kind("add")), "changed": len(self.of_kind("change")),
                "removed": len(self.of_kind("remove")), "unchanged": self.unchanged,
                "sources added": len(self.sources)}


def problems_frame(problems: Sequence[Problem]) -> pd.DataFrame:
    """Problems as a table: file, row, column, problem."""
    return pd.DataFrame([{"file": p.file, "row": p.row, "column": p.column or "", "problem": p.message}
                         for p in problems], columns=["file", "row", "column", "problem"])


def _display(value: Any) -> Any:
    if isinstance(value, list):
        return "; ".join(map(str, value))
    return value


def preview_frames(preview: Preview) -> dict[str, pd.DataFrame]:
    """Tables for the preview: added and removed rows, changed columns before/after, new sources."""
    spec = SPECS[preview.table]
    columns = [c for c in (*spec.key, *(c.name for c in spec.table.c), *(ln.column for ln in spec.links))
               if c != "id"]
    columns = list(dict.fromkeys(columns))

    def rows(kind: str, side: str) -> pd.DataFrame:
        out = []
        for change in preview.of_kind(kind):
            record = getattr(change, side) or {}
            out.append({"upload row": change.row, **{c: _display(record.get(c)) for c in columns}})
        return pd.DataFrame(out, columns=["upload row", *columns])

    changed = [
        {"upload row": c.row, "key": _key_text(spec, c.key), "column": col,
         "before": _display((c.before or {}).get(col)), "after": _display((c.after or {}).get(col))}
        for c in preview.of_kind("change") for col in c.changed
    ]
    return {
        "added": rows("add", "after"),
        "changed": pd.DataFrame(changed, columns=["upload row", "key", "column", "before", "after"]),
        "removed": rows("remove", "before"),
        "sources": pd.DataFrame(preview.sources, columns=list(SOURCE_COLUMNS)),
    }


# --- templates ----------------------------------------------------------------------------------

def template_csv(table: str) -> bytes:
    """An empty CSV with the columns an upload of ``table`` expects (the action column last)."""
    spec = SPECS[table]
    return (",".join((*spec.columns, action_column(table))) + "\n").encode("utf-8")


def sources_template_csv() -> bytes:
    """An empty CSV with the columns of new source rows."""
    return (",".join(SOURCE_COLUMNS) + "\n").encode("utf-8")


# Upload column -> database column where the names differ.
_DB_COLUMN = {"source": "source_id", "country": "country_name"}


def current_rows(table: str, materials: Sequence[str] = (), engine: Engine | None = None) -> pd.DataFrame:
    """Stored rows of ``table`` in the template's columns, ready to edit and upload again.

    Lists are written ``a;b``, a cross-material row's material as ``cross``; uploading the
    frame unchanged changes nothing.  ``materials`` narrows the rows (all when empty).
    """
    spec = SPECS[table]
    t = spec.table
    where = t.c.material.in_(list(materials)) if materials and "material" in t.c else True  # noqa: E712
    with (engine or get_engine()).connect() as conn:
        records = list(_records(conn, spec, where).values())
    out = []
    for record in records:
        row: dict[str, Any] = {}
        for column in spec.columns:
            value = record.get(_DB_COLUMN.get(column, column))
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


# --- reading files ------------------------------------------------------------------------------

RawRow = tuple[int, dict[str, str]]


def _cell(value: Any) -> str:
    """One spreadsheet cell as the text a CSV would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))  # Excel stores 2019 as 2019.0
        return repr(value)
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        return value.isoformat()
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def _text(value: Any) -> str:
    """A cell as text, without the quote a download put in front of formula-like text."""
    return unescape_cell(_cell(value))


def _header(values: Sequence[Any]) -> list[str]:
    return [_text(c).strip().lstrip("\ufeff").strip().lower() for c in values]


def _frame_rows(frame: pd.DataFrame) -> tuple[list[str], list[RawRow]]:
    header = _header(list(frame.columns))
    rows: list[RawRow] = []
    for index, values in enumerate(frame.itertuples(index=False, name=None)):
        cells = [_text(v) for v in values]
        if all(not c.strip() for c in cells):
            continue  # blank lines are not rows
        rows.append((index + 2, dict(zip(header, cells, strict=False))))
    return header, rows


class _TooManyRows(ValueError):
    """A sheet holds more rows than one upload may."""


def _sheet_rows(sheet: Any) -> tuple[list[str], list[RawRow]]:
    """(header, rows) of an openpyxl read-only sheet, read row by row and stopped at the row limit.

    The first row that is not blank is the header; row numbers are the sheet's own.
    """
    header: list[str] | None = None
    rows: list[RawRow] = []
    extra = 0  # cells right of the header: they need a column name, so the header check names them
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number > MAX_SCANNED_ROWS:
            raise _TooManyRows(f"has more than {MAX_SCANNED_ROWS:,} rows, blank rows included; "
                               f"at most {MAX_UPLOAD_ROWS:,} rows per upload")
        cells = [_text(v) for v in values]
        while cells and not cells[-1].strip():
            cells.pop()
        if not cells:
            continue  # blank rows are not rows
        if header is None:
            header = _header(cells)
            continue
        if len(rows) >= MAX_UPLOAD_ROWS:
            raise _TooManyRows(f"has more than {MAX_UPLOAD_ROWS:,} rows; at most {MAX_UPLOAD_ROWS:,} per upload")
        extra = max(extra, len(cells) - len(header))
        rows.append((number, dict(zip(header, cells, strict=False))))
    header = header or []
    return header + [""] * extra, rows


_SHEET_DATA = re.compile(rb"<([A-Za-z_][\w.-]*:)?sheetData[\s/>]")


def _worksheet_head(archive: Any, info: Any) -> tuple[bool, str | None]:
    """Whether a part of a workbook is a worksheet, and the size it declares, from its first elements.

    Reading stops at the worksheet's ``dimension`` or at the start of its rows, so this costs
    nothing however long the sheet is.
    """
    from xml.etree.ElementTree import ParseError, iterparse

    try:
        with archive.open(info) as stream:
            for count, (_event, element) in enumerate(iterparse(stream, events=("start",))):
                name = element.tag.rsplit("}", 1)[-1]
                if count == 0 and name != "worksheet":
                    return False, None
                if name == "dimension":
                    return True, element.get("ref")
                if name == "sheetData":
                    return True, None
    except (ParseError, OSError, ValueError, EOFError):
        pass  # a damaged part: openpyxl says so when it opens the workbook
    return False, None


def _declared_rows(ref: str) -> int:
    from openpyxl.utils.cell import range_boundaries

    try:
        bounds = range_boundaries(ref.split(" ")[0])
    except (ValueError, TypeError):
        return 0
    return int(bounds[3] or 0)


def _checked_workbook(file_name: str, data: bytes) -> tuple[bytes, Problem | None]:
    """The workbook ready for openpyxl, or why it must not be opened, judged before any parsing.

    Refused: a zip whose parts unpack to more than ``MAX_XLSX_UNPACKED_BYTES`` (its directory
    gives the sizes; zipfile never unpacks more than those) and a sheet that declares more
    rows than are ever read.  A sheet that declares no size gets one: without it openpyxl
    reads the whole sheet just to size it, before the first row is handed over.
    """
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            if len(parts) > MAX_XLSX_PARTS:
                return data, Problem(file_name, None, None, f"is not a plain workbook ({len(parts):,} parts; "
                                                            f"at most {MAX_XLSX_PARTS:,})")
            unpacked = sum(part.file_size for part in parts)
            if unpacked > MAX_XLSX_UNPACKED_BYTES:
                return data, Problem(file_name, None, None,
                                     f"unpacks to {unpacked:,} bytes; at most {MAX_XLSX_UNPACKED_BYTES:,} per "
                                     f"workbook (about {MAX_UPLOAD_ROWS:,} rows)")
            unsized = []
            for part in parts:
                if not part.filename.lower().endswith(".xml"):
                    continue
                sheet, ref = _worksheet_head(archive, part)
                if not sheet:
                    continue
                if ref is None:
                    unsized.append(part.filename)
                elif (declared := _declared_rows(ref)) > MAX_SCANNED_ROWS:
                    return data, Problem(file_name, None, None,
                                         f"declares {declared:,} rows in one sheet; at most "
                                         f"{MAX_UPLOAD_ROWS:,} rows per upload")
            if not unsized:
                return data, None
            buffer = io.BytesIO()
            # Stored, not compressed: the copy lives only while the upload is read.
            with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as copy:
                for part in parts:
                    raw = archive.read(part)
                    if part.filename in unsized:
                        match = _SHEET_DATA.search(raw)
                        if match is not None:
                            prefix = match.group(1) or b""
                            raw = raw[:match.start()] + b"<" + prefix + b'dimension ref="A1"/>' + raw[match.start():]
                    copy.writestr(part.filename, raw)
            return buffer.getvalue(), None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        return data, Problem(file_name, None, None, f"cannot be read as an Excel workbook ({_short(exc)})")


def _read_xlsx(file_name: str, data: bytes) -> tuple[
        dict[str, tuple[list[str], list[RawRow]]], list[Problem]]:
    """The sheets an upload uses (the first sheet of data and a ``sources`` sheet), streamed."""
    data, problem = _checked_workbook(file_name, data)
    if problem is not None:
        return {}, [problem]
    from openpyxl import load_workbook  # imported on use: few sessions read a workbook

    sheets: dict[str, tuple[list[str], list[RawRow]]] = {}
    try:
        book = load_workbook(io.BytesIO(bytes(data)), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is a problem to report
        return {}, [Problem(file_name, None, None, f"cannot be read as an Excel workbook ({_short(exc)})")]
    try:
        # Only the sheets an upload uses are read: the first of data rows and "sources".
        named = [(str(sheet.title).strip().lower(), sheet) for sheet in book.worksheets]
        first_data = next((sheet for name, sheet in named if name != SOURCES_SHEET), None)
        first_sources = next((sheet for name, sheet in named if name == SOURCES_SHEET), None)
        for sheet in (sheet for _name, sheet in named if sheet is first_data or sheet is first_sources):
            name = str(sheet.title).strip().lower()
            sheet.reset_dimensions()  # rows as the sheet holds them, not padded to a declared size
            try:
                sheets[name] = _sheet_rows(sheet)
            except _TooManyRows as exc:
                label = file_name if len(book.sheetnames) == 1 else f"{file_name} (sheet '{sheet.title}')"
                return {}, [Problem(label, None, None, str(exc))]
    except Exception as exc:  # noqa: BLE001 - a damaged part shows only while reading
        return {}, [Problem(file_name, None, None, f"cannot be read as an Excel workbook ({_short(exc)})")]
    finally:
        book.close()
    if not sheets:
        return {}, [Problem(file_name, None, None, "has no sheet of data rows")]
    return sheets, []


def read_upload(file_name: str, data: bytes, sheet: str | None = None) -> tuple[
        dict[str, tuple[list[str], list[RawRow]]], list[Problem]]:
    """Read a CSV or XLSX upload into sheets of (header, rows); problems when it cannot be read.

    A CSV is one sheet named ``""``; a workbook gives its first sheet of data and a sheet
    named ``sources`` (if any) by their lower-case names.  A workbook is checked before it
    is parsed (what its zip unpacks to) and read in openpyxl's streaming read-only mode,
    which stops at ``MAX_UPLOAD_ROWS``.  Cells lose the quote a download added in front of
    formula-like text (``exports.unescape_cell``).
    """
    if not isinstance(data, bytes | bytearray):
        return {}, [Problem(file_name, None, None, "is not a file")]
    if len(data) > MAX_UPLOAD_BYTES:
        return {}, [Problem(file_name, None, None,
                            f"is too large ({len(data):,} bytes; at most {MAX_UPLOAD_BYTES:,})")]
    if not data.strip():
        return {}, [Problem(file_name, None, None, "is empty")]
    suffix = Path(file_name).suffix.lower()
    if suffix == ".xlsx":
        return _read_xlsx(file_name, bytes(data))
    if suffix not in {".csv", ".txt", ""}:
        return {}, [Problem(file_name, None, None, "is not a .csv or .xlsx file")]
    try:
        content = bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return {}, [Problem(file_name, None, None, f"is not UTF-8 text ({_short(exc)}); in Excel, save "
                            "it as 'CSV UTF-8 (comma delimited)'")]
    if "\x00" in content:
        return {}, [Problem(file_name, None, None, "is not a text file (it holds NUL characters)")]
    try:
        frame = pd.read_csv(io.StringIO(content), dtype=str, keep_default_na=False,
                            na_filter=False, skip_blank_lines=False, engine="python", sep=",")
    except Exception as exc:  # noqa: BLE001 - pandas raises several kinds for malformed CSV
        return {}, [Problem(file_name, None, None, f"cannot be read as CSV ({_short(exc)})")]
    return {"": _frame_rows(frame)}, []


def _short(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def _header_problems(file: str, header: list[str], expected: Iterable[str], required: Iterable[str],
                     ) -> list[Problem]:
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


# --- store lookups ------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _country_resolver() -> Any:
    """Country names to ISO3 as the build resolves them (pycountry plus the seed aliases)."""
    rows, _problems = seeds.validate_file(seeds.SEED_DIR / "country_aliases.csv")
    aliases = pd.DataFrame([r.model_dump() for r in rows], columns=["name", "iso3"])
    return public_sources.make_country_resolver(aliases)


@dataclass
class _Context:
    """What the store knows, read once per validation."""

    materials: set[str]
    sources: dict[str, Record]
    iso3: set[str]
    commodities: dict[str, Record]
    organisations: set[str]


def _context(conn: Connection) -> _Context:
    return _Context(
        materials=set(conn.execute(select(schema.material.c.slug)).scalars()),
        sources={r["id"]: dict(r) for r in conn.execute(select(schema.source)).mappings()},
        iso3=set(conn.execute(select(schema.country.c.iso3)).scalars()),
        commodities={r["slug"]: dict(r) for r in conn.execute(select(schema.commodity)).mappings()},
        organisations=set(conn.execute(select(schema.organisation.c.slug)).scalars()),
    )


def _key_of(spec: TableSpec, record: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(record.get(k) for k in spec.key)


def _key_text(spec: TableSpec, key: Sequence[Any]) -> str:
    if len(spec.key) == 1:
        return str(key[0])
    return json.dumps(dict(zip(spec.key, key, strict=True)), ensure_ascii=False, sort_keys=True)


def _main_columns(spec: TableSpec) -> list[str]:
    return [c.name for c in spec.table.c]


def _records(conn: Connection, spec: TableSpec, where: Any) -> dict[tuple[Any, ...], Record]:
    """Logical records (main row plus sorted link lists) of the rows matching ``where``."""
    t = spec.table
    out: dict[tuple[Any, ...], Record] = {}
    for row in conn.execute(select(t).where(where)).mappings():
        record = {c: row[c] for c in _main_columns(spec)}
        out[_key_of(spec, record)] = record
    if spec.links and out:
        ids = [k[0] for k in out]
        for link in spec.links:
            lists: dict[Any, list[Any]] = {}
            for chunk in _chunks(ids):
                query = select(link.table.c[link.fk], link.table.c[link.value]).where(
                    link.table.c[link.fk].in_(chunk))
                for fk, value in conn.execute(query):
                    lists.setdefault(fk, []).append(value)
            for key, record in out.items():
                record[link.column] = sorted(lists.get(key[0], []))
    return out


def _chunks(values: Sequence[Any], size: int = 500) -> Iterable[list[Any]]:
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _key_clause(spec: TableSpec, key: Sequence[Any]) -> Any:
    t = spec.table
    return and_(*[(t.c[k].is_(None) if v is None else t.c[k] == v) for k, v in zip(spec.key, key, strict=True)])


def _current(conn: Connection, spec: TableSpec, key: Sequence[Any]) -> Record | None:
    found = _records(conn, spec, _key_clause(spec, key))
    return next(iter(found.values()), None)


def _norm(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list | tuple):
        return sorted(map(str, value))
    return value


def _equal(a: Any, b: Any) -> bool:
    a, b = _norm(a), _norm(b)
    if isinstance(a, float) and isinstance(b, float):
        # Excel keeps 15 significant digits: 1091.0770000000002 comes back as 1091.077.
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0)
    return bool(a == b)


def _diff(spec: TableSpec, before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[str, ...]:
    names = [c for c in dict.fromkeys((*before, *after)) if not (spec.surrogate and c == "id")]
    return tuple(c for c in names if not _equal(before.get(c), after.get(c)))


def _same(spec: TableSpec, a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return not _diff(spec, a, b)


# --- turning validated rows into records ---------------------------------------------------------

def _record(spec: TableSpec, row: Any, ctx: _Context, file: str, line: int) -> tuple[Record, list[Problem]]:
    """The database record of one validated upload row and the store checks it fails."""
    problems: list[Problem] = []

    def problem(column: str, message: str) -> None:
        problems.append(Problem(file, line, column, message))

    material = None if getattr(row, "material", None) == constants.CROSS_MATERIAL else getattr(row, "material", None)
    if material is not None and material not in ctx.materials:
        problem("material", f"unknown material {material!r}: the store holds no such material")
    if row.source not in ctx.sources:
        problem("source", f"unknown source id {row.source!r}: use a source of the store or add it "
                          "in a sources file (or an XLSX sheet named 'sources') with this upload")

    def country(name: str | None) -> str | None:
        if not name:
            return None
        iso3 = _country_resolver()(name)
        if iso3 is None or iso3 not in ctx.iso3:
            problem("country", f"unknown country {name!r}: use the country's usual English name")
        return iso3

    if spec.name == "risk_evidence":
        record = {
            "id": row.id, "material": row.material, "stage": row.stage, "category": row.category,
            "country_name": row.country, "iso3": country(row.country), "company": row.company,
            "site": row.site, "year": row.year, "scale": row.scale, "scope": row.scope,
            "irremediability": row.irremediability,
            "severity": _severity(row.scale, row.scope, row.irremediability),
            "summary": row.summary, "url": row.url, "source_id": row.source, "section": row.section}
    elif spec.name == "production":
        commodity = ctx.commodities.get(row.commodity)
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
        unknown = [m for m in row.materials if m not in ctx.materials]
        if unknown:
            problem("materials", f"unknown material(s) {', '.join(unknown)}")
        record = {
            "slug": row.slug, "name": row.name, "acronym": row.acronym, "type": row.type,
            "description": row.description, "url": row.url,
            "is_material_standard": row.is_material_standard, "source_id": row.source,
            "section": row.section, "materials": sorted(set(row.materials))}
    else:  # leverage
        unknown = [o for o in row.organisations if o not in ctx.organisations]
        if unknown:
            problem("organisations", f"unknown organisation(s) {', '.join(unknown)}: upload them first")
        record = {
            "id": row.id, "material": material, "category": row.category, "actor": row.actor,
            "title": row.title, "action": row.action, "source_id": row.source, "section": row.section,
            "targets": sorted(set(row.targets)), "stages": sorted(set(row.stages)),
            "risks": sorted(set(row.risks)), "organisations": sorted(set(row.organisations))}
    problems += _length_problems(spec.table, record, file, line)
    return record, problems


_UPLOAD_COLUMN = {db: upload for upload, db in {"source": "source_id", "country": "country_name"}.items()}


def _length_problems(table: Table, record: Mapping[str, Any], file: str, line: int) -> list[Problem]:
    """Text longer than its column allows (PostgreSQL refuses it; SQLite would keep it silently)."""
    out = []
    for column in table.c:
        limit = getattr(column.type, "length", None)
        value = record.get(column.name)
        if limit and isinstance(value, str) and len(value) > limit:
            out.append(Problem(file, line, _UPLOAD_COLUMN.get(column.name, column.name),
                               f"too long: at most {limit} characters, got {len(value)}"))
    return out


def _cell_problems(spec: TableSpec, cells: Mapping[str, str], ctx: _Context, file: str, line: int,
                   reported: set[str | None]) -> list[Problem]:
    """Store checks of a row the model refused, so one pass finds a bad source or country too."""
    out = []
    source = (cells.get("source") or "").strip()
    if source and "source" not in reported and source not in ctx.sources:
        out.append(Problem(file, line, "source", f"unknown source id {source!r}: use a source of the store "
                                                 "or add it in a sources file with this upload"))
    country = (cells.get("country") or "").strip()
    kind = (cells.get("country_kind") or "country").strip()
    if spec.name in {"risk_evidence", "production"} and country and kind == "country" \
            and "country" not in reported:
        iso3 = _country_resolver()(country)
        if iso3 is None or iso3 not in ctx.iso3:
            out.append(Problem(file, line, "country", f"unknown country {country!r}: use the country's usual "
                                                      "English name"))
    return out


def _severity(scale: int, scope: int, irremediability: int) -> int:
    # Same rule as the build (imported late: rmo_data.ingest.build imports this module).
    from rmo_data.ingest.build import severity
    return severity(scale, scope, irremediability)


def _raw_key(spec: TableSpec, raw: Mapping[str, str], file: str, line: int) -> tuple[tuple[Any, ...] | None,
                                                                                    list[Problem]]:
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


# --- validation --------------------------------------------------------------------------------

def validate_upload(table: str, data: bytes, file_name: str, mode: str = "upsert",
                    sources: tuple[str, bytes] | None = None,
                    engine: Engine | None = None) -> Preview:
    """Check an upload of ``table`` against the store and say what applying it would change.

    Parameters
    ----------
    table : str
        One of ``SPECS`` (risk_evidence, production, end_use_share, organisation, leverage).
    data, file_name : bytes, str
        The uploaded file: ``.csv`` (UTF-8) or ``.xlsx`` (first sheet; a sheet named
        ``sources`` adds source rows).
    mode : str
        ``upsert``: rows are added or change the stored row with the same key; rows whose
        action column says ``delete`` are removed.  ``replace``: additionally, every stored
        row of a material named in the file that the file does not hold is removed.
    sources : (file name, bytes), optional
        A CSV or XLSX of new source rows the upload may cite.
    engine : sqlalchemy.Engine, optional
        The store; the default engine when omitted.

    Returns
    -------
    Preview
        ``problems`` (nothing may be applied) or the changes.  Never raises for bad input.
    """
    preview = Preview(table=str(table), file_name=str(file_name), mode=str(mode),
                      sources_file=sources[0] if sources else None)
    spec = SPECS.get(table)
    if spec is None:
        preview.problems.append(Problem(str(file_name), None, None,
                                        f"unknown table {table!r}; choose one of {', '.join(SPECS)}"))
        return preview
    if mode not in MODES or (mode == "replace" and not spec.replace_by_material):
        preview.problems.append(Problem(str(file_name), None, None,
                                        f"mode {mode!r} is not available for {spec.label.lower()}"))
        return preview
    try:
        with (engine or get_engine()).connect() as conn:
            _validate(spec, preview, data, sources, conn)
    except Exception as exc:  # noqa: BLE001 - last safety net: a problem to show, never a traceback
        preview.problems.append(Problem(str(file_name), None, None,
                                        f"internal error while checking the file ({_short(exc)})"))
    if preview.problems:
        preview.changes, preview.sources, preview.unchanged = [], [], 0
        del preview.problems[MAX_PROBLEMS:]
    return preview


def store_state(engine: Engine | None = None) -> str | None:
    """A short text that changes whenever an upload's check could give another answer.

    Reference rows change only through change sets (applies and rollbacks) and rebuilds, so
    the newest change set and the build time say whether a past validation still holds.
    ``None`` when the store cannot say (then nothing may be reused).
    """
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with (engine or get_engine()).connect() as conn:
            newest = conn.execute(select(func.max(schema.change_set.c.id))).scalar()
            built = conn.execute(select(schema.build_info.c.value).where(schema.build_info.c.key == "finished_at")).scalar()
    except SQLAlchemyError:
        return None
    return f"{newest}|{built}"


def _validate(spec: TableSpec, preview: Preview, data: bytes, sources: tuple[str, bytes] | None,
              conn: Connection) -> None:
    file = preview.file_name
    problems = preview.problems
    sheets, read_problems = read_upload(file, data)
    problems += read_problems
    if read_problems:
        return
    if "" in sheets:
        header, raw_rows = sheets[""]
    else:
        data_sheets = [name for name in sheets if name != SOURCES_SHEET]
        if not data_sheets:
            problems.append(Problem(file, None, None, "has no sheet of data rows"))
            return
        header, raw_rows = sheets[data_sheets[0]]
    source_rows: list[RawRow] | None = None
    source_header: list[str] = []
    source_file = file
    if SOURCES_SHEET in sheets and "" not in sheets:
        source_header, source_rows = sheets[SOURCES_SHEET]
        source_file = f"{file} (sheet 'sources')"
    if sources is not None:
        source_file = str(sources[0])
        source_sheets, source_problems = read_upload(source_file, sources[1])
        problems += source_problems
        if source_sheets:
            source_header, source_rows = next(iter(source_sheets.values()))

    if not raw_rows:
        problems.append(Problem(file, None, None, "has no data rows"))
    if len(raw_rows) > MAX_UPLOAD_ROWS:
        problems.append(Problem(file, None, None,
                                f"has {len(raw_rows):,} rows; at most {MAX_UPLOAD_ROWS:,} per upload"))
        return
    action_col = action_column(spec.name)
    required = [name for name, f in spec.model.model_fields.items() if f.is_required()]
    has_upserts = any((r.get(action_col) or "").strip().lower() not in DELETE_ACTIONS for _, r in raw_rows)
    problems += _header_problems(file, header, (*spec.columns, action_col),
                                 required if has_upserts else spec.key_columns)
    if source_rows is not None:
        problems += _header_problems(
            source_file, source_header, SOURCE_COLUMNS,
            [n for n, f in seeds.SourceRow.model_fields.items() if f.is_required()])
    if problems:
        return

    ctx = _context(conn)
    new_sources = _validate_sources(source_file, source_rows or [], ctx, problems)
    ctx.sources.update({s["id"]: s for s in new_sources})
    preview.sources = new_sources

    upserts: list[tuple[int, Record]] = []
    deletes: list[tuple[int, tuple[Any, ...]]] = []
    seen: dict[tuple[Any, ...], int] = {}
    for line, raw in raw_rows:
        action = (raw.get(action_col) or "").strip().lower()
        cells = {k: v for k, v in raw.items() if k != action_col and k in spec.columns}
        key: tuple[Any, ...] | None
        if action in DELETE_ACTIONS:
            if preview.mode == "replace":
                problems.append(Problem(file, line, action_col, "'delete' is not used in replace mode: "
                                        "leave the row out of the file instead"))
                continue
            key, key_problems = _raw_key(spec, cells, file, line)
            problems += key_problems
            if key is not None:
                deletes.append((line, key))
        elif action in UPSERT_ACTIONS:
            try:
                row = spec.model.model_validate(cells)
            except ValidationError as err:
                row_problems = seeds._row_problems(file, line, err)
                problems += row_problems + _cell_problems(spec, cells, ctx, file, line,
                                                          {p.column for p in row_problems})
                continue
            record, record_problems = _record(spec, row, ctx, file, line)
            problems += record_problems
            key = _key_of(spec, record)
            upserts.append((line, record))
        else:
            problems.append(Problem(file, line, action_col,
                                    f"unknown action {action!r}: write 'delete' or leave it blank"))
            continue
        if key is not None:
            if key in seen:
                problems.append(Problem(file, line, ", ".join(spec.key_columns),
                                        f"duplicate row: same key as row {seen[key]}"))
            else:
                seen[key] = line
        if len(problems) > MAX_PROBLEMS:
            return
    if problems:
        return

    stored = _stored(conn, spec, [r for _, r in upserts], [k for _, k in deletes], preview.mode)
    replaced: set[tuple[Any, ...]] = set()
    for line, record in upserts:
        key = _key_of(spec, record)
        replaced.add(key)
        before = stored.get(key)
        if before is None:
            preview.changes.append(RowChange("add", key, None, record, line))
            continue
        if spec.surrogate:
            record = {**record, "id": before["id"]}
        changed = _diff(spec, before, record)
        if changed:
            preview.changes.append(RowChange("change", key, before, record, line, changed))
        else:
            preview.unchanged += 1
    for line, key in deletes:
        replaced.add(key)
        before = stored.get(key)
        if before is None:
            problems.append(Problem(file, line, ", ".join(spec.key_columns),
                                    "no stored row has this key, so there is nothing to delete"))
        else:
            preview.changes.append(RowChange("remove", key, before, None, line))
    if preview.mode == "replace":
        materials = {r.get("material") for _, r in upserts}
        for key, before in stored.items():
            if key not in replaced and before.get("material") in materials:
                preview.changes.append(RowChange("remove", key, before, None, None))
    if spec.name == "end_use_share":
        problems += _share_problems(file, preview, stored)
    if spec.name == "organisation":
        problems += _organisation_removal_problems(conn, file, preview)
    used = {(c.after or {}).get("source_id") for c in preview.changes}
    preview.sources = [s for s in preview.sources if s["id"] in used]  # unused new sources are not written


def _validate_sources(file: str, raw_rows: list[RawRow], ctx: _Context, problems: list[Problem]) -> list[Record]:
    out: list[Record] = []
    seen: dict[str, int] = {}
    for line, raw in raw_rows:
        try:
            row = seeds.SourceRow.model_validate(raw)
        except ValidationError as err:
            problems.extend(seeds._row_problems(file, line, err))
            continue
        record = row.model_dump()
        length_problems = _length_problems(schema.source, record, file, line)
        if length_problems:
            problems.extend(length_problems)
            continue
        if row.id in seen:
            problems.append(Problem(file, line, "id", f"duplicate row: same id as row {seen[row.id]}"))
            continue
        seen[row.id] = line
        stored = ctx.sources.get(row.id)
        if stored is not None:
            if any(not _equal(stored.get(k), v) for k, v in record.items()):
                problems.append(Problem(file, line, "id", f"source {row.id!r} exists already with other "
                                        "details; new sources can be added here, not changed"))
            continue  # the same source again: nothing to add
        out.append(record)
    return out


def _stored(conn: Connection, spec: TableSpec, upserts: list[Record], deletes: list[tuple[Any, ...]],
            mode: str) -> dict[tuple[Any, ...], Record]:
    """Stored records the upload can touch: same keys, and in replace mode its materials' rows."""
    t = spec.table
    out: dict[tuple[Any, ...], Record] = {}
    if len(spec.key) == 1:
        keys = [r[spec.key[0]] for r in upserts] + [k[0] for k in deletes]
        for chunk in _chunks(keys):
            out.update(_records(conn, spec, t.c[spec.key[0]].in_(chunk)))
    else:
        # Composite keys: read by their first column (commodity or material), then match in Python.
        first = spec.key[0]
        values = sorted({r[first] for r in upserts} | {k[0] for k in deletes})
        for chunk in _chunks(values):
            out.update(_records(conn, spec, t.c[first].in_(chunk)))
    if mode == "replace" or spec.name == "end_use_share":
        # Replace mode removes, and share sums count, every stored row of the file's materials.
        materials = {r.get("material") for r in upserts}
        named = sorted(m for m in materials if m is not None)
        for chunk in _chunks(named):
            out.update(_records(conn, spec, t.c.material.in_(chunk)))
        if None in materials:
            out.update(_records(conn, spec, t.c.material.is_(None)))
    return out


def _share_problems(file: str, preview: Preview, stored: Mapping[tuple[Any, ...], Record]) -> list[Problem]:
    """Shares of one whole may not add up past 100 %, stored rows the upload leaves included."""
    touched = {c.key for c in preview.changes}
    totals: dict[tuple[Any, ...], float] = {}
    upload_rows: dict[tuple[Any, ...], list[int]] = {}
    stored_count: dict[tuple[Any, ...], int] = {}

    def group(r: Mapping[str, Any]) -> tuple[Any, ...] | None:
        return seeds.share_group(r["material"], r["basis"], r["scope"], r["year"], r["source_id"], r["bound"])

    for key, record in stored.items():
        g = group(record)
        if g is not None and key not in touched:
            totals[g] = totals.get(g, 0.0) + float(record["share_pct"])
            stored_count[g] = stored_count.get(g, 0) + 1
    for change in preview.changes:
        g = group(change.after) if change.after else None
        if g is not None:
            totals[g] = totals.get(g, 0.0) + float(change.after["share_pct"])
            if change.row is not None:
                upload_rows.setdefault(g, []).append(change.row)
    out = []
    for g, rows in upload_rows.items():
        if totals[g] > seeds.SHARE_SUM_LIMIT:
            held = stored_count.get(g, 0)
            out.append(Problem(file, rows[0], "share_pct",
                               f"shares for {g[0]} ({g[1]}, {g[2]}, {g[3]}, source {g[4]}) would add up to "
                               f"{totals[g]:g} %, more than 100 (rows {', '.join(map(str, rows))} of this "
                               f"file and {held} stored row(s) it does not replace)"))
    return out


def _organisation_removal_problems(conn: Connection, file: str, preview: Preview) -> list[Problem]:
    removed = [c for c in preview.of_kind("remove")]
    if not removed:
        return []
    slugs = [c.key[0] for c in removed]
    t = schema.leverage_organisation
    linked: dict[str, list[str]] = {}
    for chunk in _chunks(slugs):
        for lev, org in conn.execute(select(t.c.leverage_id, t.c.organisation).where(t.c.organisation.in_(chunk))):
            linked.setdefault(org, []).append(lev)
    return [Problem(file, c.row, "slug", f"organisation {c.key[0]!r} is still linked from leverage(s) "
                                          f"{', '.join(sorted(linked[c.key[0]]))}; change those first")
            for c in removed if c.key[0] in linked]


# --- writing -----------------------------------------------------------------------------------

def _reference_gaps(conn: Connection, spec: TableSpec, record: Mapping[str, Any]) -> list[str]:
    """Foreign keys of a record that point at nothing (checked before writing, so no FK error)."""
    gaps = []
    for column in spec.table.c:
        value = record.get(column.name)
        for fk in column.foreign_keys:
            if value is not None and conn.execute(
                    select(func.count()).where(fk.column == value)).scalar_one() == 0:
                gaps.append(f"{column.name} {value!r} is not in {fk.column.table.name}")
    for link in spec.links:
        for fk in link.table.c[link.value].foreign_keys:
            for value in record.get(link.column) or []:
                if conn.execute(select(func.count()).where(fk.column == value)).scalar_one() == 0:
                    gaps.append(f"{link.column} {value!r} is not in {fk.column.table.name}")
    return gaps


def _blocking_references(conn: Connection, spec: TableSpec, key: Sequence[Any]) -> list[str]:
    """Rows of other tables that would point at nothing if this row went."""
    if spec.surrogate:
        return []
    own = {link.table.name for link in spec.links}
    out = []
    for other in schema.metadata.sorted_tables:
        if other.name in own:
            continue
        for column in other.c:
            for fk in column.foreign_keys:
                if fk.column.table is spec.table and conn.execute(
                        select(func.count()).where(column == key[0])).scalar_one():
                    out.append(f"{other.name}.{column.name} still refers to {key[0]!r}")
    return out


def _set_state(conn: Connection, spec: TableSpec, key: Sequence[Any], record: Mapping[str, Any] | None) -> Record | None:
    """Make the row with ``key`` equal ``record`` (or absent); return what was written."""
    t = spec.table
    current = _current(conn, spec, key)
    main = ({c: record.get(c) for c in _main_columns(spec) if not (spec.surrogate and c == "id")}
            if record is not None else None)
    if current is not None:
        if spec.links:
            for link in spec.links:
                conn.execute(delete(link.table).where(link.table.c[link.fk] == key[0]))
        if main is None:
            conn.execute(delete(t).where(_key_clause(spec, key)))
            return None
        conn.execute(update(t).where(_key_clause(spec, key)).values(**main))
        written = {**main, **({"id": current["id"]} if spec.surrogate else {})}
    else:
        if main is None:
            return None
        values = dict(main)
        if spec.surrogate:
            wanted = record.get("id")
            # Put a restored row back under its old id when that id is free.
            if wanted is not None and conn.execute(
                    select(func.count()).where(t.c.id == wanted)).scalar_one() == 0:
                values["id"] = wanted
        result = conn.execute(insert(t).values(**values))
        written = dict(values)
        if spec.surrogate:
            written["id"] = values.get("id", result.inserted_primary_key[0])
    for link in spec.links:
        items = list(dict.fromkeys(record.get(link.column) or []))
        if items:
            conn.execute(insert(link.table), [{link.fk: key[0], link.value: v} for v in items])
        written[link.column] = sorted(items)
    return written


def _new_change_set(conn: Connection, actor: str, kind: str, table: str, **values: Any) -> int:
    return int(conn.execute(insert(schema.change_set).values(
        created_at=now(), actor=actor or constants.DEFAULT_ACTOR, kind=kind, table_name=table,
        status="active", **values)).inserted_primary_key[0])


def apply_preview(preview: Preview, actor: str = constants.DEFAULT_ACTOR, engine: Engine | None = None) -> int:
    """Write a valid preview in one transaction and return the new change set's id.

    Raises
    ------
    ValueError
        The preview has problems or changes nothing.
    StaleError
        A row is no longer what the preview showed (another edit came first): nothing is written.
    """
    if not preview.ok:
        raise ValueError("The upload has problems: fix them and upload it again.")
    if not preview.changes and not preview.sources:
        raise ValueError("The upload changes nothing.")
    spec = SPECS[preview.table]
    eng = engine or get_engine()
    with eng.connect() as conn:
        begin_write(conn)
        for record in preview.sources:
            if conn.execute(select(func.count()).where(schema.source.c.id == record["id"])).scalar_one():
                raise StaleError(f"Source {record['id']!r} was added meanwhile: check the upload again.")
        for change in preview.changes:
            if not _same(spec, _current(conn, spec, change.key), change.before):
                raise StaleError(f"Row {_key_text(spec, change.key)} of {spec.label.lower()} changed after "
                                 "the preview: check the upload again.")
        counts = preview.counts
        set_id = _new_change_set(conn, actor, "upload", spec.name, file_name=preview.file_name,
                                 mode=preview.mode, counts_json=to_json(counts))
        for record in preview.sources:
            conn.execute(insert(schema.source).values(**record))
            audit(conn, actor, "upload add", "source", record["id"], None, record, change_set_id=set_id)
        for change in preview.changes:
            written = _set_state(conn, spec, change.key, change.after)
            audit(conn, actor, f"upload {change.kind}", spec.name, _key_text(spec, change.key),
                   change.before, written, change_set_id=set_id)
        conn.commit()
    return set_id


# --- rollback ----------------------------------------------------------------------------------

def _undo_rows(conn: Connection, rows: Sequence[Mapping[str, Any]], set_id: int, actor: str,
               original: Mapping[str, Any]) -> None:
    """Undo audit rows (newest first); StaleError when a row changed since."""
    for row in sorted(rows, key=lambda r: r["id"], reverse=True):
        before = json.loads(row["before_json"]) if row["before_json"] else None
        after = json.loads(row["after_json"]) if row["after_json"] else None
        if row["table_name"] == "source":
            current = conn.execute(select(schema.source).where(schema.source.c.id == after["id"])).mappings().first()
            if current is None or any(not _equal(current[k], v) for k, v in after.items()):
                raise StaleError(f"Source {after['id']!r} changed after change set {original['id']}.")
            users = [t.name for t in schema.REFERENCE_TABLES if "source_id" in t.c and conn.execute(
                select(func.count()).where(t.c.source_id == after["id"])).scalar_one()]
            if users:
                raise StaleError(f"Source {after['id']!r} added by change set {original['id']} is still "
                                 f"cited (in {', '.join(users)}): roll back or change those rows first.")
            conn.execute(delete(schema.source).where(schema.source.c.id == after["id"]))
            audit(conn, actor, "rollback", "source", after["id"], after, None, change_set_id=set_id)
            continue
        spec = SPECS[row["table_name"]]
        key = _key_of(spec, after if after is not None else before)
        current = _current(conn, spec, key)
        if not _same(spec, current, after):
            raise StaleError(f"Row {_key_text(spec, key)} of {spec.label.lower()} has changed since change set "
                             f"{original['id']} (audit row {row['id']}): it cannot be rolled back.")
        if before is None:
            blocking = _blocking_references(conn, spec, key)
            if blocking:
                raise StaleError(f"Row {_key_text(spec, key)} cannot be removed: {'; '.join(blocking)}.")
        elif _reference_gaps(conn, spec, before):
            raise StaleError(f"Row {_key_text(spec, key)} cannot be restored: "
                             f"{'; '.join(_reference_gaps(conn, spec, before))}.")
        written = _set_state(conn, spec, key, before)
        audit(conn, actor, "rollback", spec.name, _key_text(spec, key), current, written, change_set_id=set_id)


def _rollback(engine: Engine | None, change_set_id: int, audit_ids: Sequence[int] | None, actor: str) -> int:
    eng = engine or get_engine()
    with eng.connect() as conn:
        begin_write(conn)
        original = conn.execute(select(schema.change_set).where(schema.change_set.c.id == change_set_id)).mappings().first()
        if original is None:
            raise ValueError(f"No change set {change_set_id}.")
        if original["kind"] != "upload":
            raise ValueError(f"Change set {change_set_id} is a rollback; upload the file again to redo it.")
        reverted = set(json.loads(original["reverted_audit_json"] or "[]"))
        rows = [dict(r) for r in conn.execute(select(schema.audit_log).where(
            schema.audit_log.c.change_set_id == change_set_id).order_by(schema.audit_log.c.id)).mappings()]
        all_ids = {r["id"] for r in rows}
        if audit_ids is None:
            todo = [r for r in rows if r["id"] not in reverted]
            if not todo:
                raise ValueError(f"Change set {change_set_id} is already rolled back.")
        else:
            missing = [i for i in audit_ids if i not in all_ids]
            if missing:
                raise ValueError(f"Audit row(s) {', '.join(map(str, missing))} are not part of change set "
                                 f"{change_set_id}.")
            todo = [r for r in rows if r["id"] in set(audit_ids)]
            if any(r["id"] in reverted for r in todo):
                raise ValueError("That row is already rolled back.")
        set_id = _new_change_set(conn, actor, "rollback", original["table_name"],
                                 file_name=original["file_name"], reverts_id=change_set_id,
                                 counts_json=to_json({"rows": len(todo)}))
        _undo_rows(conn, todo, set_id, actor, original)
        reverted |= {r["id"] for r in todo}
        status = "rolled_back" if reverted >= all_ids else "partly_rolled_back"
        conn.execute(update(schema.change_set).where(schema.change_set.c.id == change_set_id).values(
            status=status, reverted_audit_json=json.dumps(sorted(reverted))))
        conn.commit()
    return set_id


def rollback_change_set(change_set_id: int, actor: str = constants.DEFAULT_ACTOR, engine: Engine | None = None) -> int:
    """Undo every row of a change set not rolled back yet, in one transaction; return the rollback's id.

    Raises ``ValueError`` (``StaleError`` when a row changed since) and writes nothing when it refuses.
    """
    return _rollback(engine, int(change_set_id), None, actor)


def rollback_audit_row(audit_id: int, actor: str = constants.DEFAULT_ACTOR, engine: Engine | None = None) -> int:
    """Undo one audit row of an upload change set; return the rollback change set's id."""
    with (engine or get_engine()).connect() as conn:
        row = conn.execute(select(schema.audit_log).where(schema.audit_log.c.id == int(audit_id))).mappings().first()
    if row is None or row.get("change_set_id") is None:
        raise ValueError(f"Audit row {audit_id} is not part of an editor's change set.")
    return _rollback(engine, int(row["change_set_id"]), [int(audit_id)], actor)


# --- listing -----------------------------------------------------------------------------------

CHANGE_SET_COLUMNS = ["id", "created_at", "actor", "kind", "table_name", "file_name", "mode", "status",
                      "reverts_id", "counts", "note"]


def list_change_sets(engine: Engine | None = None) -> pd.DataFrame:
    """Change sets, newest first (an empty frame on a store that has none yet)."""
    with (engine or get_engine()).connect() as conn:
        if "change_set" not in inspect(conn).get_table_names():
            return pd.DataFrame(columns=CHANGE_SET_COLUMNS)
        rows = conn.execute(select(schema.change_set).order_by(schema.change_set.c.id.desc())).mappings().all()
    out = [{**{k: r[k] for k in CHANGE_SET_COLUMNS if k in r}, "counts": r["counts_json"] or ""} for r in rows]
    return pd.DataFrame(out, columns=CHANGE_SET_COLUMNS)


AUDIT_LIMIT = 500


def audit_log(tables: Sequence[str] = (), actors: Sequence[str] = (), change_set_id: int | None = None,
              limit: int = AUDIT_LIMIT, engine: Engine | None = None) -> pd.DataFrame:
    """The newest audit rows (at most ``limit``), filtered in SQL by table, actor and change set."""
    t = schema.audit_log
    query = select(t).order_by(t.c.id.desc()).limit(int(limit))
    if tables:
        query = query.where(t.c.table_name.in_(list(tables)))
    if actors:
        query = query.where(t.c.actor.in_(list(actors)))
    if change_set_id is not None:
        query = query.where(t.c.change_set_id == int(change_set_id))
    with (engine or get_engine()).connect() as conn:
        result = conn.execute(query)
        return pd.DataFrame(result.mappings().all(), columns=list(result.keys()))


def audit_facets(engine: Engine | None = None) -> dict[str, Any]:
    """Filter options for the audit log: its tables and actors, and how many rows it holds."""
    t = schema.audit_log
    with (engine or get_engine()).connect() as conn:
        return {"tables": list(conn.execute(select(t.c.table_name).distinct().order_by(t.c.table_name)).scalars()),
                "actors": list(conn.execute(select(t.c.actor).distinct().order_by(t.c.actor)).scalars()),
                "rows": int(conn.execute(select(func.count()).select_from(t)).scalar_one())}


def list_reverted(engine: Engine | None = None) -> dict[int, list[int]]:
    """Audit row ids already rolled back, per upload change set."""
    with (engine or get_engine()).connect() as conn:
        if "change_set" not in inspect(conn).get_table_names():
            return {}
        rows = conn.execute(select(schema.change_set.c.id, schema.change_set.c.reverted_audit_json).where(
            schema.change_set.c.reverted_audit_json.is_not(None))).all()
    return {int(i): json.loads(v) for i, v in rows}


# --- after a rebuild -------------------------------------------------------------------------------

def reapply(conn: Connection) -> dict[str, Any]:
    """Write the active upload change sets again after a rebuild (inside the build's transaction).

    Each set's rows that were not rolled back are set to their recorded *after*
    state, oldest set first.  A set whose rows would point at something the
    rebuilt store no longer holds (a source, material, organisation…) is skipped
    whole and keeps a note saying why; a later rebuild tries again.  Rows whose
    rebuilt state differs from the state recorded before the edit are counted
    (the repository's files changed underneath) and the editor's value is kept.
    """
    summary: dict[str, Any] = {"reapplied": [], "skipped": {}, "rows": 0, "differed": 0}
    sets = conn.execute(select(schema.change_set).where(
        schema.change_set.c.kind == "upload", schema.change_set.c.status != "rolled_back").order_by(
        schema.change_set.c.id)).mappings().all()
    stamp = now().isoformat(timespec="seconds")
    for cs in sets:
        reverted = set(json.loads(cs["reverted_audit_json"] or "[]"))
        rows = [r for r in conn.execute(select(schema.audit_log).where(
            schema.audit_log.c.change_set_id == cs["id"]).order_by(schema.audit_log.c.id)).mappings()
            if r["id"] not in reverted]
        problems = _reapply_set(conn, rows, summary, dry_run=True)
        if problems:
            note = f"not re-applied after the rebuild of {stamp}: {'; '.join(problems[:5])}"
            summary["skipped"][int(cs["id"])] = note
        else:
            _reapply_set(conn, rows, summary, dry_run=False)
            summary["reapplied"].append(int(cs["id"]))
            note = f"re-applied after the rebuild of {stamp}"
        conn.execute(update(schema.change_set).where(schema.change_set.c.id == cs["id"]).values(note=note))
    return summary


def _reapply_set(conn: Connection, rows: Sequence[Mapping[str, Any]], summary: dict[str, Any],
                 dry_run: bool) -> list[str]:
    problems: list[str] = []
    new_sources = {json.loads(r["after_json"])["id"] for r in rows if r["table_name"] == "source"}
    for row in rows:
        before = json.loads(row["before_json"]) if row["before_json"] else None
        after = json.loads(row["after_json"]) if row["after_json"] else None
        if row["table_name"] == "source":
            if not dry_run and not conn.execute(
                    select(func.count()).where(schema.source.c.id == after["id"])).scalar_one():
                conn.execute(insert(schema.source).values(**after))
            continue
        spec = SPECS.get(row["table_name"])
        if spec is None:
            continue
        key = _key_of(spec, after if after is not None else before)
        if dry_run:
            if after is not None:
                gaps = [g for g in _reference_gaps(conn, spec, after)
                        if not g.startswith(f"source_id {after.get('source_id')!r}")
                        or after.get("source_id") not in new_sources]
                problems += [f"{_key_text(spec, key)}: {g}" for g in gaps]
            else:
                problems += [f"{_key_text(spec, key)}: {b}" for b in _blocking_references(conn, spec, key)]
            continue
        current = _current(conn, spec, key)
        if not _same(spec, current, before):
            summary["differed"] += 1
        _set_state(conn, spec, key, after)
        summary["rows"] += 1
    return problems
