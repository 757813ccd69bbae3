"""Third-party SP-API clients read the sandbox, changed only where each lets its user point it
elsewhere: Amazon's SDK (`spapi`) at the sandbox over HTTP, python-amazon-sp-api (`sp_api`)
at the sandbox over HTTPS (it builds its Host header from an `https://` endpoint). Each reads
orders with their items, a report through its presigned document, catalog items, FBA inventory
and financial events at the default time scale, and what it read must be the world's."""

from __future__ import annotations

import gzip
import ssl
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import numpy as np
import requests
import spapi
from sp_api import api as sp_api
from sp_api.auth import AccessTokenClient
from spapi.models.reports_v2021_06_30 import CreateReportSpecification

from sandbox import Sandbox
from sandbox.__main__ import DEFAULT_TIME_SCALE
from sandbox.seed.ledger import refunded_at, shipped_at
from sandbox.sp_api.reports import MAX_PROGRESS
from tests.sandbox.wire import control

US = "ATVPDKIKX0DER"
ORDERS_FROM, ORDERS_TO = datetime(2026, 10, 25, tzinfo=UTC), datetime(2026, 10, 28, tzinfo=UTC)
EVENTS_FROM, EVENTS_TO = datetime(2026, 10, 15, tzinfo=UTC), datetime(2026, 10, 29, tzinfo=UTC)
REPORT = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
REPORT_DONE_WITHIN = 30 + MAX_PROGRESS  # queued at most 30 s, then processing at most this
PAGE = 2  # small pages, so that every client follows its next tokens
EVENTS_PAGE = 10
MAX_PAGES = 50  # a client that loops on a next token fails instead of hanging
CATALOG_ASINS = 20  # the most one searchCatalogItems takes

Page = TypeVar("Page")


@dataclass(frozen=True)
class Seen:
    """What a client read, in the world's terms."""

    orders_v0: dict[str, list[str]]  # getOrders, then getOrderItems: order id -> item ids
    orders_2026: dict[str, list[str]]  # searchOrders, items included
    report: str  # the report document, gunzipped and decoded
    catalog: dict[str, str]  # searchCatalogItems: ASIN -> US title
    catalog_item: tuple[str, str]  # getCatalogItem of the first ASIN: (ASIN, US title)
    fba_skus: list[str]
    shipped: list[str]  # financial events' order ids
    refunded: list[str]


@dataclass(frozen=True)
class World:
    """What the sandbox's world holds for the North America seller: the ground truth."""

    orders: dict[str, list[str]]  # US orders created in [ORDERS_FROM, ORDERS_TO)
    titles: dict[str, str]  # the first catalog products' US titles
    fba_skus: list[str]
    shipped: list[str]  # orders shipped in [EVENTS_FROM, EVENTS_TO), any marketplace
    refunded: list[str]  # orders refunded then


def world_of(running: Sandbox) -> World:
    """Read from the seeded world itself, not through any API, so that no client's answer can
    be its own yardstick."""
    world = running.app.world
    seller = world.sellers[0]
    book = world.order_books[seller.seller_id]
    orders = np.flatnonzero(
        (book.created >= ORDERS_FROM.timestamp())
        & (book.created < ORDERS_TO.timestamp())
        & (book.marketplace == seller.marketplace_ids.index(US))
    )
    everything = np.arange(len(book))

    def posted(times: np.ndarray) -> list[str]:
        chosen = (times >= EVENTS_FROM.timestamp()) & (times < EVENTS_TO.timestamp())
        return sorted(book.order_id(int(i)) for i in everything[chosen])

    return World(
        orders={
            book.order_id(int(i)): [book.item_id(k) for k in book.items(int(i))] for i in orders
        },
        titles={p.asin: p.titles[0] for p in world.catalog.products[:CATALOG_ASINS]},
        fba_skus=sorted(
            listing.sku
            for listing in world.catalog.listings[seller.seller_id]
            if listing.fulfilled_by == "AMAZON"
        ),
        shipped=posted(shipped_at(book, everything)),
        refunded=posted(refunded_at(book, everything)),
    )


def check(seen: Seen, world: World) -> None:
    """Every answer as the world holds it: the same orders, items, rows, titles, SKUs, events."""
    assert len(world.orders) > PAGE and world.shipped and world.refunded, "the windows hold data"
    assert seen.orders_v0 == world.orders
    assert seen.orders_2026 == world.orders
    header, *lines = seen.report.splitlines()
    columns = header.split("\t")
    rows = [dict(zip(columns, line.split("\t"), strict=True)) for line in lines]
    assert Counter(row["amazon-order-id"] for row in rows) == {
        order_id: len(items) for order_id, items in world.orders.items()
    }
    assert seen.catalog == world.titles
    first = next(iter(world.titles.items()))
    assert seen.catalog_item == first
    assert sorted(seen.fba_skus) == world.fba_skus
    assert sorted(seen.shipped) == world.shipped
    assert sorted(seen.refunded) == world.refunded


def follow(
    fetch: Callable[[str | None], Page], next_token: Callable[[Page], str | None]
) -> list[Page]:
    """Every page of a paginated call, first to last."""
    pages: list[Page] = []
    token = None
    for _ in range(MAX_PAGES):
        pages.append(fetch(token))
        token = next_token(pages[-1])
        if not token:
            return pages
    raise AssertionError(f"still paging after {MAX_PAGES} pages")


def token_arg(name: str, token: str | None) -> dict[str, str]:
    """A next-token argument, left out on the first page."""
    return {name: token} if token else {}


def finish_reports(running: Sandbox) -> None:
    """Advance the world past the longest a report takes instead of waiting for it; short of
    the hour an access token lives, so neither client needs a new one."""
    assert running.clock.time_scale == DEFAULT_TIME_SCALE  # what `python -m sandbox` runs at
    body = {"seconds": REPORT_DONE_WITHIN}
    control(running.url, "clock/advance", body, verify=running.ca_file or True)


def read_with_amazons_sdk(running: Sandbox, accounts: dict[str, Any], asins: list[str]) -> Seen:
    lwa, seller = accounts["lwa"], accounts["accounts"][0]
    config = spapi.SPAPIConfig(
        client_id=lwa["client_id"],
        client_secret=lwa["client_secret"],
        refresh_token=seller["refresh_token"],
        region="NA",
    )
    client = spapi.SPAPIClient(
        config, oauth_endpoint=lwa["token_url"], endpoint=accounts["sp_api"]["endpoint"]
    ).api_client
    window = {"created_after": ORDERS_FROM, "created_before": ORDERS_TO}

    v0 = spapi.OrdersV0Api(client)
    orders = follow(
        lambda t: (
            v0.get_orders(
                [US], max_results_per_page=PAGE, **window, **token_arg("next_token", t)
            ).payload
        ),
        lambda payload: payload.next_token,
    )
    orders_v0 = {
        order.amazon_order_id: [
            item.order_item_id
            for page in follow(
                lambda t, order_id=order.amazon_order_id: (
                    v0.get_order_items(order_id, **token_arg("next_token", t)).payload
                ),
                lambda payload: payload.next_token,
            )
            for item in page.order_items
        ]
        for page in orders
        for order in page.orders
    }
    search = spapi.SearchOrdersApi(client)
    searched = follow(
        lambda t: search.search_orders(
            marketplace_ids=[US],
            max_results_per_page=PAGE,
            **window,
            **token_arg("pagination_token", t),
        ),
        lambda body: body.pagination.next_token if body.pagination else None,
    )
    orders_2026 = {
        order.order_id: [item.order_item_id for item in order.order_items]
        for body in searched
        for order in body.orders
    }

    reports = spapi.ReportsApi(client)
    specification = CreateReportSpecification(
        report_type=REPORT,
        marketplace_ids=[US],
        data_start_time=ORDERS_FROM,
        data_end_time=ORDERS_TO,
    )
    report_id = reports.create_report(specification).report_id
    finish_reports(running)
    report = reports.get_report(report_id)
    assert report.processing_status == "DONE"
    document = reports.get_report_document(report.report_document_id)
    assert document.compression_algorithm == "GZIP" and document.url.startswith(running.url)
    download = requests.get(document.url, timeout=30)
    download.raise_for_status()
    text = gzip.decompress(download.content).decode("utf-8")

    catalog = spapi.CatalogApi(client)
    items = catalog.search_catalog_items(
        [US],
        identifiers=asins,
        identifiers_type="ASIN",
        page_size=CATALOG_ASINS,
        included_data=["summaries"],
    ).items
    item = catalog.get_catalog_item(asins[0], [US], included_data=["summaries"])

    inventory = spapi.FbaInventoryApi(client)
    summaries = follow(
        lambda t: inventory.get_inventory_summaries(
            "Marketplace", US, [US], details=True, **token_arg("next_token", t)
        ),
        lambda body: body.pagination.next_token if body.pagination else None,
    )

    finances = spapi.FinancesV0Api(client)
    events = [
        payload.financial_events
        for payload in follow(
            lambda t: (
                finances.list_financial_events(
                    posted_after=EVENTS_FROM,
                    posted_before=EVENTS_TO,
                    max_results_per_page=EVENTS_PAGE,
                    **token_arg("next_token", t),
                ).payload
            ),
            lambda payload: payload.next_token,
        )
    ]
    return Seen(
        orders_v0=orders_v0,
        orders_2026=orders_2026,
        report=text,
        catalog={i.asin: i.summaries[0].item_name for i in items},
        catalog_item=(item.asin, item.summaries[0].item_name),
        fba_skus=[s.seller_sku for body in summaries for s in body.payload.inventory_summaries],
        shipped=[e.amazon_order_id for page in events for e in page.shipment_event_list or []],
        refunded=[e.amazon_order_id for page in events for e in page.refund_event_list or []],
    )


@dataclass(frozen=True)
class SandboxMarketplace:
    """A marketplace as python-amazon-sp-api's clients read one (the three attributes of its
    `Marketplaces` members), served at the sandbox's endpoint."""

    endpoint: str
    marketplace_id: str
    region: str


def read_with_python_amazon_sp_api(
    running: Sandbox, accounts: dict[str, Any], asins: list[str]
) -> Seen:
    lwa, seller = accounts["lwa"], accounts["accounts"][0]
    token_url = urlsplit(lwa["token_url"])
    # where the library posts for tokens: scheme + host + path of its token client class
    token_client = type(
        "SandboxAccessTokenClient",
        (AccessTokenClient,),
        {"host": token_url.netloc, "path": token_url.path},
    )
    options = {
        "marketplace": SandboxMarketplace(accounts["sp_api"]["endpoint"], US, "us-east-1"),
        "credentials": {
            "refresh_token": seller["refresh_token"],
            "lwa_app_id": lwa["client_id"],
            "lwa_client_secret": lwa["client_secret"],
        },
        "auth_token_client_class": token_client,
        "verify": ssl.create_default_context(cafile=accounts["ca_file"]),
    }
    window = {"CreatedAfter": ORDERS_FROM.isoformat(), "CreatedBefore": ORDERS_TO.isoformat()}
    with ExitStack() as clients:
        orders = clients.enter_context(sp_api.Orders(**options))
        pages = follow(
            lambda t: orders.get_orders(
                MaxResultsPerPage=PAGE, **window, **token_arg("NextToken", t)
            ),
            lambda response: response.next_token,
        )
        orders_v0 = {
            order["AmazonOrderId"]: [
                item["OrderItemId"]
                for page in follow(
                    lambda t, order_id=order["AmazonOrderId"]: orders.get_order_items(
                        order_id, **token_arg("NextToken", t)
                    ),
                    lambda response: response.next_token,
                )
                for item in page.payload["OrderItems"]
            ]
            for page in pages
            for order in page.payload["Orders"]
        }
        search = clients.enter_context(sp_api.OrdersV20260101(**options))
        searched = follow(
            lambda t: search.search_orders(
                createdAfter=ORDERS_FROM.isoformat(),
                createdBefore=ORDERS_TO.isoformat(),
                marketplaceIds=US,
                maxResultsPerPage=PAGE,
                **token_arg("paginationToken", t),
            ),
            lambda response: response.next_token,
        )
        orders_2026 = {
            order["orderId"]: [item["orderItemId"] for item in order["orderItems"]]
            for page in searched
            for order in page.payload["orders"]
        }

        reports = clients.enter_context(sp_api.Reports(**options))
        report_id = reports.create_report(
            reportType=REPORT,
            marketplaceIds=[US],
            dataStartTime=ORDERS_FROM.isoformat(),
            dataEndTime=ORDERS_TO.isoformat(),
        ).payload["reportId"]
        finish_reports(running)
        report = reports.get_report(report_id).payload
        assert report["processingStatus"] == "DONE"
        document = reports.get_report_document(report["reportDocumentId"], download=True)
        assert document.payload["url"].startswith(running.url)

        catalog = clients.enter_context(sp_api.CatalogItems(version="2022-04-01", **options))
        items = catalog.search_catalog_items(
            identifiers=",".join(asins),
            identifiersType="ASIN",
            pageSize=CATALOG_ASINS,
            includedData="summaries",
        ).payload["items"]
        item = catalog.get_catalog_item(asins[0], includedData="summaries").payload

        inventory = clients.enter_context(sp_api.Inventories(**options))
        summaries = follow(
            lambda t: inventory.get_inventory_summary_marketplace(
                details=True, **token_arg("nextToken", t)
            ),
            lambda response: response.next_token,
        )

        finances = clients.enter_context(sp_api.Finances(**options))
        events = [
            page.payload["FinancialEvents"]
            for page in follow(
                lambda t: finances.list_financial_events(
                    PostedAfter=EVENTS_FROM.isoformat(),
                    PostedBefore=EVENTS_TO.isoformat(),
                    MaxResultsPerPage=EVENTS_PAGE,
                    **token_arg("NextToken", t),
                ),
                lambda response: response.next_token,
            )
        ]
    return Seen(
        orders_v0=orders_v0,
        orders_2026=orders_2026,
        report=document.payload["document"],
        catalog={i["asin"]: i["summaries"][0]["itemName"] for i in items},
        catalog_item=(item["asin"], item["summaries"][0]["itemName"]),
        fba_skus=[s["sellerSku"] for page in summaries for s in page.payload["inventorySummaries"]],
        shipped=[e["AmazonOrderId"] for page in events for e in page["ShipmentEventList"]],
        refunded=[e["AmazonOrderId"] for page in events for e in page["RefundEventList"]],
    )


def test_amazons_sdk_reads_the_world_over_http(sandbox_server, accounts) -> None:
    assert accounts["sp_api"]["endpoint"].startswith("http://")
    world = world_of(sandbox_server)
    check(read_with_amazons_sdk(sandbox_server, accounts, list(world.titles)), world)


def test_python_amazon_sp_api_reads_the_world_over_https(tls_sandbox) -> None:
    accounts = tls_sandbox.accounts()
    assert accounts["sp_api"]["endpoint"].startswith("https://")
    world = world_of(tls_sandbox)
    check(read_with_python_amazon_sp_api(tls_sandbox, accounts, list(world.titles)), world)
