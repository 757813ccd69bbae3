"""The operation registry: generated from models, committed, and used to pace requests."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

from sources.sp_api.registry import operation, operation_for, operations, plan_for
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import sp_api_registry


def _generate(tmp_path: Path, case: str, stem: str) -> tuple[Any, Any, Any]:
    """The generator's three files, parsed, for one model of `tests/cases` saved as `stem`."""
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(ROOT / "tests" / "cases" / case, models / f"{stem}.json")
    output, sandbox, schemas = (tmp_path / n for n in ("ops.json", "static.json", "schemas.json"))
    arguments = ["--output", str(output), "--sandbox-output", str(sandbox)]
    assert sp_api_registry.main([str(models), *arguments, "--schemas-output", str(schemas)]) == 0
    return tuple(json.loads(path.read_text()) for path in (output, sandbox, schemas))


def test_generator_reads_plans_paging_and_items(tmp_path: Path) -> None:
    (listed, single), _, _ = _generate(tmp_path, "tiny_model.json", "tiny_v1")
    assert listed["api"] == "tiny_v1" and listed["operation"] == "listThings"
    assert listed["usage_plan"] == [0.5, 15]
    assert listed["pagination"] == {
        "request": "nextToken",
        "response": "payload.NextToken",
        "token_only": True,
    }
    assert listed["items"] == "payload.things"
    assert ["marketplaceIds", "query", True, "array<string>"] in listed["parameters"]
    # no plan table: the plan the model's other operations state, marked as a guess
    assert single["usage_plan"] == [0.5, 15] and single["plan_source"] == "guess"
    assert single["items"] == "payload"
    assert ["thingId", "path", True, "string"] in single["parameters"]
    assert listed["window"] == {"max_days": 7, "history_days": 180}
    assert single["window"] is None


def test_generator_writes_static_examples_and_response_schemas(tmp_path: Path) -> None:
    _, static, schemas = _generate(tmp_path, "tiny_model.json", "tiny_v1")
    assert "Apache License 2.0" in static["source"]
    listed = static["tiny_v1.listThings"]
    assert listed["usage_plan"] == [0.5, 15]
    # a parameter an example names without a value matches any value: it is left out
    assert listed["examples"] == [
        [200, {"marketplaceIds": ["ATVPDKIKX0DER"]}, {"payload": {"things": [{"id": "T1"}]}}],
        [
            400,
            {"marketplaceIds": ["BAD"]},
            {"errors": [{"code": "InvalidInput", "message": "bad"}]},
        ],
    ]
    assert static["tiny_v1.getThing"]["examples"] == []
    tiny = schemas["tiny_v1"]
    assert set(tiny["definitions"]) == {"ListResponse", "GetResponse", "Thing"}
    assert tiny["responses"]["listThings"]["400"] == {"$ref": "#/definitions/ListResponse"}
    assert "description" not in json.dumps(tiny)


def test_generator_reads_the_models_quirks(tmp_path: Path) -> None:
    found, static, schemas = _generate(tmp_path, "quirky_model.json", "quirky_v1")
    listed = {op["operation"]: op for op in found}
    # an operationId repeated in a model (shippingV2's linkCarrierAccount) keeps one name each
    assert (listed["linkThing"]["method"], listed["linkThing_post"]["method"]) == ("PUT", "POST")
    assert listed["linkThing_post"]["usage_plan"] == [5.0, 10]
    assert set(schemas["quirky_v1"]["responses"]) == {"searchThings"}
    plans = {name: (op["usage_plan"], op["plan_source"]) for name, op in listed.items()}
    assert plans["generateScenarios"] == ([5.0, 15], "sandbox")  # Amazon's sandbox plan
    assert plans["createThing"] == ([2.0, 4], "guess")  # `| n | n |`: the model's usual plan
    search = listed["searchThings"]
    assert ["mskus", "query", False, "array<string>|multi"] in search["parameters"]
    # allOf is merged: the items beside a `warnings` list, the token named nextPageToken
    assert search["items"] == "things"
    assert search["pagination"] == {
        "request": "pageToken",
        "response": "nextPageToken",
        "token_only": False,
    }
    assert static["quirky_v1.searchThings"]["examples"] == [  # x-amazon-spds-sandbox-behaviors
        [200, {"mskus": ["A", "B"]}, {"things": [{"id": "A"}]}]
    ]
    assert static["quirky_v1.createThing"]["examples"] == [
        [201, {"body": {"name": "x"}}, {"id": "T9"}, {"location": "T9"}],
        [204, {"body": {"name": "quiet"}}, None],
    ]


def test_committed_registry_covers_every_model_operation() -> None:
    found = operations()
    assert len(found) == 370
    assert len({op.api for op in found.values()}) == 66
    search = operation("orders_2026-01-01", "searchOrders")
    assert (search.rate, search.burst) == (0.0056, 20)
    assert search.pagination == {
        "request": "paginationToken",
        "response": "pagination.nextToken",
        "token_only": False,
    }
    assert operation("reports_2021-06-30", "getReports").pagination["token_only"] is True
    assert operation("vendorOrders", "getPurchaseOrders").items == "payload.orders"
    assert operation("ordersV0", "getOrders").deprecated
    assert operation("vendorOrders", "getPurchaseOrders").window == {
        "max_days": 7,
        "history_days": 180,
    }


def test_requests_map_to_operations_and_their_plans() -> None:
    assert operation_for("GET", "/orders/v0/orders/1-2-3/orderItems").key == (
        "ordersV0.getOrderItems"
    )
    assert operation_for("GET", "/orders/v0/orders/1-2-3").key == "ordersV0.getOrder"
    assert operation_for("POST", "/fba/inventory/v1/items/inventory").name == "addInventory"
    assert operation_for("GET", "/not/an/operation").key == "unknown.unknown"
    assert plan_for("reports_2021-06-30.createReport") == (0.0167, 15)
