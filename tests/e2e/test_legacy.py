"""Legacy sources end to end: sandbox over HTTP -> source -> dlt -> DuckDB -> dbt."""

from __future__ import annotations

import math
import shutil
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import pytest
import requests

from pipelines import transform
from sandbox.mws.reports import HISTORY, SETTLEMENT
from sources.aim import aim_source
from sources.common.failures import Failures
from sources.common.sigv2 import sign, string_to_sign
from sources.common.stats import ApiStats
from sources.mws import mws_source
from sources.paapi import paapi_source
from tests.conftest import TEST_TIME_SCALE
from tests.loading import load_sp_api, run_source
from tests.sandbox.wire import control

pytestmark = pytest.mark.e2e
SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "legacy-samples"


def _mws(accounts: dict, stats: ApiStats | None = None, **extra: Any) -> Any:
    target = accounts["mws"]
    return mws_source(
        accounts=target["accounts"],
        access_key_id=target["access_key_id"],
        secret_key=target["secret_key"],
        endpoint=target["endpoint"],
        quota_scale=TEST_TIME_SCALE,
        retry_backoff_seconds=0.01,
        stats=stats,
        **extra,
    )


def _rows(workdir: Path, sql: str) -> set[tuple]:
    with duckdb.connect(str(workdir / "warehouse.duckdb"), read_only=True) as connection:
        return set(connection.execute(sql).fetchall())


ORDERS = "select seller_id, amazon_order_id, last_update_date, order_status from mws.orders"
ITEMS = "select seller_id, amazon_order_id, order_item_id, item_price__amount from mws.order_items"


def test_throttles_and_corrupted_next_tokens_lose_nothing(sandbox_server, accounts, tmp_path):
    control(sandbox_server.url, "world/freeze", {"at": "now"})
    run_source(_mws(accounts, reports=False), tmp_path / "clean", "mws")
    control(
        sandbox_server.url,
        "faults",
        {
            "faults": [
                {"service": "mws", "operation": "ListOrderItems", "status": 503, "count": 6},
                {"service": "mws", "operation": "ListOrdersByNextToken", "expire_tokens": True},
            ]
        },
    )
    stats = ApiStats()
    run_source(_mws(accounts, stats, reports=False), tmp_path / "stormy", "mws")
    snapshot = stats.snapshot()
    assert snapshot["mws.ListOrderItems"].throttled == 6
    assert snapshot["mws.ListOrders"].calls >= 4  # one seller's listing started again
    clean = _rows(tmp_path / "clean", ORDERS)
    assert _rows(tmp_path / "stormy", ORDERS) == clean
    assert _rows(tmp_path / "stormy", ITEMS) == _rows(tmp_path / "clean", ITEMS)
    years = {row[2][:4] for row in clean}
    assert "2012" in years and min(years) < "2013"  # history SP-API no longer reaches


REPORTS = "select seller_id, report_id, report_type, available_date from mws.reports"


def test_available_reports_page_and_each_loads_once(sandbox_server, accounts, tmp_path):
    sellers = len(accounts["mws"]["accounts"])
    marketplaces = sum(len(a["marketplace_ids"]) for a in accounts["mws"]["accounts"])
    fault = {"service": "mws", "operation": "GetReportListByNextToken", "expire_tokens": True}
    control(sandbox_server.url, "faults", {"faults": [fault]})
    stats = ApiStats()
    run_source(_mws(accounts, stats).with_resources("reports"), tmp_path, "mws")
    calls = stats.snapshot()
    # ten a page: three pages or more a seller, and one seller's listing started again; each
    # seller's first call was signed on its own clock, refused (the test's world lies in the
    # past) and signed again on the server's
    listing = calls["mws.GetReportList"]
    assert (listing.calls - listing.errors, listing.errors) == (sellers + 1, sellers)
    assert calls["mws.GetReportListByNextToken"].calls >= 2 * sellers + 1
    first = _rows(tmp_path, REPORTS)
    assert len(first) == len({row[:2] for row in first})
    requested = [row for row in first if row[2] != SETTLEMENT]
    assert len(requested) == HISTORY * sellers
    assert len(first) - len(requested) >= marketplaces  # Amazon's settlement reports too
    rerun = run_source(_mws(accounts).with_resources("reports"), tmp_path, "mws")
    assert "reports" not in rerun.last_trace.last_normalize_info.row_counts
    run_source(_mws(accounts).with_resources("listings"), tmp_path, "mws")  # requests new reports
    after = run_source(_mws(accounts).with_resources("reports"), tmp_path, "mws")
    assert after.last_trace.last_normalize_info.row_counts["reports"] == marketplaces
    new = _rows(tmp_path, REPORTS) - first
    assert {r[2] for r in new} == {"_GET_MERCHANT_LISTINGS_DATA_"}
    assert len(new) == marketplaces and min(r[3] for r in new) > max(r[3] for r in first)


def test_mws_and_sp_api_orders_meet_in_the_orders_mart(sandbox_server, accounts, tmp_path):
    control(sandbox_server.url, "world/freeze", {"at": "now"})
    load_sp_api(accounts, tmp_path, resources=["orders", "order_items"])
    run_source(_mws(accounts, end_date="now"), tmp_path, "mws")
    result = transform.build(tmp_path / "warehouse.duckdb")
    assert result.success, result.failures
    by_source = dict(_rows(tmp_path, "select source_system, count(*) from main.orders group by 1"))
    sp_api = _rows(tmp_path, "select count(*) from sp_api.orders").pop()[0]
    assert by_source["sp_api_orders"] == sp_api  # the live API wins where both know an order
    assert by_source["mws"] > 0
    years = _rows(tmp_path, "select distinct year(purchased_at) from main.orders")
    assert (2012,) in years and (2026,) in years


def test_an_archive_imported_twice_loads_once(sandbox_server, accounts, tmp_path):
    folder = tmp_path / "archive"
    seller = accounts["accounts"][0]["seller_id"]
    (folder / seller).mkdir(parents=True)
    saved = ["mws/doc-samples/orders_*.xml", "mws/doc-samples/reports_get_report_list*", "aim/*"]
    for path in [p for pattern in saved for p in SAMPLES.glob(pattern)]:
        shutil.copy(path, folder / seller / path.name)
    (folder / seller / "orders_list_orders.xml.gz").write_bytes(
        __import__("gzip").compress(
            (SAMPLES / "mws/doc-samples/orders_list_orders.xml").read_bytes()
        )
    )
    shutil.copytree(SAMPLES / "ecs", folder / "ecs")
    (folder / seller / "quickfix-2585199250.tsv").write_bytes(
        b"sku\tprice\tquantity\nA\t\t\nB\t\t\n"
    )
    (folder / seller / "refunds.txt").write_text(
        "order-id\tpayments-transaction-id\trefund-amount\treason\tstatus\n"
        "002-1\tT-1\t1.00\tCouldNotShip\tSUCCESS\n"
    )
    loads = []
    for _ in range(2):
        mws = run_source(mws_source(archive_folder=str(folder)), tmp_path, "mws")
        aim = run_source(aim_source(archive_folder=str(folder)), tmp_path, "aim")
        paapi = run_source(paapi_source(archive_folder=str(folder)), tmp_path, "paapi")
        loads.append([p.last_trace.last_normalize_info.row_counts for p in (mws, aim, paapi)])
    first, second = loads
    assert first[0]["orders"] >= 3 and first[1]["order_items"] == 1 and first[2]["items"] > 10
    assert first[1]["batch_quickfix"] == 2 and first[1]["refunds"] == 1
    quickfix = "select batch_id, sku, source_file, source_index from aim.batch_quickfix"
    assert ("2585199250", "B", f"{seller}/quickfix-2585199250.tsv", 1) in _rows(tmp_path, quickfix)
    refund = "select order_id, source_file, source_index from aim.refunds"
    assert _rows(tmp_path, refund) == {("002-1", f"{seller}/refunds.txt", 0)}
    assert first[0]["reports"] == 1
    assert all(not {k: v for k, v in c.items() if not k.startswith("_dlt")} for c in second)
    lineage = _rows(tmp_path, "select source_file, source_index from mws.orders")
    assert (f"{seller}/orders_list_orders.xml", 0) in lineage
    saved_reports = "select report_id, source_file, source_index from mws.reports"
    assert _rows(tmp_path, saved_reports) == {
        ("898899473", f"{seller}/reports_get_report_list_nt.xml", 0)
    }
    counts = "select count(*), count(distinct amazon_order_id) from mws.orders"
    assert len({*_rows(tmp_path, counts).pop()}) == 1  # the gzip copy merged, no duplicate


def _aim(accounts: dict, stats: ApiStats | None = None) -> Any:
    homes = {a["seller_id"]: a["marketplace_ids"] for a in accounts["accounts"]}
    return aim_source(
        accounts=[
            {**a, "marketplace_ids": homes[a["seller_id"]]} for a in accounts["aim"]["accounts"]
        ],
        endpoint=accounts["aim"]["endpoint"],
        quota_scale=TEST_TIME_SCALE,
        retry_backoff_seconds=0.01,
        stats=stats,
    )


REFUNDS = [
    ("002-0000001-0000001", "T-1001", "12.50", "CouldNotShip", "sorry"),
    ("002-0000001-0000001", "T-1002", "3.99", "GeneralAdjustment", "shipping"),
    ("002-0000002-0000002", "T-1003", "20.00", "DifferentItem", ""),
]


def test_aim_quickfix_files_and_batch_refunds_load_once(sandbox_server, accounts, tmp_path):
    control(sandbox_server.url, "world/freeze", {"at": "now"})
    target = accounts["aim"]["accounts"][0]
    lines = ["order-id\tpayments-transaction-id\trefund-amount\treason\tmessage"]
    body = "\r\n".join(lines + ["\t".join(row) for row in REFUNDS]) + "\r\n"
    uploaded = requests.post(
        f"{accounts['aim']['endpoint']}/exec/panama/seller-admin/catalog-upload/batch-refund",
        data=body.encode(),
        headers={"Content-Type": "text/xml;charset=utf-8"},
        auth=(target["email"], target["password"]),
        timeout=10,
    )
    assert uploaded.status_code == 200 and uploaded.text.strip() == "<Success>SUCCESS</Success>"
    control(sandbox_server.url, "clock/advance", {"seconds": 300})  # the refund report is ready
    stats = ApiStats()
    first = run_source(
        _aim(accounts, stats), tmp_path, "aim"
    ).last_trace.last_normalize_info.row_counts
    refunds = _rows(
        tmp_path,
        "select seller_id, order_id, payments_transaction_id, refund_amount, reason, status "
        "from aim.refunds",
    )
    assert refunds == {(target["seller_id"], *row[:4], "SUCCESS") for row in REFUNDS}
    problems = dict(
        _rows(
            tmp_path,
            "select seller_id, sum(itemsnotactivated::int + numberofwarnings::int) "
            "from aim.batches where status = 'Done' group by 1",
        )
    )
    fixes = dict(_rows(tmp_path, "select seller_id, count(*) from aim.batch_quickfix group by 1"))
    errors = dict(_rows(tmp_path, "select seller_id, count(*) from aim.batch_errors group by 1"))
    assert fixes == errors == problems and len(fixes) == len(accounts["aim"]["accounts"])
    assert first["batch_quickfix"] == sum(fixes.values()) and first["refunds"] == len(REFUNDS)
    same_skus = (
        "select count(*) from aim.batch_quickfix q join aim.batch_errors e using "
        "(seller_id, batch_id, sku)"
    )
    assert _rows(tmp_path, same_skus) == {(sum(fixes.values()),)}  # a fix per rejected line
    batches = _rows(
        tmp_path, "select count(distinct (seller_id, batch_id)) from aim.batch_quickfix"
    )
    assert {(stats.snapshot()["aim.download/quickfix"].calls,)} == batches

    stats = ApiStats()
    second = run_source(_aim(accounts, stats), tmp_path, "aim").last_trace.last_normalize_info
    assert not {"batch_quickfix", "batch_errors", "refunds"} & set(second.row_counts)
    calls = stats.snapshot()
    assert "aim.download/quickfix" not in calls and "aim.download/errorlog" not in calls
    assert _rows(tmp_path, "select count(*) from aim.batch_quickfix") == {(sum(fixes.values()),)}
    assert _rows(tmp_path, "select count(*) from aim.refunds") == {(len(REFUNDS),)}


def test_ecs_rejects_sha1_and_stale_signatures(sandbox_server, accounts):
    target = accounts["paapi"]
    control(sandbox_server.url, "clock/scale", {"time_scale": 1.0})
    now = requests.get(f"{sandbox_server.url}/_sandbox/clock", timeout=10).json()["now"]
    host = sandbox_server.url.removeprefix("http://")

    def lookup(timestamp: str, method: str) -> requests.Response:
        params = {
            "Service": "AWSECommerceService",
            "Operation": "ItemLookup",
            "AWSAccessKeyId": target["access_key_id"],
            "ItemId": target["asins"][0],
            "Timestamp": timestamp,
        }
        text = string_to_sign("GET", host, "/onca/xml", params)
        params["Signature"] = sign(target["secret_key"], text, method)
        return requests.get(f"{sandbox_server.url}/onca/xml", params=params, timeout=10)

    fresh = now[:19] + "Z"
    first = lookup(fresh, "HmacSHA256")
    assert first.status_code == 200 and b"2005-10-05" in first.content  # the default version
    throttled = lookup(fresh, "HmacSHA256")  # one request a second, no burst
    assert throttled.status_code == 503 and b"<ErrorResponse><Error><Code>RequestThrottled" in (
        throttled.content
    )
    sha1 = lookup(fresh, "HmacSHA1")
    assert sha1.status_code == 403 and b"SignatureDoesNotMatch" in sha1.content
    stale = lookup("2020-01-01T00:00:00Z", "HmacSHA256")
    assert stale.status_code == 400 and b"RequestExpired" in stale.content
    control(sandbox_server.url, "clock/scale", {"time_scale": TEST_TIME_SCALE})


def test_legacy_secrets_never_reach_the_warehouse_or_pipeline_folder(
    sandbox_server, accounts, tmp_path, caplog
):
    canaries = [accounts["mws"]["secret_key"], accounts["paapi"]["secret_key"]]
    canaries += [a["mws_auth_token"] for a in accounts["mws"]["accounts"]]
    canaries += [a["password"] for a in accounts["aim"]["accounts"]]
    broken = dict(accounts["mws"])
    broken["accounts"] = [
        {**accounts["mws"]["accounts"][0], "mws_auth_token": "amzn.mws.wrong-canary"}
    ]
    failures = Failures()
    run_source(_mws({"mws": broken}, reports=False, failures=failures), tmp_path, "mws")
    aim_accounts = [
        {**a, "marketplace_ids": ["ATVPDKIKX0DER"]} for a in accounts["aim"]["accounts"]
    ]
    run_source(
        aim_source(
            accounts=aim_accounts[:1],
            endpoint=accounts["aim"]["endpoint"],
            quota_scale=TEST_TIME_SCALE,
        ),
        tmp_path,
        "aim",
    )
    assert [f.key for f in failures] == [broken["accounts"][0]["name"]]
    assert "mws_auth_token" not in str(failures) or "wrong-canary" not in str(failures)
    text = caplog.text + "".join(f"{f}{f.error!r}" for f in failures)
    for canary in [*canaries, "amzn.mws.wrong-canary"]:
        assert canary not in text
        for path in tmp_path.rglob("*"):
            if path.is_file():
                assert canary.encode() not in path.read_bytes(), path


def test_a_search_takes_two_pages_a_call_and_a_rerun_observes_the_same_items(
    sandbox_server, accounts, tmp_path
):
    control(sandbox_server.url, "world/freeze", {"at": "now"})
    target = accounts["paapi"]
    acme = {"search_index": "All", "brand": "Acme", "sort": "salesrank", "max_pages": 5}
    bad_sort = {"search_index": "All", "keywords": "lamp", "sort": "newest"}
    source = partial(
        paapi_source,
        access_key_id=target["access_key_id"],
        secret_key=target["secret_key"],
        associate_tag=target["associate_tag"],
        locales=["us"],
        searches=[acme, bad_sort],
        endpoint=target["endpoint"],
        quota_scale=TEST_TIME_SCALE,
        retry_backoff_seconds=0.01,
    )
    expected = {p.asin for p in sandbox_server.app.world.catalog.products if p.brand == "Acme"}
    pages = math.ceil(len(expected) / 10)
    assert pages == 3  # the seed's Acme range: ten items a page
    requests.delete(f"{sandbox_server.url}/_sandbox/calls", timeout=10)
    counts = []
    for _ in range(2):
        pipeline = run_source(source(), tmp_path, "paapi")
        counts.append(pipeline.last_trace.last_normalize_info.row_counts)
        control(sandbox_server.url, "clock/advance", {"seconds": 3600})  # the rerun: later
    calls = requests.get(f"{sandbox_server.url}/_sandbox/calls?detail=1", timeout=10).json()
    searches = [c for c in calls["calls"] if c["operation"] == "ItemSearch" and c["status"] == 200]
    # a run: pages 1+2, then page 3 (TotalPages, under max_pages), and one call for the bad
    # sort, whose two invalid sets carry no TotalPages; twice
    assert len(searches) == 2 * (math.ceil(pages / 2) + 1)
    assert [c["items"] for c in counts] == [len(expected)] * 2
    rows = _rows(tmp_path, "select asin, search, item_page, _dlt_load_id from paapi.items")
    assert {row[0] for row in rows} == expected
    assert {row[1] for row in rows} == {"SearchIndex=All&Brand=Acme&Sort=salesrank"}
    assert Counter(row[2] for row in rows) == {1: 20, 2: 20, 3: 2 * (len(expected) - 20)}
    # the rerun an hour later is a second observation of the same items (the table is a price
    # and rank history keyed by the request's Timestamp), never a duplicate of the first
    loads = _rows(tmp_path, "select _dlt_load_id, count(distinct asin) from paapi.items group by 1")
    assert sorted(n for _, n in loads) == [len(expected)] * 2
    assert _rows(tmp_path, "select count(*) from paapi.items") == {(2 * len(expected),)}
    errors = _rows(tmp_path, "select code, search, item_page from paapi.item_errors")
    assert errors == {
        ("AWS.InvalidEnumeratedParameter", "SearchIndex=All&Keywords=lamp&Sort=newest", page)
        for page in (1, 2)
    }
    load_sp_api(accounts, tmp_path)  # the models every build needs
    built = transform.build(tmp_path / "warehouse.duckdb")
    assert built.success, built.failures
    staged = "select count(*), count(price) from staging.stg_paapi__item_prices"
    priced = "select count(*), count(lowest_new_price_minor) from paapi.items"
    assert _rows(tmp_path, staged) == _rows(tmp_path, priced)


def test_a_refused_search_is_recorded_and_the_next_one_loads(sandbox_server, accounts, tmp_path):
    target = accounts["paapi"]
    lamps = {"search_index": "All", "keywords": "lamp", "max_pages": 1}
    acme = {"search_index": "All", "brand": "Acme", "max_pages": 1}
    fault = {"service": "paapi", "operation": "ItemSearch", "status": 403, "count": 1}
    control(sandbox_server.url, "faults", {"faults": [fault]})
    failures = Failures()
    source = paapi_source(
        access_key_id=target["access_key_id"],
        secret_key=target["secret_key"],
        locales=["us"],
        searches=[lamps, acme],
        endpoint=target["endpoint"],
        quota_scale=TEST_TIME_SCALE,
        retry_backoff_seconds=0.01,
        failures=failures,
    )
    run_source(source, tmp_path, "paapi")
    assert [(f.resource, f.key) for f in failures] == [
        ("paapi searches", "us SearchIndex=All&Keywords=lamp")
    ]
    assert "SignatureDoesNotMatch" in str(next(iter(failures)))
    found = _rows(tmp_path, "select distinct search, item_page from paapi.items")
    assert found == {("SearchIndex=All&Brand=Acme", 1)}
    assert _rows(tmp_path, "select count(*) from paapi.items") == {(10,)}
