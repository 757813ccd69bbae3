"""Where a run's wall time went: its phases timed as they pass, for `run.py -v` and the bench."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

import pendulum

from sources.common.clock import Clock

STEPS = ("extract", "normalize", "load")  # dlt's steps, from a pipeline's trace


class WaitingClock:
    """A source's clock whose sleeps are added up: pacing and polling waits, summed over the
    source's threads (they overlap, so the sum may pass the wall time they took)."""

    def __init__(
        self,
        inner: Clock,
        asleep: Callable[[], AbstractContextManager[object]] = nullcontext,
    ) -> None:
        self._inner = inner
        self._asleep = asleep  # held while sleeping: a pool's unit lends its turn
        self._lock = threading.Lock()
        self.slept = 0.0

    def monotonic(self) -> float:
        return self._inner.monotonic()

    def now(self) -> pendulum.DateTime:
        return self._inner.now()

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            self._inner.sleep(seconds)
            return
        with self._lock:
            self.slept += seconds
        with self._asleep():
            self._inner.sleep(seconds)


class Timings:
    """Wall seconds per phase (a phase run twice adds up; sellers loading in parallel overlap,
    so their phases may add up past the wall time), and waits measured within them."""

    def __init__(
        self, started: float | None = None, clock: Callable[[], float] = time.perf_counter
    ):
        self._clock = clock
        self.started = clock() if started is None else started
        self.phases: dict[str, float] = {}
        self.waits: dict[str, float] = {}
        self._lock = threading.Lock()

    def add(self, name: str, seconds: float) -> None:
        with self._lock:
            self.phases[name] = self.phases.get(name, 0.0) + seconds

    def wait(self, source: str, seconds: float) -> None:
        """Seconds `source`'s clock slept (pacing, polls)."""
        with self._lock:
            self.waits[source] = self.waits.get(source, 0.0) + seconds

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        began = self._clock()
        try:
            yield
        finally:
            self.add(name, self._clock() - began)

    def steps(self, source: str, trace: Any) -> None:
        """dlt's extract, normalize and load seconds of one pipeline run (its `last_trace`)."""
        for step in getattr(trace, "steps", None) or ():
            if step.step in STEPS and step.finished_at is not None:
                self.add(
                    f"{source} {step.step}", (step.finished_at - step.started_at).total_seconds()
                )

    def total(self) -> float:
        return self._clock() - self.started

    def render(self) -> str:
        """Each phase with its share of the run, the time no phase accounts for, then waits."""
        total = self.total()
        rows = [
            *self.phases.items(),
            ("other: setup, recovery, summary", max(total - sum(self.phases.values()), 0.0)),
        ]
        width = max(len(name) for name, _ in rows)
        lines = [f"  {'where the time went':<{width}}  {'seconds':>8}  share"]
        for name, seconds in rows:
            lines.append(f"  {name:<{width}}  {seconds:8.2f}  {seconds / total:5.0%}")
        lines.append(f"  {'total':<{width}}  {total:8.2f}")
        for name, seconds in self.waits.items():
            lines.append(f"  {name} slept {seconds:.2f} s (pacing, polls; summed over threads)")
        return "\n".join(lines)
