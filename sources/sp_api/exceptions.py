"""SP-API errors, each transient or terminal, carrying only safe facts (never a secret)."""

from __future__ import annotations

from dlt.common.exceptions import TerminalException, TransientException


class SpApiError(Exception):
    """An SP-API or LWA failure: operation, status, Amazon's code and the request id."""

    def __init__(
        self,
        message: str,
        *,
        operation: str = "",
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.operation = operation
        self.status = status
        self.code = code
        self.request_id = request_id
        self.account: str | None = None  # set where it is known: the account's name
        self.page: int | None = None  # and the page of a paginated operation, from 1

    def __str__(self) -> str:
        text = super().__str__()
        where = [f"account {self.account}"] if self.account else []
        where += [f"page {self.page}"] if self.page else []
        if where:
            text += f" [{', '.join(where)}]"
        if self.request_id:
            text += f" (x-amzn-RequestId {self.request_id})"
        return text


class ThrottledError(SpApiError, TransientException):
    """429s outlasted the retry policy."""


class ServerError(SpApiError, TransientException):
    """5xx answers or dropped connections outlasted the retry policy."""


class QuotaExhaustedError(SpApiError, TerminalException):
    """Throttled with a Retry-After longer than a run waits: the next run asks again."""


class MalformedResponseError(SpApiError, TerminalException):
    """An answer that is not what its operation documents: larger than `max_response_bytes`,
    not JSON (too deep, NaN, a number out of range) or items without their keys."""


class InvalidRequestError(SpApiError, TerminalException):
    """400: the request must change."""


class AccessDeniedError(SpApiError, TerminalException):
    """403 other than an expired token: a missing role, a wrong region, a revoked token."""


class NotFoundError(SpApiError, TerminalException):
    """404."""


class LwaError(SpApiError, TerminalException):
    """Login with Amazon refused the credentials; the message names the config key at fault."""


class ConfigurationError(ValueError, TerminalException):
    """The source's configuration cannot work; the message names the key."""


class ReportError(SpApiError):
    """A report that did not load; the message names its type, window or id, and why."""


class ReportFatalError(ReportError, TerminalException):
    """Amazon aborted the report (FATAL) every time it was created; its error document says why."""


class ReportTimeoutError(ReportError, TransientException):
    """The report was still queued or in progress at the deadline; the next run resumes it."""


class DocumentError(ReportError, TerminalException):
    """A document that is truncated, corrupt, undecodable, too large or malformed: none of it
    loads."""


class DocumentUrlExpiredError(SpApiError, TransientException):
    """A presigned document URL answered 403: it expired, so a new one is needed."""
