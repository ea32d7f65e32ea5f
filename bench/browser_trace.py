"""Where a click's wall time goes in the browser: a Chromium trace read back into a few figures.

``bench/clicks.py --trace DIR`` records one extra, traced round of clicks (tracing slows the
browser, so the measured rounds are never traced) and calls :func:`summarise` on each click's
trace.  The page marks the click's input and the run's end with ``console.timeStamp`` (see
``clicks.WATCH``); between the two marks the renderer's main thread is either busy with a task
or waiting (for the server, or for the other processes on a shared machine).  The busy time is
split by what the task spent its own time on:

* **scripting**: JavaScript (Streamlit's React front end, Vega, the websocket's handler);
* **garbage collection** of JavaScript and Blink objects;
* **style and layout**: recalculating styles and laying out the page;
* **paint and composite**: painting, layering and handing frames to the compositor;
* **other**: the rest of a task's own time (parsing, scheduling, the browser's own work).

The functions here are pure (a list of trace events in, figures out) so tests can check them
on a hand-made trace.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

# What the trace records: the timeline DevTools shows, user timing marks and top-level tasks.
CATEGORIES = ("devtools.timeline", "disabled-by-default-devtools.timeline", "blink.user_timing",
              "toplevel", "v8", "v8.execute", "blink.console")
INPUT_MARK = "clk-input"
FINISHED_MARK = "clk-finished"
GROUPS = ("scripting", "garbage collection", "style and layout", "paint and composite", "other")
FIGURES = ("window_ms", "busy_ms", "waiting_ms", *GROUPS)  # what summarise returns, in this order

# Trace event names by group; a name not listed counts as "other".
_GROUP_OF = {
    **dict.fromkeys(("FunctionCall", "EvaluateScript", "EventDispatch", "TimerFire", "FireAnimationFrame",
                     "RunMicrotasks", "v8.compile", "v8.compileModule", "V8.Execute", "v8.callFunction",
                     "v8.run", "v8.produceCache", "XHRReadyStateChange", "FireIdleCallback",
                     "V8.ScriptCompiler", "v8.parseOnBackground", "CompileCode", "CompileScript",
                     "ParseAuthorStyleSheet", "V8.CompileLazy", "V8.ParseFunction"), "scripting"),
    **dict.fromkeys(("MinorGC", "MajorGC", "V8.GCScavenger", "V8.GCFinalizeMC", "V8.GCCompactor",
                     "V8.GC_MC_BACKGROUND_MARKING", "V8.GCIncrementalMarking", "BlinkGC.AtomicPhase",
                     "BlinkGC.IncrementalMarkingStep", "BlinkGC.CompleteSweep", "BlinkGC.LazySweepInIdle",
                     "ThreadState::performIdleLazySweep", "V8.GCMinorMS", "V8.GCMinorMark",
                     "CppGC.IncrementalSweep", "CppGC.AtomicMark"), "garbage collection"),
    **dict.fromkeys(("UpdateLayoutTree", "RecalculateStyles", "Layout", "InvalidateLayout",
                     "ScheduleStyleRecalculation", "LayoutShift", "IntersectionObserverController::computeIntersections",
                     "HitTest"), "style and layout"),
    **dict.fromkeys(("Paint", "PrePaint", "Layerize", "UpdateLayer", "UpdateLayerTree", "CompositeLayers",
                     "Commit", "PaintImage", "Decode Image", "ImageDecodeTask", "PaintSetup", "RasterTask",
                     "UpdateLayers", "BeginMainThreadFrame", "ScrollLayer"), "paint and composite"),
}


def group_of(name: str) -> str:
    """The group a trace event's own time counts in (``other`` for names not listed)."""
    if name in _GROUP_OF:
        return _GROUP_OF[name]
    if name.startswith(("V8.GC", "BlinkGC", "CppGC")):
        return "garbage collection"
    return "other"


def _mark(event: Mapping[str, Any]) -> str | None:
    """The message of a ``console.timeStamp`` or user-timing mark, else None."""
    data = event.get("args", {}).get("data", {})
    if event.get("name") == "TimeStamp":
        return data.get("message")
    if "blink.user_timing" in str(event.get("cat", "")) and event.get("ph") in ("R", "I", "n", "b"):
        return event.get("name")
    return None


def find_window(events: list[Mapping[str, Any]]) -> tuple[tuple[int, int], float, float] | None:
    """(thread, start µs, end µs): the last run-finished mark and the last input mark before it, or None.

    The last finished mark, as ``clicks.click`` reads it: a click that hands over to another page
    ends with that page's run.  An input after it (the Escape that closes a menu once the run is
    over) is not the click's.
    """
    marks = sorted((e["ts"], _mark(e), (e["pid"], e["tid"])) for e in events
                   if _mark(e) in (INPUT_MARK, FINISHED_MARK))
    ends = [(ts, thread) for ts, name, thread in marks if name == FINISHED_MARK]
    if not ends:
        return None
    end, thread = ends[-1]
    starts = [ts for ts, name, t in marks if name == INPUT_MARK and t == thread and ts < end]
    return (thread, float(starts[-1]), float(end)) if starts else None


def exclusive_times(events: list[Mapping[str, Any]], thread: tuple[int, int], start: float,
                    end: float) -> tuple[dict[str, float], float]:
    """Per event name, the µs of its own time (children left out) within [start, end]; and the busy µs.

    Busy time is the part of the window covered by top-level tasks (events not nested in another).
    Complete events (``ph: X``) are read; nesting is taken from their times, as the trace draws it.
    """
    spans = sorted(((float(e["ts"]), float(e["ts"]) + float(e.get("dur", 0)), e["name"]) for e in events
                    if e.get("ph") == "X" and (e["pid"], e["tid"]) == thread and e.get("dur")),
                   key=lambda s: (s[0], -s[1]))
    own: dict[str, float] = defaultdict(float)
    busy = 0.0
    stack: list[tuple[float, float, str]] = []

    def clipped(a: float, b: float) -> float:
        return max(0.0, min(b, end) - max(a, start))

    for span in spans:
        while stack and stack[-1][1] <= span[0]:
            stack.pop()
        if stack:
            parent = stack[-1]
            own[parent[2]] -= clipped(span[0], min(span[1], parent[1]))
        else:
            busy += clipped(span[0], span[1])
        own[span[2]] += clipped(span[0], span[1])
        stack.append(span)
    return dict(own), busy


def summarise(events: list[Mapping[str, Any]]) -> dict[str, float] | None:
    """ms of one click on the page's main thread: window, busy, waiting, and busy time by group.

    None when the trace holds no input mark followed by a run-finished mark on one thread.
    """
    found = find_window(events)
    if found is None:
        return None
    thread, start, end = found
    own, busy = exclusive_times(events, thread, start, end)
    by_group = dict.fromkeys(GROUPS, 0.0)
    for name, micros in own.items():
        by_group[group_of(name)] += max(0.0, micros)
    out = {"window_ms": (end - start) / 1000, "busy_ms": busy / 1000, "waiting_ms": (end - start - busy) / 1000}
    out.update({g: by_group[g] / 1000 for g in GROUPS})
    return out

