"""Row 29, personal data: off by default and then nowhere; on, only in an encrypted warehouse,
and purged 30 days after shipment from raw tables, dbt's models, dlt's staging dataset and the
load packages.

The sandbox's buyers and recipients carry canaries: every e-mail is `...@marketplace.<domain>`
and every street `... Sandbox Street`, strings no other data holds.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import dlt
import duckdb
import pyarrow.parquet as pq
import pytest

from pipelines import retention
from pipelines.duckdb_file import DuckDbFile
from sources.aim import aim_source
from sources.mws import mws_source
from tests.conftest import TEST_TIME_SCALE, WORLD_ORIGIN
from tests.e2e.runner import run_py
from tests.loading import load_sp_api
from tests.sandbox.wire import control

CANARIES = ("@marketplace.", "Sandbox Street")
KEY = "battery-29 warehouse key, not a real one"
PII_ON = {
    "SOURCES__SP_API__INCLUDE_PII": "true",
    "SOURCES__SP_API__RESOURCES": '["orders", "order_items"]',
    "DESTINATION__DUCKDB__CREDENTIALS__FORCE_MBEDTLS_UNSAFE": "true",  # no httpfs offline
}
DAY = 86400


def canary_columns(connection: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """`schema.table.column` -> rows holding a canary, over every text column of every schema
    (raw, dlt's staging, dbt's staging, intermediate and marts)."""
    columns = connection.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where data_type = 'VARCHAR' and table_catalog = current_database()"
    ).fetchall()
    found = {}
    for schema, table, column in columns:
        test = " or ".join(f"\"{column}\" like '%{c}%'" for c in CANARIES)
        (count,) = connection.execute(
            f'select count(*) from "{schema}"."{table}" where {test}'
        ).fetchone()
        if count:
            found[f"{schema}.{table}.{column}"] = count
    return found


def canary_files(folder: Path) -> list[str]:
    """Files under `folder` (dlt's pipelines folder: packages, state, trace) that hold a
    canary, parquet read as values (its pages are compressed), others as (gunzipped) bytes."""
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix == ".parquet":
            text = str(pq.read_table(path).to_pylist())
        else:
            data = path.read_bytes()
            text = (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode(
                "utf-8", "replace"
            )
        if any(c in text for c in CANARIES):
            found.append(str(path.relative_to(folder)))
    return found


def test_off_by_default_no_buyer_or_recipient_anywhere(accounts, tmp_path) -> None:
    # the orders report and the returns report too: they carry ship-to cities, never people
    reports = ("GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
               "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA")  # fmt: skip
    load = load_sp_api(accounts, tmp_path, report_types=reports)
    assert load.count("report_order_items") > 0
    tables = {t for (t,) in load.query("select table_name from information_schema.tables")}
    assert load.count("orders") > 0 and "sp_api_staging" in {
        s for (s,) in load.query("select schema_name from information_schema.schemata")
    }
    assert not {"order_buyers", "order_recipients"} & tables
    with duckdb.connect(str(load.duckdb_path), read_only=True) as connection:
        assert canary_columns(connection) == {}
    assert canary_files(tmp_path / "pipelines") == []


def test_on_needs_a_key_then_encrypts_and_purges_30_days_after_shipment(
    sandbox_server, tmp_path
) -> None:
    url = sandbox_server.url
    path = tmp_path / "warehouse.duckdb"
    arguments = ("--sandbox-url", url, "--sources", "sp_api")

    refused = run_py(tmp_path, *arguments, **PII_ON)
    assert refused.returncode == 1
    assert "include_pii needs an encrypted warehouse" in refused.stderr
    assert "destination.duckdb.credentials.encryption_key" in refused.stderr
    assert not path.exists()

    keyed = {**PII_ON, "DESTINATION__DUCKDB__CREDENTIALS__ENCRYPTION_KEY": KEY}
    first = run_py(tmp_path, *arguments, **keyed)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "(encrypted)" in first.stdout and "dbt build: ok" in first.stdout
    with pytest.raises(duckdb.Error, match="encrypted"):
        duckdb.connect(str(path), read_only=True)
    warehouse = DuckDbFile(path, KEY)
    with warehouse.connect(read_only=True) as connection:
        held = connection.execute(
            "select b.buyer_email, b.buyer_name, r.delivery_address__address_line1 "
            "from sp_api.order_buyers b join sp_api.order_recipients r using (seller_id, order_id)"
            " where b.buyer_email is not null and r.delivery_address__address_line1 is not null"
        ).fetchall()
        # the run's own retention pass: only orders closed in the last 30 days keep theirs
        purged_old, kept_recent = connection.execute(
            "select count(*) filter (where b.buyer_email is null and o.last_updated_time < ?), "
            "count(*) filter (where b.buyer_email is not null and o.last_updated_time < ?) "
            "from sp_api.order_buyers b join sp_api.orders o using (seller_id, order_id) "
            "where o.fulfillment__fulfillment_status = 'SHIPPED'",
            ["2026-10-01T00:00:00Z", "2026-10-01T00:00:00Z"],
        ).fetchone()
        plain = tmp_path / "plain.duckdb"
        connection.execute(f"attach '{plain}' as plain")
        connection.execute(
            "create table plain.recipients as select * from sp_api.order_recipients "
            "where delivery_address__address_line1 is not null"
        )
        connection.execute("detach plain")
    assert len(held) > 20 and purged_old > 1000 and kept_recent == 0
    canaries = [email.encode() for email, _, _ in held] + [b"Sandbox Street"]
    # the control: DuckDB writes these strings as they are into a file it does not encrypt
    assert b"Sandbox Street" in plain.read_bytes()
    files = [path, *path.parent.glob("warehouse.duckdb.wal")]
    assert not [c for f in files for c in canaries if c in f.read_bytes()]
    secrets = [
        p
        for folder in (tmp_path / "warehouse-pipelines", tmp_path / "warehouse.dbt")
        for p in folder.rglob("*")
        if p.is_file() and KEY.encode() in p.read_bytes()
    ]
    assert secrets == []

    control(url, "clock/advance", {"seconds": 31 * DAY})
    second = run_py(tmp_path, *arguments, "--purge-only", "--no-dbt", **keyed)
    assert second.returncode == 0, second.stderr[-3000:]
    with warehouse.connect(read_only=True) as connection:
        # every order the warehouse knows as closed is now past 30 days: only open ones keep
        # their buyer (the one unshipped order of the frozen world)
        left = connection.execute(
            "select o.fulfillment__fulfillment_status from sp_api.order_buyers b "
            "join sp_api.orders o using (seller_id, order_id) where b.buyer_email is not null"
        ).fetchall()
        assert left == [("UNSHIPPED",)]
        assert connection.execute("select count(*) from sp_api.order_buyers").fetchone()[0] > 0
        found = canary_columns(connection)
    assert set(found) == {
        "sp_api.order_buyers.buyer_email",
        "sp_api.order_recipients.delivery_address__address_line1",
    }
    assert set(found.values()) == {1}
    assert canary_files(tmp_path / "warehouse-pipelines") == []


def test_legacy_archives_buyers_are_purged_too(accounts, tmp_path) -> None:
    mws, aim = accounts["mws"], accounts["aim"]
    homes = {a["seller_id"]: a["marketplace_ids"] for a in accounts["accounts"]}
    common = {"quota_scale": TEST_TIME_SCALE, "retry_backoff_seconds": 0.01, "include_pii": True}
    sources = {
        "mws": mws_source(
            accounts=mws["accounts"],
            access_key_id=mws["access_key_id"],
            secret_key=mws["secret_key"],
            endpoint=mws["endpoint"],
            reports=False,
            **common,
        ),
        "aim": aim_source(
            accounts=[{**a, "marketplace_ids": homes[a["seller_id"]]} for a in aim["accounts"]],
            endpoint=aim["endpoint"],
            **common,
        ),
    }
    warehouse = DuckDbFile(tmp_path / "warehouse.duckdb")
    pipelines = {}
    for name, source in sources.items():
        pipelines[name] = dlt.pipeline(
            pipeline_name=f"battery_29_{name}",
            destination=warehouse.destination(),
            dataset_name=name,
            pipelines_dir=str(tmp_path / "pipelines"),
        )
        pipelines[name].run(source, loader_file_format="parquet")
    with warehouse.connect(read_only=True) as connection:
        held = {c.split(".")[0] + "." + c.split(".")[1] for c in canary_columns(connection)}
    assert {"mws.order_buyers", "aim.order_items"} <= held  # the canaries are there to find

    later = WORLD_ORIGIN.add(days=31)
    purged = {n: retention.purge(p, later, retention.DEFAULT_DAYS) for n, p in pipelines.items()}
    assert purged["mws"].rows["order_buyers"] > 0 and purged["aim"].rows["order_items"] > 0
    with warehouse.connect(read_only=True) as connection:
        assert canary_columns(connection) == {}
        assert connection.execute("select count(*) from aim.order_items").fetchone()[0] > 0
    assert canary_files(tmp_path / "pipelines") == []
