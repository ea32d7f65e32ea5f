"""The ``engine`` fixture of the workshop tests: a fresh store with the sample's three materials."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.workshops.sample import seed_store


@pytest.fixture()
def engine(empty_engine: Engine) -> Engine:
    return seed_store(empty_engine)
