"""Amzpecty's wire: Add calls for three queues, Get matched ASINs, Get by rid; and controls.

Documented paths and parameters (legacy.md (a)); every call is a GET with `secretKey` in the
query string (the method is not stated anywhere: our guess). Controls live under
`/_sandbox/amzpecty/`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sandbox.amzpecty.exceptions import (
    AmzpectyError,
    InvalidAsinError,
    InvalidParameterError,
    InvalidSecretKeyError,
    ParentAsinNotAllowedError,
    RidNotFoundError,
    ServerError,
    TooManyRequestsError,
)
from sandbox.amzpecty.models import MATCH, SNAPSHOT, VARIATIONS, Account, QueuedRequest, Queues
from sandbox.amzpecty.outbox import CallbackFault, Outbox
from sandbox.amzpecty.products import CONDITION_FACTORS, ProductData, marketplace_for
from sandbox.control import add_control, clock_state
from sandbox.core.faults import Disconnect
from sandbox.core.routing import Request, Response
from sandbox.core.serialize import to_json
from sandbox.seed.marketplaces import Marketplace
from sandbox.seed.sellers import _derive

if TYPE_CHECKING:
    from sandbox.app import App

DEFAULT_DOMAIN = "www.amazon.com"
ASIN = re.compile(r"^(B0[0-9A-Z]{8}|[0-9]{9}[0-9X]|97[89][0-9]{10})$")  # ASIN, ISBN-10/13
PRODUCT_ID = re.compile(r"^[0-9]{10,14}$")  # UPC, EAN, ISBN
Handler = Callable[[Request, float], dict[str, Any]]


def _flag(request: Request, name: str) -> bool:
    value = request.query.get(name, "false").lower()
    if value not in ("true", "false"):
        raise InvalidParameterError(f"{name} must be true or false")
    return value == "true"


class AmzpectyService:
    """One account (the seed's secret key); queues and outbox at the app clock's pace."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.outbox = Outbox(
            app.clock,
            lambda: self.account.secret_key,
            lambda pace: self.queues.process_due(pace),
            lambda: self.queues.waiting(),
        )
        self._reset()
        app.on_reset(self._reset)
        for path, operation, handler in (
            (r"/api/query/add/(?P<key>[^/]+)", "add", self.add),
            (r"/api/query/requestvariants/(?P<key>[^/]+)", "requestvariants", self.variants),
            (r"/api/query/matchasins/(?P<key>[^/]+)", "matchasins", self.match),
            (
                r"/api/query/getmatchasins/productid/(?P<key>[^/]+)",
                "getmatchasins",
                self.get_matches,
            ),
            # Get by rid is not public: modelled on the documented getmatchasins path (guess)
            (r"/api/query/get/rid/(?P<key>[^/]+)", "getbyrid", self.get_by_rid),
        ):
            app.router.add("GET", path, self._wrap(operation, handler), operation, "amzpecty")
        self._register_controls()

    def _reset(self) -> None:
        self.outbox.clear()
        self.account = Account(_derive(self.app.world.seed, "amzpecty", 32, "0123456789abcdef"))
        self.queues = Queues(
            self.account,
            lambda: self.products,
            self._data_time,
            self._deliver,
            self.app.clock.world_at,
        )
        self.__dict__.pop("products", None)

    @cached_property
    def products(self) -> ProductData:
        return ProductData(self.app.world.catalog, self.app.world.sellers)

    def _data_time(self, at: float) -> float:
        frozen = self.app.frozen_at
        return at if frozen is None else min(at, frozen)

    def _deliver(self, request: QueuedRequest) -> None:
        if request.callback_url and request.envelope is not None:
            self.outbox.enqueue(
                request.rid,
                request.callback_url,
                request.envelope,
                request.user_agent,
                request.due_at,
            )

    def _wrap(self, operation: str, handler: Handler) -> Callable[[Request], Response]:
        responsefor = {"add": SNAPSHOT, "requestvariants": VARIATIONS}.get(operation, MATCH)

        def wrapped(request: Request) -> Response:
            now = self.app.clock.timestamp()
            try:
                if request.query.get("secretKey") != self.account.secret_key:
                    raise InvalidSecretKeyError()
                fault = self.app.faults.take("amzpecty", operation)
                if fault is not None:
                    if fault.disconnect:
                        raise Disconnect()
                    kind = TooManyRequestsError if fault.status == 429 else ServerError
                    error = kind(credits=self.queues.credits(now))
                    error.status = fault.status or 500
                    return error.to_response()
                pace = self.app.clock.pace()
                self.queues.admit(pace, now)
                self.queues.process_due(pace)
                return to_json(handler(request, now))
            except AmzpectyError as error:
                if error.responsefor is None and operation != "getbyrid":
                    error.responsefor = responsefor
                if error.credits is None and not isinstance(error, InvalidSecretKeyError):
                    error.credits = self.queues.credits(now)
                return error.to_response()

        return wrapped

    def _market(self, request: Request) -> Marketplace:
        domain = request.query.get("domain") or DEFAULT_DOMAIN
        market = marketplace_for(domain)
        if market is None:
            raise InvalidParameterError(f"unsupported domain {domain!r}")
        return market

    def _queue(
        self, request: Request, now: float, responsefor: str, key: str, options: dict[str, Any]
    ) -> dict[str, Any]:
        self.queues.check_balance(now)
        queued = self.queues.add(
            responsefor,
            key,
            self._market(request),
            options,
            self.app.clock.mark(),
            request.header("AMZPECTY_CALLBACK_URL"),
            request.header("AMZPECTY-USER-AGENT"),
        )
        self.outbox.start()
        return {
            "status": "OK",
            "responsefor": responsefor,
            **self.queues.credits(now),
            "messageId": None,
            "message": None,
            "data": None,
            "rid": queued.rid,
            "dateProcessed": None,
        }

    def add(self, request: Request, now: float) -> dict[str, Any]:
        key = request.path_params["key"]
        condition = request.query.get("condition", "new")
        if condition not in CONDITION_FACTORS:
            raise InvalidParameterError(f"condition must be one of {sorted(CONDITION_FACTORS)}")
        options = {"condition": condition, "exclude_moq": _flag(request, "excludemoq")}
        self._market(request)
        if self.products.is_parent(key):
            raise ParentAsinNotAllowedError(key)
        if not ASIN.match(key) or key not in self.products.by_asin:
            raise InvalidAsinError(key)
        return self._queue(request, now, SNAPSHOT, key, options)

    def variants(self, request: Request, now: float) -> dict[str, Any]:
        key = request.path_params["key"]
        self._market(request)
        if not self.products.is_parent(key):
            raise InvalidAsinError(f"{key} is not a parent ASIN")
        return self._queue(request, now, VARIATIONS, key, {})

    def match(self, request: Request, now: float) -> dict[str, Any]:
        key = request.path_params["key"]
        if not PRODUCT_ID.match(key):
            raise InvalidParameterError(f"{key!r} is not a UPC, EAN or ISBN")
        options = {"expanded": _flag(request, "expanded")}
        return self._queue(request, now, MATCH, key, options)

    def get_matches(self, request: Request, now: float) -> dict[str, Any]:
        """The latest match for a product id, synchronously and at no credit."""
        found = self.queues.latest(MATCH, request.path_params["key"], self._market(request))
        if found is None:
            raise RidNotFoundError(f"no match request for {request.path_params['key']}")
        return self._answer(found, now)

    def get_by_rid(self, request: Request, now: float) -> dict[str, Any]:
        found = self.queues.get(request.path_params["key"])
        if found is None:
            raise RidNotFoundError(request.path_params["key"])
        found.fetched += 1
        return self._answer(found, now)

    def _answer(self, found: QueuedRequest, now: float) -> dict[str, Any]:
        if found.envelope is not None:
            return found.envelope
        # queued or in progress: the envelope with status PENDING (a guess) and no data
        return {
            "status": "PENDING",
            "responsefor": found.responsefor,
            "rid": found.rid,
            **self.queues.credits(now),
            "messageId": None,
            "message": None,
            "data": None,
            "dateProcessed": None,
        }

    def advance(self, seconds: float) -> dict[str, Any]:
        """A client's wait (`clock.wait`), then everything due processed and delivered before
        the answer."""
        self.app.clock.wait(seconds)
        delivered = self.outbox.flush()
        return {"delivered": delivered, "clock": clock_state(self.app), **self.outbox.state()}

    def describe(self, url: str) -> dict[str, Any]:
        """The `amzpecty` entry of the sandbox's accounts document."""
        return {
            "endpoint": url,
            "secret_key": self.account.secret_key,
            "sample_product_ids": list(self.products.by_product_id)[:6:2],  # UPCs
        }

    def _register_controls(self) -> None:
        def body(request: Request) -> dict[str, Any]:
            data = json.loads(request.body or b"{}")
            if not isinstance(data, dict):
                raise ValueError("the control body must be a JSON object")
            return data

        def account(request: Request) -> Any:
            if request.method == "POST":
                changes = body(request)
                unknown = set(changes) - {
                    "credits",
                    "daily_allowance",
                    "callback_url",
                    "delays",
                    "min_interval",
                    "ca_file",
                }
                if unknown:
                    raise ValueError(f"unknown account fields: {sorted(unknown)}")
                if "ca_file" in changes:
                    self.outbox.ca_file = changes.pop("ca_file")
                delays = changes.pop("delays", {})
                if set(delays) - set(self.account.delays):
                    raise ValueError(f"delays are per queue: {sorted(self.account.delays)}")
                self.account.delays.update({k: float(v) for k, v in delays.items()})
                for name, value in changes.items():
                    setattr(self.account, name, value)
            now = self.app.clock.timestamp()
            return {
                "callback_url": self.account.callback_url,
                "credits": self.account.credits,
                "daily_allowance": self.account.daily_allowance,
                "daily_left": self.account.daily_left(now),
                "delays": self.account.delays,
                "min_interval": self.account.min_interval,
                "ca_file": self.outbox.ca_file,
            }

        def requests_(request: Request) -> Any:
            return {
                "requests": [
                    {
                        "rid": r.rid,
                        "responsefor": r.responsefor,
                        "key": r.key,
                        "domain": r.market.domain,
                        "status": r.status,
                        "requested_at": r.requested_at,
                        "due_at": r.due_at,
                        "callback_url": r.callback_url,
                        "fetched": r.fetched,
                    }
                    for r in self.queues.requests()
                ]
            }

        def callbacks(request: Request) -> Any:
            return self.outbox.state()

        def callback_faults(request: Request) -> Any:
            spec = body(request)
            for fault in spec.pop("faults", None) or [spec]:
                self.outbox.add_fault(CallbackFault.from_json(fault))
            return self.outbox.state()

        def flush(request: Request) -> Any:
            return self.advance(0.0)

        def advance(request: Request) -> Any:
            return self.advance(float(body(request)["seconds"]))

        for method, path, handler in (
            ("GET", "account", account),
            ("POST", "account", account),
            ("GET", "requests", requests_),
            ("GET", "callbacks", callbacks),
            ("POST", "callbacks/faults", callback_faults),
            ("POST", "flush", flush),
            ("POST", "advance", advance),
        ):
            add_control(self.app, method, f"amzpecty/{path}", handler)
