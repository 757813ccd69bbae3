"""MWS errors, each transient or terminal, carrying only safe facts (never a secret)."""

from __future__ import annotations

from dlt.common.exceptions import TerminalException, TransientException


class MwsError(Exception):
    """An MWS failure: action, status, Amazon's code, request id and timestamp."""

    def __init__(
        self,
        message: str,
        *,
        action: str = "",
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        timestamp: str | None = None,
    ) -> None:
        super().__init__(message)
        self.action = action
        self.status = status
        self.code = code
        self.request_id = request_id
        self.timestamp = timestamp

    def __str__(self) -> str:
        text = super().__str__()
        if self.request_id:
            text += f" (RequestId {self.request_id}"
            text += f", x-mws-timestamp {self.timestamp})" if self.timestamp else ")"
        return text


class ThrottledError(MwsError, TransientException):
    """503 RequestThrottled or QuotaExceeded outlasted the retry policy."""


class ServerError(MwsError, TransientException):
    """5xx or dropped connections outlasted the retry policy."""


class NextTokenCorruptedError(MwsError, TransientException):
    """A ByNextToken call was refused: the original call must be made again."""


class InvalidRequestError(MwsError, TerminalException):
    """400: the request must change."""


class AccessDeniedError(MwsError, TerminalException):
    """401/403: wrong keys, signature or MWSAuthToken; the message names the config key."""


class DocumentError(MwsError, TerminalException):
    """A response or file that is not what MWS sends: malformed XML, a wrong Content-MD5."""


class ConfigurationError(ValueError, TerminalException):
    """The source's configuration cannot work; the message names the key."""
