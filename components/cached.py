"""Cached access to the read queries of ``rmo_data.store`` for the pages.

Every read goes through ``read(queries.evidence, materials=[...])``: the query
function itself, so an editor follows a page straight to its SQL, and a
signature typed from that function.  One bounded cache keyed by the query, its
arguments and the database URL keeps the results, so a rerun never repeats a
database read and the cache cannot grow without limit (``MAX_ENTRIES`` results,
each kept at most ``TTL_SECONDS``).

Every key also holds the store's data version (``rmo_data.store.data_version``),
read at most once every ``VERSION_TTL_S`` per server: a write made by another
app server or a rebuild from the command line changes it, so the next rerun on
any server reads afresh.  ``clear()`` also forgets this server's results at
once after its own writes (and frees their memory).

The cache holds the query results themselves (``st.cache_resource``) and hands
out a copy of each: ``st.cache_data`` would pickle a result when it is stored and
unpickle it on every hit, which for a frame of 200 000 evidence rows costs ~50 ms
per rerun and keeps a second, pickled copy in memory.  A copy of a frame is cheap
(pandas shares the immutable Arrow string buffers) and keeps callers from
changing the cached object.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import inspect
import threading
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any, Final, ParamSpec, TypeVar

import pandas as pd
import streamlit as st

from rmo_data import constants
from rmo_data.analysis import prioritisation, scoring
from rmo_data.charts import priority_charts
from rmo_data.store import concentration, data_version, queries, report_facts, salience_reads
from rmo_data.store.criteria import criteria_table
from rmo_data.store.engine import database_url, get_engine, reopen_if_replaced

MAX_ENTRIES = 256
TTL_SECONDS = 3600
# How stale a server's view of the data version may be: a change made elsewhere shows within this.
VERSION_TTL_S = 1.0


P = ParamSpec("P")
R = TypeVar("R")

# The store modules whose public functions are read queries, so their results may be kept.
# Scenarios and the action plan are left out on purpose: a read right after a write must see it.
QUERY_MODULES: Final[dict[str, ModuleType]] = {
    module.__name__: module for module in (queries, concentration, report_facts, salience_reads)}


def _freeze(value: Any) -> Any:
    """Lists become tuples so arguments hash the same way every time."""
    if isinstance(value, list | tuple | set):
        return tuple(sorted(value)) if isinstance(value, set) else tuple(value)
    return value


def _checked(query: Callable[..., Any]) -> inspect.Signature:
    """The signature of ``query``; TypeError unless it is a public read query of ``QUERY_MODULES``."""
    module = QUERY_MODULES.get(getattr(query, "__module__", "") or "")
    name = getattr(query, "__name__", "")
    if (module is None or name.startswith("_") or getattr(module, name, None) is not query
            or not callable(query)):
        raise TypeError(f"{getattr(query, '__qualname__', query)!r} is not a read query of "
                        f"{', '.join(QUERY_MODULES)}, so its result cannot be cached.")
    signature = inspect.signature(query)
    takes_engine = "engine" in signature.parameters or any(
        parameter.kind is inspect.Parameter.VAR_KEYWORD for parameter in signature.parameters.values())
    if not takes_engine:  # leverage_cards passes its engine on to leverages through **filters
        raise TypeError(f"{name!r} takes no engine, so it is not a read query of the store.")
    return signature


def _arguments(signature: inspect.Signature, args: tuple[Any, ...], kwargs: dict[str, Any]
               ) -> tuple[tuple[str, Any], ...]:
    """The call's arguments by name, defaults filled in, so every spelling of a call shares one entry."""
    if "engine" in kwargs:
        raise TypeError("The cache chooses the engine (from the database URL); do not pass one.")
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    named: dict[str, Any] = {}
    for key, value in bound.arguments.items():
        kind = signature.parameters[key].kind
        if kind is inspect.Parameter.VAR_KEYWORD:
            named.update(value)
        elif kind is inspect.Parameter.VAR_POSITIONAL:
            if value:
                raise TypeError("Read queries take their arguments by name.")
        elif key != "engine":
            named[key] = value
    return tuple(sorted((key, _freeze(value)) for key, value in named.items()))


# The versions last read, by URL: (when, versions).  A plain dict, not st.cache_resource:
# every cached read asks for the version, and Streamlit's cache costs ~60 µs a lookup
# (hashing its arguments) where this costs well under one.
_SEEN: dict[str, tuple[float, dict[str, data_version.Version]]] = {}
_SEEN_LOCK = threading.Lock()


def _versions(url: str) -> dict[str, data_version.Version]:
    seen = _SEEN.get(url)
    if seen is not None and time.monotonic() - seen[0] < VERSION_TTL_S:
        return seen[1]
    with _SEEN_LOCK:  # one read for every session of this server, at most once a second
        seen = _SEEN.get(url)
        if seen is not None and time.monotonic() - seen[0] < VERSION_TTL_S:
            return seen[1]
        reopen_if_replaced(url)  # a SQLite file that a command-line build replaced is opened afresh
        versions = data_version.read(get_engine(url))
        if len(_SEEN) >= 8:  # stores of tests and benchmarks come and go
            _SEEN.clear()
        _SEEN[url] = (time.monotonic(), versions)
        return versions


def version(scope: str = data_version.REFERENCE) -> data_version.Version:
    """The current store's data version of ``scope`` (as seen at most ``VERSION_TTL_S`` ago).

    Put it in the key of any cache of that scope's data (the workshop caches do).
    """
    return _versions(database_url())[scope]


@st.cache_resource(ttl=TTL_SECONDS, max_entries=MAX_ENTRIES, show_spinner=False)
def _cached(module: str, name: str, url: str, at: data_version.Version,
            frozen: tuple[tuple[str, Any], ...]) -> Any:
    # Keyed by names, not the function object, so the key hashes the same in every session.
    func = getattr(QUERY_MODULES[module], name)
    return func(**dict(frozen), engine=get_engine(url))


def read(query: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """``query(*args, **kwargs)`` on the current store, kept in the bounded cache; returns a copy.

    ``query`` is a public read query of ``rmo_data.store`` (``queries.evidence``);
    anything else is refused with TypeError.  The engine comes from the database
    URL, which is part of the key.
    """
    frozen = _arguments(_checked(query), args, kwargs)
    result = _cached(query.__module__, query.__name__, database_url(), version(), frozen)
    # Callers may add columns for display; never let that touch the cached object.
    if isinstance(result, pd.DataFrame):
        return result.copy()  # type: ignore[return-value]
    return copy.deepcopy(result)


def clear() -> None:
    """Forget this server's cached reads and data version (after its own rebuild or write)."""
    _SEEN.clear()
    _cached.clear()
    _salience.clear()
    _criteria.clear()
    _scaled.clear()
    _prioritised.clear()


@st.cache_resource(ttl=TTL_SECONDS, max_entries=8, show_spinner=False)
def _salience(url: str, at: data_version.Version, as_of: int) -> pd.DataFrame:
    return salience_reads.salience_table(get_engine(url), as_of=as_of)


def salience() -> pd.DataFrame:
    """Every salience cell of the current store (``salience_reads.salience_table``), kept per store and year (a copy).

    Scoring every cell reads every case's ratings once (about a second for a
    store of 200 000 cases); the criteria and both heat maps use the same cells.
    Recency is measured from this year, so the key holds it.
    """
    return _salience(database_url(), version(), dt.date.today().year).copy()


@st.cache_resource(ttl=TTL_SECONDS, max_entries=8, show_spinner=False)
def _criteria(url: str, at: data_version.Version) -> scoring.CriteriaData:
    return criteria_table(get_engine(url), cells=_salience(url, at, dt.date.today().year))


def criteria() -> scoring.CriteriaData:
    """``rmo_data.store.criteria.criteria_table()`` for the current store, computed once per store (a copy).

    Scoring every material reads four queries and reshapes them (~25 ms on the
    real store, more with many evidence rows); the Prioritisation page needs
    it on every rerun, so it is kept like a query result.
    """
    return copy.deepcopy(_criteria(database_url(), version()))


@st.cache_resource(ttl=TTL_SECONDS, max_entries=16, show_spinner=False)
def _scaled(url: str, at: data_version.Version, materials: tuple[str, ...]) -> prioritisation.Scaled:
    return prioritisation.scale(_criteria(url, at), materials)


@st.cache_resource(ttl=TTL_SECONDS, max_entries=64, show_spinner=False)
def _prioritised(url: str, at: data_version.Version, materials: tuple[str, ...],
                 weights: tuple[tuple[str, int], ...], leave_gaps_out: bool = False) -> prioritisation.Prioritisation:
    return prioritisation.prioritise(_criteria(url, at), materials, dict(weights),
                                     scaled=_scaled(url, at, materials), leave_gaps_out=leave_gaps_out)


def prioritise(materials: list[str], weights: dict[str, int],
               leave_gaps_out: bool = False) -> prioritisation.Prioritisation:
    """``prioritisation.prioritise(criteria(), materials, weights, leave_gaps_out=...)``, kept per inputs (a copy).

    Keyed by plain tuples, so a hit costs no hashing of frames: moving a slider
    back, or any rerun that changes neither, reuses the ranking and its explanation.
    The scaling of the criteria is kept per materials, so a new weight only ranks.
    """
    kept = _prioritised(database_url(), version(), tuple(materials), tuple(sorted(weights.items())),
                        leave_gaps_out)
    # Each frame copied (callers may add columns); cheaper than deepcopy's walk of the dataclass.
    return dataclasses.replace(kept, **{f.name: getattr(kept, f.name).copy()
                                        for f in dataclasses.fields(kept)
                                        if isinstance(getattr(kept, f.name), pd.DataFrame)})


@st.cache_resource(ttl=TTL_SECONDS, max_entries=64, show_spinner=False)
def _contributions(url: str, at: data_version.Version, materials: tuple[str, ...],
                   weights: tuple[tuple[str, int], ...], labels: tuple[tuple[str, str], ...],
                   leave_gaps_out: bool = False) -> dict[str, pd.DataFrame]:
    kept = _prioritised(url, at, materials, weights, leave_gaps_out)
    names = dict(labels)
    named = kept.explained.assign(name=kept.explained["material"].map(names))
    return priority_charts.contribution_data(named, [names[m] for m in kept.ranked.index])


def contributions(materials: list[str], weights: dict[str, int], labels: dict[str, str],
                  leave_gaps_out: bool = False) -> dict[str, pd.DataFrame]:
    """The contribution chart's datasets for this ranking (``priority_charts.contribution_data``), kept like it.

    Reshaping the explanation for the chart was the largest pandas cost of moving a
    weight (py-spy); moving a slider back, or a rerun that changes no weight, reuses it.
    Call it only when the weights rank something (``prioritise(...).ranked`` is not None).
    """
    kept = _contributions(database_url(), version(), tuple(materials), tuple(sorted(weights.items())),
                          tuple(sorted(labels.items())), leave_gaps_out)
    return {name: frame.copy() for name, frame in kept.items()}


@st.cache_data(ttl=TTL_SECONDS, max_entries=64, show_spinner=False)
def monte_carlo(normalised: pd.DataFrame, weights: tuple[tuple[str, float], ...], n: int, seed: int,
                weight_jitter: float, input_jitter: float, missing: pd.DataFrame,
                leave_gaps_out: bool = False) -> pd.DataFrame:
    """``scoring.monte_carlo`` kept per inputs: seeded, so the same inputs give the same result.

    ``weights`` is a tuple of items so the cache can hash it.
    """
    return scoring.monte_carlo(normalised, dict(weights), n=n, seed=seed, weight_jitter=weight_jitter,
                               input_jitter=input_jitter, missing=missing, leave_gaps_out=leave_gaps_out)


# Filters that are columns of queries.evidence_cube, so they can be applied to it in pandas.
_CUBE_FILTERS = frozenset({"materials", "stages", "categories", "min_severity"})


def evidence_cube(**filters: Any) -> pd.DataFrame:
    """``queries.evidence_cube(**filters)``, cut from one cached cube of all the evidence when it can be.

    Materials, stages, categories and the minimum severity are columns of the
    cube, so a change of those filters costs a pandas mask instead of a pass
    over every case of the store; other filters (country, company, text) go to
    SQL.  Same rows, same order as the query.
    """
    if any(value for key, value in filters.items() if key not in _CUBE_FILTERS):
        return read(queries.evidence_cube, **filters)
    cube = read(queries.evidence_cube)
    keep = cube["severity"] >= int(filters.get("min_severity") or 1)
    for key, column in (("materials", "material"), ("stages", "stage"), ("categories", "category")):
        if filters.get(key):
            keep &= cube[column].isin(list(filters[key]))
    return cube[keep].reset_index(drop=True)


def material_slugs() -> list[str]:
    """Slugs of the materials in the store, in display order.

    Pages list materials from the store, not from ``constants``, so materials
    added after the ten of the report (or a synthetic benchmark store) show up.
    """
    return read(queries.materials)["slug"].tolist()


def material_labels() -> dict[str, str]:
    """Display name of every material in the store (the constants' labels for the ten)."""
    frame = read(queries.materials)
    return {**constants.MATERIAL_LABELS, **dict(zip(frame["slug"], frame["name"], strict=True))}


def material_short() -> dict[str, str]:
    """Short name of every material in the store, for narrow chart axes."""
    frame = read(queries.materials)
    return {**constants.MATERIAL_SHORT, **dict(zip(frame["slug"], frame["short_name"], strict=True))}
