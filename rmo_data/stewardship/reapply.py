"""After a rebuild: write editors' active upload change sets again over the rebuilt reference tables.

``rmo_data.ingest.build`` calls ``reapply`` inside its own transaction, after it
has written the reference tables from the repository's files and carried the
user tables (change sets and audit rows among them) over, so editors' work
does not vanish with a rebuild.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from rmo_data.stewardship.record_diff import same_record
from rmo_data.stewardship.upload_tables import SPECS, key_text
from rmo_data.store import change_log, reference_rows
from rmo_data.store.reference_rows import key_of
from rmo_data.store.writes import now


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
    sets = change_log.active_upload_sets(conn)
    stamp = now().isoformat(timespec="seconds")
    for change_set in sets:
        reverted = change_log.reverted_ids(change_set)
        rows = [r for r in change_log.audit_rows_of(conn, change_set["id"]) if r["id"] not in reverted]
        problems = _reapply_set(conn, rows, summary, dry_run=True)
        if problems:
            note = f"not re-applied after the rebuild of {stamp}: {'; '.join(problems[:5])}"
            summary["skipped"][int(change_set["id"])] = note
        else:
            _reapply_set(conn, rows, summary, dry_run=False)
            summary["reapplied"].append(int(change_set["id"]))
            note = f"re-applied after the rebuild of {stamp}"
        change_log.set_note(conn, change_set["id"], note)
    return summary


def _reapply_set(conn: Connection, rows: Sequence[Mapping[str, Any]], summary: dict[str, Any],
                 dry_run: bool) -> list[str]:
    problems: list[str] = []
    new_sources = {json.loads(r["after_json"])["id"] for r in rows if r["table_name"] == "source"}
    for row in rows:
        before = json.loads(row["before_json"]) if row["before_json"] else None
        after = json.loads(row["after_json"]) if row["after_json"] else None
        if row["table_name"] == "source":
            if not dry_run and not reference_rows.source_exists(conn, after["id"]):
                reference_rows.add_source(conn, after)
            continue
        spec = SPECS.get(row["table_name"])
        if spec is None:
            continue
        key = key_of(spec, after if after is not None else before)
        if dry_run:
            if after is not None:
                gaps = [g for g in reference_rows.reference_gaps(conn, spec, after)
                        if not g.startswith(f"source_id {after.get('source_id')!r}")
                        or after.get("source_id") not in new_sources]
                problems += [f"{key_text(spec, key)}: {g}" for g in gaps]
            else:
                problems += [f"{key_text(spec, key)}: {b}" for b in reference_rows.blocking_references(conn, spec, key)]
            continue
        current = reference_rows.current_record(conn, spec, key)
        if not same_record(spec, current, before):
            summary["differed"] += 1
        reference_rows.set_state(conn, spec, key, after)
        summary["rows"] += 1
    return problems
