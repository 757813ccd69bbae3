"""Row 11, a 429 storm with Retry-After: 30 consecutive 429s that ask for 2 s and tell a rate of
0.5 a second are waited out, no request earlier than allowed, and the run ends clean; a
Retry-After of a day is waited only as long as the cap, then the account stops with a terminal
error naming the operation, its state untouched, and a later run completes."""

from __future__ import annotations

import requests

from sources.sp_api.exceptions import QuotaExhaustedError
from tests.battery.fetching import (
    SEARCH_ORDERS,
    calls,
    clean,
    clean_run,
    clear_calls,
    faults,
    frozen,
    state,
)
from tests.loading import load_sp_api

STORM = 30
RETRY_AFTER = 2.0  # seconds, as Amazon would say them (the sandbox's pace)
RATE = 0.5  # requests a second, likewise
CAP = 120.0  # RetryPolicy.retry_after_cap
ORDERS = {"resources": ["orders", "order_items"]}


def test_30_throttles_are_waited_out_no_request_early_and_the_run_is_clean(
    sandbox_server, accounts, tmp_path
) -> None:
    url, seller = sandbox_server.url, accounts["accounts"][0]["seller_id"]
    frozen(url)
    expected = clean_run(accounts, tmp_path / "clean", **ORDERS)
    storm = {
        "operation": SEARCH_ORDERS,
        "seller_id": seller,
        "status": 429,
        "count": STORM,
        "retry_after": RETRY_AFTER,
        "rate_limit": RATE,
        "skip": 1,  # the second page on
    }
    faults(url, storm)
    clear_calls(url)
    stormy = load_sp_api(accounts, tmp_path / "stormy", **ORDERS)
    assert not list(stormy.failures), [str(f) for f in stormy.failures]
    searches = calls(url, SEARCH_ORDERS, seller)
    throttled = [n for n, call in enumerate(searches) if call.status == 429]
    assert len(throttled) == STORM
    for n in throttled:  # the next request came no earlier than both the header and the rate say
        assert searches[n + 1].at - searches[n].at >= max(RETRY_AFTER, 1 / RATE)
    assert stormy.stats.snapshot()[SEARCH_ORDERS].throttled == STORM
    assert clean(stormy) == expected


def test_an_absurd_retry_after_is_capped_then_the_account_stops_and_a_later_run_completes(
    sandbox_server, accounts, tmp_path
) -> None:
    url, na = sandbox_server.url, accounts["accounts"][0]
    frozen(url)
    expected = clean_run(accounts, tmp_path / "clean", **ORDERS)
    faults(
        url,
        {
            "operation": SEARCH_ORDERS,
            "seller_id": na["seller_id"],
            "status": 429,
            "count": 5,
            "retry_after": 86400,
        },
    )
    clear_calls(url)
    first = load_sp_api(accounts, tmp_path / "warehouse", **ORDERS)
    (failure,) = first.failures
    assert failure.resource == "orders" and failure.key == na["name"]
    assert isinstance(failure.error, QuotaExhaustedError)
    assert SEARCH_ORDERS in str(failure.error) and "Retry-After 86400" in str(failure.error)
    first_try, second_try = calls(url, SEARCH_ORDERS, na["seller_id"])  # one capped wait, no more
    assert second_try.at - first_try.at >= CAP
    assert na["seller_id"] not in state(first, "order_pages")["high_water"]  # state untouched
    loaded = {row[0] for row in first.query("select distinct seller_id from sp_api.orders")}
    assert loaded == {a["seller_id"] for a in accounts["accounts"][1:]}

    requests.delete(f"{url}/_sandbox/faults", timeout=10).raise_for_status()
    later = load_sp_api(accounts, tmp_path / "warehouse", **ORDERS)
    assert not list(later.failures)
    assert clean(later) == expected
