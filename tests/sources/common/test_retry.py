"""The retry policy's arithmetic: capped Retry-After, full jitter, throttle slots."""

from __future__ import annotations

import pytest

from sources.common.retry import RetryPolicy, parse_retry_after


def test_retry_after_is_honoured_and_capped() -> None:
    policy = RetryPolicy(retry_after_cap=30)
    assert policy.throttle_delay(1, 12.0, rate=1.0, jitter=0.5) == 12.0
    assert policy.throttle_delay(1, 3600.0, rate=1.0, jitter=0.5) == 30


def test_throttle_without_retry_after_doubles_in_refill_slots() -> None:
    policy = RetryPolicy(backoff_cap=100)
    delays = [policy.throttle_delay(n, None, rate=0.5, jitter=0.0) for n in range(1, 5)]
    assert delays == [0.0, 2.0, 6.0, 14.0]  # the drained bucket adds the first slot itself


def test_server_errors_back_off_with_full_jitter_and_a_cap() -> None:
    policy = RetryPolicy(backoff_base=1.0, backoff_cap=10.0)
    assert policy.server_error_delay(1, jitter=0.999) < 1.0
    assert policy.server_error_delay(3, jitter=0.5) == 2.0
    assert policy.server_error_delay(30, jitter=0.999) < 10.0


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("7", 7.0),
        ("0.5", 0.5),
        (None, None),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:10 GMT", 10.0),
    ],
    ids=["seconds", "fraction", "absent", "garbage", "http-date"],
)
def test_parse_retry_after(header, expected) -> None:
    now = 1445412480.0  # 07:28:00 on that day
    assert parse_retry_after(header, now) == expected
