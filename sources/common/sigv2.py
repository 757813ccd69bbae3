"""AWS Signature Version 2, as MWS and Product Advertising API 4 (ECS) sign requests.

String to sign: `VERB\\nhost\\npath\\ncanonical query`; the canonical query sorts every
parameter but `Signature` by name in byte order and percent-encodes names and values per
RFC 3986. MWS signs POST bodies (HmacSHA256 or HmacSHA1), ECS signs GET URLs (HmacSHA256).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import quote, urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
DIGESTS = {"HmacSHA256": hashlib.sha256, "HmacSHA1": hashlib.sha1}


def encode(value: str) -> str:
    """RFC 3986: only `A-Z a-z 0-9 - _ . ~` stay as they are; space is %20."""
    return quote(value, safe="-_.~")


def canonical_query(params: Mapping[str, str]) -> str:
    pairs = sorted((k.encode(), k, v) for k, v in params.items() if k != "Signature")
    return "&".join(f"{encode(k)}={encode(v)}" for _, k, v in pairs)


def string_to_sign(method: str, host: str, path: str, params: Mapping[str, str]) -> str:
    """Host in lower case without the scheme or a standard port; an empty path is `/`."""
    return "\n".join((method.upper(), host.lower(), path or "/", canonical_query(params)))


def sign(secret: str, text: str, method: str = "HmacSHA256") -> str:
    digest = hmac.new(secret.encode(), text.encode(), DIGESTS[method]).digest()
    return base64.b64encode(digest).decode()


def signing_host(url: str) -> str:
    """Host as signed: lower case, without a standard port."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.port and parts.port != DEFAULT_PORTS.get(parts.scheme):
        host += f":{parts.port}"
    return host
