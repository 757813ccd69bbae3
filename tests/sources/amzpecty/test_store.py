"""The callback store: a repeated rid is one result (the newest wins), and an Add whose
answer was lost is journaled until its callback, naming its key, is adopted."""

from __future__ import annotations

import orjson

from sources.amzpecty.store import Result, Store

US, DE = "www.amazon.com", "www.amazon.de"


def _result(rid: str, processed: str | None, price: str = "1.00", **data: str) -> Result:
    envelope = {
        "rid": rid,
        "status": "OK",
        "responsefor": "asinsnapshot",
        "dateProcessed": processed,
        "data": {"buyboxPrice": price, **data},
    }
    return Result(rid, "asinsnapshot", "OK", "now", "callback", orjson.dumps(envelope))


def _prices(store: Store) -> list[tuple[int, str, str]]:
    rows = store._query("select seq, rid, json_extract(body, '$.data.buyboxPrice') from results")
    return [tuple(row) for row in rows]


def test_the_newest_payload_of_a_rid_wins_under_a_new_seq(tmp_path) -> None:
    store = Store(tmp_path / "s.sqlite")
    rid = "a" * 24
    assert store.record_results([_result(rid, "2026-11-01T10:00:00Z", "2.00")]) == [True]
    older, same = _result(rid, "2026-11-01T09:00:00Z", "1.00"), _result(rid, "2026-11-01T10:00:00Z")
    assert store.record_results([older, same, _result(rid, None)]) == [False, False, False]
    assert _prices(store) == [(1, rid, "2.00")]
    assert store.record_results([_result(rid, "2026-11-01T11:00:00+00:00", "3.00")]) == [True]
    [(seq, _, price)] = _prices(store)
    assert price == "3.00" and seq > 1  # a new seq: the next load merges it


def test_an_undated_result_keeps_the_first(tmp_path) -> None:
    store = Store(tmp_path / "s.sqlite")
    rid = "b" * 24
    assert store.record_results([_result(rid, None, "1.00"), _result(rid, None, "2.00")]) == [
        True,
        False,
    ]
    assert _prices(store) == [(1, rid, "1.00")]


def test_a_journaled_add_adopts_the_callback_that_names_its_key(tmp_path) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.record_results([_result("c" * 24, "2026-11-01T08:00:00Z", queryAsin="B0LOST", domain=US)])
    store.journal_add("asinsnapshot", "B0LOST", US, "2026-11-01T09:00:00Z")
    store.journal_add("asinsnapshot", "B0OTHER", DE, "2026-11-01T09:00:00Z")
    assert store.adopt() == 0  # a result from before the Add is not its answer
    store.record_results(
        [
            _result("d" * 24, "2026-11-01T09:01:00Z", queryAsin="B0LOST", domain=US),
            _result("e" * 24, "2026-11-01T09:01:00Z", queryAsin="B0OTHER", domain=US),
        ]
    )
    assert store.adopt() == 1  # B0OTHER's result is for another domain
    assert [(j.key, j.domain) for j in store.journal()] == [("B0OTHER", DE)]
    assert [(p.rid, p.key) for p in store.pending()] == []
    requested = store._query("select rid, key, requested_at from requests")
    assert requested == [("d" * 24, "B0LOST", "2026-11-01T09:00:00Z")]


def test_an_answered_add_settles_its_journal_entry(tmp_path) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.journal_add("asinsnapshot", "B0OK", US, "2026-11-01T09:00:00Z")
    store.record_request("f" * 24, "asinsnapshot", "B0OK", US, "2026-11-01T09:00:01Z")
    assert store.journal() == []
    assert [p.rid for p in store.pending()] == ["f" * 24]
