"""What an upload would change: validate it against the store and preview the rows it adds, changes, removes.

``validate_upload`` reads one file (and optionally a file of new sources),
checks every row (``row_checks``) and returns a ``Preview``: either
``problems`` (each naming file, row, column and problem) or the rows that
would be added, changed and removed.  It never writes and never raises on bad
input.  Removal: a row whose action column says ``delete`` is removed (only
its key columns are needed), or, in ``replace`` mode, every stored row of a
material that appears in the file but is not in the file is removed.
``preview_frames`` and ``problems_frame`` give the tables a page shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd
from pydantic import ValidationError
from sqlalchemy import Connection, Engine

from rmo_data.ingest import seeds
from rmo_data.ingest.seeds import Problem
from rmo_data.stewardship import row_checks
from rmo_data.stewardship.record_diff import changed_columns
from rmo_data.stewardship.upload_reader import MAX_UPLOAD_ROWS, SOURCES_SHEET, RawRow, read_upload, short_reason
from rmo_data.stewardship.upload_tables import (
    DELETE_ACTIONS, MODES, SOURCE_COLUMNS, SPECS, UPSERT_ACTIONS, TableSpec, action_column, key_text)
from rmo_data.store import reference_rows
from rmo_data.store.reference_rows import Key, Record, key_of
from rmo_data.store.writes import engine_or_default

MAX_PROBLEMS = 500  # enough to fix a file in one pass, few enough to show


@dataclass(frozen=True)
class RowChange:
    """One row the upload adds, changes or removes; records are database columns plus lists."""

    kind: Literal["add", "change", "remove"]
    key: Key
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
        {"upload row": c.row, "key": key_text(spec, c.key), "column": col,
         "before": _display((c.before or {}).get(col)), "after": _display((c.after or {}).get(col))}
        for c in preview.of_kind("change") for col in c.changed
    ]
    return {
        "added": rows("add", "after"),
        "changed": pd.DataFrame(changed, columns=["upload row", "key", "column", "before", "after"]),
        "removed": rows("remove", "before"),
        "sources": pd.DataFrame(preview.sources, columns=list(SOURCE_COLUMNS)),
    }


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
        with engine_or_default(engine).connect() as conn:
            _validate(spec, preview, data, sources, conn)
    except Exception as exc:  # noqa: BLE001 - last safety net: a problem to show, never a traceback
        preview.problems.append(Problem(str(file_name), None, None,
                                        f"internal error while checking the file ({short_reason(exc)})"))
    if preview.problems:
        preview.changes, preview.sources, preview.unchanged = [], [], 0
        del preview.problems[MAX_PROBLEMS:]
    return preview


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
    problems += row_checks.header_problems(file, header, (*spec.columns, action_col),
                                 required if has_upserts else spec.key_columns)
    if source_rows is not None:
        problems += row_checks.header_problems(
            source_file, source_header, SOURCE_COLUMNS,
            [n for n, f in seeds.SourceRow.model_fields.items() if f.is_required()])
    if problems:
        return

    known = reference_rows.read_vocabulary(conn)
    new_sources = row_checks.new_sources(source_file, source_rows or [], known, problems)
    known.sources.update({s["id"]: s for s in new_sources})
    preview.sources = new_sources

    upserts: list[tuple[int, Record]] = []
    deletes: list[tuple[int, Key]] = []
    seen: dict[Key, int] = {}
    for line, raw in raw_rows:
        action = (raw.get(action_col) or "").strip().lower()
        cells = {k: v for k, v in raw.items() if k != action_col and k in spec.columns}
        key: Key | None
        if action in DELETE_ACTIONS:
            if preview.mode == "replace":
                problems.append(Problem(file, line, action_col, "'delete' is not used in replace mode: "
                                        "leave the row out of the file instead"))
                continue
            key, key_problems = row_checks.delete_key(spec, cells, file, line)
            problems += key_problems
            if key is not None:
                deletes.append((line, key))
        elif action in UPSERT_ACTIONS:
            try:
                row = spec.model.model_validate(cells)
            except ValidationError as err:
                row_problems = seeds.row_problems(file, line, err)
                problems += row_problems + row_checks.cell_problems(spec, cells, known, file, line,
                                                          {p.column for p in row_problems})
                continue
            record, record_problems = row_checks.record_of_row(spec, row, known, file, line)
            problems += record_problems
            key = key_of(spec, record)
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
    replaced: set[Key] = set()
    for line, record in upserts:
        key = key_of(spec, record)
        replaced.add(key)
        before = stored.get(key)
        if before is None:
            preview.changes.append(RowChange("add", key, None, record, line))
            continue
        if spec.surrogate:
            record = {**record, "id": before["id"]}
        # A column the file leaves out (e.g. an older template without confidence) keeps its stored value.
        absent = [c for c in spec.kept_when_absent if c not in header and c in before]
        if absent:
            record = {**record, **{c: before[c] for c in absent}}
        changed = changed_columns(spec, before, record)
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


def _stored(conn: Connection, spec: TableSpec, upserts: list[Record], deletes: list[Key],
            mode: str) -> dict[Key, Record]:
    """Stored records the upload can touch: same keys, and in replace mode its materials' rows."""
    out: dict[Key, Record] = {}
    if len(spec.key) == 1:
        keys = [r[spec.key[0]] for r in upserts] + [k[0] for k in deletes]
        out.update(reference_rows.records_in(conn, spec, spec.key[0], keys))
    else:
        # Composite keys: read by their first column (commodity or material), then match in Python.
        first = spec.key[0]
        values = sorted({r[first] for r in upserts} | {k[0] for k in deletes})
        out.update(reference_rows.records_in(conn, spec, first, values))
    if mode == "replace" or spec.name == "end_use_share":
        # Replace mode removes, and share sums count, every stored row of the file's materials.
        out.update(reference_rows.records_of_materials(conn, spec, {r.get("material") for r in upserts}))
    return out


def _share_problems(file: str, preview: Preview, stored: Mapping[Key, Record]) -> list[Problem]:
    """Shares of one whole may not add up past 100 %, stored rows the upload leaves included."""
    touched = {c.key for c in preview.changes}
    totals: dict[Key, float] = {}
    upload_rows: dict[Key, list[int]] = {}
    stored_count: dict[Key, int] = {}

    def group(r: Mapping[str, Any]) -> Key | None:
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
    linked = reference_rows.leverages_linking(conn, [c.key[0] for c in removed])
    return [Problem(file, c.row, "slug", f"organisation {c.key[0]!r} is still linked from leverage(s) "
                                          f"{', '.join(sorted(linked[c.key[0]]))}; change those first")
            for c in removed if c.key[0] in linked]
