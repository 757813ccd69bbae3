"""Documents at presigned URLs (S3's role): fetched without the SP-API token, paced and
retried like every call; an expired URL is told apart, so that the caller asks the API for a
fresh one. Report documents are read by `documents`; JSON documents (Data Kiosk) here."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterator
from typing import IO, Any, TypeVar

import orjson
import requests

from sources.common.redact import redact_text, redact_url
from sources.common.session import BodyTooLargeError, PacedSession
from sources.sp_api.exceptions import (
    DocumentUrlExpiredError,
    InvalidRequestError,
    MalformedResponseError,
    ServerError,
    SpApiError,
)

log = logging.getLogger("sources.sp_api")

DOWNLOAD_OPERATION = "documents.download"
CHUNK_BYTES = 1 << 16
SPOOL_BYTES = 8 << 20
URL_ATTEMPTS = 3  # an expired URL costs one new getReportDocument / getDocument, this often
T = TypeVar("T")
R = TypeVar("R")


class DocumentFormatError(SpApiError):
    """A document line that is not JSON."""


class DocumentSession(PacedSession):
    """Plain GETs without SP-API headers; a 403 means the URL expired (S3's answer)."""

    def error_for(self, response, operation, cause=None):  # type: ignore[no-untyped-def]
        if response is None:
            reason = redact_text(str(cause).split("\n")[0])[:200]
            return ServerError(
                f"{operation}: the connection broke {self.policy.max_attempts} times "
                f"({type(cause).__name__}: {reason})",
                operation=operation,
            )
        where = redact_url(response.url)
        status = response.status_code
        if isinstance(cause, BodyTooLargeError):
            return MalformedResponseError(
                f"{operation}: {cause} (max_response_bytes) at {where}", operation=operation
            )
        if status == 403:
            return DocumentUrlExpiredError(
                f"{operation}: the URL expired at {where}", operation=operation, status=status
            )
        kind = ServerError if status >= 500 else InvalidRequestError
        return kind(f"{operation} answered {status} at {where}", operation=operation, status=status)


def with_fresh_url(ask: Callable[[], T], read: Callable[[T], R], what: str) -> R:
    """`read` the document `ask` points to (getReportDocument, getDocument); a URL that
    expired before it was read costs one more `ask`, `URL_ATTEMPTS` times at most."""
    for _ in range(URL_ATTEMPTS):
        try:
            return read(ask())
        except DocumentUrlExpiredError:
            log.info("%s: the document URL expired; asking for a new one", what)
    raise DocumentUrlExpiredError(
        f"{what}: the document URL expired {URL_ATTEMPTS} times", operation=DOWNLOAD_OPERATION
    )


def json_lines(session: PacedSession, url: str) -> Iterator[dict[str, Any]]:
    """A JSONL document's records. It is downloaded whole first (from its start again when
    the transfer breaks off), so a broken transfer hands on no record; an expired URL raises
    here, before any record."""
    return _records(session.consume("GET", url, _spooled), url)


def _spooled(response: requests.Response) -> IO[bytes]:
    """The body in memory, on disk past SPOOL_BYTES; the caller closes it."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
    try:
        for chunk in response.iter_content(CHUNK_BYTES):
            spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool  # type: ignore[return-value]


def _records(spool: IO[bytes], url: str) -> Iterator[dict[str, Any]]:
    with spool:
        for number, line in enumerate(spool, start=1):
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
