"""Opaque NextTokens bound to a checksum of the request that produced them."""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any


class TokenError(Exception):
    """A token that is unknown, expired or sent with parameters other than its own."""


def checksum(params: Mapping[str, Any]) -> str:
    canonical = json.dumps({k: params[k] for k in sorted(params)}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class TokenBook:
    """Issues and redeems pagination tokens; each carries server-side state for the next page."""

    def __init__(self, now: Callable[[], float], ttl_seconds: float, capacity: int = 100_000):
        self._now = now
        self._ttl = ttl_seconds
        self._capacity = capacity
        self._lock = threading.Lock()
        self._tokens: OrderedDict[str, tuple[str, float, Any]] = OrderedDict()

    def issue(self, bound: Mapping[str, Any], state: Any, ttl_seconds: float | None = None) -> str:
        """`ttl_seconds` overrides the book's lifetime for this token (one told in real seconds
        lasts longer in virtual time at a higher time scale)."""
        token = secrets.token_urlsafe(24)
        ttl = self._ttl if ttl_seconds is None else ttl_seconds
        with self._lock:
            self._tokens[token] = (checksum(bound), self._now() + ttl, state)
            while len(self._tokens) > self._capacity:
                self._tokens.popitem(last=False)
        return token

    def redeem(self, token: str, bound: Mapping[str, Any]) -> Any:
        with self._lock:
            entry = self._tokens.get(token)
        if entry is None:
            raise TokenError("unknown")
        expected, expires_at, state = entry
        if self._now() > expires_at:
            raise TokenError("expired")
        if checksum(bound) != expected:
            raise TokenError("mismatch")
        return state

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()
