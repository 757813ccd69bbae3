"""ECS REST: `/onca/xml` (US) and `/{locale}/onca/xml`, GET with the query or POST with the
parameters in the body; SigV2 with HmacSHA256 only, a fresh Timestamp, one request a second;
multiple operations in one request, batch parameter sets, and each version's namespace."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from sandbox.control import add_control
from sandbox.core.faults import Disconnect
from sandbox.core.ratelimit import UsagePlan
from sandbox.core.routing import Request, Response
from sandbox.core.serialize import to_xml
from sandbox.core.sigv2 import expected_signature, matches
from sandbox.paapi import items
from sandbox.paapi.exceptions import (
    BY_STATUS,
    EcsError,
    InvalidClientTokenIdError,
    MissingClientTokenIdError,
    MissingParameterError,
    RequestExpiredError,
    RequestThrottledError,
    SignatureDoesNotMatchError,
)
from sandbox.seed.legacy import legacy

if TYPE_CHECKING:
    from sandbox.app import App

DEFAULT_VERSION = "2005-10-05"  # what ECS answers when a request names no Version
LOCALES = {
    "us": "ATVPDKIKX0DER",
    "ca": "A2EUQ1WTGCTBG2",
    "uk": "A1F83G8C2ARO7P",
    "de": "A1PA6795UKMFR9",
    "jp": "A1VC38T7YXB528",
}
PLAN = UsagePlan(1.0, 1)  # one request a second per account, no burst
TIMESTAMP_SKEW = 900.0  # real seconds, scaled like every lifetime the sandbox tells
OPERATIONS = ("ItemLookup", "ItemSearch")


def _namespace(version: str) -> str:
    return f"http://webservices.amazon.com/AWSECommerceService/{version}"


class PaapiService:
    def __init__(self, app: App) -> None:
        self.app = app
        self.registered = True  # False: the key lost its PA-API registration (control)
        app.on_reset(lambda: setattr(self, "registered", True))
        add_control(app, "POST", "paapi/account", self._account)
        for method in ("GET", "POST"):
            for path, locale in (("/onca/xml", "us"), (r"/(?P<locale>[a-z]{2})/onca/xml", None)):
                app.router.add(method, path, self._endpoint(path, locale), "dispatch", "paapi")

    def _endpoint(self, pattern: str, fixed: str | None) -> Callable[[Request], Response]:
        def endpoint(request: Request) -> Response:
            params = dict(request.query_pairs)
            if request.method == "POST":
                params.update(parse_qsl(request.body.decode("utf-8", "replace"), True))
            version = params.get("Version") or DEFAULT_VERSION
            operations = [o for o in (params.get("Operation") or "").split(",") if o]
            request.operation = ",".join(operations) or "unknown"
            first = operations[0] if operations else "ItemLookup"
            locale = fixed or request.path_params.get("locale", "")
            try:
                if locale not in LOCALES:
                    raise MissingParameterError(message=f"Unknown locale {locale}.")
                account = self._authorize(request, params)
                self._fault(request.operation)
                if not self.app.limiter.try_acquire((account, "paapi"), PLAN):
                    raise RequestThrottledError()
                return self._answer(request, params, operations, version, LOCALES[locale])
            except EcsError as error:
                return error.to_response(first, version)

        return endpoint

    def _account(self, request: Request) -> dict[str, bool]:
        """`{"registered": false}`: every answer is a 200 whose `Items` carry only an
        `AWS.InvalidAccount` error, as ECS answered a key not (or no longer) registered."""
        changes = json.loads(request.body or b"{}")
        if not isinstance(changes, dict) or set(changes) - {"registered"}:
            raise ValueError('the body is {"registered": true | false}')
        self.registered = bool(changes.get("registered", self.registered))
        return {"registered": self.registered}

    def _fault(self, operation: str) -> None:
        fault = self.app.faults.take("paapi", operation)
        if fault is None:
            return
        if fault.disconnect:
            raise Disconnect()
        error = BY_STATUS.get(fault.status or 500, EcsError)()
        error.status = fault.status or 500
        raise error

    def _authorize(self, request: Request, params: dict[str, str]) -> str:
        store = legacy(self.app.world)
        key, subscription = params.get("AWSAccessKeyId"), params.get("SubscriptionId")
        if not key and not subscription:
            raise MissingClientTokenIdError()
        known = (key and secrets.compare_digest(key, store.paapi_access_key_id)) or (
            subscription and secrets.compare_digest(subscription, store.paapi_subscription_id)
        )
        if not known or (key and subscription):
            raise InvalidClientTokenIdError()
        if not params.get("Signature") or not params.get("Timestamp"):
            raise MissingParameterError(message="Signature and Timestamp are required.")
        # HmacSHA256 only: a SHA-1 signature (or a SignatureMethod asking for one) never matches
        expected = expected_signature(
            store.paapi_secret_key,
            request.method,
            request.header("host", ""),
            request.path,
            params,
            "HmacSHA256",
        )
        if params.get("SignatureMethod", "HmacSHA256") != "HmacSHA256" or not matches(
            params["Signature"], expected
        ):
            raise SignatureDoesNotMatchError()
        try:
            stamp = datetime.fromisoformat(params["Timestamp"].replace("z", "Z"))
        except ValueError:
            raise RequestExpiredError(message="Timestamp is not a valid date-time.") from None
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)
        if abs(stamp.timestamp() - self.app.clock.timestamp()) > TIMESTAMP_SKEW:
            raise RequestExpiredError()
        return store.paapi_access_key_id

    def _answer(
        self,
        request: Request,
        params: dict[str, str],
        operations: list[str],
        version: str,
        marketplace_id: str,
    ) -> Response:
        if not operations or any(o not in OPERATIONS for o in operations):
            raise MissingParameterError(message="Operation must be ItemLookup or ItemSearch.")
        caller = params.get("AWSAccessKeyId") or params.get("SubscriptionId") or ""
        catalog = items.Catalog(
            self.app.world,
            marketplace_id,
            self.app.world_time(),
            caller,
            params.get("AssociateTag"),
        )
        agent = request.header("user-agent", "")
        answers = {
            f"{operation}Response": {
                "OperationRequest": items.operation_request(params, agent),
                "Items": self._items(catalog, operation, params, version),
            }
            for operation in operations
        }
        if len(operations) == 1:
            root, body = next(iter(answers.items()))
        else:
            root, body = (
                "MultiOperationResponse",
                {
                    "OperationRequest": items.operation_request(params, agent),
                    **{name: {"Items": answer["Items"]} for name, answer in answers.items()},
                },
            )
        return to_xml(root, body, _namespace(version))

    def _items(
        self, catalog: items.Catalog, operation: str, params: dict[str, str], version: str
    ) -> list[dict[str, Any]]:
        """One `Items` per parameter set: `Operation.N.Param` with `Operation.Shared.Param`."""
        prefix = f"{operation}."
        sets: dict[str, dict[str, str]] = {}
        shared = {}
        for name, value in params.items():
            if name.startswith(prefix):
                number, _, param = name[len(prefix) :].partition(".")
                if number == "Shared":
                    shared[param] = value
                else:
                    sets.setdefault(number, {})[param] = value
        if not sets:
            sets = {"1": {k: v for k, v in params.items() if "." not in k}}
        if len(sets) > items.MAX_SETS or any(n not in ("1", "2") for n in sets):
            raise MissingParameterError(
                message=f"{operation} batch requests take at most {items.MAX_SETS} parameter sets."
            )
        answer = []
        for number in sorted(sets):
            merged = {**shared, **sets[number]}
            if not self.registered:
                answer.append(items.refused(items.INVALID_ACCOUNT))
            elif operation == "ItemLookup":
                answer.append(items.lookup(catalog, merged))
            else:
                answer.append(items.search(catalog, merged, version))
        return answer
