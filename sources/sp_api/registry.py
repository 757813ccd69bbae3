"""Every operation in Amazon's SP-API models, from `operations.json`.

`scripts/sp_api_registry.py` generates that file from a models directory; this module reads
it once and answers which operation a request calls and which usage plan paces it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

REGISTRY_PATH = Path(__file__).with_name("operations.json")
UNKNOWN_PLAN = (0.5, 1)  # operations whose model states no usage plan: the most cautious pace


@dataclass(frozen=True)
class Operation:
    api: str  # the model file stem, e.g. orders_2026-01-01
    name: str  # operationId
    method: str
    path: str  # template, e.g. /orders/v0/orders/{orderId}
    rate: float
    burst: int
    parameters: tuple[tuple[str, str, bool, str], ...] = ()  # (name, in, required, type)
    pagination: dict[str, Any] | None = None  # {"request", "response", "token_only"}
    items: str = "$"  # where a response's items are (dotted path, "$" for the body)
    deprecated: bool = False
    window: dict[str, int | None] | None = None  # {"max_days", "history_days"} from prose
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(self.path))
        object.__setattr__(self, "pattern", re.compile(f"^{regex}$"))

    @property
    def key(self) -> str:
        return f"{self.api}.{self.name}"

    def parameter_names(self, location: str) -> list[str]:
        return [name for name, where, _, _ in self.parameters if where == location]


UNKNOWN_OPERATION = Operation("unknown", "unknown", "*", "/", *UNKNOWN_PLAN)


@cache
def operations() -> dict[str, Operation]:
    """All registry operations by key, most specific paths first (literal segments win)."""
    entries = json.loads(REGISTRY_PATH.read_text())
    found = [
        Operation(
            api=entry["api"],
            name=entry["operation"],
            method=entry["method"],
            path=entry["path"],
            rate=(entry["usage_plan"] or UNKNOWN_PLAN)[0],
            burst=(entry["usage_plan"] or UNKNOWN_PLAN)[1],
            parameters=tuple(tuple(p) for p in entry["parameters"]),  # type: ignore[misc]
            pagination=entry["pagination"],
            items=entry["items"],
            deprecated=entry["deprecated"],
            window=entry["window"],
        )
        for entry in entries
    ]
    found.sort(key=lambda op: (op.path.count("{"), -len(op.path)))
    return {op.key: op for op in found}


def operation(api: str, name: str) -> Operation:
    """A registry operation by model and operationId; the error lists what exists."""
    found = operations().get(f"{api}.{name}")
    if found is None:
        known = sorted({op.api for op in operations().values()})
        raise KeyError(f"no operation {name!r} in API {api!r}; APIs: {', '.join(known)}")
    return found


def operation_for(method: str, path: str) -> Operation:
    """The operation a request calls, by method and path (its usage plan hangs off it)."""
    for op in operations().values():
        if op.method == method and op.pattern.match(path):
            return op
    return UNKNOWN_OPERATION


def plan_for(operation_key: object) -> tuple[float, int]:
    """(rate, burst) of the usage plan behind an operation key."""
    found = operations().get(str(operation_key), UNKNOWN_OPERATION)
    return found.rate, found.burst
