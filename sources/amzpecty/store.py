"""The durable store between Amzpecty and the warehouse: requests made and results received.

SQLite in WAL mode with synchronous=FULL: a row is on disk before `record_results` returns,
so the receiver answers 2xx only for what survives a crash. The receiver writes callbacks,
the source writes its Add calls and polled results, and the source loads both from here,
incrementally by `seq`. A repeated rid is the same result (the first one stays).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
        """Store results in one durable transaction; True for each rid not seen before."""
        fresh = []
        with self._lock:
            self._db.execute("begin immediate")
            try:
                for r in results:
                    cursor = self._db.execute(
                        "insert or ignore into results "
                        "(rid, responsefor, status, received_at, via, body) "
                        "values (?, ?, ?, ?, ?, ?)",
                        (r.rid, r.responsefor, r.status, r.received_at, r.via, r.body),
                    )
                    fresh.append(cursor.rowcount == 1)
                self._db.execute("commit")
            except BaseException:
                self._db.execute("rollback")
                raise
        return fresh

    def record_request(self, rid: str, queue: str, key: str, domain: str, at: str) -> None:
        with self._lock:
            self._db.execute(
                "insert or ignore into requests (rid, queue, key, domain, requested_at) "
                "values (?, ?, ?, ?, ?)",
                (rid, queue, key, domain, at),
            )

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
