"""Every operation in Amazon's SP-API models, from `operations.json`.

`scripts/sp_api_registry.py` generates that file from a models directory; this module reads
it once and answers which operation a request calls and which usage plan paces it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

REGISTRY_PATH = Path(__file__).with_name("operations.json")
UNKNOWN_PLAN = (0.5, 1)  # a request no model describes: the most cautious pace


@dataclass(frozen=True)
class Operation:
    api: str  # the model file stem, e.g. orders_2026-01-01
    name: str  # operationId (with its method appended when the id repeats in its model)
    method: str
    path: str  # template, e.g. /orders/v0/orders/{orderId}
    rate: float
    burst: int
    parameters: tuple[tuple[str, str, bool, str], ...] = ()  # (name, in, required, type)
    pagination: dict[str, Any] | None = None  # {"request", "response", "token_only"}
    items: str = "$"  # where a response's items are (dotted path, "$" for the body)
    deprecated: bool = False
    window: dict[str, int | None] | None = None  # {"max_days", "history_days"} from prose
    plan_source: str = "model"  # model, sandbox (a sandbox-only operation) or guess

    @property
    def key(self) -> str:
        return f"{self.api}.{self.name}"

    @cached_property
    def segments(self) -> tuple[str, ...]:
        return tuple(self.path.strip("/").split("/"))

    @cached_property
    def specificity(self) -> tuple[bool, ...]:
        """Literal segments sort before parameters, left to right: of two templates that
        match a path, the one with the earlier literal segment is the more specific."""
        return tuple(segment.startswith("{") for segment in self.segments)

    def matches(self, segments: tuple[str, ...]) -> bool:
        """A concrete path's segments fit this template (a parameter is never empty)."""
        return len(segments) == len(self.segments) and all(
            (template.startswith("{") and segment != "") or template == segment
            for template, segment in zip(self.segments, segments, strict=True)
        )

    def parameter_names(self, location: str) -> list[str]:
        return [name for name, where, _, _ in self.parameters if where == location]


UNKNOWN_OPERATION = Operation("unknown", "unknown", "*", "/", *UNKNOWN_PLAN)


@cache
def operations() -> dict[str, Operation]:
    """All registry operations by key, in the models' order."""
    return {
        op.key: op
        for op in (
            Operation(
                api=entry["api"],
                name=entry["operation"],
                method=entry["method"],
                path=entry["path"],
                rate=entry["usage_plan"][0],
                burst=entry["usage_plan"][1],
                parameters=tuple(tuple(p) for p in entry["parameters"]),  # type: ignore[misc]
                pagination=entry["pagination"],
                items=entry["items"],
                deprecated=entry["deprecated"],
                window=entry["window"],
                plan_source=entry["plan_source"],
            )
            for entry in json.loads(REGISTRY_PATH.read_text())
        )
    }


@cache
def _candidates() -> dict[tuple[str, int], list[Operation]]:
    """Operations by method and number of path segments, most specific first."""
    found: dict[tuple[str, int], list[Operation]] = defaultdict(list)
    for op in operations().values():
        found[(op.method, len(op.segments))].append(op)
    for listed in found.values():
        listed.sort(key=lambda op: op.specificity)
    return dict(found)


def operation(api: str, name: str) -> Operation:
    """A registry operation by model and operationId; the error lists what exists."""
    found = operations().get(f"{api}.{name}")
    if found is None:
        known = sorted({op.api for op in operations().values()})
        raise KeyError(f"no operation {name!r} in API {api!r}; APIs: {', '.join(known)}")
    return found


def operation_for(method: str, path: str) -> Operation:
    """The operation a request calls, by method and path (its usage plan hangs off it): of
    the templates that fit, the most specific (`/items/inventory` over `/items/{sku}`)."""
    segments = tuple(path.strip("/").split("/"))
    for op in _candidates().get((method.upper(), len(segments)), ()):
        if op.matches(segments):
            return op
    return UNKNOWN_OPERATION


def plan_for(operation_key: object) -> tuple[float, int]:
    """(rate, burst) of the usage plan behind an operation key."""
    found = operations().get(str(operation_key), UNKNOWN_OPERATION)
    return found.rate, found.burst
