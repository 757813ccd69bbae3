"""Parsing and validating SP-API request parameters the way Amazon answers them (400s)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from sandbox.core.routing import Request
from sandbox.sp_api.exceptions import InvalidInputError


def iso(ts: float) -> str:
    """Response timestamps: `2017-01-20T19:49:35Z`."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def parse_times(request: Request, names: list[str]) -> dict[str, float]:
    """ISO 8601 date-times in the query; see `parse_time_values`."""
    query = request.query
    return parse_time_values({name: query[name] for name in names if name in query})


def parse_time_values(values: dict[str, str]) -> dict[str, float]:
    """ISO 8601 date-times (a query's or a JSON body's), any UTC offset; all bad ones are
    named in one `Invalid date-time field(s)` 400."""
    parsed: dict[str, float] = {}
    bad = []
    for name, value in values.items():
        try:
            moment = datetime.fromisoformat(value.replace("z", "Z"))
        except ValueError:
            bad.append(name)
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        parsed[name] = moment.timestamp()
    if bad:
        raise InvalidInputError(f"Invalid date-time field(s) [{', '.join(bad)}].")
    return parsed


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    value = request.query.get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise InvalidInputError(f"{name} must be an integer.") from None
    if not low <= number <= high:
        raise InvalidInputError(f"{name} must be between {low} and {high}.")
    return number


def enum_list(request: Request, name: str, allowed: tuple[str, ...]) -> list[str] | None:
    values = request.query_list(name)
    if values is None:
        return None
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise InvalidInputError(f"Invalid {name} value(s): {', '.join(unknown)}.")
    return values


def json_body(request: Request) -> dict[str, Any]:
    """A POST body as a JSON object, or Amazon's 400."""
    try:
        body = json.loads(request.body or b"")
    except ValueError as error:
        raise InvalidInputError("The request body is not valid JSON.") from error
    if not isinstance(body, dict):
        raise InvalidInputError("The request body must be a JSON object.")
    return body
