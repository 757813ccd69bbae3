"""Which reports a run needs, and how far its data is covered.

A job is one report type for one account (or one of its marketplaces). Its state says how far
the loaded data reaches (`cursor`) and which created reports are still awaited (`pending`), so
that a run that stopped resumes polling those and creates none.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pendulum

from sources.sp_api.report_catalog import ReportSpec

DAY_FORMAT = "YYYY-MM-DD"


def iso(moment: pendulum.DateTime) -> str:
    return moment.in_timezone("UTC").format("YYYY-MM-DDTHH:mm:ss[Z]")


def parse(value: str) -> pendulum.DateTime:
    return pendulum.parse(value).in_timezone("UTC")  # type: ignore[union-attr]


@dataclass(frozen=True)
class Window:
    """The data one report covers: a range, a snapshot day, or one report Amazon made."""

    start: pendulum.DateTime
    end: pendulum.DateTime
    listed: Mapping[str, Any] | None = None  # Amazon's report, for "amazon" jobs

    @property
    def key(self) -> str:
        return str(self.listed["reportId"]) if self.listed else iso(self.start)


def plan(
    spec: ReportSpec,
    cursor: str | None,
    resuming: bool,
    history_start: pendulum.DateTime,
    until: pendulum.DateTime,
) -> list[Window]:
    """Windows of `spec.span_days` from the cursor (less the lookback, unless a stopped run is
    being resumed) or from `history_start`, up to `until`; none while nothing new is due."""
    if spec.kind == "snapshot":
        today = until.start_of("day")
        if cursor is not None and cursor >= today.format(DAY_FORMAT):
            return []
        return [Window(today, today.add(days=1))]
    start = history_start if cursor is None else parse(cursor)
    if start >= until:
        return []
    if cursor is not None and not resuming:
        start = max(history_start, start.subtract(days=spec.lookback_days))
    windows = []
    while start < until:
        end = min(start.add(days=spec.span_days), until)
        windows.append(Window(start, end))
        start = end
    return windows


def amazon_windows(listed: list[Mapping[str, Any]], cursor: str | None) -> list[Window]:
    """Amazon's reports created after the cursor, oldest first."""
    found = []
    for report in listed:
        created = parse(report["createdTime"])
        if cursor is None or created > parse(cursor):
            found.append(Window(created, created, report))
    return sorted(found, key=lambda w: (w.start, w.key))


class Coverage:
    """One job's progress, kept in dlt state: windows finish in any order, and the cursor moves
    only over an unbroken run of finished windows from where it stood."""

    def __init__(self, spec: ReportSpec, state: dict[str, Any], windows: list[Window]) -> None:
        self.spec = spec
        self.state = state
        self.pending: dict[str, dict[str, str]] = state.setdefault("pending", {})
        self.windows = sorted(windows, key=lambda w: (w.start, w.key))
        self.finished: dict[str, pendulum.DateTime] = {}
        self._lock = threading.Lock()

    def awaited(self, window: Window) -> Mapping[str, str] | None:
        """The report a stopped run created for `window`, if any."""
        with self._lock:
            return self.pending.get(window.key)

    def started(self, window: Window, report_id: str, end: pendulum.DateTime) -> None:
        with self._lock:
            self.pending[window.key] = {"report_id": report_id, "end": iso(end)}

    def abandoned(self, window: Window) -> None:
        """Its report will never load (FATAL): forget it, and keep the cursor before it."""
        with self._lock:
            self.pending.pop(window.key, None)

    def done(self, window: Window, end: pendulum.DateTime) -> None:
        """The window's rows are handed on (or it had none); `end` is where its data stopped."""
        with self._lock:
            self.pending.pop(window.key, None)
            self.finished[window.key] = end
            self._advance()

    def _advance(self) -> None:
        if self.spec.kind == "snapshot":
            self.state["cursor"] = max(w.start for w in self.windows).format(DAY_FORMAT)
            return
        cursor = self.state.get("cursor")
        reached = parse(cursor) if cursor else None
        for window in self.windows:
            end = self.finished.get(window.key)
            if end is None:
                break
            ranged = self.spec.kind != "amazon"
            if ranged and reached is not None and window.start > reached:
                break  # a gap (a shorter report was reused): the next run covers it
            reached = end if reached is None else max(reached, end)
        if reached is not None:
            self.state["cursor"] = iso(reached)
