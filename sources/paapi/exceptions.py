"""ECS errors, each transient or terminal, carrying only safe facts (never a secret)."""

from __future__ import annotations

from dlt.common.exceptions import TerminalException, TransientException


class EcsError(Exception):
    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class ThrottledError(EcsError, TransientException):
    """503 RequestThrottled outlasted the retry policy."""


class ServerError(EcsError, TransientException):
    """5xx or dropped connections outlasted the retry policy."""


class AccessDeniedError(EcsError, TerminalException):
    """403, or a 200 whose body refuses the account (AWS.InvalidAccount): the key, the
    signature or the timestamp was refused."""


class InvalidRequestError(EcsError, TerminalException):
    """A top-level 4xx error document, or an answer that is not ECS XML."""


class ConfigurationError(ValueError, TerminalException):
    """The source's configuration cannot work; the message names the key."""
