"""ServiceError: every simulated failure is raised once, in a model, and rendered by its service."""

from __future__ import annotations

from sandbox.core.routing import Response


class ServiceError(Exception):
    """Base for wire errors; subclasses set `status`, `code`, `message` and know their format."""

    status: int = 400
    code: str = "InvalidInput"
    message: str = (
        "The input you have submitted is not valid. Please check your input and try again."
    )

    def __init__(self, details: str = "", message: str | None = None) -> None:
        super().__init__(message or self.message)
        self.details = details
        if message is not None:
            self.message = message

    def to_response(self) -> Response:
        raise NotImplementedError
