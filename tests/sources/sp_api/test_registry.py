"""The operation registry: generated from models, committed, and used to pace requests."""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from sources.sp_api.registry import Operation, operation, operation_for, operations, plan_for
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import sp_api_registry

MODELS = ROOT.parent / "shared" / "reference" / "sp-api" / "models"  # beside the checkout


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


def _concrete(path: str, value: str = "A1b2-C3") -> str:
    return re.sub(r"\{[^}]+\}", value, path)


def test_committed_registry_covers_every_model_operation() -> None:
    found = operations()
    assert len(found) == 370
    assert len({op.api for op in found.values()}) == 66
    # one template per method: no two operations share a request
    assert len({(op.method, op.path) for op in found.values()}) == len(found)
    assert Counter(op.plan_source for op in found.values()) == {
        "model": 300,
        "sandbox": 8,
        "guess": 62,
    }
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


@pytest.mark.skipif(not MODELS.is_dir(), reason=f"Amazon's models are not at {MODELS}")
def test_committed_files_are_generated_from_every_model(tmp_path: Path) -> None:
    outputs = {
        "--output": sp_api_registry.OUTPUT,
        "--sandbox-output": sp_api_registry.SANDBOX_OUTPUT,
        "--schemas-output": sp_api_registry.SCHEMAS_OUTPUT,
    }
    arguments = [str(MODELS)]
    for flag, committed in outputs.items():
        arguments += [flag, str(tmp_path / committed.name)]
    assert sp_api_registry.main(arguments) == 0
    for committed in outputs.values():
        assert (tmp_path / committed.name).read_bytes() == committed.read_bytes(), committed
    # counted from the models themselves, not by the generator
    in_folder = [
        (path.stem, method)
        for path in MODELS.glob("*.json")
        for item in json.loads(path.read_text())["paths"].values()
        for method, operation in item.items()
        if isinstance(operation, dict) and "operationId" in operation
    ]
    assert len({stem for stem, _ in in_folder}) == len({op.api for op in operations().values()})
    assert len(in_folder) == len(operations())


def test_every_operation_maps_back_from_a_concrete_path() -> None:
    for key, op in operations().items():
        assert operation_for(op.method, _concrete(op.path)).key == key
        # a path parameter holding an encoded slash is still one segment (SKUs may have one)
        assert operation_for(op.method.lower(), _concrete(op.path, "a%2Fb")).key == key


def test_the_most_specific_template_wins() -> None:
    literal_first = Operation("m", "literalFirst", "GET", "/a/b/{y}", 1.0, 1)
    parameter_first = Operation("m", "parameterFirst", "GET", "/a/{x}/c", 1.0, 1)
    candidates = sorted([parameter_first, literal_first], key=lambda op: op.specificity)
    segments = ("a", "b", "c")
    assert next(op for op in candidates if op.matches(segments)) is literal_first
    assert not literal_first.matches(("a", "b", ""))  # a parameter is never empty
    assert operation_for("POST", "/fba/inventory/v1/items/inventory").name == "addInventory"
    assert operation_for("DELETE", "/fba/inventory/v1/items/inventory").name == (
        "deleteInventoryItem"
    )


def test_product_pricing_is_named_and_paced_by_its_plans() -> None:
    """Before every model was read, Product Pricing's requests were `unknown.unknown`."""
    plans = {
        ("GET", "/products/pricing/v0/price"): ("productPricingV0.getPricing", (0.5, 1)),
        ("GET", "/products/pricing/v0/listings/SKU-1/offers"): (
            "productPricingV0.getListingOffers",
            (1.0, 2),
        ),
        ("POST", "/batches/products/pricing/v0/itemOffers"): (
            "productPricingV0.getItemOffersBatch",
            (0.1, 1),
        ),
        ("POST", "/batches/products/pricing/2022-05-01/items/competitiveSummary"): (
            "productPricing_2022-05-01.getCompetitiveSummary",
            (0.033, 1),
        ),
    }
    for (method, path), (key, plan) in plans.items():
        assert operation_for(method, path).key == key
        assert plan_for(key) == plan
    pricing = [op for op in operations().values() if op.api.startswith("productPricing")]
    assert len(pricing) == 8 and all(op.plan_source == "model" for op in pricing)


def test_requests_map_to_operations_and_their_plans() -> None:
    assert operation_for("GET", "/orders/v0/orders/1-2-3/orderItems").key == (
        "ordersV0.getOrderItems"
    )
    assert operation_for("GET", "/orders/v0/orders/1-2-3").key == "ordersV0.getOrder"
    assert operation_for("POST", "/fba/inventory/v1/items/inventory").name == "addInventory"
    assert operation_for("GET", "/not/an/operation").key == "unknown.unknown"
    assert plan_for("reports_2021-06-30.createReport") == (0.0167, 15)
