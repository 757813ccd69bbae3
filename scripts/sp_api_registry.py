"""Generate the SP-API operation registry from a directory of Amazon's official models.

    python scripts/sp_api_registry.py ../shared/reference/sp-api/models

writes `sources/sp_api/operations.json`: for every operation in every model, its id, method,
path, parameters, usage plan, pagination token names and locations, and where its items are.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import deque
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "sources" / "sp_api" / "operations.json"
TOKEN_PARAMETERS = ("nextToken", "NextToken", "paginationToken", "pageToken")
TOKEN_FIELDS = ("nextToken", "NextToken")
PLAN = re.compile(r"\|\s*([\d.]+)\s*\|\s*(\d+)\s*\|")
METHODS = ("get", "put", "post", "delete", "patch")


def _resolve(model: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    seen = set()
    while "$ref" in schema and schema["$ref"] not in seen:
        seen.add(schema["$ref"])
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = model.get("definitions", {}).get(name, {})
    return schema


def _walk(model: dict[str, Any], schema: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Breadth-first (path, resolved schema) over object properties, shallowest first."""
    queue = deque([((), _resolve(model, schema))])
    seen = 0
    while queue and seen < 500:
        path, node = queue.popleft()
        seen += 1
        for name, child in (node.get("properties") or {}).items():
            resolved = _resolve(model, child)
            yield (*path, name), resolved
            if resolved.get("type", "object") == "object" and len(path) < 4:
                queue.append(((*path, name), resolved))


def _success(operation: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    for status in ("200", "201", "202", "204"):
        response = operation.get("responses", {}).get(status)
        if response is not None:
            return int(status), response.get("schema") or {}
    return 200, {}


def _is_object_list(model: dict[str, Any], node: dict[str, Any]) -> bool:
    items = _resolve(model, node.get("items") or {})
    return node.get("type") == "array" and items.get("type", "object") == "object"


def _list_in(model: dict[str, Any], node: dict[str, Any]) -> str | None:
    """The one list of objects a container holds, if the rest is paging and counts (at most
    three other properties, none a list); an object with lists of attributes is an item."""
    properties = {
        name: _resolve(model, child)
        for name, child in (node.get("properties") or {}).items()
        if name != "errors"
    }
    lists = [name for name, child in properties.items() if _is_object_list(model, child)]
    others = [child for name, child in properties.items() if name not in lists]
    if len(lists) == 1 and len(others) <= 3 and all(o.get("type") != "array" for o in others):
        return lists[0]
    return None


def _items_path(model: dict[str, Any], schema: dict[str, Any], single: bool) -> str:
    """Where a response's items are: a list at the top or under `payload`, else the one
    object the response is about (`payload`, `order`), else the whole body (`$`). A `single`
    operation (a GET of one resource by id) is never read as a list."""
    root = _resolve(model, schema)
    if _is_object_list(model, root):
        return "$"
    properties = root.get("properties") or {}
    payload = _resolve(model, properties["payload"]) if "payload" in properties else None
    if payload is not None:
        if _is_object_list(model, payload):
            return "payload"
        found = None if single else _list_in(model, payload)
        return f"payload.{found}" if found else "payload"
    found = None if single else _list_in(model, root)
    if found:
        return found
    named = [n for n in properties if n not in ("errors", "pagination")]
    only = _resolve(model, properties[named[0]]) if len(named) == 1 else {}
    return named[0] if only.get("properties") else "$"


def _token_path(model: dict[str, Any], schema: dict[str, Any]) -> str | None:
    for path, _ in _walk(model, schema):
        if path[-1] in TOKEN_FIELDS:
            return ".".join(path)
    return None


def _parameter(model: dict[str, Any], parameter: dict[str, Any]) -> list[Any]:
    if "$ref" in parameter:
        parameter = model.get("parameters", {}).get(parameter["$ref"].rsplit("/", 1)[-1], {})
    kind = parameter.get("type") or ("object" if parameter.get("in") == "body" else "string")
    if kind == "array":
        kind = f"array<{parameter.get('items', {}).get('type', 'string')}>"
    return [parameter.get("name"), parameter.get("in"), bool(parameter.get("required")), kind]


def operations(model_path: Path) -> list[dict[str, Any]]:
    model = json.loads(model_path.read_text())
    api = model_path.stem
    found = []
    for path, item in model.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            parameters = [_parameter(model, p) for p in shared + operation.get("parameters", [])]
            plan = PLAN.search(operation.get("description", ""))
            status, schema = _success(operation)
            token_param = next(
                (p for p in parameters if p[0] in TOKEN_PARAMETERS and p[1] == "query"), None
            )
            pagination = None
            if token_param is not None:
                description = next(
                    (
                        p.get("description", "")
                        for p in shared + operation.get("parameters", [])
                        if p.get("name") == token_param[0]
                    ),
                    "",
                )
                pagination = {
                    "request": token_param[0],
                    "response": _token_path(model, schema),
                    "token_only": "the only parameter" in description,
                }
            found.append(
                {
                    "api": api,
                    "operation": operation["operationId"],
                    "method": method.upper(),
                    "path": path,
                    "deprecated": bool(operation.get("deprecated")),
                    "parameters": parameters,
                    "usage_plan": [float(plan.group(1)), int(plan.group(2))] if plan else None,
                    "status": status,
                    "pagination": pagination,
                    "items": _items_path(model, schema, single=path.endswith("}")),
                }
            )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("models", type=Path, help="a directory of SP-API model JSON files")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    registry = [op for path in sorted(args.models.glob("*.json")) for op in operations(path)]
    if not registry:
        print(f"no operations found under {args.models}", file=sys.stderr)
        return 1
    lines = ",\n".join(json.dumps(op, separators=(",", ":")) for op in registry)
    args.output.write_text(f"[\n{lines}\n]\n")
    print(
        f"{len(registry)} operations from {len({op['api'] for op in registry})} models "
        f"-> {args.output}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
