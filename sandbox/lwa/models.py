"""LWA's refresh_token grant and its errors; the tokens it issues live in the app's store."""

from __future__ import annotations

import secrets
import uuid

from sandbox.core.access_tokens import AccessTokens
from sandbox.core.exceptions import ServiceError
from sandbox.core.serialize import to_json
from sandbox.seed.world import World


class LwaError(ServiceError):
    """LWA's own error shape: {"error_description", "error"}."""

    def to_response(self):  # type: ignore[no-untyped-def]
        """With the `request_id` recent answers carry (recorded), to quote to Amazon."""
        return to_json(
            {
                "error_description": self.message,
                "error": self.code,
                "request_id": str(uuid.uuid4()),
            },
            status=self.status,
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )


class InvalidGrantError(LwaError):
    status, code = 400, "invalid_grant"
    message = "The request has an invalid grant parameter : refresh_token"


class InvalidClientError(LwaError):
    status, code = 401, "invalid_client"
    message = "Client authentication failed"


class UnsupportedGrantTypeError(LwaError):
    status, code = 400, "unsupported_grant_type"
    message = "The authorization grant type is not supported by the authorization server"


class InvalidRequestError(LwaError):
    status, code = 400, "invalid_request"
    message = "The request is missing a required parameter : {}"


def exchange(tokens: AccessTokens, world: World, form: dict[str, str]) -> str:
    """The refresh_token grant: validates the app, then the seller's refresh token."""
    grant_type = form.get("grant_type")
    if grant_type != "refresh_token":
        raise UnsupportedGrantTypeError()
    for name in ("client_id", "client_secret", "refresh_token"):
        if not form.get(name):
            raise InvalidRequestError(message=InvalidRequestError.message.format(name))
    if not (
        secrets.compare_digest(form["client_id"], world.app.client_id)
        and secrets.compare_digest(form["client_secret"], world.app.client_secret)
    ):
        raise InvalidClientError()
    seller = next(
        (
            s
            for s in world.sellers
            if secrets.compare_digest(s.refresh_token, form["refresh_token"])
        ),
        None,
    )
    if seller is None:
        raise InvalidGrantError()
    return tokens.issue(seller.seller_id, "Atza|")
