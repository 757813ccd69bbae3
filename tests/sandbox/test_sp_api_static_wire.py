"""Operations the seeded world does not serve answer with the models' static examples, matched
on their parameters as Amazon's sandbox does, and are paced by their models' usage plans."""

from __future__ import annotations

import re

import pytest

from sandbox.core.routing import Request
from sandbox.sp_api.plans import USAGE_PLANS
from sandbox.sp_api.registry import operations
from tests.conftest import TEST_TIME_SCALE
from tests.sandbox.wire import lwa_token, sp_get, sp_send

STATUS = "/vendor/orders/v1/purchaseOrdersStatus"


@pytest.fixture
def token(accounts) -> str:
    return lwa_token(accounts)


def test_the_example_naming_the_most_matching_parameters_wins(sandbox_server, token) -> None:
    url = sandbox_server.url
    anything = sp_get(url, token, STATUS).json()["payload"]["ordersStatus"]
    one = sp_get(url, token, STATUS, purchaseOrderNumber="TestPO2").json()["payload"]
    assert [o["purchaseOrderNumber"] for o in one["ordersStatus"]] == ["TestPO2"]
    assert anything != one["ordersStatus"]
    windowed = sp_get(
        url,
        token,
        STATUS,
        createdBefore="2020-08-18T00:00:00",
        createdAfter="2020-08-17T14:00:00",
        limit=1,
    ).json()
    assert windowed["payload"]["pagination"]["nextToken"]


def test_unmatched_and_incomplete_requests_answer_400(sandbox_server, token) -> None:
    url = sandbox_server.url
    unmatched = sp_get(url, token, "/notifications/v1/subscriptions", notificationTypes="B2B_ANY")
    assert unmatched.status_code == 400
    assert unmatched.json()["errors"][0]["message"] == "Could not match input arguments"
    missing = sp_get(url, token, "/notifications/v1/subscriptions")
    assert (
        missing.status_code == 400 and "notificationTypes" in missing.json()["errors"][0]["details"]
    )
    matched = sp_get(
        url, token, "/notifications/v1/subscriptions", notificationTypes="ANY_OFFER_CHANGED"
    )
    assert matched.status_code == 200 and matched.json()["payload"]


def test_bodies_match_and_no_content_is_empty(sandbox_server, token) -> None:
    url, path = sandbox_server.url, "/orders/v0/orders/902-1106328-1059050/shipment"
    shipped = sp_send("POST", url, token, path, {"marketplaceId": "ATVPDKIKX0DER"})
    assert shipped.status_code == 204 and shipped.content == b""
    refused = sp_send(
        "POST", url, token, path, {"marketplaceId": "1", "shipmentStatus": "ReadyForPickup"}
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["message"] == "Marketplace ID is not defined"


def test_unseeded_operations_carry_their_models_usage_plan(sandbox_server, token) -> None:
    response = sp_get(sandbox_server.url, token, "/notifications/v1/destinations")
    assert response.status_code == 200
    assert float(response.headers["x-amzn-RateLimit-Limit"]) == 1.0 * TEST_TIME_SCALE


def test_every_model_operation_routes_to_itself_with_its_plan(sandbox_server) -> None:
    """Seeded and static routes share one router: none shadows another operation's."""
    assert set(USAGE_PLANS) == set(operations())
    for key, op in operations().items():
        path = re.sub(r"\{[^}]+\}", "A1b2", op.path)
        found = sandbox_server.app.router.match(Request(op.method, path, "", {}))
        assert found is not None and found[0].operation == key


def test_examples_answer_their_headers_and_bodies_as_written(sandbox_server, token) -> None:
    url = sandbox_server.url
    body = {"productsToOutbound": [{"quantity": 20, "sku": "TEST_SKU"}]}
    created = sp_send("POST", url, token, "/awd/2024-05-09/outboundOrders", body)
    assert created.status_code == 201 and created.headers["location"] == "TEST_ORDER_ID"
    # an example without a response answers no body
    cancelled = sp_send("DELETE", url, token, "/feeds/2021-06-30/feeds/ID1")
    assert cancelled.status_code == 200 and cancelled.content == b""
    # path parameters match decoded: the 400 example's orderId is a space
    blank = sp_get(url, token, "/awd/2024-05-09/inboundOrders/%20")
    assert blank.status_code == 400 and blank.json()["errors"][0]["code"] == "BAD_REQUEST"
    # a `collectionFormat: multi` array, its key repeated
    prep = sp_get(
        url,
        token,
        "/inbound/fba/2024-03-20/items/prepDetails",
        marketplaceId="ATVPDKIKX0DER",
        mskus=["msku1", "msku2"],
    )
    assert [d["msku"] for d in prep.json()["mskuPrepDetails"]] == ["msku1", "msku2"]
