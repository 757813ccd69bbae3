"""Verifying AWS Signature Version 2 (MWS, ECS), on the server side of the wire.

The client in `sources/common/sigv2.py` computes the same string; the two never import each
other, so each side states the canonicalisation once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import quote

ALGORITHMS = {"HmacSHA256": hashlib.sha256, "HmacSHA1": hashlib.sha1}


def expected_signature(
    secret: str, method: str, host: str, path: str, params: Mapping[str, str], algorithm: str
) -> str:
    """Base64 HMAC of `VERB\\nhost\\npath\\n` + params sorted by byte order, RFC 3986-encoded."""
    pairs = sorted((name.encode(), name, value) for name, value in params.items())
    query = "&".join(
        f"{quote(name, safe='-_.~')}={quote(value, safe='-_.~')}"
        for _, name, value in pairs
        if name != "Signature"
    )
    text = f"{method.upper()}\n{host.lower()}\n{path or '/'}\n{query}"
    digest = hmac.new(secret.encode(), text.encode(), ALGORITHMS[algorithm]).digest()
    return base64.b64encode(digest).decode()


def matches(provided: str, expected: str) -> bool:
    return hmac.compare_digest(provided.encode(), expected.encode())
