"""Callbacks waiting to be POSTed: due at the clock's pace, retried with back-off, with faults.

A worker thread delivers what is due as the clock runs; `flush` delivers everything due now,
synchronously, so tests and `run.py` never wait on real time. Faults act on the next
callbacks to be queued (with `every: n`, on every n-th of them): `drop` loses them (never
sent, never retried), `duplicate` sends each twice, `delay` postpones them, `reorder` holds
`count` of them and lets them go in reverse order.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

import orjson
import requests

from sandbox.clock import SandboxClock

log = logging.getLogger("sandbox.amzpecty")

DEFAULT_USER_AGENT = "Amzpecty-Callback/1.0"  # the service's own agent is not public: ours
MAX_ATTEMPTS = 8
RETRY_BASE = 30.0  # pace seconds before the first retry; doubles per attempt
RETRY_CAP = 3600.0
DUPLICATE_GAP = 1.0
FAULT_KINDS = ("drop", "duplicate", "delay", "reorder")
TICK = 0.02  # real seconds between the worker's looks at the clock


@dataclass
class CallbackFault:
    kind: str
    count: int = 1
    seconds: float = 0.0  # for `delay`
    every: int = 1  # acts on every n-th callback queued, `count` times
    seen: int = field(default=0, init=False)  # callbacks queued since the fault was added

    @classmethod
    def from_json(cls, spec: dict[str, Any]) -> CallbackFault:
        unknown = set(spec) - {f.name for f in fields(cls) if f.init}
        if unknown:
            raise ValueError(f"unknown callback fault fields: {sorted(unknown)}")
        fault = cls(**spec)
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {FAULT_KINDS}")
        if fault.count < 1 or fault.every < 1:
            raise ValueError("count and every must be at least 1")
        return fault

    def hits(self) -> bool:
        """Whether the callback being queued is one this fault acts on (used up if so)."""
        self.seen += 1
        if self.seen % self.every:
            return False
        self.count -= 1
        return True


@dataclass
class Delivery:
    rid: str
    url: str
    body: bytes
    user_agent: str
    due_at: float  # pace
    rank: int  # order among deliveries due at the same moment
    attempts: int = 0
    statuses: list[str] = field(default_factory=list)


class Outbox:
    """Owns the deliveries; one deliverer at a time (the worker or a flush)."""

    def __init__(
        self,
        clock: SandboxClock,
        secret: Callable[[], str],
        process: Callable[[float], object],
        queued: Callable[[], bool],
    ) -> None:
        self.clock = clock
        self._secret = secret
        self._process = process  # turns due requests into callbacks before each delivery
        self._queued = queued  # whether requests wait in the queues (callbacks to come)
        self._wake = threading.Event()
        self.ca_file: str | None = None  # None: the system's trust store, never "no checks"
        self._lock = threading.Lock()
        self._sending = threading.Lock()
        self._ranks = itertools.count()
        self._queue: list[Delivery] = []
        self._held: list[Delivery] = []  # a reorder fault's callbacks, until all arrived
        self._hold_size = 0
        self._faults: list[CallbackFault] = []
        self._dropped: list[str] = []  # the rids a `drop` fault lost
        self._session = requests.Session()
        self._worker: threading.Thread | None = None
        self.stats = {"queued": 0, "delivered": 0, "failed": 0, "dropped": 0, "gave_up": 0}

    def add_fault(self, fault: CallbackFault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        """Forget deliveries, faults and counters (the sandbox's reset)."""
        with self._sending, self._lock:
            self._queue.clear()
            self._held.clear()
            self._hold_size = 0
            self._faults.clear()
            self._dropped.clear()
            self.stats = dict.fromkeys(self.stats, 0)

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {
                **self.stats,
                "pending": [
                    {"rid": d.rid, "due_at": d.due_at, "attempts": d.attempts}
                    for d in sorted(self._queue, key=lambda d: (d.due_at, d.rank))
                ],
                "held": [d.rid for d in self._held],
                "dropped_rids": list(self._dropped),
                "faults": [fault.__dict__ for fault in self._faults],
                "ca_file": self.ca_file,
            }

    def enqueue(
        self, rid: str, url: str, envelope: dict[str, Any], agent: str | None, at: float
    ) -> None:
        delivery = Delivery(
            rid, url, orjson.dumps(envelope), agent or DEFAULT_USER_AGENT, at, next(self._ranks)
        )
        with self._lock:
            self.stats["queued"] += 1
            fault = self._faults[0] if self._faults else None
            if fault is not None and not fault.hits():
                fault = None
            if fault is not None and fault.count == 0:
                self._faults.pop(0)
            kind = fault.kind if fault else None
            if kind == "drop":
                self.stats["dropped"] += 1
                self._dropped.append(rid)
                return
            if kind == "delay":
                delivery.due_at += fault.seconds  # type: ignore[union-attr]
            if kind == "reorder":
                self._hold(delivery, fault.count)  # type: ignore[union-attr]
            else:
                self._queue.append(delivery)
            if kind == "duplicate":
                twin_at = delivery.due_at + DUPLICATE_GAP
                rank = next(self._ranks)
                self._queue.append(
                    Delivery(rid, url, delivery.body, delivery.user_agent, twin_at, rank)
                )
        self._wake.set()

    def _hold(self, delivery: Delivery, remaining: int) -> None:
        if not self._held:
            self._hold_size = remaining + 1
        self._held.append(delivery)
        if len(self._held) >= self._hold_size:
            self._release_held()

    def _release_held(self) -> None:
        """The held callbacks become due together, the last queued first."""
        if not self._held:
            return
        due = max(d.due_at for d in self._held)
        ranks = sorted(d.rank for d in self._held)
        for delivery, rank in zip(reversed(self._held), ranks, strict=True):
            delivery.due_at, delivery.rank = due, rank
            self._queue.append(delivery)
        self._held.clear()

    def flush(self) -> int:
        """Deliver every callback due by now, held (reordered) ones too; returns how many
        answered 2xx."""
        with self._lock:
            self._release_held()
        return self._deliver_due(self.clock.pace())

    def _deliver_due(self, pace: float) -> int:
        delivered = 0
        self._process(pace)
        with self._sending:
            with self._lock:
                due = sorted(
                    (d for d in self._queue if d.due_at <= pace), key=lambda d: (d.due_at, d.rank)
                )
                for delivery in due:
                    self._queue.remove(delivery)
            for delivery in due:
                if self._post(delivery):
                    delivered += 1
                    continue
                with self._lock:
                    self._retry_later(delivery)
        return delivered

    def _post(self, delivery: Delivery) -> bool:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "AMZPECTY-API-SECRET-KEY": self._secret(),
            "User-Agent": delivery.user_agent,
        }
        delivery.attempts += 1
        try:
            response = self._session.post(
                delivery.url,
                data=delivery.body,
                headers=headers,
                timeout=10,
                verify=self.ca_file or True,
            )
            status = str(response.status_code)
            ok = 200 <= response.status_code < 300
            response.close()
        except requests.RequestException as error:
            status, ok = type(error).__name__, False
        delivery.statuses.append(status)
        with self._lock:
            self.stats["delivered" if ok else "failed"] += 1
        if not ok:
            log.debug("callback %s to %s failed: %s", delivery.rid, delivery.url, status)
        return ok

    def _retry_later(self, delivery: Delivery) -> None:
        if delivery.attempts >= MAX_ATTEMPTS:
            self.stats["gave_up"] += 1
            log.warning("callback %s gave up after %d attempts", delivery.rid, delivery.attempts)
            return
        backoff = min(RETRY_CAP, RETRY_BASE * 2 ** (delivery.attempts - 1))
        delivery.due_at = self.clock.pace() + backoff
        self._queue.append(delivery)
        self._wake.set()

    def start(self) -> None:
        """Deliver in the background from now on (the service calls this on every Add)."""
        self._wake.set()
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._work, name="amzpecty-outbox", daemon=True)
            self._worker.start()

    def _busy(self) -> bool:
        with self._lock:
            pending = bool(self._queue or self._held)
        return pending or self._queued()

    def _work(self) -> None:
        while True:
            if not self._busy():  # idle until the next Add: no ticks stealing the GIL
                self._wake.clear()
                if not self._busy():
                    self._wake.wait()
            self.clock.wait_real(TICK)
            try:
                self._deliver_due(self.clock.pace())
            except Exception:  # the worker must outlive any one bad delivery
                log.exception("callback worker failed")
