"""Documents at presigned URLs (S3's role): fetched without the SP-API token, paced and
retried like every call, streamed line by line; an expired URL is told apart, so that the
caller asks the API for a fresh one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import requests
from dlt.common.exceptions import TransientException

from sources.common.redact import redact_url
from sources.common.session import PacedSession
from sources.sp_api.exceptions import InvalidRequestError, ServerError, SpApiError

DOWNLOAD_OPERATION = "documents.download"
CHUNK_BYTES = 1 << 16


class DocumentExpiredError(SpApiError, TransientException):
    """The presigned URL expired before the download started."""


class DocumentFormatError(SpApiError):
    """A document line that is not JSON."""


class DocumentSession(PacedSession):
    def error_for(self, response, operation, cause=None):  # type: ignore[no-untyped-def]
        if response is None:
            return ServerError(f"{operation}: no response ({type(cause).__name__})")
        where = redact_url(response.url)
        status = response.status_code
        if status == 403 and "expired" in response.text:
            return DocumentExpiredError(f"{operation}: the URL expired at {where}", status=status)
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
