"""What a user's first run shows and leaves: no warning meant for dlt's developers, and no
observation the sandbox dated after its own now."""

from __future__ import annotations

import duckdb
import pytest

pytestmark = pytest.mark.e2e

RAW = ("sp_api", "mws", "paapi", "aim", "amzpecty")
# promises about the future (ship and delivery windows, expiries), not observations
PROMISE = ("window", "latest", "earliest", "expir", "promise", "ship_by", "deliver_by")


def test_dlt_warns_of_no_untyped_or_colliding_column(default_run) -> None:
    stderr = default_run.result.stderr
    assert "did not receive any data" not in stderr
    assert "type hints" not in stderr
    assert "collides with other column" not in stderr


def test_no_observation_is_dated_after_the_sandbox_worlds_now(default_run) -> None:
    now = default_run.ended  # the run's world is on the real clock: its now was before
    with duckdb.connect(str(default_run.warehouse), read_only=True) as warehouse:
        columns = warehouse.execute(
            "select table_schema, table_name, column_name, data_type "
            "from information_schema.columns "
            f"where table_schema in {RAW} and table_name not like '\\_dlt%' escape '\\' "
            "and (data_type like 'TIMESTAMP%' or data_type = 'VARCHAR')"
        ).fetchall()
        stamps = [c for c in columns if not any(word in c[2] for word in PROMISE)]
        late = {}
        for schema, table, column, data_type in stamps:
            text = data_type == "VARCHAR"  # ISO times, when longer than a date
            value = f'try_cast("{column}" as timestamptz)' if text else f'"{column}"'
            where = f'length("{column}") > 10' if text else "true"
            found = warehouse.execute(
                f'select max({value}) from "{schema}"."{table}" where {where}'
            ).fetchone()[0]
            if found is not None and found.tzinfo is None:
                found = found.replace(tzinfo=now.tzinfo)
            if found is not None and found > now:
                late[f"{schema}.{table}.{column}"] = found
    assert stamps and not late, late
