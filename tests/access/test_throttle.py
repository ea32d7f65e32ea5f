"""The failure throttle on a fake clock: free tries, a doubling wait, the window, many keys, threads."""

from __future__ import annotations

import threading

import pytest

from rmo_data.access.throttle import Throttle


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limit_free_failures_then_a_doubling_wait() -> None:
    clock = Clock()
    throttle = Throttle(limit=3, window_s=600, clock=clock, first_wait_s=2)
    assert [throttle.fail("a") for _ in range(2)] == [0.0, 0.0]
    assert throttle.check("a") == 0.0
    assert throttle.fail("a") == 2.0  # the third failure: wait 2 s
    assert throttle.check("a") == 2.0
    clock.now += 1.5
    assert throttle.check("a") == pytest.approx(0.5)
    clock.now += 0.5
    assert throttle.check("a") == 0.0
    assert throttle.fail("a") == 4.0  # the fourth: 4 s, then 8 s
    clock.now += 4
    assert throttle.fail("a") == 8.0
    assert throttle.check("b") == 0.0  # another key is not touched
    assert throttle.failures("a") == 5


def test_the_wait_is_capped_and_failures_age_out() -> None:
    clock = Clock()
    throttle = Throttle(limit=1, window_s=60, clock=clock, first_wait_s=10)
    waits = []
    for _ in range(5):
        waits.append(throttle.fail("k"))
        clock.now += 1
    assert waits == [10, 20, 40, 60, 60]  # never more than the window
    clock.now += 60  # every failure is now older than the window
    assert throttle.check("k") == 0.0 and throttle.failures("k") == 0
    assert throttle.fail("k") == 10  # counted afresh


def test_success_forgets_and_the_longest_wait_of_several_keys_counts() -> None:
    clock = Clock()
    throttle = Throttle(limit=2, window_s=100, clock=clock, first_wait_s=5)
    throttle.fail("session")
    throttle.fail("session")
    assert throttle.wait_of(["session", "address"]) == 5
    throttle.succeed("session")
    assert throttle.wait_of(["session", "address"]) == 0.0


def test_keys_are_bounded_and_threads_do_not_lose_failures() -> None:
    clock = Clock()
    throttle = Throttle(limit=1000, window_s=100, clock=clock, max_keys=3)
    for key in "abcd":
        throttle.fail(key)
    assert throttle.failures("a") == 0 and throttle.failures("d") == 1  # the quietest key went

    shared = Throttle(limit=10_000, window_s=100, clock=clock)
    workers = [threading.Thread(target=lambda: [shared.fail("x") for _ in range(250)]) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert shared.failures("x") == 2000


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        Throttle(limit=0, window_s=10)
