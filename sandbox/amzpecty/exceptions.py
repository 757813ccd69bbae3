"""Amzpecty errors in the service's own envelope (status ERROR, messageId, message).

Only `OK` and the envelope fields are documented; the error codes, their HTTP statuses and
`INVALID_PARAMETER` are our guess (reference: legacy.md (a), "Not public").
"""

from __future__ import annotations

from typing import Any

from sandbox.core.exceptions import ServiceError
from sandbox.core.routing import Response
from sandbox.core.serialize import to_json


class AmzpectyError(ServiceError):
    """Rendered as the Add/Get envelope with `data` and `rid` null."""

    status, code, message = 400, "INVALID_PARAMETER", "A parameter is missing or not valid."
    responsefor: str | None = None

    def __init__(
        self, details: str = "", message: str | None = None, credits: dict[str, Any] | None = None
    ) -> None:
        super().__init__(details, message)
        self.credits = credits  # `allowed`/`dailyAllowed` once the secret key is known

    def to_response(self) -> Response:
        credits = self.credits or {"allowed": None, "dailyAllowed": None}
        return to_json(
            {
                "status": "ERROR",
                "responsefor": self.responsefor,
                **credits,
                "messageId": self.code,
                "message": f"{self.message} {self.details}".strip(),
                "data": None,
                "rid": None,
                "dateProcessed": None,
            },
            status=self.status,
        )


class InvalidParameterError(AmzpectyError):
    status, code, message = 400, "INVALID_PARAMETER", "A parameter is missing or not valid."


class InvalidAsinError(AmzpectyError):
    status, code, message = 400, "INVALID_ASIN", "The ASIN or ISBN is not valid."


class ParentAsinNotAllowedError(AmzpectyError):
    status, code = 400, "PARENT_ASIN_NOT_ALLOWED"
    message = "Parent ASINs belong in the product variations queue."


class InvalidSecretKeyError(AmzpectyError):
    status, code, message = 401, "INVALID_SECRET_KEY", "The secret key is missing or not valid."


class InsufficientCreditsError(AmzpectyError):
    status, code, message = 402, "INSUFFICIENT_CREDITS", "Not enough credits left."


class DailyLimitReachedError(AmzpectyError):
    status, code, message = 429, "DAILY_LIMIT_REACHED", "The daily allowance is used up."


class TooManyRequestsError(AmzpectyError):
    status, code = 429, "TOO_MANY_REQUESTS"
    message = "Please set requests at least 1-2 seconds apart."


class RidNotFoundError(AmzpectyError):
    status, code, message = 404, "RID_NOT_FOUND", "No request has this rid."


class ServerError(AmzpectyError):
    status, code, message = 500, "SERVER_ERROR", "The request could not be processed."
