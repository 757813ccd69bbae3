"""Row 13, the access token expires mid-run: each account's token expires during its third
searchOrders page while its orders, listings, inventory and finances load side by side; each
account asks Login with Amazon exactly once more, every refused request is replayed, and the
run ends clean."""

from __future__ import annotations

from tests.battery.fetching import (
    SEARCH_ORDERS,
    calls,
    clean,
    expected_fixture,
    faults,
)
from tests.loading import load_sp_api

# four resources (finances are three tables) that each page through their own operation
OPTIONS = {
    "resources": ["orders", "order_items", "listings_items", "inventory_summaries", "finances"],
    "finances": True,
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
            {"operation": SEARCH_ORDERS, "seller_id": seller, "expire_tokens": True, "skip": 2}
            for seller in sellers
        ),
    )
    load = load_sp_api(accounts, tmp_path, **OPTIONS)
    assert not list(load.failures), [str(f) for f in load.failures]
    for seller in sellers:
        assert len(calls(url, "lwa.token", seller)) == 2  # the first token and one refresh
        answered = [c for c in calls(url, seller_id=seller) if c.service == "sp_api"]
        refused = [n for n, call in enumerate(answered) if call.status == 403]
        assert refused, seller
        for n in refused:  # replayed with the new token
            replay = next(c for c in answered[n + 1 :] if c.operation == answered[n].operation)
            assert replay.status == 200, (seller, answered[n].operation)
    assert clean(load) == expected
