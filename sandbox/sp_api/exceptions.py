"""SP-API errors in Amazon's envelope: {"errors": [{"code", "message", "details"}]}."""

from __future__ import annotations

from sandbox.core.exceptions import ServiceError
from sandbox.core.routing import Response
from sandbox.core.serialize import to_json


class SpApiError(ServiceError):
    error_type: str | None = None

    def to_response(self) -> Response:
        headers = {"x-amzn-ErrorType": self.error_type} if self.error_type else {}
        return to_json(
            {"errors": [{"code": self.code, "message": self.message, "details": self.details}]},
            status=self.status,
            headers=headers,
        )


class InvalidInputError(SpApiError):
    status, code = 400, "InvalidInput"
    message = "The input you have submitted is not valid. Please check your input and try again."


class UnauthorizedError(SpApiError):
    status, code = 403, "Unauthorized"
    message = "Access to requested resource is denied."
    error_type = "AccessDeniedException"


class NotFoundError(SpApiError):
    status, code = 404, "NotFound"
    message = "The resource specified does not exist."


class QuotaExceededError(SpApiError):
    status, code = 429, "QuotaExceeded"
    message = "You exceeded your quota for the requested resource."


class InternalFailureError(SpApiError):
    status, code = 500, "InternalFailure"
    message = "We encountered an internal error. Please try again."


class ServiceUnavailableError(SpApiError):
    # body code for 503 is not confirmed by any source; the reference infers this one
    status, code = 503, "ServiceUnavailable"
    message = "Temporary overloading or maintenance of the server."


BY_STATUS: dict[int, type[SpApiError]] = {
    e.status: e
    for e in (
        InvalidInputError,
        UnauthorizedError,
        NotFoundError,
        QuotaExceededError,
        InternalFailureError,
        ServiceUnavailableError,
    )
}

TOKEN_MISSING = "Access token is missing in the request header."
TOKEN_INVALID = "The access token you provided is revoked, malformed or invalid."
TOKEN_EXPIRED = "The access token you provided has expired."
