"""Issued access tokens (LWA and restricted data tokens) and what each one may do."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.core.exceptions import ServiceError
from sandbox.core.serialize import to_json
from sandbox.seed.world import World

ACCESS_TOKEN_SECONDS = 3600  # world (real) seconds, whatever the time scale


class LwaError(ServiceError):
    """LWA's own error shape: {"error_description", "error"}."""

    def to_response(self):  # type: ignore[no-untyped-def]
        return to_json(
            {"error_description": self.message, "error": self.code},
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


@dataclass
class AccessToken:
    seller_id: str
    expires_at: float
    restricted: list[dict[str, Any]] = field(default_factory=list)  # RDT resources


class AccessTokens:
    """Every token the sandbox has issued; SP-API handlers resolve tokens here."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._tokens: dict[str, AccessToken] = {}

    def exchange(self, world: World, form: dict[str, str]) -> str:
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
        return self.issue(seller.seller_id, "Atza|")

    def issue(self, seller_id: str, prefix: str, restricted: list[dict[str, Any]] | None = None):
        token = prefix + secrets.token_urlsafe(48)
        with self._lock:
            self._tokens[token] = AccessToken(
                seller_id, self._now() + ACCESS_TOKEN_SECONDS, restricted or []
            )
        return token

    def resolve(self, token: str) -> AccessToken | None:
        with self._lock:
            return self._tokens.get(token)

    def expire_all(self) -> int:
        """Make every issued token expired now (a fault for token-refresh tests)."""
        now = self._now()
        with self._lock:
            for info in self._tokens.values():
                info.expires_at = min(info.expires_at, now)
            return len(self._tokens)

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()
