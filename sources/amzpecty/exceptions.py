"""Amzpecty errors, each transient or terminal, carrying only safe facts (never the key)."""

from __future__ import annotations

from dlt.common.exceptions import TerminalException, TransientException


class AmzpectyError(Exception):
    """A failed Amzpecty call: operation, HTTP status and the envelope's `messageId`."""

    def __init__(
        self,
        message: str,
        *,
        operation: str = "",
        status: int | None = None,
        message_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.operation = operation
        self.status = status
        self.message_id = message_id


class ThrottledError(AmzpectyError, TransientException):
    """TOO_MANY_REQUESTS outlasted the retry policy."""


class ServerError(AmzpectyError, TransientException):
    """5xx answers or dropped connections outlasted the retry policy."""


class AddInDoubtError(ServerError):
    """An Add whose answer was lost (a broken connection, a gateway's 5xx): it may be queued,
    so it is not sent again; its callback, or a later run, settles it."""


class InvalidRequestError(AmzpectyError, TerminalException):
    """400: this ASIN or product id, as asked, will never be accepted."""


class ParentAsinError(InvalidRequestError):
    """PARENT_ASIN_NOT_ALLOWED: the ASIN belongs in the variations queue."""


class AuthenticationError(AmzpectyError, TerminalException):
    """INVALID_SECRET_KEY: the configured key is wrong."""


class CreditsExhaustedError(AmzpectyError, TerminalException):
    """No credit left (INSUFFICIENT_CREDITS, DAILY_LIMIT_REACHED) or the configured floor."""


class RidNotFoundError(AmzpectyError, TerminalException):
    """RID_NOT_FOUND: the service no longer knows the request."""


class ConfigurationError(ValueError, TerminalException):
    """The source's configuration cannot work; the message names the key."""
