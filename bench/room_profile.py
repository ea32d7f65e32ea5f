"""Where the server's CPU goes while participants click: py-spy samples of the running server, summed up.

Only for ``python bench/room.py --profile``.  py-spy is not a dependency of the
project (nothing in the app or the tests uses it), so it is not pinned:
install it by hand for a profiling run (``python -m pip install py-spy``).
It samples every thread of the server process from outside (``--nonblocking``,
so the server is never paused), which covers what an in-process cProfile of the
script thread would miss: the event loop serialising and sending the messages.

``Profiler`` records while a block runs; ``summarise`` reads py-spy's raw
(collapsed-stack) output into two views: the share of samples spent inside
each function (inclusive, one count per sample per function) for the app's own
code and Streamlit's landmarks, and the share whose innermost frame lies in
each library (self time by package).
"""

from __future__ import annotations

import linecache
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RATE_HZ = 250
OWN = ("/pages/", "/components/", "/rmo_data/", "/app.py", "/asgi.py")
# Streamlit's and Python's own functions worth naming in a summary of a script run.
LANDMARKS = ("_find_and_load", "serialize_forward_msg", "populate_hash_if_needed", "SerializeToString",
             "_enqueue_forward_msg", "exec_func_with_error_handling", "_on_script_finished", "send_bytes",
             "navigation", "_handle_cache_miss", "read_result", "write_result", "compute_and_register_element_id",
             "register_widget", "call_callbacks", "on_script_will_rerun", "handle_backmsg", "run_asgi")
PACKAGES = (("streamlit/runtime/caching", "streamlit caching"), ("streamlit/runtime/scriptrunner", "script runner"),
            ("streamlit/runtime/state", "session state / widgets"), ("streamlit/elements", "streamlit elements"),
            ("streamlit/runtime", "streamlit runtime"), ("streamlit/web", "streamlit server"),
            ("streamlit/", "streamlit (other)"), ("google/protobuf", "protobuf"), ("sqlalchemy/", "SQLAlchemy"),
            ("pandas/", "pandas"), ("pyarrow/", "pyarrow"), ("numpy/", "numpy"), ("uvicorn/", "uvicorn"),
            ("starlette/", "starlette"), ("websockets/", "websockets"), ("asyncio/", "asyncio"),
            ("altair/", "altair"), ("plotly/", "plotly"), ("segno/", "segno"), ("<frozen importlib", "imports"),
            ("threading.py", "threading"), ("/pages/", "app: pages"), ("/components/", "app: components"),
            ("/rmo_data/", "app: rmo_data"), ("/app.py", "app: app.py"), ("/asgi.py", "app: asgi.py"))


def available() -> bool:
    """True when py-spy can be run."""
    return shutil.which("py-spy") is not None


@contextmanager
def profiler(pid: int, output: Path) -> Iterator[Path]:
    """Sample ``pid`` with py-spy until the block ends; the collapsed stacks go to ``output``."""
    process = subprocess.Popen(["py-spy", "record", "--pid", str(pid), "--rate", str(RATE_HZ), "--format", "raw",
                                "--nonblocking", "--output", str(output)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.5)  # py-spy attaches: its first samples come about this late
    try:
        yield output
    finally:
        process.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Summary:
    """Shares of the samples: inclusive per function, and self time per package."""

    samples: int
    inclusive: list[tuple[str, float]]
    by_package: list[tuple[str, float]]
    hot_lines: list[tuple[str, float]]


def _frame_name(frame: str) -> tuple[str, str, int]:
    """("function", "/path/file.py", line) of a py-spy frame ``function (path/file.py:line)``.

    py-spy names files under the server's working folder (the repository) relatively:
    a leading "/" makes the app's own files match ``OWN`` either way.
    """
    func, _, rest = frame.partition(" (")
    path, _, line = rest.rstrip(")").rpartition(":")
    return func, path if path.startswith("/") else f"/{path}", int(line) if line.isdigit() else 0


def _source(path: str, line: int) -> str:
    """The source text of a line (the app's files are relative to the repository), or ""."""
    for candidate in (path, str(ROOT) + path, *(f"{base}{path}" for base in sys.path if base)):
        text = linecache.getline(candidate, line).strip()
        if text:
            return text
    return ""


def _short(func: str, path: str) -> str:
    for marker in OWN:
        if marker in path:
            return f"{func} ({path[path.index(marker) + 1:]})"
    return f"{func} ({'/'.join(path.split('/')[-2:])})"


def summarise(raw: Path, top: int = 14) -> Summary:
    """Read py-spy's raw output: ``frame;frame;…;frame count`` per line, root first."""
    inclusive: Counter[str] = Counter()
    package: Counter[str] = Counter()
    lines: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame_name(f) for f in stack.split(";") if " (" in f]
        if not frames:
            continue
        total += count
        seen = set()
        for func, path, _line in frames:
            if any(m in path for m in OWN) or func.rsplit(".", 1)[-1] in LANDMARKS or "importlib" in path:
                seen.add(_short(func, path))
        for name in seen:
            inclusive[name] += count
        func, leaf, line = frames[-1]
        package[next((label for marker, label in PACKAGES if marker in leaf), "other (stdlib, C)")] += count
        # The innermost Python line: a call into C (gc.collect, a socket send) shows as its caller's line.
        lines[f"{_short(func, leaf)}:{line}  {_source(leaf, line)[:70]}"] += count
    share = (lambda c: c / total) if total else (lambda c: 0.0)
    # A function that holds nearly every sample (the thread's own start) says nothing.
    useful = [(n, share(c)) for n, c in inclusive.most_common() if share(c) < 0.97][:top]
    return Summary(total, useful, [(n, share(c)) for n, c in package.most_common(top)],
                   [(n, share(c)) for n, c in lines.most_common(8)])


def print_summary(title: str, summary: Summary, cpu_s_per_unit: float | None, unit: str) -> None:
    """The two views, each share also as CPU milliseconds per ``unit`` when that CPU is known."""
    def ms(share: float) -> str:
        return f" ≈ {share * cpu_s_per_unit * 1000:.0f} ms/{unit}" if cpu_s_per_unit else ""

    print(f"\n{title}: {summary.samples} samples at {RATE_HZ} Hz")
    print("  inside (inclusive):")
    for name, share in summary.inclusive:
        print(f"    {share:6.1%}{ms(share):>18}  {name}")
    print("  innermost frame in (self time):")
    for name, share in summary.by_package:
        print(f"    {share:6.1%}{ms(share):>18}  {name}")
    print("  hottest lines (self time):")
    for name, share in summary.hot_lines:
        print(f"    {share:6.1%}{ms(share):>18}  {name}")
