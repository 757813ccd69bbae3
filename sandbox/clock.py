"""The sandbox's virtual clock: the only place in sandbox/ that reads real time or sleeps."""

from __future__ import annotations

import threading
import time

import pendulum


class SandboxClock:
    """Virtual time that runs at `time_scale` x real time and can be advanced on demand."""

    def __init__(self, start: pendulum.DateTime | None = None, time_scale: float = 1.0) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self._lock = threading.Lock()
        begin = start if start is not None else pendulum.now("UTC")
        self._start = begin.in_timezone("UTC")
        self._base = self._start.timestamp()
        self._real_base = time.monotonic()
        self._scale = float(time_scale)

    @property
    def time_scale(self) -> float:
        return self._scale

    @property
    def start(self) -> pendulum.DateTime:
        """The virtual time the clock (re)started at."""
        return self._start

    def timestamp(self) -> float:
        """Virtual seconds since the epoch."""
        with self._lock:
            return self._base + (time.monotonic() - self._real_base) * self._scale

    def now(self) -> pendulum.DateTime:
        return pendulum.from_timestamp(self.timestamp(), tz="UTC")

    def advance(self, seconds: float) -> pendulum.DateTime:
        """Jump virtual time forward (tests use this instead of sleeping)."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._base += seconds
        return self.now()

    def set_scale(self, time_scale: float) -> None:
        """Change the speed from now on without moving the current virtual time."""
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        with self._lock:
            real_now = time.monotonic()
            self._base += (real_now - self._real_base) * self._scale
            self._real_base = real_now
            self._scale = float(time_scale)

    def reset(self, start: pendulum.DateTime | None = None, time_scale: float | None = None):
        """Back to `start` (default: where it started), running at `time_scale`."""
        with self._lock:
            if start is not None:
                self._start = start.in_timezone("UTC")
            self._base = self._start.timestamp()
            self._real_base = time.monotonic()
            if time_scale is not None:
                self._scale = float(time_scale)

    def real_seconds(self, virtual_seconds: float) -> float:
        """How long `virtual_seconds` take in real time at the current scale."""
        return virtual_seconds / self._scale

    def wait_real(self, seconds: float, event: threading.Event | None = None) -> bool:
        """Block a background worker for real seconds; returns True if `event` was set."""
        if event is not None:
            return event.wait(seconds)
        time.sleep(seconds)
        return False
