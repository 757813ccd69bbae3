"""MWS errors: `ErrorResponse/{Error/{Type, Code, Message}, RequestId}`, section namespace."""

from __future__ import annotations

import uuid

from sandbox.core.exceptions import ServiceError
from sandbox.core.routing import Response
from sandbox.core.serialize import to_xml

ORDERS_NS = "https://mws.amazonservices.com/Orders/2013-09-01"
REPORTS_NS = "http://mws.amazonaws.com/doc/2009-01-01/"


class MwsError(ServiceError):
    error_type = "Sender"
    request_id_name = "RequestId"

    def to_response(self, namespace: str = ORDERS_NS) -> Response:
        request_id = str(uuid.uuid4())
        body = {
            "Error": {"Type": self.error_type, "Code": self.code, "Message": self.message},
            self.request_id_name: request_id,
        }
        response = to_xml("ErrorResponse", body, namespace, status=self.status)
        response.headers["x-mws-request-id"] = request_id
        return response


class InvalidParameterValueError(MwsError):
    status, code, message = 400, "InvalidParameterValue", "Invalid parameter value."


class MissingParameterError(MwsError):
    status, code, message = 400, "MissingParameter", "A required parameter is missing."


class InvalidAddressError(MwsError):
    # [doc] the developer guide's common errors: "An invalid API section or operation value
    # was used, or an invalid path was used"; an unserved HTTP method answers so too (a guess).
    # No body is recorded: `RequestID` spelled as in the recorded throttle, a front-end answer
    request_id_name = "RequestID"
    status, code = 404, "InvalidAddress"
    message = "An invalid API section or operation value was used, or an invalid path was used."


class NextTokenCorruptedError(MwsError):
    # named in Amazon's MWS guide; the body is not recorded, so it takes the common envelope
    status, code = 400, "NextTokenCorrupted"
    message = "The NextToken is corrupted or expired; call the original operation again."


class RequestExpiredError(MwsError):
    # a guess in the AWS query style: MWS refuses timestamps far from its clock
    status, code, message = 400, "RequestExpired", "Request has expired."


class InvalidAccessKeyIdError(MwsError):
    status, code = 403, "InvalidAccessKeyId"
    message = "The AWS Access Key Id you provided does not exist in our records."


class SignatureDoesNotMatchError(MwsError):
    status, code = 403, "SignatureDoesNotMatch"
    message = (
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. Consult the service "
        "documentation for details."
    )


class AccessDeniedError(MwsError):
    # a guess: a SellerId/MWSAuthToken pair that does not authorize the developer
    status, code, message = 401, "AccessDenied", "Access denied."


class InternalError(MwsError):
    error_type = "Server"
    status, code, message = 500, "InternalError", "We encountered an internal error."


class RequestThrottledError(MwsError):
    error_type = ""  # recorded: an empty <Type> and `RequestID` spelled so
    request_id_name = "RequestID"
    status, code, message = 503, "RequestThrottled", "Request is throttled"


class ServiceUnavailableError(MwsError):
    error_type = "Server"
    status, code, message = 503, "ServiceUnavailable", "Service is unavailable."


BY_STATUS: dict[int, type[MwsError]] = {
    400: InvalidParameterValueError,
    401: AccessDeniedError,
    403: SignatureDoesNotMatchError,
    500: InternalError,
    503: RequestThrottledError,
}
