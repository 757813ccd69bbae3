"""What every SP-API operation shares: faults, auth, usage plans and response headers."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sandbox.core.documents import Documents
from sandbox.core.faults import Disconnect, Fault
from sandbox.core.routing import Request, Response
from sandbox.core.serialize import to_json
from sandbox.seed.sellers import Seller
from sandbox.sp_api import (
    catalog,
    data_kiosk,
    finances,
    inventory,
    listings,
    orders,
    reports,
    sales,
    sellers,
    static,
    tokens,
    vendor,
)
from sandbox.sp_api.exceptions import (
    BY_STATUS,
    TOKEN_EXPIRED,
    TOKEN_INVALID,
    TOKEN_MISSING,
    QuotaExceededError,
    SpApiError,
    UnauthorizedError,
)
from sandbox.sp_api.plans import USAGE_PLANS

if TYPE_CHECKING:
    from sandbox.app import App
    from sandbox.core.access_tokens import AccessToken

SpApiHandler = Callable[[Request, Seller, "AccessToken"], Any]
RATE_LIMIT_STATUSES = {200, 201, 202, 204, 400, 404}  # the header's documented statuses


class SpApiService:
    """Wraps each operation's handler; handlers return JSON-able data or a Response."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.routed: set[str] = set()
        self.documents = Documents(app, "/s3")  # presigned document URLs, as S3 serves them
        orders.register(self)
        tokens.register(self)
        reports.register(self)
        finances.register(self)
        for family in (sellers, listings, catalog, inventory, sales, vendor, data_kiosk):
            family.register(self)
        # last: the models' examples answer every operation not routed above
        self.static_operations = static.register(self)

    def route(self, method: str, path: str, operation: str, handler: SpApiHandler) -> None:
        self.routed.add(operation)
        self.app.router.add(method, path, self._wrap(operation, handler), operation, "sp_api")

    def _wrap(self, operation: str, handler: SpApiHandler) -> Callable[[Request], Response]:
        plan = USAGE_PLANS[operation]

        def wrapped(request: Request) -> Response:
            app = self.app
            try:
                token = self._authenticate(request)
                request.seller_id = token.seller_id
                fault = app.faults.take("sp_api", operation, token.seller_id)
                if fault is not None:
                    if fault.expire_tokens:
                        app.tokens.expire_all(fault.seller_id)
                        raise UnauthorizedError(TOKEN_EXPIRED)
                    if fault.disconnect:
                        raise Disconnect()
                    return self._finish(self._fault_answer(fault))
                if not app.limiter.try_acquire((token.seller_id, operation), plan):
                    raise QuotaExceededError()
                seller = app.world.seller(token.seller_id)
                result = handler(request, seller, token)
                response = result if isinstance(result, Response) else to_json(result)
            except SpApiError as error:
                response = error.to_response()
            if response.status in RATE_LIMIT_STATUSES:
                response.headers["x-amzn-RateLimit-Limit"] = self._rate(plan.rate)
            return self._finish(response)

        return wrapped

    def _fault_answer(self, fault: Fault) -> Response:
        """A fault's answer in the operation's place: its body, or the error of its status."""
        if fault.body is not None:
            response = Response(status=fault.status or 200, body=fault.body.encode())
        else:
            error = BY_STATUS.get(fault.status or 500, SpApiError)()
            error.status = fault.status or 500
            response = error.to_response()
        if fault.retry_after is not None:
            response.headers["Retry-After"] = str(fault.retry_after)
        if fault.rate_limit is not None:
            response.headers["x-amzn-RateLimit-Limit"] = self._rate(fault.rate_limit)
        return response

    def _rate(self, rate: float) -> str:
        """A rate as the header tells it: requests per real second at the time scale."""
        return repr(round(rate * self.app.clock.time_scale, 9))

    @staticmethod
    def _finish(response: Response) -> Response:
        response.headers["x-amzn-RequestId"] = str(uuid.uuid4())
        return response

    def _authenticate(self, request: Request) -> AccessToken:
        # like Amazon since October 2023, an `Authorization: AWS4-HMAC-SHA256` header is ignored
        value = request.header("x-amz-access-token")
        if not value:
            raise UnauthorizedError(TOKEN_MISSING)
        token = self.app.tokens.resolve(value)
        if token is None:
            raise UnauthorizedError(TOKEN_INVALID)
        request.seller_id = token.seller_id  # the call log names whose token it was
        if self.app.clock.timestamp() >= token.expires_at:
            raise UnauthorizedError(TOKEN_EXPIRED)
        return token
