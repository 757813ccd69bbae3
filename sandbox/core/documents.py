"""Documents served at presigned URLs that expire on the world's clock, as S3 serves Amazon's.

A URL carries its issue time and an HMAC signature; the lifetime stays on the server, so a
URL can be neither forged nor extended. Content is produced on download, streamed in chunks.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from lxml.builder import E
from lxml.etree import tostring

from sandbox.core.routing import Request, Response

if TYPE_CHECKING:
    from sandbox.app import App

DATE_FORMAT = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class Document:
    produce: Callable[[], Iterable[bytes]]
    content_type: str
    lifetime: float  # world seconds a URL stays valid


def _s3_error(status: int, code: str, message: str) -> Response:
    body = tostring(
        E.Error(E.Code(code), E.Message(message)), xml_declaration=True, encoding="UTF-8"
    )
    return Response(status=status, body=body, content_type="application/xml")


class Documents:
    """One store per app, under `prefix` (outside the SP-API URL space)."""

    def __init__(self, app: App, prefix: str) -> None:
        self.app = app
        self.prefix = prefix
        self._secret = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._documents: dict[str, Document] = {}
        app.router.add("GET", prefix + r"/(?P<key>[^/]+)", self.download, "getObject", "s3")
        app.on_reset(self.clear)

    def put(self, key: str, document: Document) -> None:
        with self._lock:
            self._documents[key] = document

    def clear(self) -> None:
        with self._lock:
            self._documents.clear()

    def _signature(self, key: str, date: str) -> str:
        return hmac.new(self._secret, f"{key}\n{date}".encode(), hashlib.sha256).hexdigest()

    def url(self, key: str, told_seconds: float | int) -> str:
        """A presigned URL at the sandbox's own address; `told_seconds`: its lifetime as told."""
        date = time.strftime(DATE_FORMAT, time.gmtime(self.app.clock.timestamp()))
        query = {
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Date": date,
            "X-Amz-Expires": str(told_seconds),
            "X-Amz-Signature": self._signature(key, date),
        }
        return f"{self.app.base_url}{self.prefix}/{quote(key)}?{urlencode(query)}"

    def download(self, request: Request) -> Response:
        key = request.path_params["key"]
        with self._lock:
            document = self._documents.get(key)
        date = request.query.get("X-Amz-Date", "")
        signature = request.query.get("X-Amz-Signature", "")
        if document is None:
            return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
        if not hmac.compare_digest(signature, self._signature(key, date)):
            return _s3_error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        issued = calendar.timegm(time.strptime(date, DATE_FORMAT))
        if self.app.clock.timestamp() > issued + document.lifetime:
            return _s3_error(403, "AccessDenied", "Request has expired")
        return Response(status=200, body=document.produce(), content_type=document.content_type)
