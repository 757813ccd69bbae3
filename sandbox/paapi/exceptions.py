"""ECS top-level errors: `{Operation}ErrorResponse` in `http://ecs.amazonaws.com/doc/{Version}/`,
and the un-namespaced `ErrorResponse` of throttling, as recorded."""

from __future__ import annotations

import uuid

from sandbox.core.exceptions import ServiceError
from sandbox.core.routing import Response
from sandbox.core.serialize import to_xml


class EcsError(ServiceError):
    def to_response(self, operation: str = "ItemLookup", version: str = "2011-08-01") -> Response:
        body = {
            "Error": {"Code": self.code, "Message": self.message},
            "RequestId": str(uuid.uuid4()),
        }
        namespace = f"http://ecs.amazonaws.com/doc/{version}/"
        return to_xml(f"{operation}ErrorResponse", body, namespace, status=self.status)


class SignatureDoesNotMatchError(EcsError):
    status, code = 403, "SignatureDoesNotMatch"
    message = (
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. Consult the service "
        "documentation for details."
    )


class MissingClientTokenIdError(EcsError):
    status, code = 403, "MissingClientTokenId"
    message = "Request must contain AWSAccessKeyId or X.509 certificate."


class InvalidClientTokenIdError(EcsError):
    status, code = 403, "InvalidClientTokenId"
    message = "The AWS Access Key Id you provided does not exist in our records."


class RequestExpiredError(EcsError):
    # not recorded for ECS; the AWS query services' answer to a stale Timestamp
    status, code = 400, "RequestExpired"
    message = "Request has expired. Timestamp date is outside the allowed window."


class MissingParameterError(EcsError):
    status, code, message = 400, "MissingParameter", "A required parameter is missing."


class InternalError(EcsError):
    status, code, message = 500, "InternalError", "We encountered an internal error."


class RequestThrottledError(EcsError):
    status, code, message = 503, "RequestThrottled", "Request from 127.0.0.1 is throttled."

    def to_response(self, operation: str = "", version: str = "") -> Response:
        body = {
            "Error": {"Code": self.code, "Message": self.message},
            "RequestID": str(uuid.uuid4()),
        }
        return to_xml("ErrorResponse", body, None, status=self.status)


BY_STATUS: dict[int, type[EcsError]] = {
    400: MissingParameterError,
    403: SignatureDoesNotMatchError,
    500: InternalError,
    503: RequestThrottledError,
}
