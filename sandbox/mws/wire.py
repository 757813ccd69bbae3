"""What every MWS handler reads and writes: the call, enumerated lists, times, the envelope."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sandbox.core.routing import Response
from sandbox.core.serialize import to_xml
from sandbox.mws.exceptions import InvalidParameterValueError
from sandbox.seed.sellers import Seller


@dataclass
class MwsCall:
    """One request's parameters and the seller it acts for."""

    params: dict[str, str]
    seller: Seller
    now: float  # the world's virtual time for this request

    def list_param(self, prefix: str) -> list[str]:
        """An enumerated list (`MarketplaceId.Id.1`, `MarketplaceId.Id.2`, ...) in order."""
        found = []
        for name, value in self.params.items():
            head, _, number = name.rpartition(".")
            if head == prefix and number.isdigit():
                found.append((int(number), value))
        return [value for _, value in sorted(found)]

    def time_param(self, name: str) -> float | None:
        value = self.params.get(name)
        if not value:
            return None
        try:
            return parse_time(value)
        except ValueError:
            raise InvalidParameterValueError(message=f"Invalid {name}: {value}.") from None

    def int_param(self, name: str, default: int, low: int, high: int) -> int:
        value = self.params.get(name, str(default))
        if not value.isdigit() or not low <= int(value) <= high:
            raise InvalidParameterValueError(message=f"{name} must be {low} to {high}.")
        return int(value)


def parse_time(value: str) -> float:
    moment = datetime.fromisoformat(value.replace("z", "Z"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def iso(ts: float) -> str:
    """Document times, as recorded: `2018-04-27T13:05:01+00:00`."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(ts))


def iso_ms(ts: float) -> str:
    """`x-mws-timestamp` and resetsOn style: `2018-04-27T14:50:06.239Z`."""
    whole = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts))
    return f"{whole}.{int((ts % 1) * 1000):03d}Z"


def respond(action: str, result: dict[str, Any], namespace: str) -> Response:
    """`{Action}Response/{{Action}Result, ResponseMetadata/RequestId}`."""
    request_id = str(uuid.uuid4())
    body = {f"{action}Result": result, "ResponseMetadata": {"RequestId": request_id}}
    response = to_xml(f"{action}Response", body, namespace)
    response.headers["x-mws-request-id"] = request_id
    return response
