"""The durable store between Amzpecty and the warehouse: requests made and results received.

SQLite in WAL mode with synchronous=FULL: a row is on disk before `record_results` returns,
so the receiver answers 2xx only for what survives a crash. The receiver writes callbacks,
the source writes its Add calls and polled results, and the source loads both from here,
incrementally by `seq`. A repeated rid is one result: the newest `dateProcessed` wins.

Every Add is journaled before it is sent and settled when its rid is recorded, so an Add
whose answer was lost (or whose process died) is known: its callback, which names the key,
is adopted as its result instead of the key being asked for twice.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pendulum

from sources.amzpecty.settings import RESULT_KEYS

SCHEMA = """
create table if not exists requests (
    seq integer primary key autoincrement,
    rid text not null unique,
    queue text not null,
    key text not null,
    domain text not null,
    requested_at text not null
);
create table if not exists results (
    seq integer primary key autoincrement,
    rid text not null unique,
    responsefor text,
    status text not null,
    received_at text not null,
    via text not null,
    body blob not null
);
create index if not exists requests_key on requests (queue, key, domain);
create table if not exists journal (
    queue text not null,
    key text not null,
    domain text not null,
    sent_at text not null,
    after_seq integer not null,
    primary key (queue, key, domain)
);
"""
LOST = "LOST"  # Get-by-rid answered RID_NOT_FOUND: the request may be made again


@dataclass(frozen=True)
class Result:
    """One callback or polled answer, as received (`body` is the raw JSON envelope)."""

    rid: str
    responsefor: str | None
    status: str
    received_at: str
    via: str  # "callback" or "poll"
    body: bytes


@dataclass(frozen=True)
class PendingRequest:
    rid: str
    queue: str
    key: str
    domain: str
    requested_at: str


@dataclass(frozen=True)
class JournaledAdd:
    """An Add sent whose rid is not known yet."""

    queue: str
    key: str
    domain: str
    sent_at: str


SETTLE = "delete from journal where queue = ? and key = ? and domain = ?"


def _request(db: sqlite3.Connection, rid: str, queue: str, key: str, domain: str, at: str) -> None:
    """Record a request under its rid and settle its journal entry (inside a transaction)."""
    db.execute(
        "insert or ignore into requests (rid, queue, key, domain, requested_at) "
        "values (?, ?, ?, ?, ?)",
        (rid, queue, key, domain, at),
    )
    db.execute(SETTLE, (queue, key, domain))


def _processed(body: bytes | str | None) -> pendulum.DateTime | None:
    """A result's `dateProcessed`, None when it has none or an unreadable one."""
    with contextlib.suppress(ValueError, TypeError, AttributeError):
        stamp = orjson.loads(body).get("dateProcessed")  # type: ignore[arg-type, union-attr]
        return pendulum.parse(stamp)  # type: ignore[return-value]
    return None


def _newer(incoming: bytes, stored: bytes) -> bool:
    """The incoming result was processed after the stored one (an undated one never is)."""
    new, old = _processed(incoming), _processed(stored)
    return new is not None and (old is None or new > old)


class Store:
    """One connection, usable from one thread at a time (each process or thread opens its own)."""

    def __init__(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = str(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            self.path, timeout=60, isolation_level=None, check_same_thread=False
        )
        self._db.execute("pragma journal_mode = wal")
        self._db.execute("pragma synchronous = full")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def record_results(self, results: Iterable[Result]) -> list[bool]:
        """Store results in one durable transaction; True for each rid not seen before or
        processed later than the stored one (which it replaces under a new `seq`, so the
        next load merges it), False for a repeat or an older one."""
        changed = []
        with self._transaction() as db:
            for r in results:
                row = (r.rid, r.responsefor, r.status, r.received_at, r.via, r.body)
                insert = (
                    "insert into results (rid, responsefor, status, received_at, via, body) "
                    "values (?, ?, ?, ?, ?, ?) on conflict (rid) do nothing"
                )
                if db.execute(insert, row).rowcount == 1:
                    changed.append(True)
                    continue
                (stored,) = db.execute(
                    "select body from results where rid = ?", (r.rid,)
                ).fetchone()
                newer = _newer(r.body, stored)
                if newer:
                    db.execute("delete from results where rid = ?", (r.rid,))
                    db.execute(insert, row)
                changed.append(newer)
        return changed

    def journal_add(self, queue: str, key: str, domain: str, at: str) -> None:
        """Durably note an Add about to be sent (before it leaves)."""
        with self._transaction() as db:
            db.execute(
                "insert or replace into journal (queue, key, domain, sent_at, after_seq) "
                "values (?, ?, ?, ?, (select coalesce(max(seq), 0) from results))",
                (queue, key, domain, at),
            )

    def settle(self, queue: str, key: str, domain: str) -> None:
        """The journaled Add was refused, or is to be asked for again: forget it."""
        with self._transaction() as db:
            db.execute(SETTLE, (queue, key, domain))

    def journal(self) -> list[JournaledAdd]:
        """Adds sent whose rid is unknown: their answers were lost."""
        rows = self._query("select queue, key, domain, sent_at from journal order by sent_at")
        return [JournaledAdd(*row) for row in rows]

    def record_request(self, rid: str, queue: str, key: str, domain: str, at: str) -> None:
        """An Add's rid: the request is pending and its journal entry settled."""
        with self._transaction() as db:
            _request(db, rid, queue, key, domain, at)

    def adopt(self) -> int:
        """Journaled Adds whose callback came (a result of no known request, received after
        the Add was sent, naming its key, and its domain where the result carries one) get
        that rid as their request; returns how many."""
        paths = [value for pair in RESULT_KEYS.items() for value in pair]
        with self._transaction() as db:
            found = db.execute(
                # the newest such result (SQLite takes the bare columns from the max's row)
                "select max(x.seq), x.rid, j.queue, j.key, j.domain, j.sent_at from journal j "
                "join results x on x.responsefor = j.queue and x.seq > j.after_seq "
                "and json_extract(x.body, case j.queue when ? then ? when ? then ? "
                "when ? then ? end) = j.key "
                "and coalesce(json_extract(x.body, '$.data.domain'), j.domain) = j.domain "
                "where x.rid not in (select rid from requests) "
                "group by j.queue, j.key, j.domain, j.sent_at",
                paths,
            ).fetchall()
            for _, rid, queue, key, domain, sent_at in found:
                _request(db, rid, queue, key, domain, sent_at)
        return len(found)

    def pending(self) -> list[PendingRequest]:
        """Requests without a result, oldest first."""
        rows = self._query(
            "select r.rid, r.queue, r.key, r.domain, r.requested_at from requests r "
            "left join results x on x.rid = r.rid where x.rid is null order by r.seq"
        )
        return [PendingRequest(*row) for row in rows]

    def latest_requests(self, queue: str) -> dict[tuple[str, str], tuple[str, str]]:
        """(key, domain) -> (requested_at, status) of the newest request in `queue`."""
        rows = self._query(
            "select r.key, r.domain, r.requested_at, coalesce(x.status, 'PENDING') "
            "from requests r left join results x on x.rid = r.rid where r.queue = ? "
            "order by r.seq",
            (queue,),
        )
        return {(key, domain): (at, status) for key, domain, at, status in rows}

    def parent_asins(self) -> set[tuple[str, str]]:
        """(parent ASIN, domain) pairs the snapshots named, and those asked for variants."""
        rows = self._query(
            "select json_extract(x.body, '$.data.parentAsin'), r.domain from results x "
            "join requests r on r.rid = x.rid "
            "where x.responsefor = 'asinsnapshot' and x.status = 'OK' "
            "and json_extract(x.body, '$.data.parentAsin') is not null "
            "union select key, domain from requests where queue = 'productvariations'"
        )
        return {(parent, domain) for parent, domain in rows}

    def positions(self) -> tuple[int, int]:
        """The newest request and result seq: a consistent upper bound for one load."""
        rows = self._query(
            "select (select coalesce(max(seq), 0) from requests), "
            "(select coalesce(max(seq), 0) from results)"
        )
        return rows[0]

    def requests_since(
        self, request_seq: int, result_seq: int, top_request: int, top_result: int
    ) -> list[dict[str, Any]]:
        """Requests that are new, or whose result is new, in (position, top]."""
        rows = self._query(
            "select r.rid, r.queue, r.key, r.domain, r.requested_at, "
            "coalesce(x.status, 'PENDING'), x.received_at, x.via from requests r "
            "left join results x on x.rid = r.rid and x.seq <= ? "
            "where r.seq <= ? and (r.seq > ? or x.seq > ?) order by r.seq",
            (top_result, top_request, request_seq, result_seq),
        )
        names = ("rid", "queue", "query", "domain", "requested_at", "status")
        names += ("completed_at", "received_via")
        return [dict(zip(names, row, strict=True)) for row in rows]

    def results_since(self, result_seq: int, top: int, batch: int = 5_000) -> Iterator[list]:
        """(seq, rid, responsefor, status, received_at, via, body) rows in (position, top]."""
        position = result_seq
        while True:
            rows = self._query(
                "select seq, rid, responsefor, status, received_at, via, body from results "
                "where seq > ? and seq <= ? order by seq limit ?",
                (position, top, batch),
            )
            if not rows:
                return
            yield rows
            position = rows[-1][0]

    def _query(self, sql: str, parameters: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, parameters).fetchall()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One durable write transaction (committed with an fsync, or rolled back)."""
        with self._lock:
            self._db.execute("begin immediate")
            try:
                yield self._db
                self._db.execute("commit")
            except BaseException:
                self._db.execute("rollback")
                raise
