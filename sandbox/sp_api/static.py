"""Amazon's static sandbox for every operation the seeded world does not serve: the models'
`x-amzn-api-sandbox` examples, matched on the request's parameters.

An example names the parameters that select it (not necessarily all that are required); the
example naming the most parameters that all equal the request's wins, as on Amazon's sandbox.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from sandbox.core.routing import Request, Response
from sandbox.core.serialize import to_json
from sandbox.seed.sellers import Seller
from sandbox.sp_api.exceptions import InvalidInputError
from sandbox.sp_api.registry import Example, ModelOperation, operations

if TYPE_CHECKING:
    from sandbox.core.access_tokens import AccessToken
    from sandbox.sp_api.service import SpApiService

NO_MATCH = "Could not match input arguments"  # Amazon's sandbox (jlevers/selling-partner-api#592)


def _text(value: Any) -> Any:
    """Example values are JSON (1, true, lists); query values are text: compare as text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [_text(v) for v in value]
    if isinstance(value, int | float):
        return str(value)
    return value


def request_values(operation: ModelOperation, request: Request) -> dict[str, Any]:
    """The parameters a request carries, by the model's names and locations."""
    found: dict[str, Any] = {}
    for name, where, _, kind in operation.parameters:
        value: Any = None
        if where == "path":
            value = request.path_params.get(name)
            value = None if value is None else unquote(value)
        elif where == "query":
            value = (
                request.query_list(name) if kind.startswith("array") else request.query.get(name)
            )
        elif where == "header":
            value = request.header(name)
        elif where == "body" and request.body:
            try:
                value = json.loads(request.body)
            except ValueError:
                raise InvalidInputError("The request body is not valid JSON.") from None
        if value is not None:
            found[name] = value
            if where == "body":  # the examples name every body `body`
                found["body"] = value
    return found


def answer(operation: ModelOperation, request: Request) -> Response:
    """The best-matching example's status and body, or Amazon's 400s."""
    values = request_values(operation, request)
    missing = [p[0] for p in operation.parameters if p[2] and p[0] not in values]
    if missing:
        raise InvalidInputError(f"Missing required parameter(s): {', '.join(missing)}.")
    best: Example | None = None
    for example in operation.examples:
        expected = example.parameters
        if (best is None or len(expected) > len(best.parameters)) and all(
            name in values and _text(values[name]) == _text(value)
            for name, value in expected.items()
        ):
            best = example
    if best is None:
        raise InvalidInputError(message=NO_MATCH)
    headers = {name: str(value) for name, value in best.headers.items()}
    if best.status == 204 or best.body is None:  # Amazon's example has no body
        return Response(status=best.status, headers=headers)
    return to_json(best.body, best.status, headers)


def register(service: SpApiService) -> set[str]:
    """Route every model operation that no seeded module has routed; call after the others.
    Returns the operations it routed."""
    found = set()
    for key, operation in operations().items():
        if key in service.routed:
            continue
        found.add(key)

        def handler(
            request: Request, seller: Seller, token: AccessToken, op: ModelOperation = operation
        ) -> Response:
            return answer(op, request)

        service.route(operation.method, operation.route, key, handler)
    return found
