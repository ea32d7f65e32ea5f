"""The pack's charts as static images: the app's own chart builders, rendered to PNG without a browser.

``vl-convert-python`` turns a Vega-Lite spec into PNG bytes; each chart is
rendered once, by worker processes (``vl_worker``: vl-convert holds Python's
lock while it draws, so a thread would stall the rest of the pack) while the
pack is collected and laid out, and shared by the PowerPoint and PDF files; a
process-wide cache keyed by the spec keeps it for the next pack.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import subprocess
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import altair as alt
import pandas as pd

from rmo_data.briefing.model import (END_USE_WIDTH, PRODUCTION_HEIGHT, PRODUCTION_WIDTH, BriefingData, Progress,
                                     clean, no_progress)
from rmo_data import workers
from rmo_data.briefing import vl_worker
from rmo_data.charts import material_charts, style
from rmo_data.charts.images import walk

# --- static chart specs ---------------------------------------------------------------


def _fix_wrapped_labels(encoding: dict[str, Any]) -> None:
    """Make multi-line axis labels render in a static image as they do in the app.

    The builders wrap long labels with ``split(datum.label, ' ')`` and anchor
    them with ``labelBaseline: line-bottom``.  Vega's SVG output (which
    vl-convert uses) ignores that anchor for the extra lines and draws them
    over the plot, so here every label is padded with empty first lines to the
    same count and the axis is moved up by the height of those lines.
    """
    for channel in ("x", "y"):
        enc = encoding.get(channel)
        if not isinstance(enc, dict) or not isinstance(enc.get("axis"), dict):
            continue
        axis = enc["axis"]
        if "split(" not in str(axis.get("labelExpr", "")):
            continue
        labels = enc.get("sort") if isinstance(enc.get("sort"), list) else []
        lines = max((len(str(label).split(" ")) for label in labels), default=1)
        words = "split(datum.label, ' ')"
        expr = ""
        for count in range(1, lines):
            padded = ", ".join(["''"] * (lines - count) + [f"{words}[{i}]" for i in range(count)])
            expr += f"length({words}) == {count} ? [{padded}] : "
        axis["labelExpr"] = expr + words
        axis["labelBaseline"] = "alphabetic"
        axis["labelPadding"] = (lines - 1) * int(axis.get("labelLineHeight", 14)) + 6


def static_spec(chart: alt.TopLevelMixin, width: int, datasets: Mapping[str, pd.DataFrame] | None = None) -> str:
    """Vega-Lite JSON of a builder's chart, ready to render without a page around it.

    ``width="container"`` has no container here, so it becomes ``width``
    pixels; wrapped axis labels are fixed as ``_fix_wrapped_labels`` says.
    """
    # validate=False: the builders' charts are the app's own, checked by its tests; the schema
    # check cost more than half a second per ten-material pack.
    spec = style.configure(chart).to_dict(validate=False)
    if spec.get("width") == "container":
        spec["width"] = width

    def visit(node: dict[str, Any]) -> None:
        if isinstance(node.get("encoding"), dict):
            _fix_wrapped_labels(node["encoding"])
        if node.get("width") == "container":
            node["width"] = width

    walk(spec, visit)
    if datasets:  # the builder reads named datasets (the caller's rows), as render.chart adds them in the app
        spec["datasets"] = {**spec.get("datasets", {}),
                            **{k: json.loads(v.to_json(orient="records")) for k, v in datasets.items()}}
    return json.dumps(spec)


def render_png(spec: str, scale: float = 2) -> bytes:
    """PNG of a Vega-Lite spec through vl-convert (no browser), in this process."""
    import vl_convert  # imported late: only pack building needs it

    return vl_convert.vegalite_to_png(spec, scale=scale)


# PNGs by the hash of their spec, kept for the process: a pack asked for again (another
# format, one material after ten, a rerun after a download) draws no chart twice.
_CACHE: OrderedDict[str, bytes] = OrderedDict()
_CACHE_LOCK = threading.Lock()
CACHE_ENTRIES = 96
WORKERS = 2


class _Worker:
    """One ``vl_worker`` child process, used by one thread at a time."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "rmo_data.briefing.vl_worker"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=workers.child_env())

    def draw(self, spec: str) -> bytes:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        vl_worker.send(self.proc.stdin, vl_worker.OK, spec.encode("utf-8"))
        status, payload = vl_worker.receive(self.proc.stdout)
        if status != vl_worker.OK:
            raise RuntimeError(f"a chart could not be drawn ({payload.decode('utf-8', 'replace')})")
        return payload

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()  # type: ignore[union-attr]
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


_LOCAL = threading.local()
_WORKERS: list[_Worker] = []
_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _draw_in_worker(spec: str) -> bytes:
    """Draw ``spec`` in this thread's worker process, starting it (or a new one after a crash) when needed."""
    worker = getattr(_LOCAL, "worker", None)
    if worker is None or worker.proc.poll() is not None:
        worker = _LOCAL.worker = _Worker()
        with _POOL_LOCK:
            _WORKERS.append(worker)
    try:
        return worker.draw(spec)
    except (EOFError, BrokenPipeError, OSError):
        _LOCAL.worker = None  # the process died: the next chart starts a fresh one
        raise


def _pool() -> ThreadPoolExecutor:
    """Threads that each own one worker process; they wait on pipes, which releases Python's lock."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="pack-chart")
        return _POOL


_WARM_SPEC = '{"mark": "text", "data": {"values": [{"a": 1}]}, "encoding": {"text": {"field": "a"}}}'
_warmed = threading.Event()


def warm_up() -> list[Future[bytes]]:
    """Start the chart workers now, in the background, so the first pack does not wait for them.

    Called when a page offers a pack (the reader is still choosing); once per process.
    Returns the warm-up draws (none after the first call): ``bench/run.py`` waits on
    them, as a reader's choosing does, before it times a pack.
    """
    if _warmed.is_set():
        return []
    _warmed.set()
    # Each draw takes a thread and its own worker, both started here.
    return [_pool().submit(_draw_in_worker, _WARM_SPEC) for _ in range(WORKERS)]


def shutdown() -> None:
    """Stop the chart workers (tests and a server's exit; the next pack starts them again)."""
    global _POOL
    with _POOL_LOCK:
        pool, _POOL = _POOL, None
        workers = list(_WORKERS)
        _WORKERS.clear()
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)
    for worker in workers:
        worker.stop()
    _warmed.clear()


atexit.register(shutdown)


def _digest(spec: str) -> str:
    return hashlib.sha256(spec.encode("utf-8")).hexdigest()


def _remember(key: str, png: bytes) -> None:
    with _CACHE_LOCK:
        _CACHE[key] = png
        while len(_CACHE) > CACHE_ENTRIES:
            _CACHE.popitem(last=False)


def cached_png(spec: str) -> bytes:
    """``render_png(spec)`` once per spec for the life of the process (a small LRU), in this process."""
    key = _digest(spec)
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    png = render_png(spec)
    _remember(key, png)
    return png


def clear_cache() -> None:
    """Forget every kept PNG (tests that count renders start from nothing)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def start_png(spec: str) -> Future[bytes]:
    """A future PNG of ``spec``: from the cache, or drawn by a worker process.

    When ``render_png`` is replaced (tests count or fake renders), the
    replacement runs here in this process, so what it records is visible.
    """
    key = _digest(spec)
    with _CACHE_LOCK:
        if key in _CACHE:
            done: Future[bytes] = Future()
            done.set_result(_CACHE[key])
            return done
    if render_png is not _RENDER_PNG:
        done = Future()
        done.set_result(cached_png(spec))
        return done
    future = _pool().submit(_draw_in_worker, spec)
    future.add_done_callback(lambda f: f.exception() is None and _remember(key, f.result()))
    return future


class ChartImages(Mapping[str, bytes]):
    """The pack's chart PNGs by key, drawn by worker processes from the moment a spec is known.

    ``submit`` starts a render at once (``content.collect`` submits each chart
    as it builds the spec); reading a key waits for that one render only, so
    the layout of the first slides goes on while later charts are drawn.
    """

    def __init__(self) -> None:
        self.specs: dict[str, str] = {}
        self._futures: dict[str, Future[bytes]] = {}

    def submit(self, key: str, spec: str) -> None:
        """Start rendering ``spec`` under ``key`` (a key already submitted is kept)."""
        if key not in self._futures:
            self.specs[key] = spec
            self._futures[key] = start_png(spec)

    def __getitem__(self, key: str) -> bytes:
        return self._futures[key].result()

    def __iter__(self) -> Iterator[str]:
        return iter(self._futures)

    def __len__(self) -> int:
        return len(self._futures)

    def __contains__(self, key: object) -> bool:
        return key in self._futures


def render_charts(data: BriefingData, progress: Progress | None = None) -> Mapping[str, bytes]:
    """Make sure every chart of ``data`` is rendered, waiting for those still drawing.

    Charts already submitted (by ``collect``) are not rendered again, and a
    spec rendered earlier in this process comes from the cache.
    """
    report = progress or no_progress
    if data.images is None:
        data.images = ChartImages()
    images = data.images
    for key, spec in data.chart_specs().items():
        images.submit(key, spec)
    keys = list(images)
    for done, key in enumerate(keys, start=1):
        images[key]
        report(f"Drawing charts ({done} of {len(keys)})", done / len(keys))
    return images


_RENDER_PNG = render_png  # the real renderer, to tell when a test has replaced it


def material_chart_specs(name: str, shares: pd.DataFrame, production: pd.DataFrame) -> dict[str, str]:
    out: dict[str, str] = {}
    if not shares.empty:
        out["end_use"] = static_spec(material_charts.end_use_chart(shares, width=END_USE_WIDTH), END_USE_WIDTH)
    if not production.empty:
        unit = clean(production["unit"].iloc[0])
        title = clean(production["commodity_name"].iloc[0]) or f"{name} production"
        # The app's chart is 320 px tall beside a table; in a pack it shares a row, so it is lower.
        chart = material_charts.production_chart(production, unit, title).properties(height=PRODUCTION_HEIGHT)
        out["production"] = static_spec(chart, PRODUCTION_WIDTH)
    return out


