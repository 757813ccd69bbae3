"""The sandbox's clock: the only place in sandbox/ that reads real time or sleeps.

It keeps two timelines. The world's time (`now`, `timestamp`) is what Amazon's clock says:
it runs with the real clock (or stands still while frozen) and jumps when a test or a control
advances it, so lifetimes a client cannot hurry (access tokens, presigned URLs, next tokens)
last as long in real seconds as Amazon says. The pace (`pace`) is where a client waits:
usage-plan refills, report and query processing, callback delays; it runs at `time_scale` x
real time and jumps with every advance too, or alone when a client's wait hurries it (a world
on the real clock is never pushed ahead of it). Work done at the pace is stamped in world time
with `world_at`, from the clock's history of changes.
"""

from __future__ import annotations

import bisect
import threading
import time
from dataclasses import dataclass

import pendulum


@dataclass(frozen=True)
class Mark:
    """A moment on both timelines: when something was asked for."""

    world: float  # epoch seconds
    pace: float


@dataclass(frozen=True)
class _Knot:
    """From this moment on (until the next knot), the world moves `slope` seconds a pace second."""

    pace: float
    world: float
    slope: float


class SandboxClock:
    """World time on the real clock (or frozen), waits at `time_scale`; both can be advanced."""

    def __init__(
        self,
        start: pendulum.DateTime | None = None,
        time_scale: float = 1.0,
        frozen: bool = False,
    ) -> None:
        _check_scale(time_scale)
        self._lock = threading.Lock()
        begin = start if start is not None else pendulum.now("UTC")
        self._start = begin.in_timezone("UTC")
        self._scale = float(time_scale)
        self._initially_frozen = frozen
        self._restart(frozen)

    def _restart(self, frozen: bool) -> None:
        self._frozen = frozen
        origin = self._start.timestamp()
        self._knots = [_Knot(origin, origin, self._slope())]
        self._paces = [origin]
        self._real_base = time.monotonic()

    def _slope(self) -> float:
        return 0.0 if self._frozen else 1.0 / self._scale

    def _current(self) -> tuple[float, float]:
        """(pace, world) now (lock held)."""
        knot = self._knots[-1]
        paced = (time.monotonic() - self._real_base) * self._scale
        return knot.pace + paced, knot.world + paced * knot.slope

    def _knot(self, pace: float, world: float, slope: float) -> None:
        self._knots.append(_Knot(pace, world, slope))
        self._paces.append(pace)
        self._real_base = time.monotonic()

    @property
    def time_scale(self) -> float:
        return self._scale

    @property
    def frozen(self) -> bool:
        return self._frozen

    @property
    def start(self) -> pendulum.DateTime:
        """The world time the clock (re)started at."""
        return self._start

    def timestamp(self) -> float:
        """The world's epoch seconds."""
        with self._lock:
            return self._current()[1]

    def now(self) -> pendulum.DateTime:
        return pendulum.from_timestamp(self.timestamp(), tz="UTC")

    def pace(self) -> float:
        """Seconds on the waiting timeline: they pass `time_scale` times faster than real ones."""
        with self._lock:
            return self._current()[0]

    def mark(self) -> Mark:
        with self._lock:
            pace, world = self._current()
        return Mark(world, pace)

    def mark_at(self, world: float) -> Mark:
        """A mark for an earlier moment of the world's (Amazon's own schedules)."""
        return Mark(world, self.pace_at(world))

    def world_at(self, pace: float) -> float:
        """The world's time when the pace reached `pace` (now, for a pace still to come)."""
        with self._lock:
            now_pace, now_world = self._current()
            if pace >= now_pace:
                return now_world
            index = bisect.bisect_right(self._paces, pace) - 1
            if index < 0:  # before the start, both timelines were one
                return pace
            knot = self._knots[index]
            return knot.world + (pace - knot.pace) * knot.slope

    def pace_at(self, world: float) -> float:
        """The pace when the world's time reached `world` (Amazon's own schedules)."""
        with self._lock:
            now_pace, now_world = self._current()
            if world <= self._knots[0].world:
                return world
            for index, knot in enumerate(self._knots):
                last = index + 1 == len(self._knots)
                reaches = now_world if last else self._knots[index + 1].world
                if world <= reaches:
                    return (
                        knot.pace + (world - knot.world) / knot.slope if knot.slope else knot.pace
                    )
            return now_pace

    def advance(self, seconds: float) -> pendulum.DateTime:
        """Jump both timelines forward (tests use this instead of sleeping)."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            pace, world = self._current()
            self._knot(pace, world, 1.0)  # during the jump the two move together
            self._knot(pace + seconds, world + seconds, self._slope())
        return self.now()

    def hurry(self, seconds: float) -> pendulum.DateTime:
        """Jump the pace forward, the world's time staying where it is: a client's wait makes
        what it waits for come due without dating anything past the world's now."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            pace, world = self._current()
            self._knot(pace, world, 0.0)  # during the jump the world stands still
            self._knot(pace + seconds, world, self._slope())
        return self.now()

    def wait(self, seconds: float) -> pendulum.DateTime:
        """A client's wait: a frozen world moves only when waited on (both timelines, as
        tests expect); a world on the real clock stays on it, and the wait hurries the pace."""
        return self.advance(seconds) if self._frozen else self.hurry(seconds)

    def set_scale(self, time_scale: float) -> None:
        """Change the speed of waits from now on, without moving either timeline."""
        _check_scale(time_scale)
        with self._lock:
            pace, world = self._current()
            self._scale = float(time_scale)
            self._knot(pace, world, self._slope())

    def reset(self, start: pendulum.DateTime | None = None, time_scale: float | None = None):
        """Back to `start` (default: where it started), at `time_scale`, frozen as it began."""
        if time_scale is not None:
            _check_scale(time_scale)
        with self._lock:
            if start is not None:
                self._start = start.in_timezone("UTC")
            if time_scale is not None:
                self._scale = float(time_scale)
            self._restart(self._initially_frozen)

    def wait_real(self, seconds: float, event: threading.Event | None = None) -> bool:
        """Block a background worker for real seconds; returns True if `event` was set."""
        if event is not None:
            return event.wait(seconds)
        time.sleep(seconds)
        return False


def _check_scale(time_scale: float) -> None:
    if time_scale <= 0:
        raise ValueError("time_scale must be positive")
