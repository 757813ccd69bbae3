"""MWS NextTokens: the shared TokenBook's opaque tokens, dressed as MWS's base64 strings.

Base64 brings `+`, `/` and `=` into the token, which a client must percent-encode when it
signs and sends it. A token is bound to the seller and the operation family that issued it.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from sandbox.core.pagination import TokenBook, TokenError
from sandbox.mws.exceptions import NextTokenCorruptedError

TOKEN_TTL = 24 * 3600.0  # not documented; SP-API's searchOrders keeps tokens for a day


def issue(book: TokenBook, family: str, seller_id: str, state: Any) -> str:
    inner = book.issue({"family": family, "seller": seller_id}, state)
    return base64.b64encode(f"{family}:{inner}".encode()).decode()


def redeem(book: TokenBook, family: str, seller_id: str, token: str | None) -> Any:
    """The state behind `token`, or NextTokenCorrupted (the client restarts the listing)."""
    if not token:
        raise NextTokenCorruptedError(message="NextToken is required.")
    try:
        _, _, inner = base64.b64decode(token, validate=True).decode().partition(":")
        return book.redeem(inner, {"family": family, "seller": seller_id})
    except (TokenError, binascii.Error, UnicodeDecodeError):
        raise NextTokenCorruptedError() from None
