"""Wire encoders: handlers return data, these render it (escaping correct by construction)."""

from __future__ import annotations

from typing import Any

import orjson

from sandbox.core.routing import Response


def to_json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(status=status, body=orjson.dumps(data), headers=dict(headers or {}))
