"""Every operation of Amazon's SP-API models as the sandbox knows it: route, parameters, usage
plan and static examples, from `static_examples.json` (written by scripts/sp_api_registry.py
from the same models as the client's registry; the sandbox never imports `sources/`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA_PATH = Path(__file__).with_name("static_examples.json")


@dataclass(frozen=True)
class ModelOperation:
    key: str  # <model file stem>.<operationId>
    method: str
    path: str  # template, e.g. /catalog/2022-04-01/items/{asin}
    parameters: tuple[tuple[str, str, bool, str], ...]  # (name, in, required, type)
    usage_plan: tuple[float, int] | None
    examples: tuple[tuple[int, dict[str, Any], Any], ...]  # (status, parameters, response)

    @property
    def route(self) -> str:
        """The path as a router regex; a path parameter may be empty, as Amazon's examples
        send (`asin=""` answers 400, not an unrouted 404)."""
        escaped = re.escape(self.path)
        return re.sub(r"\\\{([^}]+)\\\}", r"(?P<\1>[^/]*)", escaped)


@cache
def operations() -> dict[str, ModelOperation]:
    """All operations by key, literal paths first, so that `/items/inventory` wins over
    `/items/{sellerSku}` when both are routed."""
    data = json.loads(DATA_PATH.read_text())
    data.pop("source")
    found = [
        ModelOperation(
            key=key,
            method=entry["method"],
            path=entry["path"],
            parameters=tuple(tuple(p) for p in entry["parameters"]),  # type: ignore[misc]
            usage_plan=tuple(entry["usage_plan"]) if entry["usage_plan"] else None,  # type: ignore[arg-type]
            examples=tuple((status, params, body) for status, params, body in entry["examples"]),
        )
        for key, entry in data.items()
    ]
    found.sort(key=lambda op: (op.path.count("{"), -len(op.path)))
    return {op.key: op for op in found}
