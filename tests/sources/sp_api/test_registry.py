"""The operation registry: generated from models, committed, and used to pace requests."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from sources.sp_api.registry import operation, operation_for, operations, plan_for
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import sp_api_registry


def test_generator_reads_plans_paging_and_items(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(ROOT / "tests" / "cases" / "tiny_model.json", models / "tiny_v1.json")
    output, sandbox, schemas = (tmp_path / n for n in ("ops.json", "static.json", "schemas.json"))
    arguments = ["--output", str(output), "--sandbox-output", str(sandbox)]
    assert sp_api_registry.main([str(models), *arguments, "--schemas-output", str(schemas)]) == 0
    listed, single = json.loads(output.read_text())
    assert listed["api"] == "tiny_v1" and listed["operation"] == "listThings"
    assert listed["usage_plan"] == [0.5, 15]
    assert listed["pagination"] == {
        "request": "nextToken",
        "response": "payload.NextToken",
        "token_only": True,
    }
    assert listed["items"] == "payload.things"
    assert ["marketplaceIds", "query", True, "array<string>"] in listed["parameters"]
    assert single["usage_plan"] is None and single["items"] == "payload"
    assert ["thingId", "path", True, "string"] in single["parameters"]
    assert listed["window"] == {"max_days": 7, "history_days": 180}
    assert single["window"] is None


def test_generator_writes_static_examples_and_response_schemas(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(ROOT / "tests" / "cases" / "tiny_model.json", models / "tiny_v1.json")
    sandbox, schemas = tmp_path / "static.json", tmp_path / "schemas.json"
    arguments = ["--output", str(tmp_path / "ops.json"), "--sandbox-output", str(sandbox)]
    assert sp_api_registry.main([str(models), *arguments, "--schemas-output", str(schemas)]) == 0
    static = json.loads(sandbox.read_text())
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
    tiny = json.loads(schemas.read_text())["tiny_v1"]
    assert set(tiny["definitions"]) == {"ListResponse", "GetResponse", "Thing"}
    assert tiny["responses"]["listThings"]["400"] == {"$ref": "#/definitions/ListResponse"}
    assert "description" not in json.dumps(tiny)


def test_committed_registry_covers_every_model_operation() -> None:
    found = operations()
    assert len(found) == 62
    assert len({op.api for op in found.values()}) == 14
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
