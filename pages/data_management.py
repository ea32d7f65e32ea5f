"""Data management (editors): upload changes to reference tables, review them, apply, roll back, export.

Flow: choose a table → download its template → upload a CSV or XLSX (plus,
optionally, a file of new sources) → the problems, or a preview of the rows
added, changed and removed → Apply (one transaction, one change set in the
audit log) → roll back a change set or one of its rows from the log.  The
whole store downloads as a versioned zip.  The logic is in
``rmo_data.stewardship``, ``rmo_data.store.change_log`` and ``rmo_data.store.export``; this script only draws.
Access (editors only) is gated by the router's roles.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

import streamlit as st

from components import feedback, router
from components import signin
from components import cached
from components import stewardship_view as view
from components.safe import escape_html
from rmo_data import exports, faults
from rmo_data.stewardship import change_sets, history, upload_reader, upload_tables
from rmo_data.store import change_log, export
from rmo_data.store.engine import get_engine

router.guard(__file__)

UPLOAD_MB = math.ceil(upload_reader.MAX_UPLOAD_BYTES / 1_000_000)  # the uploader's limit, in its MB

SLOT = "data_management"  # where components.feedback keeps this page's one-shot message
NONCE = "_dm_upload_nonce"  # a new uploader key empties the uploaders after an apply


def _actor() -> str:
    return signin.actor()  # the signed-in editor's name goes into the audit log


def _after_write(message: str) -> None:
    cached.clear()  # every page reads the changed tables afresh
    st.session_state[NONCE] = st.session_state.get(NONCE, 0) + 1
    feedback.flash(message, "success", SLOT)
    st.rerun()


def _write(what: str, do: Callable[[], int], done: Callable[[int], str]) -> None:
    """Run one write (apply or roll back): a refusal or a store fault in plain words, or the
    success message after a rerun.

    A store fault (disk full, locked, read-only…) names no path or exception: the
    transaction is rolled back, and the uploaded files stay in place for another try.
    """
    try:
        result = do()
    except ValueError as err:
        view.refusal(str(err).splitlines()[0])
    except faults.WRITE_ERRORS as err:
        st.error(escape_html(feedback.failed_save_text(what, err)), icon=":material/error:")
    else:
        _after_write(done(result))


st.title("Data management")
st.caption("Add, change or remove rows of the reference tables by uploading a file. Nothing is written "
           "until the whole file is valid and you apply the preview; every change is logged and can be "
           "rolled back.")
feedback.show_flash(SLOT)

engine = get_engine()
st.caption(f"Changes are logged under your user name, **{escape_html(signin.actor())}**.")

st.header("Upload changes")
table = st.selectbox("Table", list(upload_tables.SPECS), format_func=lambda t: upload_tables.SPECS[t].label,
                     key="dm_table")
spec = upload_tables.SPECS[table]
left, middle, right = st.columns(3)
left.download_button("Template (CSV)", upload_tables.template_csv(table), file_name=f"{table}_template.csv",
                     mime="text/csv", icon=":material/download:", key="dm_template")
middle.download_button("Current rows (CSV)",
                       lambda: exports.table_csv(upload_tables.current_rows(table, engine=engine)),
                       file_name=f"{table}_current.csv", mime="text/csv", icon=":material/download:",
                       key="dm_current", help="The stored rows in the template's columns: edit and upload.")
right.download_button("Sources template (CSV)", upload_tables.sources_template_csv(), file_name="sources_template.csv",
                      mime="text/csv", icon=":material/download:", key="dm_sources_template")
# Unlike the figures' downloads (readable headings, rounded numbers, an about file), these are
# upload formats: stored column names and exact values, so a download uploads again unchanged.
st.caption("These three files are upload formats: the stored column names and exact values, with no "
           "rounding and no about file, so that current rows uploaded again change nothing. The readable "
           "downloads with sources, licences and filters are under each figure on the other pages.")
with st.expander("How uploads work"):
    st.markdown(f"""
- Columns are those of the template; list columns (stages, targets, materials…) take values separated
  by `;`. Rows are matched to stored rows by their key: **{', '.join(spec.key_columns)}**.
- Write `delete` in the **{upload_tables.action_column(table)}** column to remove a stored row (only the key
  columns are needed), or choose *replace* mode to make the file the complete list of rows for each
  material it names.
- Every row cites a source id of the store; new sources come in a second file (or an XLSX sheet named
  `sources`) with the columns of the sources template.
- Rows are spreadsheet rows: the header is row 1.
""")
modes = [m for m in upload_tables.MODES if m == "upsert" or spec.replace_by_material]
mode = st.radio("Mode", modes, format_func=lambda m: view.MODE_LABELS[m], key="dm_mode")
nonce = st.session_state.get(NONCE, 0)
# The box says the app's own limit ("5MB per file"), not Streamlit's default 200 MB, which the
# upload reader refuses anyway (rmo_data.stewardship.upload_reader.MAX_UPLOAD_BYTES).
upload = st.file_uploader("File (CSV or XLSX)", type=["csv", "xlsx"], key=f"dm_file_{nonce}",
                          max_upload_size=UPLOAD_MB)
sources_upload = st.file_uploader("New sources (optional, CSV or XLSX)", type=["csv", "xlsx"],
                                  key=f"dm_sources_{nonce}", max_upload_size=UPLOAD_MB)

if upload is not None:
    preview = view.validated(table, upload, mode, sources_upload, engine=engine)  # once per file
    if not preview.ok:
        view.show_problems(preview)
    elif not preview.changes and not preview.sources:
        st.info("The file is valid but changes nothing: every row equals the stored one.",
                icon=":material/info:")
    else:
        st.success("The file is valid. Check the preview, then apply it.", icon=":material/fact_check:")
        view.show_preview(preview)
        if st.button("Apply", type="primary", icon=":material/publish:", key="dm_apply"):
            _write("The upload", lambda: change_sets.apply_preview(preview, actor=_actor(), engine=engine),
                   lambda set_id: f"Applied as change set {set_id}.")

st.header("Change sets and audit log")
sets = change_log.list_change_sets(engine)
if sets.empty:
    st.caption("No change set yet.")
else:
    f1, f2, f3 = st.columns(3)
    tables = f1.multiselect("Table", sorted(sets["table_name"].unique()), key="dm_f_table")
    actors = f2.multiselect("Who", sorted(sets["actor"].unique()), key="dm_f_actor")
    statuses = f3.multiselect("Status", list(view.STATUS_LABELS), format_func=view.STATUS_LABELS.get,
                              key="dm_f_status")
    view.change_sets_table(history.filter_change_sets(sets, tables, actors, statuses))

    set_labels = history.rollback_choices(sets)
    if set_labels:
        pick, go = st.columns([3, 1], vertical_alignment="bottom")
        chosen = pick.selectbox("Change set to roll back", list(set_labels), format_func=set_labels.get,
                                key="dm_rb_set")
        if go.button("Roll back", icon=":material/undo:", key="dm_rb_set_go"):
            _write("The rollback",
                   lambda: change_sets.rollback_change_set(int(chosen), actor=_actor(), engine=engine),
                   lambda rb: f"Change set {chosen} rolled back (rollback change set {rb}).")

facets = change_log.audit_facets(engine)
with st.expander(f"Audit log ({facets['rows']} rows)", expanded=False):
    a1, a2, a3 = st.columns(3)
    log_tables = a1.multiselect("Table", facets["tables"], key="dm_a_table")
    log_actors = a2.multiselect("Who", facets["actors"], key="dm_a_actor")
    set_filter = a3.number_input("Change set", min_value=0, value=0, step=1, key="dm_a_set",
                                 help="0 shows every row; choose a change set to roll back single rows.")
    log = change_log.audit_log(log_tables, log_actors, int(set_filter) or None, engine=engine)
    if len(log) == change_log.AUDIT_LIMIT:
        st.caption(f"The newest {change_log.AUDIT_LIMIT} rows; narrow the filters to see older ones.")
    view.audit_table(log)
    if history.is_upload_set(sets, int(set_filter)):
        labels = history.audit_row_choices(log, change_log.list_reverted(engine).get(int(set_filter), []))
        if labels:
            pick, go = st.columns([3, 1], vertical_alignment="bottom")
            audit_id = pick.selectbox("Audit row to roll back", list(labels), format_func=labels.get,
                                      key="dm_rb_row")
            if go.button("Roll back row", icon=":material/undo:", key="dm_rb_row_go"):
                _write("The rollback",
                       lambda: change_sets.rollback_audit_row(int(audit_id), actor=_actor(), engine=engine),
                       lambda rb: f"Audit row {audit_id} rolled back (rollback change set {rb}).")

st.header("Export the store")
st.caption("A zip with one CSV per table, a manifest (export and schema version, build, time, row counts) "
           "and a SQLite copy of the store. It is written when you click.")
st.download_button("Download the whole store (zip)", lambda: export.store_export(engine)[0],
                   file_name=f"rmo-store-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M}Z.zip", mime=exports.ZIP_MIME,
                   icon=":material/archive:", key="dm_export")
