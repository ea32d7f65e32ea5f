"""Fixtures of the store tests: a small store with just the reference rows user rows point at."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, insert

from rmo_data.store import schema


@pytest.fixture()
def engine(empty_engine: Engine) -> Engine:
    """The empty schema plus the few reference rows the tests need: a source, two materials, two cards."""
    with empty_engine.begin() as conn:
        conn.execute(insert(schema.source).values(id="rep", title="Test report", publisher="Test", kind="report"))
        conn.execute(insert(schema.material), [
            {"slug": "zinc", "name": "Zinc", "short_name": "Zinc", "sort_order": 1, "source_id": "rep"},
            {"slug": "nickel", "name": "Nickel", "short_name": "Nickel", "sort_order": 2, "source_id": "rep"},
        ])
        conn.execute(insert(schema.leverage), [
            {"id": "ZN-01", "material": "zinc", "category": "commercial", "actor": "oem",
             "title": "Ask suppliers where zinc comes from", "action": "Text.", "source_id": "rep",
             "section": "2. Zinc"},
            {"id": "X-01", "material": None, "category": "peers", "actor": "initiative",
             "title": "Pool audits", "action": "Text.", "source_id": "rep", "section": "1."},
        ])
    return empty_engine
