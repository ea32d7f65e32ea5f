"""Cached access to ``rmo_data.queries`` for the pages.

Every read goes through ``query(name, **kwargs)``, one bounded ``st.cache_data``
entry point keyed by the query name, its arguments and the database URL, so a
rerun never repeats a database read and the cache cannot grow without limit.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from rmo_data import queries
from rmo_data.engine import database_url, get_engine


def _freeze(value: Any) -> Any:
    """Lists become tuples so arguments hash the same way every time."""
    if isinstance(value, list | tuple | set):
        return tuple(sorted(value)) if isinstance(value, set) else tuple(value)
    return value


@st.cache_data(ttl=3600, max_entries=512, show_spinner=False)
def _cached(name: str, url: str, frozen: tuple[tuple[str, Any], ...]) -> Any:
    func = getattr(queries, name)
    return func(**dict(frozen), engine=get_engine(url))


def query(name: str, **kwargs: Any) -> Any:
    """Run the named function of ``rmo_data.queries`` with caching; returns a copy for frames."""
    frozen = tuple(sorted((k, _freeze(v)) for k, v in kwargs.items()))
    result = _cached(name, database_url(), frozen)
    # Callers may add columns for display; never let that touch the cached object.
    return result.copy() if isinstance(result, pd.DataFrame) else result


def clear() -> None:
    """Forget cached reads (after a rebuild or a write)."""
    _cached.clear()
