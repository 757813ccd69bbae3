"""Row 3, idempotent re-run (CAT's TwoSequentialReads, then its abnormal state): a second run
on an unchanged source adds nothing and asks only from its cursor on; a state whose cursors
lie in the far future loads nothing and fails nothing."""

from __future__ import annotations

import pendulum

from sources.sp_api.settings import DEFAULT_LAG_SECONDS
from tests.battery.fingerprint import fingerprint, unfinished_loads
from tests.battery.runs import DATASET, SEARCH, take_searches
from tests.loading import Load, load_sp_api

FUTURE = "2100-01-01T00:00:00Z"


def _marks(load: Load) -> dict[str, str]:
    """Each seller's orders cursor: the server's `lastUpdatedBefore` of its last search."""
    resources = load.pipeline.state["sources"]["sp_api"]["resources"]
    return dict(resources["order_pages"]["high_water"])


def _less_lag(mark: str) -> str:
    moment = pendulum.parse(mark).subtract(seconds=DEFAULT_LAG_SECONDS)  # type: ignore[union-attr]
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_second_run_adds_nothing_and_asks_only_from_its_cursor(
    sandbox_server, accounts, tmp_path
) -> None:
    first = load_sp_api(accounts, tmp_path)
    clean = fingerprint(first.duckdb_path, DATASET)
    marks = _marks(first)
    assert len(marks) == len(accounts["accounts"]) and clean["orders"].rows > 2000
    take_searches(sandbox_server)  # the first run's

    second = load_sp_api(accounts, tmp_path)

    assert not list(second.failures)
    assert fingerprint(second.duckdb_path, DATASET) == clean
    assert not unfinished_loads(second.duckdb_path, DATASET)
    # one page each, from the cursor less the lag (updates Amazon shows late): nothing older
    searches = [c for c in sandbox_server.app.calls.calls() if c.operation == SEARCH]
    assert len(searches) == len(marks)
    assert take_searches(sandbox_server) == {s: {_less_lag(m)} for s, m in marks.items()}
    assert _marks(second) == marks


def test_cursors_in_the_far_future_load_nothing_and_fail_nothing(
    sandbox_server, accounts, tmp_path
) -> None:
    first = load_sp_api(accounts, tmp_path)
    clean = fingerprint(first.duckdb_path, DATASET)
    with first.pipeline.managed_state() as state:
        marks = state["sources"]["sp_api"]["resources"]["order_pages"]["high_water"]
        marks.update(dict.fromkeys(marks, FUTURE))
    take_searches(sandbox_server)

    future = load_sp_api(accounts, tmp_path)

    assert not list(future.failures)
    assert future.pipeline.last_trace.last_normalize_info.row_counts.get("orders", 0) == 0
    assert fingerprint(future.duckdb_path, DATASET) == clean
    assert take_searches(sandbox_server) == {s: {_less_lag(FUTURE)} for s in marks}
    assert _marks(future) == dict.fromkeys(marks, FUTURE)  # a cursor never moves back
