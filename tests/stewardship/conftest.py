"""Fixtures of the upload tests: every test that writes works on its own copy of the built store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from rmo_data.store.engine import make_engine


@pytest.fixture()
def store(store_copy_url: str) -> Iterator[tuple[str, Engine]]:
    """URL and engine of a private copy of the built store (on the run's backend)."""
    url = store_copy_url
    engine = make_engine(url)
    yield url, engine
    engine.dispose()
