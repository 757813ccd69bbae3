"""Amzpecty's state: the account (secret, credits, allowance, preferences) and the queues.

A request is PENDING until its queue's delay has passed at the clock's pace; it is then
processed once, in due order: credits are deducted only when data is retrieved, and a
callback goes to the outbox when a callback URL is known.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pendulum

from sandbox.amzpecty.exceptions import (
    DailyLimitReachedError,
    InsufficientCreditsError,
    TooManyRequestsError,
)
from sandbox.amzpecty.products import DAY, ProductData
from sandbox.clock import Mark
from sandbox.seed.marketplaces import Marketplace

SNAPSHOT, VARIATIONS, MATCH = "asinsnapshot", "productvariations", "matchasins"
DEFAULT_DELAYS = {SNAPSHOT: 60.0, VARIATIONS: 120.0, MATCH: 90.0}  # pace seconds
DEFAULT_CREDITS = 100_000
DEFAULT_DAILY_ALLOWANCE = 20_000
MIN_INTERVAL = 1.0  # "at least 1-2 seconds" between requests (system-diagram page)


@dataclass
class Account:
    """What the Preferences page holds, plus the balance; controls change it in tests."""

    secret_key: str
    credits: int = DEFAULT_CREDITS
    daily_allowance: int | None = DEFAULT_DAILY_ALLOWANCE
    callback_url: str | None = None
    delays: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_DELAYS))
    min_interval: float = MIN_INTERVAL
    used: dict[int, int] = field(default_factory=dict)  # world day -> credits used

    def daily_left(self, now: float) -> int | None:
        if self.daily_allowance is None:
            return None
        return max(0, self.daily_allowance - self.used.get(int(now // DAY), 0))

    def envelope_credits(self, now: float) -> dict[str, Any]:
        return {"allowed": self.credits, "dailyAllowed": self.daily_left(now)}


@dataclass
class QueuedRequest:
    rid: str
    responsefor: str
    key: str  # the ASIN, parent ASIN or product id
    market: Marketplace
    options: dict[str, Any]
    queued: Mark
    delay: float  # pace seconds in the queue
    callback_url: str | None
    user_agent: str | None
    status: str = "PENDING"
    envelope: dict[str, Any] | None = None
    processed_at: float | None = None  # world
    fetched: int = 0  # Get-by-rid calls for it: the ledger of a client's polling

    @property
    def requested_at(self) -> float:
        return self.queued.world

    @property
    def due_at(self) -> float:
        """The pace at which it is processed."""
        return self.queued.pace + self.delay


def iso(moment: float) -> str:
    return pendulum.from_timestamp(moment, tz="UTC").format("YYYY-MM-DDTHH:mm:ss[Z]")


class Queues:
    """The three queues of one account; thread-safe, processed lazily at the clock's pace."""

    def __init__(
        self,
        account: Account,
        products: Callable[[], ProductData],
        data_time: Callable[[float], float],
        on_processed: Callable[[QueuedRequest], None],
        world_at: Callable[[float], float],
    ) -> None:
        self.account = account
        self._products = products
        self._data_time = data_time  # a frozen world answers with its frozen data
        self._on_processed = on_processed
        self._world_at = world_at  # the world's time at a pace: when a request was processed
        self._lock = threading.RLock()
        self._requests: dict[str, QueuedRequest] = {}
        self._pending: list[QueuedRequest] = []
        self._counter = itertools.count(1)
        self._last_request_at: float | None = None  # pace

    def admit(self, pace: float, now: float) -> None:
        """Reject a request that comes sooner than `min_interval` after the last one let in
        (a usage plan: it refills at the clock's pace)."""
        with self._lock:
            last = self._last_request_at
            if last is not None and pace - last < self.account.min_interval:
                raise TooManyRequestsError(credits=self.account.envelope_credits(now))
            self._last_request_at = pace

    def credits(self, now: float) -> dict[str, Any]:
        with self._lock:
            return self.account.envelope_credits(now)

    def check_balance(self, now: float) -> None:
        with self._lock:
            credits = self.account.envelope_credits(now)
            if self.account.credits <= 0:
                raise InsufficientCreditsError(credits=credits)
            if credits["dailyAllowed"] == 0:
                raise DailyLimitReachedError(credits=credits)

    def add(
        self,
        responsefor: str,
        key: str,
        market: Marketplace,
        options: dict[str, Any],
        queued: Mark,
        callback_url: str | None,
        user_agent: str | None,
    ) -> QueuedRequest:
        with self._lock:
            # ObjectId-like: 8 hex of the world's time, 16 of a counter
            rid = f"{int(queued.world) & 0xFFFFFFFF:08x}{next(self._counter):016x}"
            request = QueuedRequest(
                rid,
                responsefor,
                key,
                market,
                options,
                queued,
                self.account.delays[responsefor],
                callback_url or self.account.callback_url,
                user_agent,
            )
            self._requests[rid] = request
            self._pending.append(request)
            return request

    def get(self, rid: str) -> QueuedRequest | None:
        with self._lock:
            return self._requests.get(rid)

    def latest(self, responsefor: str, key: str, market: Marketplace) -> QueuedRequest | None:
        with self._lock:
            found = [
                r
                for r in self._requests.values()
                if (r.responsefor, r.key, r.market) == (responsefor, key, market)
            ]
            return max(found, key=lambda r: r.requested_at) if found else None

    def requests(self) -> list[QueuedRequest]:
        with self._lock:
            return list(self._requests.values())

    def waiting(self) -> bool:
        """Requests not processed yet."""
        with self._lock:
            return bool(self._pending)

    def process_due(self, pace: float) -> int:
        """Process every request due by `pace`, oldest due first; returns how many."""
        with self._lock:
            due = sorted((r for r in self._pending if r.due_at <= pace), key=lambda r: r.due_at)
            for request in due:
                self._pending.remove(request)
                self._process(request)
        for request in due:
            self._on_processed(request)
        return len(due)

    def _process(self, request: QueuedRequest) -> None:
        at = request.processed_at = self._world_at(request.due_at)
        products = self._products()
        options = request.options
        if request.responsefor == SNAPSHOT:
            data = products.snapshot(request.key, request.market, self._data_time(at), **options)
            cost = 1
        elif request.responsefor == VARIATIONS:
            data = products.variations(request.key, request.market, self._data_time(at))
            cost = data["totalVariations"]
        else:
            data = products.matches(request.key, request.market, self._data_time(at), **options)
            cost = 1 if data["totalMatch"] else 0
        account = self.account
        day = int(at // DAY)
        daily_left = account.daily_left(at)
        if cost > account.credits or (daily_left is not None and cost > daily_left):
            error = InsufficientCreditsError if cost > account.credits else DailyLimitReachedError
            request.status = "ERROR"
            request.envelope = self._envelope(request, None, error.code, error.message)
            return
        account.credits -= cost
        account.used[day] = account.used.get(day, 0) + cost
        request.status = "OK"
        request.envelope = self._envelope(request, data, None, None)

    def _envelope(
        self,
        request: QueuedRequest,
        data: dict[str, Any] | None,
        message_id: str | None,
        message: str | None,
    ) -> dict[str, Any]:
        return {
            "status": request.status,
            "responsefor": request.responsefor,
            # the rid rides at the top level next to `responsefor` (reference's guess)
            "rid": request.rid,
            **self.account.envelope_credits(request.processed_at),
            "messageId": message_id,
            "message": message,
            "data": data,
            "dateProcessed": iso(request.processed_at),
        }
