"""Amzpecty's wire as any client speaks it: Add calls, Get calls, errors, credits, callbacks."""

from __future__ import annotations

import json
import re

import pytest
import requests

from tests.callbacks import RecordingServer, amzpecty_call, control, make_tls

RID = re.compile(r"^[0-9a-f]{24}$")
ENVELOPE = {"status", "responsefor", "allowed", "dailyAllowed", "messageId", "message", "data"}
ENVELOPE |= {"rid", "dateProcessed"}


@pytest.fixture
def amz(sandbox_server, accounts):
    """The sandbox with its pace all but still (a pace second per 1,000 real ones), so that only
    `advance` moves it: at the tests' time scale a queue's minute passes in 17 ms and the second
    between requests in 0.3 ms, which requests on a busy machine can take."""
    requests.post(
        f"{sandbox_server.url}/_sandbox/clock/scale", json={"time_scale": 0.001}, timeout=10
    ).raise_for_status()
    return sandbox_server.url, accounts["amzpecty"]["secret_key"], sandbox_server.app


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def hook(sandbox_server, tls):
    """A recording HTTPS endpoint."""
    control(sandbox_server.url, "account", {"ca_file": tls.cafile})
    server = RecordingServer(tls)
    yield server
    server.stop()


def _child(app) -> str:
    return next(p.asin for p in app.world.catalog.products if p.parent_asin)


def _parent(app) -> str:
    return next(iter(app.world.catalog.parents))


def test_add_answers_the_documented_envelope_with_a_rid(amz) -> None:
    url, key, app = amz
    response = amzpecty_call(url, f"/api/query/add/{_child(app)}", key, domain="www.amazon.de")
    body = response.json()
    assert response.status_code == 200 and set(body) == ENVELOPE
    assert body["status"] == "OK" and body["responsefor"] == "asinsnapshot"
    assert RID.match(body["rid"]) and body["data"] is None and body["dateProcessed"] is None
    assert isinstance(body["allowed"], int) and isinstance(body["dailyAllowed"], int)


@pytest.mark.parametrize("secret", [None, "wrong-key-0000"], ids=["missing", "wrong"])
def test_a_missing_or_wrong_secret_key_is_a_401(amz, secret) -> None:
    url, _, app = amz
    response = amzpecty_call(url, f"/api/query/add/{_child(app)}", secret)
    assert response.status_code == 401
    assert response.json()["messageId"] == "INVALID_SECRET_KEY"
    assert response.json()["allowed"] is None  # nothing is told to a stranger


@pytest.mark.parametrize(
    ("path", "params", "status", "message_id"),
    [
        ("/api/query/add/{parent}", {}, 400, "PARENT_ASIN_NOT_ALLOWED"),
        ("/api/query/add/NOT-AN-ASIN", {}, 400, "INVALID_ASIN"),
        ("/api/query/add/B000000000", {}, 400, "INVALID_ASIN"),
        ("/api/query/add/{child}", {"domain": "www.amazon.xx"}, 400, "INVALID_PARAMETER"),
        ("/api/query/add/{child}", {"condition": "mint"}, 400, "INVALID_PARAMETER"),
        ("/api/query/add/{child}", {"excludemoq": "maybe"}, 400, "INVALID_PARAMETER"),
        ("/api/query/requestvariants/{child}", {}, 400, "INVALID_ASIN"),
        ("/api/query/matchasins/abc", {}, 400, "INVALID_PARAMETER"),
        ("/api/query/get/rid/0123456789abcdef01234567", {}, 404, "RID_NOT_FOUND"),
        ("/api/query/getmatchasins/productid/012345678905", {}, 404, "RID_NOT_FOUND"),
    ],
    ids=[
        "parent-to-snapshot",
        "malformed-asin",
        "unknown-asin",
        "domain",
        "condition",
        "excludemoq",
        "child-to-variations",
        "product-id",
        "unknown-rid",
        "never-matched",
    ],
)
def test_bad_requests_get_the_error_envelope(amz, path, params, status, message_id) -> None:
    url, key, app = amz
    path = path.format(parent=_parent(app), child=_child(app))
    response = amzpecty_call(url, path, key, **params)
    body = response.json()
    assert (response.status_code, body["messageId"], body["status"]) == (
        status,
        message_id,
        "ERROR",
    )
    assert body["rid"] is None and isinstance(body["allowed"], int)


def test_requests_closer_than_a_second_are_rejected(amz) -> None:
    url, key, app = amz
    path = f"/api/query/add/{_child(app)}"
    first, second = (amzpecty_call(url, path, key) for _ in range(2))
    assert first.status_code == 200
    assert second.status_code == 429 and second.json()["messageId"] == "TOO_MANY_REQUESTS"
    app.clock.advance(1.0)
    assert amzpecty_call(url, path, key).status_code == 200


def test_credits_are_deducted_only_when_data_is_retrieved(amz) -> None:
    url, key, app = amz
    control(url, "account", {"min_interval": 0})  # requests back to back: credits alone count
    added = amzpecty_call(url, f"/api/query/add/{_child(app)}", key).json()
    miss = amzpecty_call(url, "/api/query/matchasins/012345678905", key).json()
    assert miss["allowed"] == added["allowed"]  # nothing spent at Add time
    control(url, "advance", {"seconds": 600})
    done = amzpecty_call(url, f"/api/query/get/rid/{added['rid']}", key).json()
    unmatched = amzpecty_call(url, f"/api/query/get/rid/{miss['rid']}", key).json()
    assert unmatched["status"] == "OK" and unmatched["data"]["totalMatch"] == 0
    assert done["allowed"] == added["allowed"] - 1  # the match found nothing: free
    assert done["dailyAllowed"] == added["dailyAllowed"] - 1
    again = amzpecty_call(url, f"/api/query/get/rid/{added['rid']}", key).json()
    assert again["allowed"] == done["allowed"]  # Get by rid is free


def test_no_credits_is_a_402_and_a_spent_day_a_429(amz) -> None:
    url, key, app = amz
    path = f"/api/query/add/{_child(app)}"
    control(url, "account", {"credits": 0})
    broke = amzpecty_call(url, path, key)
    assert broke.status_code == 402 and broke.json()["messageId"] == "INSUFFICIENT_CREDITS"
    control(url, "account", {"credits": 10, "daily_allowance": 1})
    control(url, "advance", {"seconds": 2})
    first = amzpecty_call(url, path, key).json()
    control(url, "advance", {"seconds": 600})
    spent = amzpecty_call(url, path, key)
    assert spent.status_code == 429 and spent.json()["messageId"] == "DAILY_LIMIT_REACHED"
    assert spent.json()["dailyAllowed"] == 0 and first["dailyAllowed"] == 1


def test_get_by_rid_is_pending_until_the_queue_delay_passes(amz) -> None:
    url, key, app = amz
    control(url, "account", {"delays": {"asinsnapshot": 300}})
    asin = _child(app)
    rid = amzpecty_call(url, f"/api/query/add/{asin}", key, domain="www.amazon.co.jp").json()["rid"]
    control(url, "advance", {"seconds": 150})
    pending = amzpecty_call(url, f"/api/query/get/rid/{rid}", key).json()
    assert (pending["status"], pending["data"], pending["rid"]) == ("PENDING", None, rid)
    control(url, "advance", {"seconds": 151})
    done = amzpecty_call(url, f"/api/query/get/rid/{rid}", key).json()
    assert done["status"] == "OK" and done["rid"] == rid and done["dateProcessed"]
    ledger = requests.get(f"{url}/_sandbox/amzpecty/requests", timeout=10).json()["requests"]
    assert [r["fetched"] for r in ledger] == [2]  # every Get by rid is counted
    data = done["data"]
    assert data["queryAsin"] == data["asin"] == asin
    assert data["currency"] == "JPY" and re.fullmatch(r"\d+", data["buyboxPrice"])
    assert isinstance(data["salesRank"], int) and isinstance(data["totalQty"], int)


def test_snapshots_follow_the_catalog_and_move_with_the_days(amz) -> None:
    url, key, app = amz
    world = app.world
    seller = world.sellers[0]
    listing = world.catalog.listings[seller.seller_id][0]
    product = world.catalog.products[listing.product_index]
    market = seller.marketplace_ids[0]
    ours = listing.prices_minor[market] / 100

    def snapshot(advance: float) -> dict:
        control(url, "advance", {"seconds": advance})
        rid = amzpecty_call(url, f"/api/query/add/{product.asin}", key).json()["rid"]
        control(url, "advance", {"seconds": 600})
        return amzpecty_call(url, f"/api/query/get/rid/{rid}", key).json()["data"]

    days = [snapshot(86400 * n) for n in (0, 1, 1, 1)]
    assert all(d["itemName"] == product.title(market) and d["brand"] == product.brand for d in days)
    assert all(float(d["buyboxPrice"]) <= ours for d in days)  # ours competes for the box
    assert all(d["parentAsin"] == product.parent_asin for d in days)
    assert len({(d["buyboxPrice"], d["salesRank"], d["totalQty"]) for d in days}) > 1


def test_variations_list_the_catalog_family_and_cost_one_credit_each(amz) -> None:
    url, key, app = amz
    parent = _parent(app)
    family = {p.asin for p in app.world.catalog.products if p.parent_asin == parent}
    added = amzpecty_call(url, f"/api/query/requestvariants/{parent}", key).json()
    assert added["responsefor"] == "productvariations"
    control(url, "advance", {"seconds": 600})
    done = amzpecty_call(url, f"/api/query/get/rid/{added['rid']}", key).json()
    data = done["data"]
    assert {v["asin"] for v in data["variants"]} == family
    assert data["totalVariations"] == len(family) and data["options"] == ["Color", "Size"]
    assert all(v["option1"] == "Color" and v["option2Value"] for v in data["variants"])
    assert done["allowed"] == added["allowed"] - len(family)


def test_a_product_id_matches_its_asin_and_the_match_can_be_got_again(amz, accounts) -> None:
    url, key, app = amz
    upc = accounts["amzpecty"]["sample_product_ids"][0]
    added = amzpecty_call(url, f"/api/query/matchasins/{upc}", key, expanded="true").json()
    assert added["responsefor"] == "matchasins"
    control(url, "advance", {"seconds": 600})
    got = amzpecty_call(url, f"/api/query/getmatchasins/productid/{upc}", key).json()
    assert got["status"] == "OK" and got["rid"] == added["rid"]
    assert got["data"]["productId"] == upc and got["data"]["totalMatch"] == 1
    match = got["data"]["match"][0]
    assert match["asin"] in app.amzpecty.products.by_asin and "brand" in match  # expanded


def test_injected_faults_answer_5xx_or_drop_the_connection(amz) -> None:
    url, key, app = amz
    faults = [{"service": "amzpecty", "status": 503}, {"service": "amzpecty", "disconnect": True}]
    requests.post(f"{url}/_sandbox/faults", json={"faults": faults}, timeout=10)
    path = f"/api/query/add/{_child(app)}"
    assert amzpecty_call(url, path, key).status_code == 503
    with pytest.raises(requests.ConnectionError):
        amzpecty_call(url, path, key)
    assert amzpecty_call(url, path, key).status_code == 200


def test_callbacks_carry_the_secret_the_rid_and_the_overridden_agent(amz, hook) -> None:
    url, key, app = amz
    control(url, "account", {"callback_url": hook.url + "/preferences"})
    headers = {"AMZPECTY_CALLBACK_URL": hook.url, "AMZPECTY-USER-AGENT": "shop-bot/2"}
    path = f"{url}/api/query/add/{_child(app)}"
    overridden = requests.get(path, params={"secretKey": key}, headers=headers, timeout=10)
    control(url, "advance", {"seconds": 2})
    preferred = amzpecty_call(url, f"/api/query/requestvariants/{_parent(app)}", key)
    control(url, "advance", {"seconds": 600})
    by_path = {seen.path: seen for seen in hook.seen}
    assert set(by_path) == {"/hook", "/hook/preferences"}
    first, second = by_path["/hook"], by_path["/hook/preferences"]
    assert first.headers["AMZPECTY-API-SECRET-KEY"] == key
    assert first.headers["User-Agent"] == "shop-bot/2"
    assert first.headers["Content-Type"].startswith("application/json")
    body = json.loads(first.body)
    assert body["rid"] == overridden.json()["rid"] and body["responsefor"] == "asinsnapshot"
    assert body["status"] == "OK" and body["data"]["asin"] == _child(app)
    assert json.loads(second.body)["rid"] == preferred.json()["rid"]
    assert second.headers["User-Agent"] != "shop-bot/2"


def test_non_2xx_answers_are_retried_with_backoff_in_virtual_time(amz, hook) -> None:
    url, key, app = amz
    control(url, "account", {"callback_url": hook.url})
    hook.statuses[:] = [500, 503]
    amzpecty_call(url, f"/api/query/add/{_child(app)}", key)
    control(url, "advance", {"seconds": 61})
    assert len(hook.seen) == 1  # the retry waits 30 virtual seconds
    control(url, "advance", {"seconds": 30})
    assert len(hook.seen) == 2
    state = control(url, "advance", {"seconds": 60})
    assert len(hook.seen) == 3 and state["delivered"] == 1 and state["pending"] == []
    assert len({seen.body for seen in hook.seen}) == 1


def test_an_untrusted_receiver_certificate_fails_delivery(amz, hook) -> None:
    url, key, app = amz
    control(url, "account", {"callback_url": hook.url, "ca_file": None})
    amzpecty_call(url, f"/api/query/add/{_child(app)}", key)
    state = control(url, "advance", {"seconds": 120})
    assert hook.seen == [] and state["failed"] == 1 and len(state["pending"]) == 1


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ({"kind": "drop", "count": 2}, [2]),
        ({"kind": "drop", "count": 1, "every": 2}, [0, 2]),
        ({"kind": "duplicate", "count": 1}, [0, 0, 1, 2]),
        ({"kind": "reorder", "count": 3}, [2, 1, 0]),
        ({"kind": "delay", "count": 1, "seconds": 5000}, [1, 2]),
    ],
    ids=["drop", "drop-every-second", "duplicate", "reorder", "delay"],
)
def test_callback_faults_drop_duplicate_reorder_and_delay(amz, hook, fault, expected) -> None:
    url, key, app = amz
    control(url, "account", {"callback_url": hook.url})
    control(url, "callbacks/faults", fault)
    children = [p.asin for p in app.world.catalog.products if p.parent_asin][:3]
    rids = []
    for asin in children:
        rids.append(amzpecty_call(url, f"/api/query/add/{asin}", key).json()["rid"])
        control(url, "advance", {"seconds": 2})
    control(url, "advance", {"seconds": 600})
    assert [rids.index(json.loads(seen.body)["rid"]) for seen in hook.seen] == expected
    state = requests.get(f"{url}/_sandbox/amzpecty/callbacks", timeout=10).json()
    lost = [r for i, r in enumerate(rids) if i not in expected] if fault["kind"] == "drop" else []
    assert state["dropped_rids"] == lost
    if fault["kind"] == "delay":
        control(url, "advance", {"seconds": 5000})
        assert json.loads(hook.seen[-1].body)["rid"] == rids[0]
