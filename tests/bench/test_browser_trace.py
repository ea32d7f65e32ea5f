"""bench/browser_trace.py on hand-made traces: the click's window, busy and waiting time, own time by group."""

from __future__ import annotations

import pytest

from bench import browser_trace

MAIN = {"pid": 7, "tid": 1}
OTHER = {"pid": 7, "tid": 2}


def _mark(ts: float, message: str, where: dict[str, int] = MAIN) -> dict[str, object]:
    return {"name": "TimeStamp", "ph": "I", "ts": ts, "cat": "devtools.timeline",
            "args": {"data": {"message": message}}, **where}


def _task(name: str, ts: float, dur: float, where: dict[str, int] = MAIN) -> dict[str, object]:
    return {"name": name, "ph": "X", "ts": ts, "dur": dur, "cat": "devtools.timeline", **where}


def test_a_click_splits_into_busy_by_group_and_waiting() -> None:
    # Input at 1 ms, the run ends at 11 ms.  Two tasks: one of 4 ms (3 ms of script, 1 of it GC
    # inside the script), one of 2 ms of layout and paint.  The other 4 ms the thread waits.
    events = [
        _mark(1_000, "clk-input"),
        _task("RunTask", 2_000, 4_000),
        _task("FunctionCall", 2_500, 3_000),
        _task("MinorGC", 3_000, 1_000),
        _task("RunTask", 8_000, 2_000),
        _task("Layout", 8_000, 1_500),
        _task("Paint", 9_500, 500),
        _task("FunctionCall", 2_000, 9_000, OTHER),  # another thread: not counted
        _mark(11_000, "clk-finished"),
    ]
    got = browser_trace.summarise(events)
    assert got is not None
    assert got["window_ms"] == pytest.approx(10)
    assert got["busy_ms"] == pytest.approx(6)
    assert got["waiting_ms"] == pytest.approx(4)
    assert got["scripting"] == pytest.approx(2)  # 3 ms less the 1 ms collection inside it
    assert got["garbage collection"] == pytest.approx(1)
    assert got["style and layout"] == pytest.approx(1.5)
    assert got["paint and composite"] == pytest.approx(0.5)
    assert got["other"] == pytest.approx(1)  # the first task's own time outside its script
    assert tuple(got) == browser_trace.FIGURES  # the order bench/clicks.py prints them in
    parts = sum(got[g] for g in browser_trace.GROUPS)
    assert parts == pytest.approx(got["busy_ms"])


def test_tasks_are_cut_at_the_window_edges_and_the_last_input_counts() -> None:
    events = [
        _mark(0, "clk-input"),  # an earlier key press of the same click (typing): not the start
        _task("RunTask", 500, 1_000),  # runs from before the last input to 0.5 ms after it
        _task("FunctionCall", 500, 1_000),
        _mark(1_000, "clk-input"),
        _mark(3_000, "clk-finished"),  # a page hand-over: the first run ends here ...
        _task("RunTask", 2_500, 1_000),  # ... and this task runs on past the last end
        _task("UpdateLayoutTree", 2_500, 1_000),
        _mark(3_200, "clk-finished"),  # ... the next page's run ends here: the window's end
    ]
    got = browser_trace.summarise(events)
    assert got is not None
    assert got["window_ms"] == pytest.approx(2.2)
    assert got["scripting"] == pytest.approx(0.5)
    assert got["style and layout"] == pytest.approx(0.7)
    assert got["busy_ms"] == pytest.approx(1.2)


def test_a_key_press_after_the_run_does_not_open_a_new_window() -> None:
    # A sidebar click: type, Enter (the run), and once it has finished Escape closes the menu.
    events = [_mark(1_000, "clk-input"), _task("FunctionCall", 1_500, 2_000), _mark(5_000, "clk-finished"),
              _mark(6_000, "clk-input")]
    got = browser_trace.summarise(events)
    assert got is not None
    assert got["window_ms"] == pytest.approx(4)
    assert got["scripting"] == pytest.approx(2)


def test_no_marks_means_no_figures() -> None:
    assert browser_trace.summarise([_task("RunTask", 0, 10)]) is None
    assert browser_trace.summarise([_mark(0, "clk-input")]) is None
    # A finished mark on another thread does not close the window.
    assert browser_trace.summarise([_mark(0, "clk-input"), _mark(5, "clk-finished", OTHER)]) is None
    assert browser_trace.summarise([_mark(0, "clk-finished"), _mark(5, "clk-input")]) is None


def test_names_fall_in_their_groups() -> None:
    assert browser_trace.group_of("V8.GCSomethingNew") == "garbage collection"
    assert browser_trace.group_of("EventDispatch") == "scripting"
    assert browser_trace.group_of("PrePaint") == "paint and composite"
    assert browser_trace.group_of("ParseHTML") == "other"


def test_the_traced_round_prints_one_row_per_traced_click(capsys) -> None:  # noqa: ANN001
    from bench import clicks

    figures = dict.fromkeys(browser_trace.FIGURES, 1.0) | {"window_ms": 257.0}
    traced = clicks.Interaction("Prioritisation: move a weight", None, 0, lambda i: None, trace=figures)
    untraced = clicks.Interaction("floor: move the slider", None, 0, lambda i: None)
    rows = clicks.print_traces([untraced, traced])
    assert rows == [{"interaction": "Prioritisation: move a weight", **figures}]
    out = capsys.readouterr().out
    assert "Prioritisation: move a weight" in out and "257" in out and "floor" not in out.split("ms)")[-1]
