"""interleave: every producer's items arrive, errors surface, closing stops the producers."""

from __future__ import annotations

import threading

import pytest

from sources.common.concurrency import interleave


def test_all_items_from_all_producers_arrive() -> None:
    producers = [lambda n=n: iter(range(n * 100, n * 100 + 50)) for n in range(4)]
    items = list(interleave(producers, workers=2, buffer=3))
    assert sorted(items) == sorted(i for n in range(4) for i in range(n * 100, n * 100 + 50))


def test_a_producer_error_is_raised_to_the_consumer() -> None:
    def broken():
        yield 1
        raise RuntimeError("account B failed")

    with pytest.raises(RuntimeError, match="account B"):
        list(interleave([lambda: iter(range(3)), broken], workers=2))


def test_closing_the_consumer_stops_the_producers() -> None:
    stopped = threading.Event()

    def endless():
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            stopped.set()

    stream = interleave([endless], workers=1, buffer=2)
    assert next(stream) == 0
    stream.close()
    assert stopped.wait(5)
