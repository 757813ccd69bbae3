"""Data Kiosk: sales and traffic per marketplace day, through the query lifecycle.

createQuery -> getQuery until the query is done -> getDocument -> the JSONL document, parsed
as it streams in. A query DONE without a document found no data for its range; a FATAL one
fails the account with its error document's message; a query whose results continue is
submitted again with its pagination token. Runs are incremental like `order_metrics`, through
yesterday (a day's traffic is only complete after it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, TypeVar

import dlt
import pyarrow as pa
from dlt.common.exceptions import TerminalException

from sources.common.arrow import flat_table, struct_array
from sources.common.failures import Failures
from sources.sp_api.client import SpApiClient
from sources.sp_api.exceptions import ServerError, SpApiError
from sources.sp_api.fanout import per_account
from sources.sp_api.marketdays import DailySettings, days_to_load
from sources.sp_api.presigned import json_document, json_lines, with_fresh_url

log = logging.getLogger("sources.sp_api")
T = TypeVar("T")

QUERIES_PATH = "/dataKiosk/2023-11-15/queries"
DOCUMENTS_PATH = "/dataKiosk/2023-11-15/documents/{document_id}"
GET_QUERY = "dataKiosk_2023-11-15.getQuery"
KEYS = ("seller_id", "marketplace_id", "start_date")
POLL_SECONDS = 30.0  # between getQuery calls, at Amazon's speed
MAX_WAIT_SECONDS = 4 * 3600.0  # a query not done by then is given up (transient)
BATCH_RECORDS = 5000
TERMINAL = ("DONE", "FATAL", "CANCELLED")
SALES_AND_TRAFFIC = """query {{
  analytics_salesAndTraffic_2024_04_24 {{
    salesAndTrafficByDate(
      startDate: "{start}", endDate: "{end}", aggregateBy: DAY, marketplaceIds: ["{marketplace}"]
    ) {{
      startDate endDate marketplaceId
      sales {{
        orderedProductSales {{ amount currencyCode }}
        unitsOrdered totalOrderItems unitsShipped ordersShipped unitsRefunded
      }}
      traffic {{ sessions pageViews buyBoxPercentage unitSessionPercentage }}
    }}
  }}
}}"""


class DataKioskQueryError(SpApiError, TerminalException):
    """A query Data Kiosk could not process (FATAL or CANCELLED); the message says why."""


def wait_for(client: SpApiClient, query_id: str) -> dict[str, Any]:
    """getQuery until the query is DONE, FATAL or CANCELLED."""
    for _ in client.polls(GET_QUERY, POLL_SECONDS, 1.0, POLL_SECONDS, MAX_WAIT_SECONDS):
        query = client.rest.get(f"{QUERIES_PATH}/{query_id}").json()
        if query.get("processingStatus") in TERMINAL:
            return query
    raise ServerError(
        f"Data Kiosk query {query_id} was not done after {MAX_WAIT_SECONDS / 3600:.0f} hours"
    )


def read_document(client: SpApiClient, document_id: str, read: Callable[[str], T]) -> T:
    """`read` a document at its presigned URL; an URL that expired first is asked again."""
    path = DOCUMENTS_PATH.format(document_id=document_id)
    return with_fresh_url(
        lambda: client.rest.get(path).json()["documentUrl"],
        read,
        f"Data Kiosk document {document_id}",
    )


def run_query(client: SpApiClient, text: str) -> Iterator[dict[str, Any]]:
    """Every record of a query, following its pagination tokens."""
    token = None
    while True:
        body = {"query": text, **({"paginationToken": token} if token else {})}
        query_id = client.rest.post(QUERIES_PATH, json=body).json()["queryId"]
        query = wait_for(client, query_id)
        status = query["processingStatus"]
        if status == "FATAL":
            error = read_document(
                client, query["errorDocumentId"], partial(json_document, client.downloads)
            )
            raise DataKioskQueryError(f"Data Kiosk query {query_id} failed: {error}")
        if status == "CANCELLED":
            raise DataKioskQueryError(f"Data Kiosk query {query_id} was cancelled")
        if query.get("dataDocumentId"):
            yield from read_document(
                client, query["dataDocumentId"], partial(json_lines, client.downloads)
            )
        token = (query.get("pagination") or {}).get("nextToken")
        if not token:
            return


def _table(seller_id: str, records: list[dict[str, Any]]) -> pa.Table:
    return flat_table(
        struct_array(records), {"seller_id": pa.array([seller_id] * len(records))}, not_null=KEYS
    )


@dlt.resource(name="sales_and_traffic", primary_key=KEYS, write_disposition="merge")
def sales_and_traffic(
    clients: list[SpApiClient], settings: DailySettings, failures: Failures | None = None
) -> Iterator[pa.Table]:
    """Data Kiosk's salesAndTrafficByDate per account and marketplace, through yesterday."""
    state: dict[str, str] = dlt.current.resource_state().setdefault("through", {})

    def fetch(client: SpApiClient) -> Iterator[pa.Table]:
        seller_id = client.account.seller_id
        for marketplace_id, first, last in days_to_load(client, state, settings, with_today=False):
            text = SALES_AND_TRAFFIC.format(
                start=first.to_date_string(), end=last.to_date_string(), marketplace=marketplace_id
            )
            batch: list[dict[str, Any]] = []
            for record in run_query(client, text):
                batch.append(record)
                if len(batch) >= BATCH_RECORDS:
                    yield _table(seller_id, batch)
                    batch = []
            if batch:
                yield _table(seller_id, batch)

    yield from per_account("sales_and_traffic", clients, fetch, failures)
