"""`pool.Loads`: a unit settling what an earlier run left (which drops rows of loads not
completed) never runs while another unit's load of the same dataset is under way, while loads
share the dataset. PostgreSQL lost report rows when a starting unit settled beside units
loading."""

from __future__ import annotations

import threading
from collections.abc import Callable

from pipelines.pool import Loads


def until(condition: Callable[[], bool]) -> None:
    """Yield to the other threads until `condition` holds (no sleep)."""
    while not condition():
        threading.Event().wait(0)


def waits(loads: Loads) -> bool:
    return len(loads._changed._waiters) > 0  # type: ignore[attr-defined]


def test_a_unit_settles_only_after_the_loads_under_way_end_and_loads_wait_for_it() -> None:
    loads, events = Loads(), []
    load_ends, settle_ends = threading.Event(), threading.Event()

    def load(name: str, until: threading.Event) -> None:
        with loads.loading():
            events.append(f"{name} loads")
            until.wait()
        events.append(f"{name} done")

    def settle() -> None:
        with loads.settling():
            events.append("settles")
            settle_ends.wait()

    first = threading.Thread(target=load, args=("a", load_ends), daemon=True)
    first.start()
    until(lambda: events == ["a loads"])
    settler = threading.Thread(target=settle, daemon=True)
    settler.start()
    until(lambda: waits(loads) or len(events) > 1)
    assert events == ["a loads"]  # settling waits for the load under way
    load_ends.set()
    first.join()
    until(lambda: "settles" in events)
    no_wait = threading.Event()
    no_wait.set()
    second = threading.Thread(target=load, args=("b", no_wait), daemon=True)
    second.start()
    until(lambda: waits(loads) or len(events) > 3)
    assert events == ["a loads", "a done", "settles"]  # a load waits for the settling
    settle_ends.set()
    settler.join()
    second.join()
    assert events[3:] == ["b loads", "b done"]


def test_loads_under_way_share_the_dataset() -> None:
    loads = Loads()
    inside = threading.Barrier(2)  # both loads inside at once, or this never returns
    threads = [threading.Thread(target=lambda: _load_meeting(loads, inside)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not inside.broken


def _load_meeting(loads: Loads, inside: threading.Barrier) -> None:
    with loads.loading():
        inside.wait(timeout=60)
