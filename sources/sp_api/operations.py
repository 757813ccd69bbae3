"""Any operation of Amazon's models, driven by the registry, for every account.

- `sp_api_operation`: runs an operation, follows its pagination and loads its items.
- `sp_api_poll`: the "new and updated objects" poller, incremental on a timestamp parameter,
  in the windows the operation allows (vendor getPurchaseOrders: 7 days, 6 months back).
- `sp_api_request`: a raw request, loading its status, headers and body.

All three talk through each account's client, so they share its auth, pacing buckets,
retries and counters with the named resources.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import dlt
import orjson
import pendulum
import pyarrow as pa
from dlt.common import jsonpath
from dlt.common.normalizers.naming.snake_case import NamingConvention
from dlt.extract.resource import DltResource
from dlt.sources.helpers.rest_client.paginators import (
    BasePaginator,
    JSONResponseCursorPaginator,
    SinglePagePaginator,
)

from sources.common.arrow import flat_table, struct_array
from sources.common.failures import Failures
from sources.sp_api.client import SpApiClient
from sources.sp_api.exceptions import ConfigurationError
from sources.sp_api.fanout import per_account
from sources.sp_api.order_sync import iso
from sources.sp_api.paginators import TokenOnlyPaginator
from sources.sp_api.registry import Operation, operation
from sources.sp_api.sellers import marketplace_ids
from sources.sp_api.settings import MIN_LAG_SECONDS, USER_AGENT

_NAMING = NamingConvention()
EPOCH = "1970-01-01T00:00:00Z"  # the poller's default start, as integration users know it
MARKETPLACE_PARAMETERS = ("marketplaceIds", "marketplaceId", "MarketplaceIds", "MarketplaceId")
WINDOW_PAIRS = (("After", "Before"), ("Since", "Until"))
EMITS = ("items", "pages")


@dataclass(frozen=True)
class Call:
    """One request of an operation, as the registry says to send it."""

    path: str
    query: dict[str, str | list[str]]
    body: Any
    headers: dict[str, str]
    marketplace_id: str | None


def find_operation(api: str, name: str, where: str) -> Operation:
    try:
        return operation(api, name)
    except KeyError as error:
        raise ConfigurationError(f"{where}: {error.args[0]}") from None


def table_for(found: Operation) -> str:
    return f"{_NAMING.normalize_identifier(found.api)}_{_NAMING.normalize_identifier(found.name)}"


def _text(value: Any) -> str:
    """A query value as Amazon reads it: lists comma-separated (Swagger `csv`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(_text(v) for v in value)
    if isinstance(value, pendulum.DateTime):
        return iso(value)
    return str(value)


def _query_value(kind: str, value: Any) -> str | list[str]:
    """A `collectionFormat: multi` array repeats its key (requests sends a list so)."""
    if kind.endswith("|multi") and isinstance(value, list | tuple):
        return [_text(v) for v in value]
    return _text(value)


def check_parameters(found: Operation, params: Mapping[str, Any], where: str) -> None:
    known = {name for name, *_ in found.parameters} | {"body"}
    unknown = sorted(set(params) - known)
    if unknown:
        raise ConfigurationError(
            f"{where}: {found.key} has no parameter(s) {unknown}; it takes {sorted(known)}"
        )


def calls(client: SpApiClient, found: Operation, params: Mapping[str, Any]) -> list[Call]:
    """The requests an operation needs for one account: a required marketplace parameter
    the config leaves out is filled with each of the account's marketplaces in turn, and a
    `sellerId` in the path with the account's own."""
    marketplace = next(
        (
            name
            for name, where, required, _ in found.parameters
            if required and where == "query" and name in MARKETPLACE_PARAMETERS
        ),
        None,
    )
    if marketplace is None or marketplace in params:
        return [_call(client, found, params, None)]
    return [_call(client, found, {**params, marketplace: m}, m) for m in marketplace_ids(client)]


def _call(
    client: SpApiClient, found: Operation, params: Mapping[str, Any], marketplace_id: str | None
) -> Call:
    values = dict(params)
    if "sellerId" in found.parameter_names("path"):
        values.setdefault("sellerId", client.account.seller_id)
    missing = [name for name, _, required, _ in found.parameters if required and name not in values]
    body_names = found.parameter_names("body")
    missing = [m for m in missing if not (m in body_names and "body" in values)]
    if missing:
        raise ConfigurationError(f"{found.key} needs parameter(s) {missing}")
    path = found.path
    for name in found.parameter_names("path"):
        path = path.replace(f"{{{name}}}", quote(_text(values[name]), safe=""))
    body = values.get("body")
    for name in body_names:
        body = values.get(name, body)
    query = {
        name: _query_value(kind, values[name])
        for name, where, _, kind in found.parameters
        if where == "query" and name in values
    }
    headers = {n: _text(values[n]) for n in found.parameter_names("header") if n in values}
    return Call(path, query, body, headers, marketplace_id)


def paginator_for(found: Operation) -> BasePaginator:
    paging = found.pagination
    if not paging or not paging.get("response"):
        return SinglePagePaginator()
    kind = TokenOnlyPaginator if paging.get("token_only") else JSONResponseCursorPaginator
    return kind(cursor_path=paging["response"], cursor_param=paging["request"])


def pages(client: SpApiClient, found: Operation, call: Call) -> Iterator[list[Any]]:
    """The operation's items page by page (a single object or the body counts as one item)."""
    selector = jsonpath.compile_path(found.items)
    for page in client.rest.paginate(
        call.path,
        method=found.method,  # type: ignore[arg-type]
        params=call.query,
        json=call.body,
        headers=call.headers or None,
        paginator=paginator_for(found),
        data_selector=selector,
    ):
        yield list(page)


def operation_items(
    client: SpApiClient, api: str, name: str, params: Mapping[str, Any]
) -> list[Any]:
    """Every item of one request of a registry operation, across its pages."""
    found = operation(api, name)
    return [
        item for page in pages(client, found, _call(client, found, params, None)) for item in page
    ]


def _rows_table(
    client: SpApiClient, items: list[Any], extra: Mapping[str, Sequence[Any]] | None = None
) -> pa.Table:
    rows = [item if isinstance(item, dict) else {"value": item} for item in items]
    columns: dict[str, Any] = {"seller_id": pa.array([client.account.seller_id] * len(rows))}
    for name, values in (extra or {}).items():
        columns[name] = pa.array(values)
    return flat_table(struct_array(rows), columns, not_null=("seller_id",))


def _operation_rows(
    clients: list[SpApiClient],
    found: Operation,
    params: Mapping[str, Any],
    name: str,
    failures: Failures | None,
) -> Iterator[pa.Table]:
    def fetch(client: SpApiClient) -> Iterator[pa.Table]:
        for call in calls(client, found, params):
            for items in pages(client, found, call):
                if items:
                    extra = (
                        {"marketplace_id": [call.marketplace_id] * len(items)}
                        if call.marketplace_id
                        else None
                    )
                    yield _rows_table(client, items, extra)

    yield from per_account(name, clients, fetch, failures)


def sp_api_operation(
    clients: list[SpApiClient],
    api: str,
    operation: str,
    params: Mapping[str, Any] | None = None,
    table_name: str | None = None,
    primary_key: Sequence[str] | None = None,
    failures: Failures | None = None,
) -> DltResource:
    """A resource that runs `operation` of `api` (a model file stem) for every account.

    Without a `primary_key`, each run's rows replace that account's earlier ones (merge on
    `seller_id`); with one, rows merge on it (and `seller_id`).
    """
    where = f"sources.sp_api.operations[{api}.{operation}]"
    found = find_operation(api, operation, where)
    check_parameters(found, params or {}, where)
    name = table_name or table_for(found)
    if primary_key:
        hints: dict[str, Any] = {
            "primary_key": ("seller_id", *primary_key),
            "write_disposition": "merge",
        }
    else:
        hints = {"merge_key": "seller_id", "write_disposition": "merge"}
    return dlt.resource(_operation_rows, name=name, **hints)(
        clients, found, dict(params or {}), name, failures
    )


@dataclass(frozen=True)
class Poll:
    found: Operation
    after: str  # the timestamp parameter polled on
    before: str | None  # its upper bound, when the operation has one
    start: pendulum.DateTime
    emit: str
    params: Mapping[str, Any]
    keyed: bool  # rows merge on a primary key, so windows may overlap by the lag
    lag_seconds: int
    name: str


def _before(found: Operation, after: str) -> str | None:
    names = found.parameter_names("query")
    for low, high in WINDOW_PAIRS:
        if after.endswith(low) and after[: -len(low)] + high in names:
            return after[: -len(low)] + high
    return None


def _windows(poll: Poll, client: SpApiClient, mark: str | None) -> Iterator[tuple[Any, Any]]:
    """[start, end) windows from the mark to the server's now (less the settling lag)."""
    now = client.server_now()
    begin = poll.start if mark is None else pendulum.parse(mark)
    if mark is not None and poll.keyed:
        begin = begin.subtract(seconds=poll.lag_seconds)  # type: ignore[union-attr]
    window = poll.found.window or {}
    if window.get("history_days"):
        begin = max(begin, now.subtract(days=window["history_days"]).add(hours=1))  # type: ignore[type-var]
    end = now.subtract(seconds=MIN_LAG_SECONDS)
    longest = window.get("max_days")
    while begin < end:  # type: ignore[operator]
        stop = min(begin.add(days=longest), end) if longest and poll.before else end  # type: ignore[union-attr]
        yield begin, stop
        begin = stop


def _poll_rows(
    clients: list[SpApiClient], poll: Poll, failures: Failures | None
) -> Iterator[pa.Table]:
    state: dict[str, str] = dlt.current.resource_state().setdefault("high_water", {})

    def fetch(client: SpApiClient) -> Iterator[pa.Table]:
        seller_id = client.account.seller_id
        for begin, stop in _windows(poll, client, state.get(seller_id)):
            params = {**poll.params, poll.after: iso(begin)}
            if poll.before:
                params[poll.before] = iso(stop)
            # a window is loaded whole or not at all: its mark moves only with its rows
            window_pages = [
                page
                for call in calls(client, poll.found, params)
                for page in pages(client, poll.found, call)
            ]
            if poll.emit == "items":
                items = [item for page in window_pages for item in page]
                if items:
                    yield _rows_table(client, items)
            elif window_pages:
                rows = [
                    {"page": n, "item_count": len(page), "items": orjson.dumps(page).decode()}
                    for n, page in enumerate(window_pages)
                ]
                starts = [iso(begin)] * len(rows)
                yield _rows_table(client, rows, {"window_start": starts})
            state[seller_id] = iso(stop)

    yield from per_account(poll.name, clients, fetch, failures)


def sp_api_poll(
    clients: list[SpApiClient],
    api: str,
    operation: str,
    timestamp_param: str,
    start: str | None = None,
    emit: str = "items",
    params: Mapping[str, Any] | None = None,
    primary_key: Sequence[str] | None = None,
    lag_seconds: int = 3600,
    table_name: str | None = None,
    failures: Failures | None = None,
) -> DltResource:
    """New and updated objects since the last run, on `timestamp_param` (e.g. `createdAfter`).

    `emit="items"` loads one row per object, `"pages"` one row per page (its objects as JSON).
    Without a `primary_key` rows are appended and windows never overlap; with one, rows merge
    on it (and `seller_id`) and each run re-reads `lag_seconds` before its mark.
    """
    where = f"sources.sp_api.polls[{api}.{operation}]"
    found = find_operation(api, operation, where)
    check_parameters(found, params or {}, where)
    if timestamp_param not in found.parameter_names("query"):
        raise ConfigurationError(f"{where}.timestamp_param: {found.key} has no {timestamp_param}")
    if emit not in EMITS:
        raise ConfigurationError(f"{where}.emit must be one of {EMITS}")
    before = _before(found, timestamp_param)
    if before is None and not primary_key:
        raise ConfigurationError(
            f"{where}: {found.key} has no upper bound for {timestamp_param}; give a primary_key "
            "so that the windows it re-reads merge instead of duplicating rows"
        )
    try:
        first = pendulum.parse(start or EPOCH)
    except (ValueError, pendulum.parsing.exceptions.ParserError):
        raise ConfigurationError(f"{where}.start must be an ISO 8601 time") from None
    name = table_name or table_for(found)
    keyed = bool(primary_key) and emit == "items"
    poll = Poll(
        found, timestamp_param, before, first, emit, dict(params or {}), keyed, lag_seconds, name
    )  # type: ignore[arg-type]
    if keyed:
        hints: dict[str, Any] = {
            "primary_key": ("seller_id", *(primary_key or ())),
            "write_disposition": "merge",
        }
    else:
        hints = {"write_disposition": "append"}
    return dlt.resource(_poll_rows, name=name, **hints)(clients, poll, failures)


def _request_rows(
    clients: list[SpApiClient],
    method: str,
    path: str,
    body: Any,
    accepted: frozenset[int],
    name: str,
    failures: Failures | None,
) -> Iterator[pa.Table]:
    def fetch(client: SpApiClient) -> Iterator[pa.Table]:
        session = client.session.accepting(accepted)
        response = session.request(
            method,
            client.rest.base_url.rstrip("/") + path,
            json=body,
            headers={"user-agent": USER_AGENT},
            auth=client.rest.auth,
        )
        row = {
            "method": method,
            "path": path,
            "status_code": response.status_code,
            "headers": json.dumps(dict(response.headers), sort_keys=True),
            "body": response.text,
        }
        yield _rows_table(client, [row])

    yield from per_account(name, clients, fetch, failures)


def sp_api_request(
    clients: list[SpApiClient],
    method: str,
    path: str,
    body: Any = None,
    allow_404: bool = False,
    table_name: str = "raw_responses",
    name: str | None = None,
    failures: Failures | None = None,
) -> DltResource:
    """A raw request for every account; `allow_404` loads a 404 instead of failing on it.

    Rows merge on (seller_id, method, path): the table holds each request's latest answer.
    """
    verb = method.upper()
    if verb not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        raise ConfigurationError(f"sources.sp_api.requests[{path}].method: {method!r}")
    if not path.startswith("/"):
        raise ConfigurationError(f"sources.sp_api.requests[{path}].path must start with '/'")
    accepted = frozenset({404}) if allow_404 else frozenset()
    resource_name = name or f"raw_request_{_NAMING.normalize_identifier(verb + path)}"
    return dlt.resource(
        _request_rows,
        name=resource_name,
        table_name=table_name,
        primary_key=("seller_id", "method", "path"),
        write_disposition="merge",
    )(clients, verb, path, body, accepted, resource_name, failures)
