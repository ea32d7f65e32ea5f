"""A headless client of Streamlit's websocket protocol, for load benchmarks (``bench/room.py``).

It talks to a running server exactly as the browser's frontend does, without
a browser: it connects to ``ws://HOST:PORT/_stcore/stream``, sends ``BackMsg``
protobufs (``rerun_script`` with the query string, the page, the widget
states and the hashes of the messages it has cached) and reads the
``ForwardMsg`` stream back (``new_session``, deltas, ``script_finished``,
``auto_rerun``, ``page_info_changed``, ``ref_hash``).  What it copies from the
frontend (``frontend/lib/src/WidgetStateManager.ts``, ``App.tsx``,
``useBasicWidgetState.ts``):

* every widget commits its value when it is first drawn (its default, or the
  value the script set through session state, ``set_value``), and the whole
  set of widget states goes with every rerun request;
* a widget outside a form sends a rerun as soon as it changes (a text input on
  Enter); a widget inside a form only changes the form's pending values, and
  the form's submit button copies them in, adds its own ``trigger_value`` for
  that one request, and sends;
* after a full run, the states of widgets no longer drawn are dropped;
* a fragment with ``run_every`` gets an ``auto_rerun`` message, and the client
  then asks for that fragment's rerun at that interval until the next full run;
* the first request names the page by its URL path (``page_name``), later ones
  by the page script hash the server sent; the query string follows
  ``page_info_changed``, as the browser's address does.

Widgets are found by their key (the end of the element id Streamlit computes,
``$$ID-<hash>-<key>``), never by their position on the page, and a missing key
raises ``WidgetMissing`` naming the keys that are there.  Uses the
``websockets`` library (pinned in requirements-dev.txt) and Streamlit's own
proto classes.  Not a test helper: no pytest here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import websockets
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates
from streamlit.runtime.state.common import user_key_from_element_id

RUN_TIMEOUT_S = 60.0  # one script run that takes longer counts as failed
# Element types that carry a value the frontend commits when they are drawn.
VALUED = {"slider", "text_input", "text_area", "multiselect", "button_group", "checkbox", "selectbox"}


class WidgetMissing(LookupError):
    """The page has no widget with the wanted key (the message lists the keys it has)."""


class RunFailed(RuntimeError):
    """A script run did not finish in time, or the connection broke."""


@dataclass
class Widget:
    """One widget drawn by the last run: its element id, key, type, label, form and proto."""

    id: str
    key: str | None
    kind: str
    label: str
    form_id: str
    fragment_id: str
    proto: Any


@dataclass
class RunResult:
    """What one request gave: the seconds from sending it to ``script_finished``, and what went wrong."""

    seconds: float
    sent_at: float  # time.time() when the request went out
    finished_at: float  # time.time() when script_finished arrived
    exceptions: list[str] = field(default_factory=list)  # st.exception / uncaught errors drawn
    errors: list[str] = field(default_factory=list)  # st.error alerts drawn by the run
    status: str = "ok"


@dataclass
class _Node:
    gen: int
    element: Element | None  # None for a block
    form_id: str = ""
    fragment_id: str = ""


def _state_from_proto(kind: str, sub: Any, widget_id: str) -> WidgetState | None:
    """The value a freshly drawn widget commits (``fromUi: false``): the script's value, else its default."""
    state = WidgetState(id=widget_id)
    use_value = bool(getattr(sub, "set_value", False))
    if kind == "slider":
        state.double_array_value.data.extend(list(sub.value) if use_value and len(sub.value) else list(sub.default))
    elif kind in {"text_input", "text_area"}:
        state.string_value = sub.value if use_value and sub.HasField("value") else sub.default
    elif kind in {"multiselect", "button_group"}:
        values = list(sub.raw_values) if use_value else [sub.options[i] if kind == "multiselect"
                                                         else sub.options[i].content for i in sub.default]
        state.string_array_value.data.extend(values)
    elif kind == "checkbox":
        state.bool_value = sub.value if use_value else sub.default
    elif kind == "selectbox":
        if use_value and sub.HasField("raw_value"):
            state.string_value = sub.raw_value
        elif sub.HasField("default") and len(sub.options):
            state.string_value = sub.options[sub.default]
        else:
            return None
    else:
        return None
    return state


class StreamlitClient:
    """One browser tab's worth of Streamlit session, driven from Python (asyncio).

    ``base_url`` is the server (``http://127.0.0.1:8501``), ``page_name`` the
    page's URL path (``"workshop"``; ``""`` for the main page) and ``query``
    the address's query string without ``?`` (``"join=K7PX3M"``).  With
    ``follow_auto_rerun`` False the client ignores ``run_every`` fragments (a
    tab whose timers are stopped): used to measure one interaction alone.
    """

    def __init__(self, base_url: str, page_name: str = "", query: str = "", *,
                 follow_auto_rerun: bool = True, run_timeout_s: float = RUN_TIMEOUT_S) -> None:
        self.base_url = base_url.rstrip("/")
        self.page_name = page_name
        self.query = query
        self.follow_auto_rerun = follow_auto_rerun
        self.run_timeout_s = run_timeout_s
        self.page_hash = ""
        self.fragment_runs = 0  # fragment reruns this client asked for (its timers' ticks)
        self.fragment_seconds: list[float] = []  # send-to-finish of the answered fragment ticks
        self.protocol_errors: list[str] = []
        self._ws: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._timers: list[asyncio.Task[None]] = []
        self._nodes: dict[tuple[int, ...], _Node] = {}
        self._gen = 0
        self._states: dict[str, WidgetState] = {}
        self._pending: dict[str, dict[str, WidgetState]] = {}  # form id -> widget id -> value not yet sent
        self._cache: dict[str, ForwardMsg] = {}  # cacheable messages by hash, as the frontend keeps them
        self._full_run = False  # the run going on is a full run (not a fragment's)
        self._waiter: asyncio.Future[None] | None = None
        self._waiting_since_session = False
        self._fragment_sent: dict[str, float] = {}
        self._run_exceptions: list[str] = []
        self._closed = asyncio.Event()

    # --- connection -------------------------------------------------------------------------

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1) + "/_stcore/stream"

    def _url(self) -> str:
        path = f"{self.base_url}/{self.page_name}" if self.page_name else f"{self.base_url}/"
        return f"{path}?{self.query}" if self.query else path

    async def open(self) -> RunResult:
        """What a browser does on a first visit after its page loaded: health and host config, connect, run."""
        def http_get(path: str) -> None:
            with urllib.request.urlopen(f"{self.base_url}{path}", timeout=30) as response:
                response.read()

        await asyncio.gather(asyncio.to_thread(http_get, "/_stcore/health"),
                             asyncio.to_thread(http_get, "/_stcore/host-config"))
        self._ws = await websockets.connect(
            self.ws_url, subprotocols=["streamlit"], origin=self.base_url, max_size=None,
            open_timeout=self.run_timeout_s, ping_interval=None)
        self._reader = asyncio.create_task(self._read())
        return await self._request(self._client_state(page_name=self.page_name))

    async def close(self) -> None:
        """Stop the timers and close the websocket (the server then ends the session)."""
        self._stop_timers()
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):  # closing anyway
                await self._reader

    # --- what the page shows ----------------------------------------------------------------

    def _elements(self) -> list[tuple[tuple[int, ...], _Node]]:
        return sorted(((p, n) for p, n in self._nodes.items() if n.element is not None), key=lambda x: x[0])

    def widgets(self) -> list[Widget]:
        """Every widget the page shows now, in page order."""
        out = []
        for _path, node in self._elements():
            kind = node.element.WhichOneof("type")
            sub = getattr(node.element, kind)
            wid = getattr(sub, "id", "") if hasattr(sub, "DESCRIPTOR") and "id" in sub.DESCRIPTOR.fields_by_name \
                else ""
            if not wid:
                continue
            out.append(Widget(wid, user_key_from_element_id(wid), kind, getattr(sub, "label", ""),
                              getattr(sub, "form_id", "") or node.form_id, node.fragment_id, sub))
        return out

    def widget(self, key: str, kind: str | None = None) -> Widget:
        """The widget with this key (and type); ``WidgetMissing`` lists the keys drawn when there is none."""
        found = [w for w in self.widgets() if w.key == key and (kind is None or w.kind == kind)]
        if not found:
            shown = ", ".join(f"{w.key or '(no key)'}:{w.kind}" for w in self.widgets()) or "none"
            raise WidgetMissing(f"no {kind or 'widget'} with key {key!r} on {self._url()}; "
                                f"widgets drawn: {shown}")
        return found[0]

    def has_widget(self, key: str) -> bool:
        return any(w.key == key for w in self.widgets())

    def alerts(self) -> list[tuple[str, str]]:
        """(format, body) of every alert drawn: ("error", "…"), ("success", "…")."""
        out = []
        for _path, node in self._elements():
            if node.element.WhichOneof("type") == "alert":
                alert = node.element.alert
                out.append((Alert.Format.Name(alert.format).lower(), alert.body))
        return out

    def metric(self, label: str) -> str | None:
        for _path, node in self._elements():
            if node.element.WhichOneof("type") == "metric" and node.element.metric.label == label:
                return node.element.metric.body
        return None

    # --- interactions -----------------------------------------------------------------------

    def set_value(self, key: str, value: Any) -> Widget:
        """Change a widget as a user does (a form widget's change waits for its submit button)."""
        w = self.widget(key)
        state = WidgetState(id=w.id)
        if w.kind == "slider":
            state.double_array_value.data.extend([float(v) for v in (value if isinstance(value, list | tuple)
                                                                     else [value])])
        elif w.kind in {"text_input", "text_area", "selectbox"}:
            state.string_value = str(value)
        elif w.kind in {"multiselect", "button_group"}:
            state.string_array_value.data.extend([str(v) for v in value])
        elif w.kind == "checkbox":
            state.bool_value = bool(value)
        else:
            raise TypeError(f"set_value does not know how to set a {w.kind} ({key!r})")
        if w.form_id:
            self._pending.setdefault(w.form_id, {})[w.id] = state
        else:
            self._states[w.id] = state
        return w

    async def input(self, key: str, value: Any) -> RunResult:
        """Change a widget outside a form and let it send its rerun (a text input: typing, then Enter)."""
        w = self.set_value(key, value)
        if w.form_id:
            raise ValueError(f"{key!r} is in the form {w.form_id!r}: set it, then submit the form")
        return await self._request(self._client_state(fragment_id=w.fragment_id))

    async def click(self, key: str) -> RunResult:
        """Press a button; a form's submit button sends the form's pending values with it."""
        w = self.widget(key, "button")
        if w.form_id and w.proto.is_form_submitter:
            for wid, state in self._pending.pop(w.form_id, {}).items():
                self._states[wid] = state
        trigger = WidgetState(id=w.id, trigger_value=True)
        message = self._client_state(fragment_id=w.fragment_id, extra=[trigger])
        return await self._request(message)

    # --- protocol ---------------------------------------------------------------------------

    def _client_state(self, page_name: str = "", fragment_id: str = "", extra: Iterable[WidgetState] = (),
                      auto: bool = False) -> BackMsg:
        msg = BackMsg()
        rerun = msg.rerun_script
        rerun.query_string = self.query
        if self.page_hash:
            rerun.page_script_hash = self.page_hash
        else:
            rerun.page_name = page_name
        rerun.fragment_id = fragment_id
        rerun.is_auto_rerun = auto
        states = WidgetStates()
        states.widgets.extend(self._states.values())
        states.widgets.extend(extra)
        rerun.widget_states.CopyFrom(states)
        rerun.cached_message_hashes.extend(self._cache)
        info = rerun.context_info
        info.timezone, info.timezone_offset, info.locale = "Europe/Berlin", -60, "en-GB"
        info.url, info.color_scheme = self._url(), "light"
        return msg

    async def _request(self, msg: BackMsg) -> RunResult:
        """Send a full-run request and wait for that run's ``script_finished``."""
        if self._waiter is not None:
            raise RuntimeError("one request at a time per client")
        loop = asyncio.get_running_loop()
        self._waiter = loop.create_future()
        self._waiting_since_session = False
        self._run_exceptions = []
        started, sent_at = time.perf_counter(), time.time()
        try:
            await self._ws.send(msg.SerializeToString())
            await asyncio.wait_for(asyncio.shield(self._waiter), self.run_timeout_s)
            status = "ok"
        except TimeoutError:
            status = f"timeout after {self.run_timeout_s:g} s"
        except (websockets.ConnectionClosed, OSError, RunFailed) as err:
            status = f"connection: {type(err).__name__}: {err}"
        finally:
            self._waiter = None
        errors = [body for fmt, body in self.alerts() if fmt == "error"]
        return RunResult(time.perf_counter() - started, sent_at, time.time(), list(self._run_exceptions),
                         errors, status)

    async def _read(self) -> None:
        try:
            async for data in self._ws:
                msg = ForwardMsg()
                msg.ParseFromString(data)
                self._handle(msg)
        except websockets.ConnectionClosed:
            pass
        except Exception as err:  # noqa: BLE001 - reported by the caller through protocol_errors
            self.protocol_errors.append(f"{type(err).__name__}: {err}")
        finally:
            self._closed.set()
            if self._waiter is not None and not self._waiter.done():
                self._waiter.set_exception(RunFailed("the server closed the connection"))

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":  # the server refers to a message this client said it has cached
            cached = self._cache.get(msg.ref_hash)
            if cached is None:
                self.protocol_errors.append(f"ref_hash {msg.ref_hash} not in the cache")
                return
            full = ForwardMsg()
            full.CopyFrom(cached)
            full.metadata.CopyFrom(msg.metadata)
            msg, kind = full, "delta"
        elif msg.metadata.cacheable and msg.hash:
            self._cache[msg.hash] = msg
        if kind == "new_session":
            fragment = bool(msg.metadata.run.fragment_ids)  # 1.67: the run identity names its fragments
            if not fragment:
                self._stop_timers()  # a full run: the frontend clears every auto-rerun timer
                self._gen += 1
                self._full_run = True
                self._waiting_since_session = True
                if msg.new_session.page_script_hash:
                    self.page_hash = msg.new_session.page_script_hash
            else:
                self._full_run = False
        elif kind == "navigation":
            if msg.navigation.page_script_hash:
                self.page_hash = msg.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "delta":
            self._delta(msg)
        elif kind == "auto_rerun":
            if self.follow_auto_rerun:
                self._timers.append(asyncio.get_running_loop().create_task(
                    self._tick(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)))
        elif kind == "script_finished":
            self._finished(msg)

    def _delta(self, msg: ForwardMsg) -> None:
        path = tuple(msg.metadata.delta_path)
        delta = msg.delta
        which = delta.WhichOneof("type")
        parent = self._nodes.get(path[:-1])
        form_id = parent.form_id if parent else ""
        if which == "add_block":
            block = delta.add_block
            if block.WhichOneof("type") == "form":
                form_id = block.form.form_id
            self._nodes[path] = _Node(self._gen, None, form_id, delta.fragment_id)
        elif which == "new_element":
            element = delta.new_element
            self._nodes[path] = _Node(self._gen, element, form_id, delta.fragment_id)
            etype = element.WhichOneof("type")
            if etype == "exception":
                self._run_exceptions.append(f"{element.exception.type}: {element.exception.message}"[:300])
            elif etype in VALUED:
                sub = getattr(element, etype)
                if sub.id and (sub.id not in self._states or getattr(sub, "set_value", False)):
                    state = _state_from_proto(etype, sub, sub.id)
                    if state is not None:
                        self._states[sub.id] = state

    def _finished(self, msg: ForwardMsg) -> None:
        status = msg.script_finished
        if status == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
            fragment_ids = list(msg.metadata.run.fragment_ids)
            for fid in fragment_ids:
                sent = self._fragment_sent.pop(fid, None)
                if sent is not None:
                    self.fragment_seconds.append(time.perf_counter() - sent)
            return
        if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN or not self._full_run:
            return  # another run follows (a rerun or st.rerun), or a fragment's run ended
        # A full run ended: drop what it did not draw again, and the states of widgets gone.
        self._nodes = {p: n for p, n in self._nodes.items() if n.gen >= self._gen}
        active = {w.id for w in self.widgets()}
        self._states = {k: v for k, v in self._states.items() if k in active}
        for form in self._pending.values():
            for wid in [w for w in form if w not in active]:
                del form[wid]
        if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
            self._run_exceptions.append("the script did not compile")
        if self._waiter is not None and not self._waiter.done() and self._waiting_since_session:
            self._waiter.set_result(None)

    async def _tick(self, fragment_id: str, interval: float) -> None:
        """The frontend's ``setInterval`` for a ``run_every`` fragment: ask for its rerun every ``interval`` s."""
        try:
            while True:
                await asyncio.sleep(interval)  # the timer itself, as in the browser; sent even mid-request
                self._fragment_sent[fragment_id] = time.perf_counter()
                self.fragment_runs += 1
                await self._ws.send(self._client_state(fragment_id=fragment_id, auto=True).SerializeToString())
        except (asyncio.CancelledError, websockets.ConnectionClosed):
            return

    def _stop_timers(self) -> None:
        for task in self._timers:
            task.cancel()
        self._timers = []


def summary(result: RunResult) -> str:
    """One line for a log: seconds and what went wrong."""
    parts = [f"{result.seconds * 1000:.0f} ms", result.status]
    if result.exceptions:
        parts.append("exceptions: " + json.dumps(result.exceptions)[:200])
    if result.errors:
        parts.append("errors: " + json.dumps(result.errors)[:200])
    return " · ".join(parts)
