"""Documents MWS hands out as they are, not as XML: text with a Content-MD5 header."""

from __future__ import annotations

import base64
import hashlib

from sandbox.core.routing import Response


def text_response(body: bytes, wire_charset: str) -> Response:
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()  # noqa: S324 - the wire's MD5
    return Response(
        body=body,
        headers={"Content-MD5": md5},
        content_type=f"text/plain;charset={wire_charset}",
    )
