"""Report windows and coverage: deterministic windows, lookback, resuming, and a cursor that
moves only over an unbroken run of finished windows."""

from __future__ import annotations

import dataclasses
import itertools

import pendulum

from sources.sp_api.report_catalog import CATALOG, LISTINGS, RETURNS, SETTLEMENTS
from sources.sp_api.report_windows import Coverage, Window, amazon_windows, plan

RETURNS_SPEC = CATALOG[RETURNS]  # 30-day spans, 3 days of lookback
START = pendulum.datetime(2026, 1, 1, tz="UTC")
TODAY = pendulum.datetime(2026, 3, 10, tz="UTC")


def test_windows_tile_the_range_in_spans_and_end_today() -> None:
    windows = plan(RETURNS_SPEC, None, False, START, TODAY)
    assert [w.start for w in windows] == [START, START.add(days=30), START.add(days=60)]
    assert windows[-1].end == TODAY
    assert all(a.end == b.start for a, b in itertools.pairwise(windows))
    assert plan(RETURNS_SPEC, None, False, START, TODAY) == windows  # the same every time


def test_a_later_run_rereads_the_lookback_but_a_resumed_one_does_not() -> None:
    cursor = "2026-03-01T00:00:00Z"
    later = plan(RETURNS_SPEC, cursor, False, START, TODAY)
    assert later[0].start == pendulum.datetime(2026, 2, 26, tz="UTC")
    resumed = plan(RETURNS_SPEC, cursor, True, START, TODAY)
    assert resumed[0].start == pendulum.datetime(2026, 3, 1, tz="UTC")
    assert plan(RETURNS_SPEC, "2026-03-10T00:00:00Z", False, START, TODAY) == []  # nothing new


def test_a_snapshot_is_taken_once_a_day() -> None:
    spec = CATALOG[LISTINGS]
    now = TODAY.add(hours=15)
    assert [w.start for w in plan(spec, None, False, START, now)] == [TODAY]
    assert plan(spec, "2026-03-10", False, START, now) == []
    assert [w.start for w in plan(spec, "2026-03-09", False, START, now)] == [TODAY]


def test_the_cursor_moves_only_over_finished_windows_in_order() -> None:
    state: dict = {}
    windows = plan(RETURNS_SPEC, None, False, START, TODAY)
    coverage = Coverage(RETURNS_SPEC, state, windows)
    coverage.started(windows[1], "2", windows[1].end)
    coverage.done(windows[1], windows[1].end)
    assert "cursor" not in state  # the first window is not done yet
    coverage.started(windows[0], "1", windows[0].end)
    assert state["pending"] == {
        "2026-01-01T00:00:00Z": {"report_id": "1", "end": "2026-01-31T00:00:00Z"}
    }
    coverage.done(windows[0], windows[0].end)
    assert state["cursor"] == "2026-03-02T00:00:00Z" and state["pending"] == {}
    coverage.abandoned(windows[2])  # FATAL: the cursor stays before it
    assert state["cursor"] == "2026-03-02T00:00:00Z"


def test_a_shorter_reused_report_leaves_a_gap_the_cursor_does_not_cross() -> None:
    state: dict = {}
    windows = plan(RETURNS_SPEC, None, False, START, TODAY)
    coverage = Coverage(RETURNS_SPEC, state, windows)
    coverage.done(windows[0], windows[0].start.add(days=10))  # a reused report ended early
    coverage.done(windows[1], windows[1].end)
    assert state["cursor"] == "2026-01-11T00:00:00Z"


def test_amazon_reports_are_taken_after_the_cursor_oldest_first() -> None:
    listed = [
        {"reportId": "3", "createdTime": "2026-03-02T00:00:00+00:00"},
        {"reportId": "1", "createdTime": "2026-02-02T00:00:00+00:00"},
        {"reportId": "2", "createdTime": "2026-02-16T00:00:00+00:00"},
    ]
    windows = amazon_windows(listed, "2026-02-02T00:00:00Z")
    assert [w.key for w in windows] == ["2", "3"]
    state: dict = {}
    coverage = Coverage(CATALOG[SETTLEMENTS], state, windows)
    coverage.done(windows[1], windows[1].end)
    assert "cursor" not in state
    coverage.done(windows[0], windows[0].end)
    assert state["cursor"] == "2026-03-02T00:00:00Z"


def test_window_keys_name_their_start_or_amazons_report() -> None:
    window = Window(START, START.add(days=1))
    assert window.key == "2026-01-01T00:00:00Z"
    assert dataclasses.replace(window, listed={"reportId": "9"}).key == "9"
