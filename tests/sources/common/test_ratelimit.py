"""The client's token bucket on a fake clock: burst, refill, server-reported rates, drains."""

from __future__ import annotations

import threading

import pytest

from sources.common.ratelimit import SLACK, Pacer, TokenBucket
from tests.fakes import FakeClock


def test_burst_is_free_then_requests_are_spaced_by_the_rate(fake_clock: FakeClock) -> None:
    bucket = TokenBucket(rate=0.5, burst=3, clock=fake_clock)
    waits = [bucket.acquire() for _ in range(6)]
    assert waits[:3] == [0, 0, 0]
    # the slack is taken once: later slots keep the rate
    assert waits[3:] == pytest.approx([2.0 + SLACK / 0.5, 2.0, 2.0])


def test_idle_time_refills_up_to_the_burst(fake_clock: FakeClock) -> None:
    bucket = TokenBucket(rate=1.0, burst=2, clock=fake_clock)
    bucket.acquire(), bucket.acquire()
    fake_clock.advance(100)
    assert [bucket.acquire() for _ in range(3)] == pytest.approx([0, 0, 1.0 + SLACK])


def test_server_rate_replaces_the_plan_rate(fake_clock: FakeClock) -> None:
    bucket = TokenBucket(rate=0.0056, burst=1, clock=fake_clock)
    bucket.acquire()
    bucket.set_rate(20.16)  # the sandbox at 3600x reports the scaled rate
    assert bucket.acquire() == pytest.approx((1 + SLACK) / 20.16)
    bucket.set_rate(0)  # nonsense from a server is ignored
    assert bucket.rate == pytest.approx(20.16)


def test_drain_after_a_throttle_waits_one_slot(fake_clock: FakeClock) -> None:
    bucket = TokenBucket(rate=2.0, burst=5, clock=fake_clock)
    bucket.drain()
    assert bucket.acquire() == pytest.approx((1 + SLACK) / 2.0)


def test_threads_sharing_a_bucket_get_distinct_slots() -> None:
    # time stands still while they queue, so each reservation is the next free slot
    bucket = TokenBucket(rate=1.0, burst=1, clock=FakeClock(sleep_advances=False))
    waits: list[float] = []
    lock = threading.Lock()

    def take() -> None:
        wait = bucket.acquire()
        with lock:
            waits.append(wait)

    threads = [threading.Thread(target=take) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # reservations: 0, 1, 2, 3, 4 seconds, whatever the order the threads ran in
    assert sorted(round(w) for w in waits) == [0, 1, 2, 3, 4]


def test_pacer_makes_one_bucket_per_key_from_its_plan(fake_clock: FakeClock) -> None:
    plans = {"a": (1.0, 1), "b": (2.0, 2)}
    pacer = Pacer(lambda key: plans[key], fake_clock)
    assert pacer.bucket("a") is pacer.bucket("a")
    assert pacer.bucket("b").rate == 2.0


def test_bucket_rejects_nonsense_plans(fake_clock: FakeClock) -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate=0, burst=1, clock=fake_clock)
