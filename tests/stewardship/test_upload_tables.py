"""Upload templates and current rows: the seed columns, and stored rows that upload again unchanged."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from rmo_data.exports import table_csv, table_xlsx
from rmo_data.stewardship import change_preview, upload_tables


def test_templates_have_the_seed_columns_and_an_action_column() -> None:
    for name, spec in upload_tables.SPECS.items():
        header = upload_tables.template_csv(name).decode().strip().split(",")
        assert header == [*spec.columns, upload_tables.action_column(name)]
    assert upload_tables.sources_template_csv().decode().strip().split(",") == list(upload_tables.SOURCE_COLUMNS)


@pytest.mark.parametrize("table", sorted(upload_tables.SPECS))
def test_current_rows_upload_again_unchanged(store: tuple[str, Engine], table: str) -> None:
    """Every stored row, downloaded in the template's columns, validates and changes nothing (CSV and XLSX)."""
    _url, engine = store
    frame = upload_tables.current_rows(table, engine=engine)
    assert list(frame.columns) == list(upload_tables.SPECS[table].columns) and len(frame) > 0
    modes = ["upsert", "replace"] if upload_tables.SPECS[table].replace_by_material else ["upsert"]
    for name, payload in ((f"{table}.csv", table_csv(frame)), (f"{table}.xlsx", table_xlsx(frame))):
        for mode in modes:
            preview = change_preview.validate_upload(table, payload, name, mode=mode, engine=engine)
            assert preview.ok, preview.problems[:5]
            assert preview.counts == {"added": 0, "changed": 0, "removed": 0, "unchanged": len(frame),
                                      "sources added": 0}, (name, mode)
