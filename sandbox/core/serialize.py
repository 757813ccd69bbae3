"""Wire encoders: handlers return data, these render it (escaping correct by construction)."""

from __future__ import annotations

import json
from typing import Any

from sandbox.core.routing import Response


def to_json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return Response(status=status, body=body, headers=dict(headers or {}))
