"""Documents at presigned URLs (S3's role): fetched without the SP-API token, paced and
retried like every call; an expired URL is told apart, so that the caller asks the API for a
fresh one. Report documents are read by `documents`; JSON documents (Data Kiosk) here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import requests

from sources.common.redact import redact_url
from sources.common.session import PacedSession
from sources.sp_api.exceptions import (
    DocumentUrlExpiredError,
    InvalidRequestError,
    ServerError,
    SpApiError,
)

DOWNLOAD_OPERATION = "documents.download"
CHUNK_BYTES = 1 << 16


class DocumentFormatError(SpApiError):
    """A document line that is not JSON."""


class DocumentSession(PacedSession):
    """Plain GETs without SP-API headers; a 403 means the URL expired (S3's answer)."""

    def error_for(self, response, operation, cause=None):  # type: ignore[no-untyped-def]
        if response is None:
            return ServerError(f"{operation}: no response ({type(cause).__name__})")
        where = redact_url(response.url)
        status = response.status_code
        if status == 403:
            return DocumentUrlExpiredError(
                f"{operation}: the URL expired at {where}", operation=operation, status=status
            )
        kind = ServerError if status >= 500 else InvalidRequestError
        return kind(f"{operation} answered {status} at {where}", operation=operation, status=status)


def json_lines(session: requests.Session, url: str) -> Iterator[dict[str, Any]]:
    """A JSONL document's records, parsed as the bytes arrive."""
    with session.get(url, stream=True) as response:
        for number, line in enumerate(response.iter_lines(chunk_size=CHUNK_BYTES), start=1):
            if not line.strip():
                continue
            try:
                yield orjson.loads(line)
            except orjson.JSONDecodeError as error:
                raise DocumentFormatError(
                    f"line {number} of the document at {redact_url(url)} is not JSON: {error}"
                ) from None


def json_document(session: requests.Session, url: str) -> Any:
    """A whole (small) JSON document, such as an error document."""
    response = session.get(url)
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return {"text": response.text[:2000]}
