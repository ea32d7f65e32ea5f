"""The pages' query cache (``components.cached``): typed reads, one entry per argument set, copies out."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
import pytest

from components import cached
from rmo_data.store import queries, scenarios


@pytest.fixture()
def on_built_store(built_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("RMO_DATABASE_URL", built_url)
    cached.clear()
    yield
    cached.clear()


def _counted(monkeypatch: pytest.MonkeyPatch, name: str) -> list[dict[str, Any]]:
    """Replace ``queries.<name>`` by a wrapper (same name and module) that records each real call."""
    calls: list[dict[str, Any]] = []
    real: Callable[..., Any] = getattr(queries, name)

    @functools.wraps(real)
    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(queries, name, counting)
    return calls


@pytest.mark.usefixtures("on_built_store")
def test_a_typed_read_runs_its_query_once_per_argument_set(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counted(monkeypatch, "companies")
    first = cached.read(queries.companies, material="zinc")
    assert len(calls) == 1
    # The same arguments, spelled by position, by name or with the default filled in: one entry.
    pd.testing.assert_frame_equal(cached.read(queries.companies, "zinc"), first)
    cached.read(queries.companies, material="zinc")
    assert len(calls) == 1
    cached.read(queries.companies, material="nickel")
    cached.read(queries.companies)
    cached.read(queries.companies, material=None)
    assert [call["material"] for call in calls] == ["zinc", "nickel", None]
    assert all("engine" in call for call in calls)  # the cache passes the store's engine


@pytest.mark.usefixtures("on_built_store")
def test_a_typed_read_returns_a_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counted(monkeypatch, "evidence_options")
    options = cached.read(queries.evidence_options)
    options["countries"].append("Nowhere")
    assert "Nowhere" not in cached.read(queries.evidence_options)["countries"]
    frame = cached.read(queries.materials)
    frame["extra"] = 1
    assert "extra" not in cached.read(queries.materials).columns
    assert len(calls) == 1


@pytest.mark.usefixtures("on_built_store")
def test_lists_and_tuples_of_the_same_values_share_an_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counted(monkeypatch, "evidence_counts")
    cached.read(queries.evidence_counts, materials=["zinc"])
    cached.read(queries.evidence_counts, materials=("zinc",))
    assert len(calls) == 1


def _not_a_query(engine: object = None) -> pd.DataFrame:
    return pd.DataFrame()


@pytest.mark.parametrize("func", [_not_a_query, len, scenarios.list_scenarios, queries._matches,
                                  pd.DataFrame, lambda engine=None: None])
def test_a_function_that_is_not_a_read_query_is_refused(func: Callable[..., Any]) -> None:
    with pytest.raises(TypeError, match="not a read query"):
        cached.read(func)


@pytest.mark.usefixtures("on_built_store")
def test_the_engine_is_the_cache_s_to_choose() -> None:
    with pytest.raises(TypeError, match="engine"):
        cached.read(queries.materials, engine=None)


@pytest.mark.usefixtures("on_built_store")
def test_a_query_taking_its_engine_through_keyword_filters_is_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counted(monkeypatch, "leverage_cards")
    first = cached.read(queries.leverage_cards, scopes=["zinc"], categories=["engage"])
    again = cached.read(queries.leverage_cards, ["zinc"], categories=("engage",))
    pd.testing.assert_frame_equal(first, again)
    assert len(calls) == 1
