"""Every operation of Amazon's SP-API models as the sandbox knows it: route, parameters, usage
plan and static examples, from `static_examples.json` (written by scripts/sp_api_registry.py
from the same models as the client's registry; the sandbox never imports `sources/`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

DATA_PATH = Path(__file__).with_name("static_examples.json")


class Example(NamedTuple):
    """One `x-amzn-api-sandbox` static example: the parameters that select it, its answer."""

    status: int
    parameters: dict[str, Any]
    body: Any  # None: the example answers no body
    headers: dict[str, str]


@dataclass(frozen=True)
class ModelOperation:
    key: str  # <model file stem>.<operationId>
    method: str
    path: str  # template, e.g. /catalog/2022-04-01/items/{asin}
    parameters: tuple[tuple[str, str, bool, str], ...]  # (name, in, required, type)
    usage_plan: tuple[float, int]  # the model's, or the generator's marked guess
    examples: tuple[Example, ...]

    @property
    def route(self) -> str:
        """The path as a router regex; a path parameter may be empty, as Amazon's examples
        send (`asin=""` answers 400, not an unrouted 404)."""
        escaped = re.escape(self.path)
        return re.sub(r"\\\{([^}]+)\\\}", r"(?P<\1>[^/]*)", escaped)

    @property
    def specificity(self) -> tuple[bool, ...]:
        """Sorts literal segments before parameters, left to right: of two templates that
        match a path, the one with the earlier literal is the more specific."""
        return tuple(part.startswith("{") for part in self.path.strip("/").split("/"))


def _example(status: int, parameters: dict[str, Any], body: Any, *headers: Any) -> Example:
    return Example(status, parameters, body, headers[0] if headers else {})


@cache
def operations() -> dict[str, ModelOperation]:
    """All operations by key, most specific paths first, so that `/items/inventory` wins over
    `/items/{sellerSku}` when both are routed."""
    data = json.loads(DATA_PATH.read_text())
    data.pop("source")
    found = [
        ModelOperation(
            key=key,
            method=entry["method"],
            path=entry["path"],
            parameters=tuple(tuple(p) for p in entry["parameters"]),  # type: ignore[misc]
            usage_plan=tuple(entry["usage_plan"]),  # type: ignore[arg-type]
            examples=tuple(_example(*example) for example in entry["examples"]),
        )
        for key, entry in data.items()
    ]
    found.sort(key=lambda op: op.specificity)
    return {op.key: op for op in found}
