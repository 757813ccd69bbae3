"""Generate the SP-API operation registry from a directory of Amazon's official models.

    python scripts/sp_api_registry.py ../shared/reference/sp-api/models

writes three compact data files from the same models:
- `sources/sp_api/operations.json`: for every operation in every model, its id, method, path,
  parameters, usage plan, pagination token names and locations, where its items are and the
  time-window rules its description states;
- `sandbox/sp_api/static_examples.json`: every operation's method, path, parameters and usage
  plan with its static sandbox examples (`x-amzn-api-sandbox`), so that the sandbox serves them
  without importing `sources/`;
- `tests/cases/sp_api_response_schemas.json`: each model's response schemas and the
  definitions they use, for the contract test.

Operations are named `<model file stem>.<operationId>`. The models' quirks, as read here:
- an operationId that repeats within a model (shippingV2's `linkCarrierAccount` is both a PUT
  and a POST) keeps its name on its first path and gets its method appended after that
  (`linkCarrierAccount_post`), as code generators rename duplicates;
- a usage plan is the `| rate | burst |` table in the operation's description; `plan_source`
  says where a plan comes from: `model` (the table), `sandbox` (a sandbox-only operation:
  Amazon's sandbox plan, documented for every sandbox call) or `guess` (no table, or one of
  `| n | n |` placeholders: the plan most of the model's operations state, else the sandbox
  plan; the `x-amzn-RateLimit-Limit` header corrects a client's pace on the first answer);
- static examples are `x-amzn-api-sandbox.static`, and `x-amazon-spds-sandbox-behaviors` (the
  same shape, in vendorShipments and vendorTransactionStatus); an example without a
  `response` answers an empty body, and its `responseHeaders` are answered too;
- a `collectionFormat: multi` array repeats its key (`mskus=a&mskus=b`); its type says so
  (`array<string>|multi`); other arrays are comma-separated (Swagger's `csv` default).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "sources" / "sp_api" / "operations.json"
SANDBOX_OUTPUT = ROOT / "sandbox" / "sp_api" / "static_examples.json"
SCHEMAS_OUTPUT = ROOT / "tests" / "cases" / "sp_api_response_schemas.json"
SOURCE = (
    "amzn/selling-partner-api-models@34dc93fe45f37c9a0b2e56823c808f68b4f81754, "
    "Apache License 2.0, Copyright Amazon.com, Inc. or its affiliates"
)
TOKEN_PARAMETERS = ("nextToken", "NextToken", "paginationToken", "pageToken", "nextPageToken")
TOKEN_FIELDS = ("nextToken", "NextToken", "nextPageToken")
NOT_ITEMS = ("errors", "warnings")  # beside the items: what went wrong, not what was asked
PLAN = re.compile(r"\|\s*([\d.]+)\s*\|\s*(\d+)\s*\|")
METHODS = ("get", "put", "post", "delete", "patch")
MAX_WINDOW = re.compile(
    r"(?:must not (?:exceed|be more than)|more than) (\d+) days(?: apart)?", re.IGNORECASE
)
HISTORY = re.compile(r"from the past (\d+) months", re.IGNORECASE)
# "rate = five requests per second; burst = 15" for every sandbox call (docs: sp-api-sandbox)
SANDBOX_PLAN = [5.0, 15]
SANDBOX_ONLY = "x-amzn-api-sandbox-only"
EXAMPLE_KEYS = ("x-amzn-api-sandbox", "x-amazon-spds-sandbox-behaviors")
DOCUMENTATION_KEYS = frozenset(
    {"description", "example", "x-example", "x-docgen-enum-table-extension", "x-amzn-api-sandbox"}
)


def _resolve(model: dict[str, Any], schema: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    """A schema with its `$ref`s followed and an `allOf` merged into one object (A+ Content
    composes its responses so)."""
    seen = set()
    while "$ref" in schema and schema["$ref"] not in seen:
        seen.add(schema["$ref"])
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = model.get("definitions", {}).get(name, {})
    if "allOf" not in schema or depth > 8:
        return schema
    properties: dict[str, Any] = {}
    for part in schema["allOf"]:
        properties |= _resolve(model, part, depth + 1).get("properties") or {}
    return {"type": "object", "properties": properties | (schema.get("properties") or {})}


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
        if name not in NOT_ITEMS
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
    named = [n for n in properties if n not in (*NOT_ITEMS, "pagination")]
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
        if parameter.get("collectionFormat") == "multi":
            kind += "|multi"
    return [parameter.get("name"), parameter.get("in"), bool(parameter.get("required")), kind]


def _window(operation: dict[str, Any]) -> dict[str, int] | None:
    """Time-window rules stated in prose (vendor orders: 7 days, the past 6 months)."""
    description = operation.get("description", "")
    longest = MAX_WINDOW.search(description)
    history = HISTORY.search(description)
    if not (longest or history):
        return None
    return {
        "max_days": int(longest.group(1)) if longest else None,
        "history_days": int(history.group(1)) * 30 if history else None,
    }


def _stated_plan(operation: dict[str, Any]) -> list[Any] | None:
    plan = PLAN.search(operation.get("description", ""))
    return [float(plan.group(1)), int(plan.group(2))] if plan else None


@dataclass(frozen=True)
class Found:
    """One operation of a model, named uniquely within it, with its usage plan."""

    model: dict[str, Any]
    api: str  # the model file stem
    name: str  # the operationId, with its method appended when the id repeats in the model
    path: str
    method: str
    operation: dict[str, Any]
    raw: list[dict[str, Any]]  # the path's and the operation's parameters, as written
    plan: list[Any]  # [rate, burst]
    plan_source: str  # model, sandbox or guess

    @property
    def parameters(self) -> list[list[Any]]:
        return [_parameter(self.model, p) for p in self.raw]

    @property
    def key(self) -> str:
        return f"{self.api}.{self.name}"


def _operations(model_path: Path) -> list[Found]:
    """Every operation of a model, in the model's order."""
    model = json.loads(model_path.read_text())
    listed = []
    for path, item in model.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if isinstance(operation, dict) and "operationId" in operation:
                sandbox_only = bool(item.get(SANDBOX_ONLY) or operation.get(SANDBOX_ONLY))
                listed.append((path, method, operation, item.get("parameters", []), sandbox_only))
    stated = [plan for _, _, op, _, _ in listed if (plan := _stated_plan(op))]
    common = Counter(map(tuple, stated)).most_common(1)
    guess = list(common[0][0]) if common else SANDBOX_PLAN
    found, seen = [], set()
    for path, method, operation, shared, sandbox_only in listed:
        name = operation["operationId"]
        if name in seen:
            name = f"{name}_{method}"
        seen.add(name)
        plan = _stated_plan(operation)
        source = "model" if plan else "sandbox" if sandbox_only else "guess"
        plan = plan or (SANDBOX_PLAN if sandbox_only else guess)
        raw = shared + operation.get("parameters", [])
        found.append(
            Found(model, model_path.stem, name, path, method, operation, raw, plan, source)
        )
    return found


def _pagination(found: Found, schema: dict[str, Any]) -> dict[str, Any] | None:
    parameters = found.parameters
    token = next((p for p in parameters if p[0] in TOKEN_PARAMETERS and p[1] == "query"), None)
    if token is None:
        return None
    description = next(
        (p.get("description", "") for p in found.raw if p.get("name") == token[0]), ""
    )
    return {
        "request": token[0],
        "response": _token_path(found.model, schema),
        "token_only": "the only parameter" in description,
    }


def operations(model_path: Path) -> list[dict[str, Any]]:
    entries = []
    for found in _operations(model_path):
        status, schema = _success(found.operation)
        entries.append(
            {
                "api": found.api,
                "operation": found.name,
                "method": found.method.upper(),
                "path": found.path,
                "deprecated": bool(found.operation.get("deprecated")),
                "parameters": found.parameters,
                "usage_plan": found.plan,
                "plan_source": found.plan_source,
                "status": status,
                "pagination": _pagination(found, schema),
                "items": _items_path(found.model, schema, single=found.path.endswith("}")),
                "window": _window(found.operation),
            }
        )
    return entries


def _examples(operation: dict[str, Any]) -> list[list[Any]]:
    """[status, {parameter: value}, response(, {header: value})] per static example; a
    parameter an example names without a value matches any value, so it is left out."""
    found = []
    for status, response in operation.get("responses", {}).items():
        sandbox = response.get(EXAMPLE_KEYS[0], {}).get("static", [])
        for example in [*sandbox, *response.get(EXAMPLE_KEYS[1], [])]:
            parameters = (example.get("request") or {}).get("parameters") or {}
            values = {name: spec["value"] for name, spec in parameters.items() if "value" in spec}
            entry = [int(status), values, example.get("response")]
            headers = example.get("responseHeaders") or {}
            if headers:
                entry.append({name: spec["value"] for name, spec in headers.items()})
            found.append(entry)
    return found


def sandbox_operations(model_path: Path) -> dict[str, dict[str, Any]]:
    """What the sandbox needs of every operation: route, parameters, plan, static examples."""
    return {
        found.key: {
            "method": found.method.upper(),
            "path": found.path,
            "parameters": found.parameters,
            "usage_plan": found.plan,
            "examples": _examples(found.operation),
        }
        for found in _operations(model_path)
    }


def _documentation_free(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _documentation_free(v) for k, v in node.items() if k not in DOCUMENTATION_KEYS}
    if isinstance(node, list):
        return [_documentation_free(v) for v in node]
    return node


def _references(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if "$ref" in node else set()
        return found.union(*(_references(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_references(v) for v in node))
    return set()


def response_schemas(model_path: Path) -> dict[str, Any]:
    """A model's response schemas by operation and status, with the definitions they reach."""
    model = json.loads(model_path.read_text())
    definitions = _documentation_free(model.get("definitions", {}))
    responses: dict[str, dict[str, Any]] = {}
    for found in _operations(model_path):
        for status, response in found.operation.get("responses", {}).items():
            if response.get("schema"):
                schema = _documentation_free(response["schema"])
                responses.setdefault(found.name, {})[status] = schema
    needed: set[str] = set()
    pending = _references(responses)
    while pending:
        name = pending.pop()
        needed.add(name)
        pending |= _references(definitions.get(name, {})) - needed
    return {
        "definitions": {name: definitions[name] for name in sorted(needed) if name in definitions},
        "responses": responses,
    }


def _lines(entries: dict[str, Any]) -> str:
    """A JSON object with one compact line per key, so that diffs stay readable."""
    lines = ",\n".join(
        f"{json.dumps(key)}:{json.dumps(value, separators=(',', ':'), ensure_ascii=False)}"
        for key, value in entries.items()
    )
    return f"{{\n{lines}\n}}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("models", type=Path, help="a directory of SP-API model JSON files")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--sandbox-output", type=Path, default=SANDBOX_OUTPUT)
    parser.add_argument("--schemas-output", type=Path, default=SCHEMAS_OUTPUT)
    args = parser.parse_args(argv)
    models = sorted(args.models.glob("*.json"))
    registry = [op for path in models for op in operations(path)]
    if not registry:
        print(f"no operations found under {args.models}", file=sys.stderr)
        return 1
    lines = ",\n".join(json.dumps(op, separators=(",", ":")) for op in registry)
    args.output.write_text(f"[\n{lines}\n]\n")
    sandbox = {key: op for path in models for key, op in sandbox_operations(path).items()}
    args.sandbox_output.write_text(_lines({"source": SOURCE, **sandbox}))
    schemas = {path.stem: response_schemas(path) for path in models}
    args.schemas_output.write_text(_lines({"source": SOURCE, **schemas}))
    examples = sum(len(op["examples"]) for op in sandbox.values())
    plans = Counter(op["plan_source"] for op in registry)
    print(
        f"{len(registry)} operations from {len({op['api'] for op in registry})} models "
        f"(usage plans: {dict(plans)}) -> {args.output}; {examples} static examples -> "
        f"{args.sandbox_output}; response schemas -> {args.schemas_output}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
