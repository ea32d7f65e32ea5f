"""Applying an upload's preview as a change set, and rolling change sets (or single rows) back.

``apply_preview`` writes a valid preview in ONE transaction, after checking
that the store still holds what the preview was computed from.  Every row
written gets an ``audit_log`` row (who, when, what, before and after as JSON)
carrying the id of a new ``change_set`` row.  ``rollback_change_set`` /
``rollback_audit_row`` undo a whole change set or one of its rows; the
rollback is itself a change set with audit rows, and it refuses (writing
nothing) when a row has changed again since.  The SQL is in
``rmo_data.store.reference_rows`` and ``rmo_data.store.change_log``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Engine

from rmo_data import constants
from rmo_data.stewardship.change_preview import Preview
from rmo_data.stewardship.record_diff import same_record, values_equal
from rmo_data.stewardship.upload_tables import SPECS, key_text
from rmo_data.store import change_log, reference_rows
from rmo_data.store.reference_rows import key_of
from rmo_data.store.writes import audit, begin_write, engine_or_default, to_json


class StaleError(ValueError):
    """The store changed between the preview and the apply (or since a change set)."""


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
    with engine_or_default(engine).connect() as conn:
        begin_write(conn)
        for record in preview.sources:
            if reference_rows.source_exists(conn, record["id"]):
                raise StaleError(f"Source {record['id']!r} was added meanwhile: check the upload again.")
        for change in preview.changes:
            if not same_record(spec, reference_rows.current_record(conn, spec, change.key), change.before):
                raise StaleError(f"Row {key_text(spec, change.key)} of {spec.label.lower()} changed after "
                                 "the preview: check the upload again.")
        counts = preview.counts
        set_id = change_log.new_change_set(conn, actor, "upload", spec.name, file_name=preview.file_name,
                                 mode=preview.mode, counts_json=to_json(counts))
        for record in preview.sources:
            reference_rows.add_source(conn, record)
            audit(conn, actor, "upload add", "source", record["id"], None, record, change_set_id=set_id)
        for change in preview.changes:
            written = reference_rows.set_state(conn, spec, change.key, change.after)
            audit(conn, actor, f"upload {change.kind}", spec.name, key_text(spec, change.key),
                   change.before, written, change_set_id=set_id)
        conn.commit()
    return set_id


# --- rollback -----------------------------------------------------------------------------------

def _undo_rows(conn: Connection, rows: Sequence[Mapping[str, Any]], set_id: int, actor: str,
               original: Mapping[str, Any]) -> None:
    """Undo audit rows (newest first); StaleError when a row changed since."""
    for row in sorted(rows, key=lambda r: r["id"], reverse=True):
        before = json.loads(row["before_json"]) if row["before_json"] else None
        after = json.loads(row["after_json"]) if row["after_json"] else None
        if row["table_name"] == "source":
            current = reference_rows.stored_source(conn, after["id"])
            if current is None or any(not values_equal(current[k], v) for k, v in after.items()):
                raise StaleError(f"Source {after['id']!r} changed after change set {original['id']}.")
            users = reference_rows.tables_citing_source(conn, after["id"])
            if users:
                raise StaleError(f"Source {after['id']!r} added by change set {original['id']} is still "
                                 f"cited (in {', '.join(users)}): roll back or change those rows first.")
            reference_rows.delete_source(conn, after["id"])
            audit(conn, actor, "rollback", "source", after["id"], after, None, change_set_id=set_id)
            continue
        spec = SPECS[row["table_name"]]
        key = key_of(spec, after if after is not None else before)
        current = reference_rows.current_record(conn, spec, key)
        if not same_record(spec, current, after):
            raise StaleError(f"Row {key_text(spec, key)} of {spec.label.lower()} has changed since change set "
                             f"{original['id']} (audit row {row['id']}): it cannot be rolled back.")
        if before is None:
            blocking = reference_rows.blocking_references(conn, spec, key)
            if blocking:
                raise StaleError(f"Row {key_text(spec, key)} cannot be removed: {'; '.join(blocking)}.")
        elif reference_rows.reference_gaps(conn, spec, before):
            raise StaleError(f"Row {key_text(spec, key)} cannot be restored: "
                             f"{'; '.join(reference_rows.reference_gaps(conn, spec, before))}.")
        written = reference_rows.set_state(conn, spec, key, before)
        audit(conn, actor, "rollback", spec.name, key_text(spec, key), current, written, change_set_id=set_id)


def _rollback(engine: Engine | None, change_set_id: int, audit_ids: Sequence[int] | None, actor: str) -> int:
    with engine_or_default(engine).connect() as conn:
        begin_write(conn)
        original = change_log.change_set_row(conn, change_set_id)
        if original is None:
            raise ValueError(f"No change set {change_set_id}.")
        if original["kind"] != "upload":
            raise ValueError(f"Change set {change_set_id} is a rollback; upload the file again to redo it.")
        reverted = change_log.reverted_ids(original)
        rows = change_log.audit_rows_of(conn, change_set_id)
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
        set_id = change_log.new_change_set(conn, actor, "rollback", original["table_name"],
                                 file_name=original["file_name"], reverts_id=change_set_id,
                                 counts_json=to_json({"rows": len(todo)}))
        _undo_rows(conn, todo, set_id, actor, original)
        reverted |= {r["id"] for r in todo}
        status = "rolled_back" if reverted >= all_ids else "partly_rolled_back"
        change_log.mark_reverted(conn, change_set_id, status, reverted)
        conn.commit()
    return set_id


def rollback_change_set(change_set_id: int, actor: str = constants.DEFAULT_ACTOR, engine: Engine | None = None) -> int:
    """Undo every row of a change set not rolled back yet, in one transaction; return the rollback's id.

    Raises ``ValueError`` (``StaleError`` when a row changed since) and writes nothing when it refuses.
    """
    return _rollback(engine, int(change_set_id), None, actor)


def rollback_audit_row(audit_id: int, actor: str = constants.DEFAULT_ACTOR, engine: Engine | None = None) -> int:
    """Undo one audit row of an upload change set; return the rollback change set's id."""
    row = change_log.audit_row(int(audit_id), engine)
    if row is None or row.get("change_set_id") is None:
        raise ValueError(f"Audit row {audit_id} is not part of an editor's change set.")
    return _rollback(engine, int(row["change_set_id"]), [int(audit_id)], actor)

