"""Data Kiosk API 2023-11-15: GraphQL queries processed on the virtual clock into JSONL
documents at presigned URLs that expire in virtual time.

The sandbox knows one dataset, `analytics_salesAndTraffic_2024_04_24`, and its query
`salesAndTrafficByDate`: sales from the seeded orders and traffic derived from them. Its
field names follow Amazon's public schema, which our reference does not hold (a guess).
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
import pendulum

from sandbox.clock import Mark
from sandbox.core.documents import Document, Documents
from sandbox.core.pagination import TokenBook, TokenError
from sandbox.core.routing import Request, Response
from sandbox.seed.marketplaces import MARKETPLACES
from sandbox.seed.sellers import Seller
from sandbox.sp_api.exceptions import InvalidInputError, NotFoundError
from sandbox.sp_api.graphql import Field, GraphQLError, parse
from sandbox.sp_api.order_figures import figures
from sandbox.sp_api.params import int_param, iso, json_body, parse_times
from sandbox.world.orders import amount

if TYPE_CHECKING:
    from sandbox.core.access_tokens import AccessToken
    from sandbox.sp_api.service import SpApiService

DATASET = "analytics_salesAndTraffic_2024_04_24"
QUERY = "salesAndTrafficByDate"
MONEY = {"amount": None, "currencyCode": None}
RECORD = {
    "startDate": None,
    "endDate": None,
    "marketplaceId": None,
    "sales": {
        "orderedProductSales": MONEY,
        "averageSellingPrice": MONEY,
        "averageSalesPerOrderItem": MONEY,
        "averageUnitsPerOrderItem": None,
        "totalOrderItems": None,
        "unitsOrdered": None,
        "unitsShipped": None,
        "ordersShipped": None,
        "unitsRefunded": None,
        "refundRate": None,
    },
    "traffic": {
        "sessions": None,
        "browserSessions": None,
        "mobileAppSessions": None,
        "pageViews": None,
        "browserPageViews": None,
        "mobileAppPageViews": None,
        "buyBoxPercentage": None,
        "unitSessionPercentage": None,
        "orderItemSessionPercentage": None,
    },
}
AGGREGATES = {"DAY": "days", "WEEK": "weeks", "MONTH": "months"}
STATUSES = ("CANCELLED", "DONE", "FATAL", "IN_PROGRESS", "IN_QUEUE")
QUEUED_SECONDS, PROCESSING_SECONDS = 10.0, 60.0  # pace seconds from creation
DOCUMENT_RECORDS = 500  # records per document; more make the query paginate (a guess)
URL_SECONDS = 300.0  # "the URL expires after 5 minutes"
HISTORY_DAYS = 730  # a range reaching further back fails (FATAL): a guess
MAX_QUERY = 8000
TOKEN_TTL = 24 * 3600.0
PAGE_SIZE = (10, 1, 100)


@dataclass
class Query:
    query_id: str
    seller_id: str
    text: str
    created: Mark
    marketplaces: list[str]
    start: pendulum.Date
    end: pendulum.Date
    aggregate: str
    selection: list[Field]
    offset: int
    cancelled: float | None = None
    outcome: dict[str, Any] | None = field(default=None, repr=False)  # set once DONE/FATAL


def _project(record: dict[str, Any], selection: list[Field]) -> dict[str, Any]:
    return {
        f.name: _project(record[f.name], f.selection) if f.selection else record[f.name]
        for f in selection
    }


def _check(selection: list[Field], shape: dict[str, Any], where: str) -> None:
    for f in selection:
        if f.name not in shape:
            raise InvalidInputError(f"Cannot query field '{f.name}' on type '{where}'.")
        inner = shape[f.name]
        if (inner is None) != (not f.selection):
            raise InvalidInputError(f"Field '{f.name}' on '{where}' needs a valid selection.")
        if inner is not None:
            _check(f.selection, inner, f.name)


def _date(value: Any, name: str) -> pendulum.Date:
    try:
        parsed = pendulum.parse(str(value), exact=True)
    except (ValueError, pendulum.parsing.exceptions.ParserError):
        raise InvalidInputError(f"{name} must be a date (YYYY-MM-DD).") from None
    if not isinstance(parsed, pendulum.Date) or isinstance(parsed, pendulum.DateTime):
        raise InvalidInputError(f"{name} must be a date (YYYY-MM-DD).")
    return parsed


def _traffic(seller_id: str, marketplace_id: str, day: str, units: int, items: int) -> dict:
    """Sessions and page views that make the day's conversion plausible (deterministic)."""
    digest = hashlib.blake2b(f"{seller_id}:{marketplace_id}:{day}".encode(), digest_size=4)
    h = int.from_bytes(digest.digest(), "big")
    sessions = units * (9 + h % 6) + h % 13
    browser = sessions * 3 // 5
    views = sessions * 17 // 10
    return {
        "sessions": sessions,
        "browserSessions": browser,
        "mobileAppSessions": sessions - browser,
        "pageViews": views,
        "browserPageViews": views * 3 // 5,
        "mobileAppPageViews": views - views * 3 // 5,
        "buyBoxPercentage": float(85 + h % 15),
        "unitSessionPercentage": round(100 * units / sessions, 2),
        "orderItemSessionPercentage": round(100 * items / sessions, 2),
    }


class DataKioskApi:
    """Queries and their documents; both forget everything on reset."""

    def __init__(self, service: SpApiService) -> None:
        self.app = service.app
        self.documents: Documents = service.documents
        self.tokens = TokenBook(lambda: self.app.clock.timestamp(), TOKEN_TTL)
        self._lock = threading.Lock()
        self._queries: dict[str, Query] = {}
        self._document_owners: dict[str, str] = {}  # document id -> seller id
        self._ids = itertools.count(1)
        self.app.on_reset(self.clear)

    def clear(self) -> None:
        with self._lock:
            self._queries.clear()
            self._document_owners.clear()
        self.tokens.clear()

    def _parse(self, text: str) -> tuple[list[str], pendulum.Date, pendulum.Date, str, list]:
        try:
            root = parse(text)
        except GraphQLError as error:
            raise InvalidInputError(f"Invalid query: {error}") from None
        if len(root) != 1 or root[0].name != DATASET:
            raise InvalidInputError(f"Unknown dataset; the sandbox serves {DATASET}.")
        inner = root[0].selection
        if len(inner) != 1 or inner[0].name != QUERY:
            raise InvalidInputError(f"Cannot query field on type '{DATASET}'; use {QUERY}.")
        query = inner[0]
        _check(query.selection, RECORD, QUERY)
        args = query.arguments
        start, end = (
            _date(args.get("startDate"), "startDate"),
            _date(args.get("endDate"), "endDate"),
        )
        if end < start:
            raise InvalidInputError("endDate must not be before startDate.")
        aggregate = args.get("aggregateBy", "DAY")
        if aggregate not in AGGREGATES:
            raise InvalidInputError(f"aggregateBy must be one of {', '.join(AGGREGATES)}.")
        marketplaces = args.get("marketplaceIds")
        if not isinstance(marketplaces, list) or not marketplaces:
            raise InvalidInputError("marketplaceIds is required.")
        return marketplaces, start, end, aggregate, query.selection

    def create_query(self, request: Request, seller: Seller, token: AccessToken) -> Any:
        body = json_body(request)
        text = body.get("query")
        if not isinstance(text, str) or not 0 < len(text) <= MAX_QUERY:
            raise InvalidInputError(f"query must be a string of 1 to {MAX_QUERY} characters.")
        marketplaces, start, end, aggregate, selection = self._parse(text)
        unknown = [m for m in marketplaces if m not in seller.marketplace_ids]
        if unknown:
            raise InvalidInputError(f"Invalid marketplaceIds: {', '.join(unknown)}.")
        offset = 0
        if body.get("paginationToken"):
            try:
                offset = self.tokens.redeem(
                    body["paginationToken"], {"query": text, "_seller": seller.seller_id}
                )
            except TokenError as error:
                raise InvalidInputError(f"Invalid paginationToken: {error}.") from None
        query_id = str(10_000_000_000 + next(self._ids))
        with self._lock:
            self._queries[query_id] = Query(
                query_id,
                seller.seller_id,
                text,
                self.app.clock.mark(),
                marketplaces,
                start,
                end,
                aggregate,
                selection,
                offset,
            )
        return Response(status=202, body=orjson.dumps({"queryId": query_id}))

    def _records(self, query: Query, at: float) -> list[dict[str, Any]]:
        world = self.app.world
        book = world.order_books[query.seller_id]
        step = AGGREGATES[query.aggregate]
        found = []
        for marketplace_id in query.marketplaces:
            market = MARKETPLACES[marketplace_id]
            zone = market.timezone
            days = [
                pendulum.datetime(query.start.year, query.start.month, query.start.day, tz=zone)
            ]
            last = pendulum.datetime(query.end.year, query.end.month, query.end.day, tz=zone)
            last = last.add(days=1)
            while (following := days[-1].add(**{step: 1})) < last:
                days.append(following)
            days.append(last)
            result = figures(book, marketplace_id, np.array([d.timestamp() for d in days]), at)
            for k in range(len(days) - 1):
                orders, items, units = (
                    int(result.orders[k]),
                    int(result.items[k]),
                    int(result.units[k]),
                )
                if not orders:
                    continue
                sales = int(result.sales_minor[k])
                start_date = days[k].to_date_string()

                def money(minor: float, market: Any = market) -> dict[str, Any]:
                    return {
                        "amount": float(amount(round(minor), market)),
                        "currencyCode": market.currency,
                    }

                found.append(
                    {
                        "startDate": start_date,
                        "endDate": days[k + 1].subtract(days=1).to_date_string(),
                        "marketplaceId": marketplace_id,
                        "sales": {
                            "orderedProductSales": money(sales),
                            "averageSellingPrice": money(sales / units),
                            "averageSalesPerOrderItem": money(sales / items),
                            "averageUnitsPerOrderItem": round(units / items, 2),
                            "totalOrderItems": items,
                            "unitsOrdered": units,
                            "unitsShipped": int(result.shipped_units[k]),
                            "ordersShipped": int(result.shipped_orders[k]),
                            "unitsRefunded": 0,
                            "refundRate": 0.0,
                        },
                        "traffic": _traffic(
                            query.seller_id, marketplace_id, start_date, units, items
                        ),
                    }
                )
        return [_project(record, query.selection) for record in found]

    def _document(self, seller_id: str, lines: list[bytes], content_type: str) -> str:
        document_id = f"amzn1.tortuga.4.sandbox.{next(self._ids)}"
        self.documents.put(document_id, Document(lambda: iter(lines), content_type, URL_SECONDS))
        with self._lock:
            self._document_owners[document_id] = seller_id
        return document_id

    def _outcome(self, query: Query) -> dict[str, Any]:
        """What a finished query produced: a document, none (no data), or an error."""
        if query.outcome is not None:
            return query.outcome
        done_at = self.app.clock.world_at(query.created.pace + PROCESSING_SECONDS)
        oldest = pendulum.from_timestamp(done_at).subtract(days=HISTORY_DAYS).date()
        if query.start < oldest:
            message = f"The requested date range starts before {oldest.to_date_string()}."
            error = self._document(
                query.seller_id, [orjson.dumps({"errorMessage": message})], "application/json"
            )
            query.outcome = {"processingStatus": "FATAL", "errorDocumentId": error}
            return query.outcome
        records = self._records(query, min(self.app.world_time(), done_at))
        chunk = records[query.offset : query.offset + DOCUMENT_RECORDS]
        outcome: dict[str, Any] = {"processingStatus": "DONE"}
        if chunk:
            lines = [orjson.dumps(r) + b"\n" for r in chunk]
            outcome["dataDocumentId"] = self._document(
                query.seller_id, lines, "application/x-ndjson"
            )
        if query.offset + DOCUMENT_RECORDS < len(records):
            bound = {"query": query.text, "_seller": query.seller_id}
            token = self.tokens.issue(bound, query.offset + DOCUMENT_RECORDS)
            outcome["pagination"] = {"nextToken": token}
        query.outcome = outcome
        return outcome

    def render(self, query: Query) -> dict[str, Any]:
        clock = self.app.clock
        waited = clock.pace() - query.created.pace
        body: dict[str, Any] = {
            "queryId": query.query_id,
            "query": query.text,
            "createdTime": iso(query.created.world),
        }
        if query.cancelled is not None:
            body["processingStatus"] = "CANCELLED"
            return body
        if waited < QUEUED_SECONDS:
            body["processingStatus"] = "IN_QUEUE"
            return body
        body["processingStartTime"] = iso(clock.world_at(query.created.pace + QUEUED_SECONDS))
        if waited < PROCESSING_SECONDS:
            body["processingStatus"] = "IN_PROGRESS"
            return body
        body["processingEndTime"] = iso(clock.world_at(query.created.pace + PROCESSING_SECONDS))
        body.update(self._outcome(query))
        return body

    def _find(self, seller: Seller, query_id: str) -> Query:
        with self._lock:
            query = self._queries.get(query_id)
        if query is None or query.seller_id != seller.seller_id:
            raise NotFoundError(f"Query {query_id} not found.")
        return query

    def get_query(self, request: Request, seller: Seller, token: AccessToken) -> Any:
        return self.render(self._find(seller, request.path_params["queryId"]))

    def cancel_query(self, request: Request, seller: Seller, token: AccessToken) -> Any:
        query = self._find(seller, request.path_params["queryId"])
        if self.render(query)["processingStatus"] not in ("IN_QUEUE", "IN_PROGRESS"):
            raise InvalidInputError("Only a query that is not yet processed can be cancelled.")
        query.cancelled = self.app.clock.timestamp()
        return Response(status=204)

    def get_queries(self, request: Request, seller: Seller, token: AccessToken) -> Any:
        statuses = request.query_list("processingStatuses")
        unknown = [s for s in statuses or [] if s not in STATUSES]
        if unknown:
            raise InvalidInputError(f"Invalid processingStatuses: {', '.join(unknown)}.")
        size = int_param(request, "pageSize", *PAGE_SIZE)
        bound = {k: v for k, v in request.query.items() if k not in ("paginationToken", "pageSize")}
        bound["_seller"] = seller.seller_id
        if request.query.get("paginationToken"):
            try:
                ids, offset = self.tokens.redeem(request.query["paginationToken"], bound)
            except TokenError as error:
                raise InvalidInputError(f"Invalid paginationToken: {error}.") from None
        else:
            now = self.app.clock.timestamp()
            times = parse_times(request, ["createdSince", "createdUntil"])
            since = times.get("createdSince", now - 90 * 86400.0)
            until = times.get("createdUntil", now)
            with self._lock:
                mine = [q for q in self._queries.values() if q.seller_id == seller.seller_id]
            mine = [q for q in mine if since <= q.created.world <= until]
            mine.sort(key=lambda q: q.created.world, reverse=True)
            ids, offset = [q.query_id for q in mine], 0
        rendered = [self.render(self._queries[i]) for i in ids]
        if statuses:
            rendered = [q for q in rendered if q["processingStatus"] in statuses]
        body: dict[str, Any] = {"queries": rendered[offset : offset + size]}
        if offset + size < len(rendered):
            body["pagination"] = {"nextToken": self.tokens.issue(bound, (ids, offset + size))}
        return body

    def get_document(self, request: Request, seller: Seller, token: AccessToken) -> Any:
        document_id = request.path_params["documentId"]
        with self._lock:
            owner = self._document_owners.get(document_id)
        if owner != seller.seller_id:
            raise NotFoundError(f"Document {document_id} not found.")
        return {
            "documentId": document_id,
            "documentUrl": self.documents.url(document_id, URL_SECONDS),
        }


def register(service: SpApiService) -> None:
    api = DataKioskApi(service)
    base = "/dataKiosk/2023-11-15"
    service.route("GET", base + "/queries", "dataKiosk_2023-11-15.getQueries", api.get_queries)
    service.route("POST", base + "/queries", "dataKiosk_2023-11-15.createQuery", api.create_query)
    query = base + r"/queries/(?P<queryId>[^/]*)"
    service.route("GET", query, "dataKiosk_2023-11-15.getQuery", api.get_query)
    service.route("DELETE", query, "dataKiosk_2023-11-15.cancelQuery", api.cancel_query)
    service.route(
        "GET",
        base + r"/documents/(?P<documentId>[^/]*)",
        "dataKiosk_2023-11-15.getDocument",
        api.get_document,
    )
