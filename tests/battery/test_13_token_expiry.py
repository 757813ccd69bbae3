"""Row 13, the access token expires mid-run: each account's token expires at its second
getReport, while that account's report windows (four report types, each marketplace and day
its own thread) are in flight with it beside its orders; each account asks Login with Amazon
exactly once more, every refused request is replayed, and the run ends clean."""

from __future__ import annotations

from sources.sp_api.report_catalog import INVENTORY, LISTINGS, RETURNS, SALES_TRAFFIC
from tests.battery.fetching import GET_REPORT, calls, clean, expected_fixture, faults
from tests.loading import load_sp_api

OPTIONS = {
    "resources": ["orders", "order_items", "reports"],
    "report_types": [LISTINGS, INVENTORY, SALES_TRAFFIC, RETURNS],
    "reports": {SALES_TRAFFIC: {"history_days": 2}, RETURNS: {"history_days": 60}},
}

expected = expected_fixture(**OPTIONS)


def test_each_account_refreshes_its_token_once_and_replays_what_was_refused(
    sandbox_server, accounts, expected, tmp_path
) -> None:
    url = sandbox_server.url
    sellers = [account["seller_id"] for account in accounts["accounts"]]
    faults(
        url,
        *(
            {"operation": GET_REPORT, "seller_id": seller, "expire_tokens": True, "skip": 1}
            for seller in sellers
        ),
    )
    load = load_sp_api(accounts, tmp_path, **OPTIONS)
    assert not list(load.failures), [str(f) for f in load.failures]  # every refusal replayed
    for seller in sellers:
        assert len(calls(url, "lwa.token", seller)) == 2  # the first token and one refresh
        answered = [c for c in calls(url, seller_id=seller) if c.service == "sp_api"]
        refused = [n for n, call in enumerate(answered) if call.status == 403]
        assert refused, seller
        for n in refused:  # each refused request was asked again and answered
            again = [c.status for c in answered[n + 1 :] if c.operation == answered[n].operation]
            assert again and again[-1] < 400, (seller, answered[n].operation)
    assert clean(load) == expected
