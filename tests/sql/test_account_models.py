"""dbt build on a sandbox load with listing history: the catalog, listings, inventory and sales
marts pass their tests and agree with the raw rows and with each other."""

from __future__ import annotations

import duckdb
import pytest
import requests

from pipelines import transform
from tests.loading import load_sp_api
from tests.sandbox.wire import control

pytestmark = pytest.mark.e2e


def test_marts_build_and_agree(sandbox_server, accounts, tmp_path) -> None:
    url = sandbox_server.url
    control(url, "world/freeze", {"at": "now"})
    load_sp_api(accounts, tmp_path)
    requests.delete(f"{url}/_sandbox/world/freeze", timeout=10).raise_for_status()
    control(url, "clock/advance", {"seconds": 86400})
    control(url, "world/freeze", {"at": "now"})
    load = load_sp_api(accounts, tmp_path)
    result = transform.build(load.duckdb_path)
    assert result.success, result.failures
    with duckdb.connect(str(load.duckdb_path), read_only=True) as connection:

        def rows(sql: str) -> list[tuple]:
            return connection.execute(sql).fetchall()

        listed = rows(
            "select count(*) from (select distinct marketplace_id, asin from sp_api.listings_items)"
        )
        assert rows(
            "select count(*), count(distinct (asin, marketplace_id)) from main.catalog"
        ) == [(listed[0][0], listed[0][0])]
        assert rows("select count(*) from main.catalog where listing_sellers = 0") == [(0,)]
        versions = rows(
            "select max(version_number), count(*) filter (where is_current) "
            "from main.listings_history"
        )
        assert versions[0][0] >= 2
        assert (
            versions[0][1]
            == rows("select count(*) from sp_api.listings_items where _dlt_valid_to is null")[0][0]
        )
        gaps = rows("""
            select count(*) from (
                select seller_id, marketplace_id, seller_sku, count(*) as days,
                       date_diff('day', min(inventory_date), max(inventory_date)) + 1 as span
                from main.inventory_daily where source_system = 'fba_inventory_api'
                group by 1, 2, 3
            ) where days <> span""")
        assert gaps == [(0,)]
        latest = rows("""
            select count(*) from main.inventory_daily d
            join (
                select seller_id, marketplace_id, seller_sku, max(inventory_date) as last_day
                from main.inventory_daily where source_system = 'fba_inventory_api'
                group by 1, 2, 3
            ) l using (seller_id, marketplace_id, seller_sku)
            join staging.stg_sp_api__inventory_summaries s
              on s.seller_id = d.seller_id and s.marketplace_id = d.marketplace_id
              and s.sku = d.seller_sku
            where d.inventory_date = l.last_day
              and s.last_updated_at = (
                select max(last_updated_at) from staging.stg_sp_api__inventory_summaries x
                where x.seller_id = s.seller_id and x.marketplace_id = s.marketplace_id
                  and x.sku = s.sku)
              and d.fulfillable_quantity <> s.fulfillable_quantity""")
        assert latest == [(0,)]
        sales = rows(
            "select currency_code, sum(total_sales) from main.sales_metrics group by 1 order by 1"
        )
        daily = rows(
            "select currency_code, sum(gross_sales) from main.daily_sales group by 1 order by 1"
        )
        assert sales == daily and len(sales) == 5
        missing_traffic = rows("""
            select count(*) from main.sales_metrics m
            where m.unit_count > 0 and m.sessions is null
              and m.metrics_date <= (
                select max(sales_date) from staging.stg_sp_api__sales_and_traffic t
                where t.seller_id = m.seller_id and t.marketplace_id = m.marketplace_id)""")
        assert missing_traffic == [(0,)]  # Data Kiosk covers every day with sales up to its end
