"""Row 25, duplicate, reordered and stale callbacks: every result posted three times at once
in shuffled order, and an older payload of a result after a newer one (and before) -> one row
per rid, the newest wins, every duplicate answered 2xx, no credit spent."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson
import pendulum
import pytest
import requests

from pipelines import receiver
from sources.amzpecty.settings import GET_BY_RID_PATH, SECRET_HEADER
from tests.battery.fingerprint import fingerprint
from tests.callbacks import (
    amzpecty_call,
    child_asins,
    control,
    load_amzpecty,
    make_tls,
    rows,
    sandbox_requests,
    sandbox_state,
)

ASINS = 10
COPIES = 3


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return make_tls(tmp_path_factory.mktemp("tls"))


def _older(envelope: dict[str, Any]) -> dict[str, Any]:
    """The same rid as processed a day earlier, at another price."""
    processed = pendulum.parse(envelope["dateProcessed"]).subtract(days=1)
    data = {**envelope["data"], "buyboxPrice": "0.01"}
    return {**envelope, "dateProcessed": processed.format("YYYY-MM-DDTHH:mm:ss[Z]"), "data": data}


def _post_all(url: str, cafile: str, secret: str, bodies: list[bytes]) -> list[dict]:
    """POST every body at once (one sender each), in the order given."""
    headers = {"Content-Type": "application/json", SECRET_HEADER: secret}

    def post(body: bytes) -> dict:
        response = requests.post(url, data=body, headers=headers, verify=cafile, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(post, bodies))


def _snapshots(path) -> dict[str, tuple[str, str]]:
    found = rows(path, "select rid, buybox_price, processed_at from amzpecty.asin_snapshots")
    return {rid: (price, processed) for rid, price, processed in found}


def test_duplicates_reorders_and_stale_payloads_leave_one_newest_row_per_rid(
    sandbox_server, accounts, tls, tmp_path
) -> None:
    url, secret = sandbox_server.url, accounts["amzpecty"]["secret_key"]
    control(url, "account", {"ca_file": tls.cafile})
    control(url, "callbacks/faults", {"kind": "drop", "count": ASINS})  # the test delivers
    store = tmp_path / "store.sqlite"
    with receiver.start(store, secret, tls.certfile, tls.keyfile) as running:
        only_adds = {"callback_url": running.url, "poll_after_seconds": 10**9}
        load_amzpecty(
            accounts,
            tmp_path,
            url,
            asins=child_asins(sandbox_server, ASINS, children=False),  # no parents to ask
            callback_wait_seconds=0,
            **only_adds,
        )
        control(url, "advance", {"seconds": 600})  # processed (and paid for); callbacks lost
        queued = sandbox_requests(url)
        assert len(queued) == ASINS and sandbox_state(url, "callbacks")["dropped"] == ASINS
        envelopes = [
            amzpecty_call(url, GET_BY_RID_PATH.format(rid=r["rid"]), secret).json() for r in queued
        ]
        assert {e["status"] for e in envelopes} == {"OK"}
        credits = control(url, "account")["credits"]
        stale_late, stale_early = envelopes[0], envelopes[1]
        newest = {e["rid"]: orjson.dumps(e) for e in envelopes}

        shuffle = random.Random(25).shuffle
        first = [body for rid, body in newest.items() if rid != stale_early["rid"]] * COPIES
        first.append(orjson.dumps(_older(stale_early)))  # older before newer
        shuffle(first)
        answers = _post_all(running.url, tls.cafile, secret, first)
        load = load_amzpecty(accounts, tmp_path, url, **only_adds)
        middle = _snapshots(load.duckdb_path)

        second = [newest[stale_early["rid"]]] * COPIES + [orjson.dumps(_older(stale_late))]
        shuffle(second)  # the older payload of stale_late comes after its newer one
        answers += _post_all(running.url, tls.cafile, secret, second)
        load = load_amzpecty(accounts, tmp_path, url, **only_adds)
        again = load_amzpecty(accounts, tmp_path, url, **only_adds)

    assert len(answers) == len(first) + len(second)
    fresh = [a["rid"] for a in answers if not a["duplicate"]]
    # each rid stored once, plus stale_early's newer payload replacing its older one
    assert sorted(fresh) == sorted([*newest, stale_early["rid"]])
    assert middle[stale_early["rid"]][0] == "0.01"  # what was known then
    final = _snapshots(load.duckdb_path)
    assert sorted(final) == sorted(newest)  # exactly one row per rid
    for envelope in envelopes:
        price = envelope["data"]["buyboxPrice"]
        assert final[envelope["rid"]] == (price, envelope["dateProcessed"])  # newest wins
    requested = rows(
        load.duckdb_path, "select status, received_via from amzpecty.amzpecty_requests"
    )
    assert requested == [("OK", "callback")] * ASINS
    assert control(url, "account")["credits"] == credits  # duplicates cost nothing
    assert [r["fetched"] for r in sandbox_requests(url)] == [1] * ASINS  # only the test's Gets
    assert len(sandbox_requests(url)) == ASINS  # no Add after the first run
    assert fingerprint(again.duckdb_path, "amzpecty") == fingerprint(load.duckdb_path, "amzpecty")
