"""Row 16, reports that end FATAL, CANCELLED or never: a FATAL report fails its stream with its
error document's text while the other streams commit and its cursor stays; a CANCELLED one is
no data, logged; a stuck one is polled with backoff until the deadline, then fails, named,
and the run ends."""

from __future__ import annotations

import itertools
import logging

import requests

from sources.sp_api.exceptions import ReportFatalError, ReportTimeoutError
from sources.sp_api.report_catalog import INVENTORY, LISTINGS
from sources.sp_api.reports import POLLS
from tests.battery.fetching import (
    CREATE_REPORT,
    GET_REPORT,
    calls,
    clean,
    expected_fixture,
    report_faults,
    state,
)
from tests.loading import load_sp_api

OPTIONS = {"resources": ["reports"], "report_types": [LISTINGS, INVENTORY]}
TODAY = "2026-11-01"  # the sandbox's frozen day


expected = expected_fixture(**OPTIONS)


def _jobs(load, seller_id: str) -> dict:
    return state(load, "report_documents")["jobs"][seller_id]


def test_fatal_fails_its_stream_with_the_document_and_cancelled_is_no_data(
    sandbox_server, accounts, expected, tmp_path, caplog
) -> None:
    url = sandbox_server.url
    na, eu = accounts["accounts"][0], accounts["accounts"][1]
    report_faults(
        url,
        {"kind": "fatal", "report_type": LISTINGS, "seller_id": na["seller_id"], "count": 100},
        {"kind": "cancelled", "report_type": INVENTORY, "seller_id": eu["seller_id"], "count": 9},
    )
    with caplog.at_level(logging.INFO, logger="sources.sp_api"):
        first = load_sp_api(accounts, tmp_path, **OPTIONS)
    failures = sorted(first.failures, key=lambda f: f.key)
    assert [f.key for f in failures] == [
        f"{na['name']} {LISTINGS} ({marketplace})" for marketplace in sorted(na["marketplace_ids"])
    ]
    for failure in failures:
        assert isinstance(failure.error, ReportFatalError)
        assert "is FATAL after 3 attempt(s)" in str(failure.error)
        assert "could not be generated" in str(failure.error)  # the error document's text
    assert len(calls(url, CREATE_REPORT, na["seller_id"])) == 3 * 2 + 2  # bounded, + inventory
    listings = {r[0] for r in first.query("select distinct seller_id from sp_api.report_listings")}
    assert listings == {eu["seller_id"], accounts["accounts"][2]["seller_id"]}
    inventory = {
        r[0] for r in first.query("select distinct seller_id from sp_api.report_fba_inventory")
    }
    assert inventory == {na["seller_id"], accounts["accounts"][2]["seller_id"]}  # NA's commits
    fatal, committed = _jobs(first, na["seller_id"]), _jobs(first, eu["seller_id"])
    for marketplace in na["marketplace_ids"]:
        assert "cursor" not in fatal[f"{LISTINGS}|{marketplace}"]  # the slice stays
        assert fatal[f"{INVENTORY}|{marketplace}"]["cursor"] == TODAY
    for marketplace in eu["marketplace_ids"]:  # CANCELLED: no data, done
        assert committed[f"{INVENTORY}|{marketplace}"]["cursor"] == TODAY
    cancelled = [r.getMessage() for r in caplog.records if "was CANCELLED" in r.getMessage()]
    assert len(cancelled) == len(eu["marketplace_ids"])

    requests.delete(f"{url}/_sandbox/reports/faults", timeout=10).raise_for_status()
    healed = load_sp_api(accounts, tmp_path, **OPTIONS)
    assert not list(healed.failures)
    assert clean(healed)["report_listings"] == expected["report_listings"]  # the FATAL slice
    # today's CANCELLED inventory is no data: it is not asked for again before tomorrow
    assert healed.query(
        f"select count(*) from sp_api.report_fba_inventory where seller_id = '{eu['seller_id']}'"
    ) == [(0,)]


def _schedule(limit: float) -> list[float]:
    """The pauses between getReport polls, at Amazon's pace, until `limit` is waited."""
    first, growth, longest = POLLS
    pauses, pause = [], first
    while sum(pauses) < limit:
        pauses.append(pause)
        pause = min(longest, pause * growth)
    return pauses


def test_a_stuck_report_is_polled_with_backoff_until_the_deadline_then_fails(
    sandbox_server, accounts, tmp_path
) -> None:
    url, fe = sandbox_server.url, accounts["accounts"][2]
    report_faults(url, {"kind": "stuck", "report_type": LISTINGS, "seller_id": fe["seller_id"]})
    load = load_sp_api(
        accounts,
        tmp_path,
        resources=["reports"],
        report_types=[LISTINGS],
        report_timeout_minutes=45,
    )
    (failure,) = load.failures
    assert isinstance(failure.error, ReportTimeoutError)
    assert failure.key == f"{fe['name']} {LISTINGS} (A1VC38T7YXB528)"
    assert "is still IN_PROGRESS after 45 minutes" in str(failure.error)
    polls = calls(url, GET_REPORT, fe["seller_id"])
    pauses = _schedule(45 * 60)
    assert len(polls) == len(pauses) + 1  # bounded: the deadline ends it
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(polls)]
    assert all(gap >= pause for gap, pause in zip(gaps, pauses, strict=True))  # backing off
    assert pauses[0] == 15 and pauses[-1] == 120
