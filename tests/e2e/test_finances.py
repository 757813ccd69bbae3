"""Finances end to end: events, amounts, transactions and groups load incrementally, re-read
their lookback without duplicating a row, and add up to the sandbox's ledger."""

from __future__ import annotations

from decimal import Decimal

import pendulum
import pytest

from sandbox.seed import ledger as money
from sandbox.seed.marketplaces import MARKETPLACES
from sandbox.sp_api.finances import events
from tests.conftest import START_DATE
from tests.loading import load_sp_api
from tests.sandbox.wire import control

pytestmark = pytest.mark.e2e


def _truth(sandbox_server) -> tuple[dict[str, int], dict[tuple[str, str], Decimal]]:
    """Events per seller and amounts per (seller, currency) posted since START_DATE."""
    app = sandbox_server.app
    start = pendulum.parse(START_DATE).timestamp()
    counts, totals = {}, {}
    for seller in app.world.sellers:
        book = app.world.order_books[seller.seller_id]
        lines = money.ledger(book, start, float("inf"), app.world_time())
        counts[seller.seller_id] = len(events(lines))
        for position, marketplace_id in enumerate(seller.marketplace_ids):
            market = book.marketplace[lines.order] == position
            digits = 10 ** MARKETPLACES[marketplace_id].minor_digits
            key = (seller.seller_id, MARKETPLACES[marketplace_id].currency)
            total = Decimal(int(lines.amount[market].sum())) / digits
            totals[key] = totals.get(key, Decimal(0)) + total
    return counts, totals


def _loaded(load) -> tuple[dict[str, int], dict[tuple[str, str], Decimal]]:
    counts = dict(load.query("select seller_id, count(*) from sp_api.financial_events group by 1"))
    totals = {
        (seller, currency): Decimal(str(total)).quantize(Decimal("0.01"))
        for seller, currency, total in load.query(
            "select seller_id, currency_code, sum(cast(amount as decimal(18, 4))) "
            "from sp_api.financial_event_amounts group by 1, 2"
        )
    }
    return counts, totals


def test_finances_load_incrementally_and_add_up_to_the_ledger(
    sandbox_server, accounts, tmp_path
) -> None:
    url = sandbox_server.url
    # the world stands still an hour back, so every event lies before PostedBefore's limit
    an_hour_ago = sandbox_server.app.clock.now().subtract(hours=1)
    control(url, "world/freeze", {"at": an_hour_ago.isoformat()})
    first = load_sp_api(accounts, tmp_path, finances=True, finances_history_days=None)
    assert not list(first.failures)
    counts, totals = _truth(sandbox_server)
    assert _loaded(first) == (counts, {k: v.quantize(Decimal("0.01")) for k, v in totals.items()})
    transactions = first.query(
        "select count(*), count(distinct transaction_id) from sp_api.financial_transactions"
    )[0]
    assert transactions == (sum(counts.values()), sum(counts.values()))
    groups = first.query(
        "select count(*) filter (where processing_status = 'Open'), count(*) "
        "from sp_api.financial_event_groups"
    )[0]
    assert groups[0] == 5 and groups[1] > 5 * 40  # one open group per marketplace
    cursors = first.pipeline.state["sources"]["sp_api"]["resources"]["financial_event_pages"]

    # three days on: the next run reads from its cursor less the lookback, and duplicates none
    control(url, "clock/advance", {"seconds": 3 * 86400})
    control(
        url, "world/freeze", {"at": sandbox_server.app.clock.now().subtract(hours=1).isoformat()}
    )
    second = load_sp_api(accounts, tmp_path, finances=True, finances_history_days=None)
    assert not list(second.failures)
    later_counts, later_totals = _truth(sandbox_server)
    assert sum(later_counts.values()) > sum(counts.values())
    assert _loaded(second) == (
        later_counts,
        {k: v.quantize(Decimal("0.01")) for k, v in later_totals.items()},
    )
    reread = second.stats.snapshot()["financesV0.listFinancialEvents"].calls
    assert reread == len(accounts["accounts"])  # one window of a few days each
    moved = second.pipeline.state["sources"]["sp_api"]["resources"]["financial_event_pages"]
    assert all(moved["posted"][s] > cursors["posted"][s] for s in cursors["posted"])
