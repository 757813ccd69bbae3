"""The server's clock from Date headers, values computed once, errors recorded once."""

from __future__ import annotations

import threading
from email.utils import formatdate

import pytest

from sources.common.clock import ServerClock
from sources.common.concurrency import Once
from sources.common.failures import Failures
from tests.fakes import FakeClock


def test_server_time_follows_its_date_headers_on_our_clock() -> None:
    clock = FakeClock()
    server = ServerClock(clock)
    assert not server.observed and server.now() == clock.now()
    ahead = clock.now().add(days=3)
    server.observe(formatdate(ahead.timestamp(), usegmt=True))
    assert server.observed and server.now() == ahead
    clock.advance(60)
    assert server.now() == ahead.add(seconds=60)
    server.observe("not a date")
    server.observe(None)
    assert server.now() == ahead.add(seconds=60)


def test_a_server_clock_that_jumps_is_followed_and_iso_times_are_read_too() -> None:
    clock = FakeClock()
    server = ServerClock(clock)
    start = clock.now()
    server.observe(formatdate(start.timestamp(), usegmt=True))
    server.observe(start.add(hours=2).format("YYYY-MM-DDTHH:mm:ss.SSS[Z]"))  # x-mws-timestamp
    assert server.now() == start.add(hours=2)
    assert server.stamp() == start.add(hours=2).strftime("%Y-%m-%dT%H:%M:%SZ")
    clock.advance(0.5)
    assert server.now().timestamp() == pytest.approx(start.add(hours=2).timestamp() + 0.5)


def test_once_computes_for_the_first_caller_and_retries_after_a_failure() -> None:
    once: Once[int] = Once()
    calls: list[int] = []
    barrier = threading.Barrier(6)

    def compute() -> int:
        calls.append(1)
        return 42

    def take() -> None:
        barrier.wait()
        assert once.get(compute) == 42

    threads = [threading.Thread(target=take) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    failing: Once[int] = Once()
    with pytest.raises(ZeroDivisionError):
        failing.get(lambda: 1 // 0)
    assert failing.get(lambda: 7) == 7


def test_one_error_is_recorded_once_however_many_resources_it_stopped() -> None:
    failures = Failures()
    refused, other = ValueError("refused"), ValueError("refused")
    failures.add("orders", "na", refused)
    failures.add("listings_items", "na", refused)
    failures.add("listings_items", "eu", other)
    assert [(f.resource, f.key) for f in failures] == [("orders", "na"), ("listings_items", "eu")]
