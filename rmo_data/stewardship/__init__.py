"""Data stewardship: editors add, change and remove reference rows by uploading CSV or XLSX.

The flow is *validate → preview → apply → (roll back)*, all without streamlit:

* ``upload_tables``: the tables an editor may upload (``SPECS``), templates and current rows;
* ``upload_reader``: reading a CSV or XLSX file within the upload limits;
* ``row_checks``: each row against its seed model and the store's vocabularies;
* ``change_preview``: ``validate_upload`` → a ``Preview`` of the rows added, changed, removed;
* ``change_sets``: ``apply_preview`` and the rollbacks, each one audited change set;
* ``reapply``: active change sets written again after a rebuild;
* ``record_diff``: how two records are compared;
* ``history``: the page's filters of change sets and its rollback choices.

Their SQL is in ``rmo_data.store.reference_rows`` and ``rmo_data.store.change_log``.
"""
