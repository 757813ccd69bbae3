"""Issued access tokens (LWA's and restricted data tokens) and what each one may do: LWA
issues them, SP-API resolves them, and the app forgets them on reset."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ACCESS_TOKEN_SECONDS = 3600  # world (real) seconds, whatever the time scale


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

    def expire_all(self, seller_id: str | None = None) -> int:
        """Make every issued token (of `seller_id`, when given) expired now (a fault for
        token-refresh tests)."""
        now = self._now()
        with self._lock:
            chosen = [t for t in self._tokens.values() if seller_id in (None, t.seller_id)]
            for info in chosen:
                info.expires_at = min(info.expires_at, now)
            return len(chosen)

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()
