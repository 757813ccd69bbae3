"""MWS on the wire as clients used it: GET and POST, each signed with its own verb, and MWS's
XML ErrorResponse anywhere in its URL space, while every other path keeps the plain 404."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from lxml import etree

from tests.sandbox.wire import mws_call

ORDERS, REPORTS = "/Orders/2013-09-01", "/Reports/2009-01-01"
ORDERS_NS = "https://mws.amazonservices.com/Orders/2013-09-01"
REPORTS_NS = "http://mws.amazonaws.com/doc/2009-01-01/"
LIST_ORDERS = {
    "MarketplaceId.Id.1": "ATVPDKIKX0DER",
    "CreatedAfter": "2026-10-20T00:00:00Z",
    "Version": "2013-09-01",
}
SAFE = etree.XMLParser(resolve_entities=False, no_network=True)


@pytest.fixture
def mws(accounts) -> dict:
    return accounts["mws"]


def _error(response: requests.Response, status: int, code: str, namespace: str) -> str:
    """The Message of an MWS ErrorResponse, once its whole shape is checked."""
    assert response.status_code == status, response.content
    assert response.headers["Content-Type"] == "text/xml"
    assert response.headers["x-mws-request-id"] and response.headers["x-mws-timestamp"]
    root = etree.fromstring(response.content, SAFE)
    assert root.tag == f"{{{namespace}}}ErrorResponse"
    ns = {"m": namespace}
    assert root.findtext("m:Error/m:Type", namespaces=ns) == "Sender"
    assert root.findtext("m:Error/m:Code", namespaces=ns) == code
    assert root.findtext("m:RequestID", namespaces=ns) or root.findtext(
        "m:RequestId", namespaces=ns
    )
    return root.findtext("m:Error/m:Message", namespaces=ns)


def _order_ids(response: requests.Response) -> list[str]:
    assert response.status_code == 200, response.content
    root = etree.fromstring(response.content, SAFE)
    return [e.text for e in root.iter(f"{{{ORDERS_NS}}}AmazonOrderId")]


def test_get_and_post_answer_the_same_call(sandbox_server, mws) -> None:
    url = sandbox_server.url
    by_get = mws_call(url, mws, "GET", ORDERS, "ListOrders", **LIST_ORDERS)
    by_post = mws_call(url, mws, "POST", ORDERS, "ListOrders", **LIST_ORDERS)
    assert by_get.request.method == "GET" and not by_get.request.body
    assert "Signature=" in urlsplit(by_get.request.url).query
    assert by_post.request.method == "POST" and "Signature=" in by_post.request.body
    assert _order_ids(by_get) == _order_ids(by_post) != []


def test_a_signature_holds_only_for_the_verb_it_was_made_with(sandbox_server, mws) -> None:
    url = sandbox_server.url
    signed_for_get = mws_call(url, mws, "GET", ORDERS, "ListOrders", **LIST_ORDERS)
    assert signed_for_get.status_code == 200
    params = dict(parse_qsl(urlsplit(signed_for_get.request.url).query))
    as_post = requests.post(url + ORDERS, data=params, timeout=30)
    _error(as_post, 403, "SignatureDoesNotMatch", ORDERS_NS)
    signed_for_post = mws_call(url, mws, "POST", REPORTS, "GetReportList")
    assert signed_for_post.status_code == 200
    params = dict(parse_qsl(signed_for_post.request.body))
    _error(
        requests.get(url + REPORTS, params=params, timeout=30),
        403,
        "SignatureDoesNotMatch",
        REPORTS_NS,
    )


def test_a_wrong_signature_on_a_get_is_refused(sandbox_server, mws) -> None:
    wrong = mws_call(
        sandbox_server.url, mws, "GET", ORDERS, "ListOrders", secret="not-the-secret", **LIST_ORDERS
    )
    assert "does not match" in _error(wrong, 403, "SignatureDoesNotMatch", ORDERS_NS)


def test_reports_and_feeds_answer_at_the_root_by_get_and_post(sandbox_server, mws) -> None:
    for method in ("GET", "POST"):
        listed = mws_call(sandbox_server.url, mws, method, "/", "GetFeedSubmissionList")
        assert listed.status_code == 200, listed.content
        root = etree.fromstring(listed.content, SAFE)
        assert root.tag == f"{{{REPORTS_NS}}}GetFeedSubmissionListResponse"


@pytest.mark.parametrize(
    ("method", "path", "action", "namespace"),
    [
        ("GET", "/Products/2011-10-01", "ListMatchingProducts", REPORTS_NS),
        ("POST", "/Sellers/2011-07-01", "ListMarketplaceParticipations", REPORTS_NS),
        ("GET", "/FulfillmentInventory/2010-10-01", "ListInventorySupply", REPORTS_NS),
        ("POST", "/Orders/2099-01-01", "ListOrders", REPORTS_NS),
        ("POST", ORDERS, "ListNothing", ORDERS_NS),
        ("GET", REPORTS, "ListOrders", REPORTS_NS),
        ("PUT", ORDERS, "ListOrders", ORDERS_NS),
        ("DELETE", "/", "GetReportList", REPORTS_NS),
    ],
    ids=[
        "unserved-section",
        "unserved-section-by-post",
        "unserved-fba-section",
        "unknown-version",
        "unknown-action",
        "another-sections-action",
        "put",
        "delete-at-the-root",
    ],
)
def test_a_wrong_address_answers_invalid_address(
    sandbox_server, mws, method, path, action, namespace
) -> None:
    response = mws_call(sandbox_server.url, mws, method, path, action)
    _error(response, 404, "InvalidAddress", namespace)
    calls = requests.get(f"{sandbox_server.url}/_sandbox/calls", timeout=10).json()
    assert calls["operations"][f"mws.{action}"]["statuses"] == {"404": 1}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", ORDERS, b"{not a form}"),
        ("GET", REPORTS, b""),
        ("POST", "/", b"Action=GetReportList"),
    ],
    ids=["json-body", "no-parameters", "unsigned-at-the-root"],
)
def test_a_malformed_request_answers_in_xml(sandbox_server, method, path, body) -> None:
    response = requests.request(method, sandbox_server.url + path, data=body, timeout=30)
    namespace = ORDERS_NS if path == ORDERS else REPORTS_NS
    assert "is required" in _error(response, 400, "MissingParameter", namespace)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/", None),
        ("POST", "/", b'{"reportType": "x"}'),
        ("POST", "/", b"grant_type=refresh_token"),
        ("GET", "/Order/2013-09-01", None),
        ("GET", "/nowhere", None),
    ],
    ids=["root", "json-at-the-root", "a-form-without-mws-parameters", "near-miss", "nowhere"],
)
def test_other_paths_keep_the_plain_404(sandbox_server, method, path, body) -> None:
    response = requests.request(method, sandbox_server.url + path, data=body, timeout=30)
    assert response.status_code == 404
    assert response.json() == {"message": f"no route for {method} {path}"}
