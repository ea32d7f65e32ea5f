"""Reference rows as editors see them: read, compare-ready records and write one row's state.

A *record* is one row of a reference table (its database columns) plus, for
tables with link tables (a leverage's stages, an organisation's materials…),
a sorted list per link column.  Editors' uploads (``rmo_data.stewardship``)
read, write and check records only through these functions, so every SQL
statement they need lives here.  The shape of a table (its key, its link
tables, whether its integer id is assigned by the database) is described by
any object with the attributes of ``RowShape``; the stewardship's table specs
are such objects.  Portable SQLAlchemy Core only (SQLite and PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Connection, Table, and_, delete, func, insert, select, true, update

from rmo_data.store import schema

Record = dict[str, Any]
Key = tuple[Any, ...]
CHUNK = 500  # values per IN (...) list: well below every database's parameter limit


@dataclass(frozen=True)
class Link:
    """A list column of an upload kept in a link table (e.g. a leverage's stages)."""

    column: str
    table: Table
    fk: str
    value: str


class RowShape(Protocol):
    """What the functions here need to know about a reference table."""

    @property
    def table(self) -> Table: ...

    @property
    def key(self) -> tuple[str, ...]: ...  # natural key, database column names

    @property
    def links(self) -> tuple[Link, ...]: ...

    @property
    def surrogate(self) -> bool: ...  # an integer id the database assigns, kept out of the key


def key_of(shape: RowShape, record: Mapping[str, Any]) -> Key:
    """The natural key of a record."""
    return tuple(record.get(k) for k in shape.key)


def main_columns(shape: RowShape) -> list[str]:
    """The table's own columns (a record's link lists are not among them)."""
    return [c.name for c in shape.table.c]


def chunks(values: Iterable[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    """``values`` in lists of at most ``size``."""
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _records(conn: Connection, shape: RowShape, where: ColumnElement[bool]) -> dict[Key, Record]:
    """Records (main row plus sorted link lists) of the rows matching ``where``."""
    t = shape.table
    out: dict[Key, Record] = {}
    for row in conn.execute(select(t).where(where)).mappings():
        record = {c: row[c] for c in main_columns(shape)}
        out[key_of(shape, record)] = record
    if shape.links and out:
        ids = [k[0] for k in out]
        for link in shape.links:
            lists: dict[Any, list[Any]] = {}
            for chunk in chunks(ids):
                query = select(link.table.c[link.fk], link.table.c[link.value]).where(
                    link.table.c[link.fk].in_(chunk))
                for fk, value in conn.execute(query):
                    lists.setdefault(fk, []).append(value)
            for key, record in out.items():
                record[link.column] = sorted(lists.get(key[0], []))
    return out


def all_records(conn: Connection, shape: RowShape, materials: Sequence[str] = ()) -> dict[Key, Record]:
    """Every record of the table, or of ``materials`` only when given and the table has a material."""
    t = shape.table
    where = t.c.material.in_(list(materials)) if materials and "material" in t.c else true()
    return _records(conn, shape, where)


def records_in(conn: Connection, shape: RowShape, column: str, values: Iterable[Any]) -> dict[Key, Record]:
    """Records whose ``column`` holds one of ``values`` (read in chunks)."""
    out: dict[Key, Record] = {}
    for chunk in chunks(values):
        out.update(_records(conn, shape, shape.table.c[column].in_(chunk)))
    return out


def records_of_materials(conn: Connection, shape: RowShape, materials: Iterable[str | None]) -> dict[Key, Record]:
    """Records of the given materials; ``None`` among them means the cross-material rows."""
    wanted = set(materials)
    out = records_in(conn, shape, "material", sorted(m for m in wanted if m is not None))
    if None in wanted:
        out.update(_records(conn, shape, shape.table.c.material.is_(None)))
    return out


def _key_clause(shape: RowShape, key: Sequence[Any]) -> ColumnElement[bool]:
    t = shape.table
    return and_(*[(t.c[k].is_(None) if v is None else t.c[k] == v) for k, v in zip(shape.key, key, strict=True)])


def current_record(conn: Connection, shape: RowShape, key: Sequence[Any]) -> Record | None:
    """The stored record with ``key``, or None."""
    found = _records(conn, shape, _key_clause(shape, key))
    return next(iter(found.values()), None)


def _count(conn: Connection, where: ColumnElement[bool]) -> int:
    return int(conn.execute(select(func.count()).where(where)).scalar_one())


def reference_gaps(conn: Connection, shape: RowShape, record: Mapping[str, Any]) -> list[str]:
    """Foreign keys of a record that point at nothing (checked before writing, so no FK error)."""
    gaps = []
    for column in shape.table.c:
        value = record.get(column.name)
        for fk in column.foreign_keys:
            if value is not None and _count(conn, fk.column == value) == 0:
                gaps.append(f"{column.name} {value!r} is not in {fk.column.table.name}")
    for link in shape.links:
        for fk in link.table.c[link.value].foreign_keys:
            for value in record.get(link.column) or []:
                if _count(conn, fk.column == value) == 0:
                    gaps.append(f"{link.column} {value!r} is not in {fk.column.table.name}")
    return gaps


def blocking_references(conn: Connection, shape: RowShape, key: Sequence[Any]) -> list[str]:
    """Rows of other tables that would point at nothing if this row went."""
    if shape.surrogate:
        return []
    own = {link.table.name for link in shape.links}
    out = []
    for other in schema.metadata.sorted_tables:
        if other.name in own:
            continue
        for column in other.c:
            for fk in column.foreign_keys:
                if fk.column.table is shape.table and _count(conn, column == key[0]):
                    out.append(f"{other.name}.{column.name} still refers to {key[0]!r}")
    return out


def set_state(conn: Connection, shape: RowShape, key: Sequence[Any],
              record: Mapping[str, Any] | None) -> Record | None:
    """Make the row with ``key`` equal ``record`` (or absent); return what was written."""
    t = shape.table
    current = current_record(conn, shape, key)
    main = ({c: record.get(c) for c in main_columns(shape) if not (shape.surrogate and c == "id")}
            if record is not None else None)
    if current is not None:
        if shape.links:
            for link in shape.links:
                conn.execute(delete(link.table).where(link.table.c[link.fk] == key[0]))
        if main is None:
            conn.execute(delete(t).where(_key_clause(shape, key)))
            return None
        conn.execute(update(t).where(_key_clause(shape, key)).values(**main))
        written = {**main, **({"id": current["id"]} if shape.surrogate else {})}
    else:
        if main is None:
            return None
        values = dict(main)
        if shape.surrogate:
            wanted = record.get("id")
            # Put a restored row back under its old id when that id is free.
            if wanted is not None and _count(conn, t.c.id == wanted) == 0:
                values["id"] = wanted
        result = conn.execute(insert(t).values(**values))
        written = dict(values)
        if shape.surrogate:
            written["id"] = values.get("id", result.inserted_primary_key[0])
    for link in shape.links:
        items = list(dict.fromkeys(record.get(link.column) or []))
        if items:
            conn.execute(insert(link.table), [{link.fk: key[0], link.value: v} for v in items])
        written[link.column] = sorted(items)
    return written


# --- what an upload may refer to ------------------------------------------------------------------

@dataclass
class Vocabulary:
    """What the store knows that uploaded rows refer to, read once per validation."""

    materials: set[str]
    sources: dict[str, Record]
    iso3: set[str]
    commodities: dict[str, Record]
    organisations: set[str]


def read_vocabulary(conn: Connection) -> Vocabulary:
    """Materials, sources, countries (ISO3), commodities and organisations of the store."""
    return Vocabulary(
        materials=set(conn.execute(select(schema.material.c.slug)).scalars()),
        sources={r["id"]: dict(r) for r in conn.execute(select(schema.source)).mappings()},
        iso3=set(conn.execute(select(schema.country.c.iso3)).scalars()),
        commodities={r["slug"]: dict(r) for r in conn.execute(select(schema.commodity)).mappings()},
        organisations=set(conn.execute(select(schema.organisation.c.slug)).scalars()),
    )


def leverages_linking(conn: Connection, organisations: Sequence[str]) -> dict[str, list[str]]:
    """Leverage ids per organisation slug, for the organisations that leverages still name."""
    t = schema.leverage_organisation
    linked: dict[str, list[str]] = {}
    for chunk in chunks(organisations):
        for lev, org in conn.execute(select(t.c.leverage_id, t.c.organisation).where(t.c.organisation.in_(chunk))):
            linked.setdefault(org, []).append(lev)
    return linked


# --- sources an upload adds -------------------------------------------------------------------------

def source_exists(conn: Connection, source_id: str) -> bool:
    return _count(conn, schema.source.c.id == source_id) > 0


def stored_source(conn: Connection, source_id: str) -> Mapping[str, Any] | None:
    """The stored source row, or None."""
    return conn.execute(select(schema.source).where(schema.source.c.id == source_id)).mappings().first()


def add_source(conn: Connection, record: Mapping[str, Any]) -> None:
    conn.execute(insert(schema.source).values(**record))


def delete_source(conn: Connection, source_id: str) -> None:
    conn.execute(delete(schema.source).where(schema.source.c.id == source_id))


def tables_citing_source(conn: Connection, source_id: str) -> list[str]:
    """Names of the reference tables with a row that cites the source."""
    return [t.name for t in schema.REFERENCE_TABLES
            if "source_id" in t.c and _count(conn, t.c.source_id == source_id)]
