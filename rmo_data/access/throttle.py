"""A throttle for repeated failures (wrong workshop codes, wrong passwords), keyed by client.

``Throttle(limit, window_s, clock)`` counts failures per key (a session, a
client address, a user name: any hashable value) over a sliding window of
``window_s`` seconds.  The first ``limit`` failures in the window cost
nothing; from then on every further try has to wait after the latest
failure, ``first_wait_s`` seconds at first and twice as long after each
further failure, never longer than ``max_wait_s`` (the window by default).
Failures older than the window are forgotten, so a key is never locked for
good: it slows down, which makes guessing useless without letting anyone
shut another person out for long.

The caller asks ``check(key)`` before trying (0 means go ahead, anything
else is the number of seconds to wait, and the try should not be made),
then reports ``fail(key)`` or ``succeed(key)``.  The clock is injected, so
tests run without sleeping.  One instance may be shared between threads
(Streamlit runs each session in its own thread); it keeps at most
``max_keys`` keys, dropping the longest-quiet ones first.  No streamlit here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable


class Throttle:
    """Failures per key in a sliding window; a growing wait once there were ``limit`` of them.

    Parameters
    ----------
    limit : int
        Failures in the window that cost no wait (at least 1).
    window_s : float
        How long a failure is remembered, in seconds.
    clock : callable
        Returns the current time in seconds (``time.monotonic`` by default).
    first_wait_s : float
        The wait after the ``limit``-th failure; it doubles with each further one.
    max_wait_s : float, optional
        The longest wait (``window_s`` when omitted).
    max_keys : int
        Most keys remembered at once, so a flood of new keys cannot fill the memory.
    """

    def __init__(self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic,
                 first_wait_s: float = 2.0, max_wait_s: float | None = None, max_keys: int = 10_000) -> None:
        if limit < 1 or window_s <= 0 or first_wait_s <= 0 or max_keys < 1:
            raise ValueError("limit, window_s, first_wait_s and max_keys must be positive")
        self.limit = int(limit)
        self.window_s = float(window_s)
        self.first_wait_s = float(first_wait_s)
        self.max_wait_s = float(window_s if max_wait_s is None else max_wait_s)
        self.max_keys = int(max_keys)
        self._clock = clock
        self._fails: dict[Hashable, list[float]] = {}  # oldest-touched key first
        self._lock = threading.Lock()

    def _recent(self, key: Hashable, now: float) -> list[float]:
        """The key's failures inside the window (older ones are dropped); caller holds the lock."""
        times = [t for t in self._fails.get(key, []) if now - t < self.window_s]
        if times:
            self._fails[key] = times
        else:
            self._fails.pop(key, None)
        return times

    def _wait(self, times: list[float], now: float) -> float:
        if len(times) < self.limit:
            return 0.0
        needed = min(self.max_wait_s, self.first_wait_s * 2 ** (len(times) - self.limit))
        return max(0.0, times[-1] + needed - now)

    def check(self, key: Hashable) -> float:
        """Seconds ``key`` has to wait before its next try; 0.0 when it may try now."""
        with self._lock:
            now = self._clock()
            return self._wait(self._recent(key, now), now)

    def fail(self, key: Hashable) -> float:
        """Record a failed try of ``key``; return the wait it now faces before the next one."""
        with self._lock:
            now = self._clock()
            times = self._recent(key, now)
            times.append(now)
            self._fails.pop(key, None)
            self._fails[key] = times  # re-inserted: the most recently touched key is last
            while len(self._fails) > self.max_keys:
                del self._fails[next(iter(self._fails))]
            return self._wait(times, now)

    def succeed(self, key: Hashable) -> None:
        """Forget the failures of ``key`` (a right password, say)."""
        with self._lock:
            self._fails.pop(key, None)

    def failures(self, key: Hashable) -> int:
        """How many failures of ``key`` are inside the window now."""
        with self._lock:
            return len(self._recent(key, self._clock()))

    def wait_of(self, keys: list[Hashable] | tuple[Hashable, ...]) -> float:
        """The longest wait among ``keys`` (a session and a client address, say)."""
        return max((self.check(k) for k in keys), default=0.0)
