"""What every MWS call shares: parameters (a GET's query or a POST's form), SigV2 verified
with the request's own verb, throttling, faults, headers and XML errors everywhere in MWS's
URL space; the `Action` parameter picks the handler on a section's path."""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from sandbox.core.faults import Disconnect
from sandbox.core.routing import ANY, Request, Response
from sandbox.core.sigv2 import ALGORITHMS, expected_signature, matches
from sandbox.mws.exceptions import (
    BY_STATUS,
    ORDERS_NS,
    REPORTS_NS,
    AccessDeniedError,
    InvalidAccessKeyIdError,
    InvalidAddressError,
    MissingParameterError,
    MwsError,
    RequestExpiredError,
    RequestThrottledError,
    SignatureDoesNotMatchError,
)
from sandbox.mws.feeds import MwsFeeds
from sandbox.mws.orders import MwsOrders
from sandbox.mws.plans import QUOTAS, quota_of
from sandbox.mws.reports import MwsReports
from sandbox.mws.wire import MwsCall, iso_ms, parse_time
from sandbox.seed.legacy import legacy

if TYPE_CHECKING:
    from sandbox.app import App

TIMESTAMP_SKEW = 900.0  # seconds a request's Timestamp may differ from the server's clock
SIGNED_METHODS = ("GET", "POST")  # the string to sign starts with the request's own verb
# MWS's API sections, as python-amazon-mws names their paths (mws/apis/*.py URI @ad12565b);
# any path under them that the sandbox does not serve answers InvalidAddress
SECTION_NAMES = (
    "EasyShip",
    "Feeds",
    "Finances",
    "FulfillmentInboundShipment",
    "FulfillmentInventory",
    "FulfillmentOutboundShipment",
    "MerchantFulfillment",
    "Orders",
    "Products",
    "Recommendations",
    "Reports",
    "Sellers",
    "Subscriptions",
)


MwsHandler = Callable[[MwsCall], Response]


@dataclass(frozen=True)
class Section:
    namespace: str
    quota_headers: bool  # recorded on Reports/Feeds responses, never on Orders
    handlers: dict[str, MwsHandler]


class MwsService:
    """Routes MWS's URL space: each served section's path, `/` for requests shaped like MWS's,
    and every other path of MWS's sections (InvalidAddress); the call log names the Action as
    the operation. GET (parameters in the query) and POST (in the form body) are both served,
    each signed with its own verb."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.orders, self.reports, self.feeds = MwsOrders(app), MwsReports(app), MwsFeeds(app)
        order_handlers = self.orders.handlers()
        report_handlers = {**self.reports.handlers(), **self.feeds.handlers()}
        sections = {
            "/Orders/2013-09-01": Section(ORDERS_NS, False, order_handlers),
            "/Orders/2011-01-01": Section(ORDERS_NS, False, order_handlers),
            # Reports and Feeds were recorded both at their own path and at `/`
            "/Reports/2009-01-01": Section(REPORTS_NS, True, report_handlers),
            "/Feeds/2009-01-01": Section(REPORTS_NS, True, report_handlers),
        }
        for path, section in sections.items():
            app.router.add(ANY, path, self._endpoint(path, section), "dispatch", "mws")
        root = Section(REPORTS_NS, True, report_handlers)
        app.router.add(ANY, "/", self._endpoint("/", root), "dispatch", "mws", _shaped_like_mws)
        unknown = f"/(?:{'|'.join(SECTION_NAMES)})(?:/.*)?"
        app.router.add(ANY, unknown, self._unknown_address, "dispatch", "mws")

    def _endpoint(self, path: str, section: Section) -> Callable[[Request], Response]:
        def endpoint(request: Request) -> Response:
            params = _params(request)
            request.operation = params.get("Action") or "unknown"
            try:
                if request.method not in SIGNED_METHODS:
                    raise InvalidAddressError(message=f"{request.method} {path} is not served.")
                call = self._authorize(request, path, params)
                request.seller_id = call.seller.seller_id
                handler = section.handlers.get(request.operation)
                if handler is None:
                    raise InvalidAddressError(
                        message=f"Invalid action {request.operation} for {path}."
                    )
                self._fault(request.operation, call)
                quota = QUOTAS[quota_of(request.operation)]
                key = (call.seller.seller_id, quota_of(request.operation))
                if not self.app.limiter.try_acquire(key, quota):
                    raise RequestThrottledError()
                response = handler(call)
                if section.quota_headers:
                    self._quota_headers(response, key, quota, call.now)
            except MwsError as error:
                response = error.to_response(section.namespace)
            return self._finish(response)

        return endpoint

    def _unknown_address(self, request: Request) -> Response:
        """A path of MWS's sections that the sandbox does not serve, whatever the method."""
        request.operation = _params(request).get("Action") or "unknown"
        error = InvalidAddressError(message=f"Invalid address {request.path}.")
        return self._finish(error.to_response(REPORTS_NS))

    def _fault(self, operation: str, call: MwsCall) -> None:
        fault = self.app.faults.take("mws", operation, call.seller.seller_id)
        if fault is None:
            return
        if fault.disconnect:
            raise Disconnect()
        if fault.expire_tokens:
            for book in (self.orders.tokens, self.reports.tokens, self.feeds.tokens):
                book.clear()  # every NextToken issued so far is now corrupted
            return
        error = BY_STATUS.get(fault.status or 500, MwsError)()
        error.status = fault.status or 500
        raise error

    def _authorize(self, request: Request, path: str, params: dict[str, str]) -> MwsCall:
        store = legacy(self.app.world)
        for name in ("AWSAccessKeyId", "Signature", "SignatureMethod", "Timestamp"):
            if not params.get(name):
                raise MissingParameterError(message=f"{name} is required.")
        if not secrets.compare_digest(params["AWSAccessKeyId"], store.mws_access_key_id):
            raise InvalidAccessKeyIdError()
        method = params["SignatureMethod"]
        if method not in ALGORITHMS or params.get("SignatureVersion") != "2":
            raise SignatureDoesNotMatchError()
        host = request.header("host", "")
        expected = expected_signature(
            store.mws_secret_key, request.method, host, path, params, method
        )
        if not matches(params["Signature"], expected):
            raise SignatureDoesNotMatchError()
        now = self.app.clock.timestamp()
        try:
            stamp = parse_time(params["Timestamp"])
        except ValueError:
            raise RequestExpiredError(message="Timestamp is not a valid date-time.") from None
        if abs(stamp - now) > TIMESTAMP_SKEW:
            raise RequestExpiredError(
                message=f"Request has expired. Timestamp date is {params['Timestamp']}."
            )
        seller_id = params.get("SellerId") or params.get("Merchant")
        seller = next((s for s in self.app.world.sellers if s.seller_id == seller_id), None)
        if seller is None:
            raise AccessDeniedError(message="Access denied: unknown SellerId.")
        token = params.get("MWSAuthToken", "")
        if not secrets.compare_digest(token, store.logins[seller.seller_id].mws_auth_token):
            raise AccessDeniedError(message="Access to the seller's data was not authorized.")
        return MwsCall(params, seller, self.app.world_time())

    def _quota_headers(self, response: Response, key: Any, quota: Any, now: float) -> None:
        remaining = self.app.limiter.remaining(key, quota)
        response.headers["x-mws-quota-max"] = f"{round(quota.rate * 3600):.1f}"
        response.headers["x-mws-quota-remaining"] = f"{int(remaining):.1f}"
        response.headers["x-mws-quota-resetsOn"] = iso_ms(now - now % 60 + 60)

    def _finish(self, response: Response) -> Response:
        response.headers.setdefault("x-mws-request-id", str(uuid.uuid4()))
        response.headers["x-mws-timestamp"] = iso_ms(self.app.clock.timestamp())
        response.headers["x-mws-response-context"] = base64.b64encode(
            secrets.token_bytes(48)
        ).decode()
        return response


def _params(request: Request) -> dict[str, str]:
    """A GET's query; a POST's query and form body (SubmitFeed signs its query, sends a file)."""
    params = dict(parse_qsl(request.query_string, keep_blank_values=True))
    if request.method != "GET":
        params.update(parse_qsl(request.body.decode("utf-8", "replace"), True))
    return params


def _shaped_like_mws(request: Request) -> bool:
    """`/` is MWS's for Reports and Feeds only when a request carries MWS's parameters; any
    other request there is nobody's (the sandbox's plain 404)."""
    params = _params(request)
    return "AWSAccessKeyId" in params or "Action" in params
