"""One parsing DuckDB per process, shared by the sellers' runs that overlap."""

from __future__ import annotations

import duckdb
import pytest

from sources.sp_api.documents import SharedDatabase


def test_overlapping_runs_share_one_database_closed_after_the_last() -> None:
    shared = SharedDatabase()
    with shared.use("64MB") as first:
        with shared.use("256MB") as second:
            assert second is first
        assert first.execute("select current_setting('memory_limit')").fetchone()[0] == "61.0 MiB"
    with pytest.raises(duckdb.ConnectionException):
        first.execute("select 1")
    with shared.use("64MB") as third:
        assert third is not first
