"""One run's conversation with Amzpecty: Add calls, a bounded wait for callbacks, then Get
by rid for whatever is still pending after `poll_after`.

An Add whose answer was lost is not sent again: it stays journaled until its callback names
it (adopted) or `poll_after` passes without one; then a later round may ask once more.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson
import pendulum

from sources.amzpecty.client import AmzpectyClient
from sources.amzpecty.exceptions import (
    AddInDoubtError,
    AmzpectyError,
    CreditsExhaustedError,
    InvalidRequestError,
    ParentAsinError,
    RidNotFoundError,
)
from sources.amzpecty.planning import Wanted
from sources.amzpecty.settings import VARIATIONS
from sources.amzpecty.store import LOST, Result, Store
from sources.common.clock import Clock

log = logging.getLogger("sources.amzpecty")


@dataclass(frozen=True)
class SyncSettings:
    domain_options: dict[str, object]  # condition, exclude_moq, expanded
    callback_url: str | None
    user_agent: str | None
    poll_after: float
    callback_wait: float
    callback_check: float


@dataclass
class SyncReport:
    added: int = 0
    rejected: list[str] = field(default_factory=list)
    polled: int = 0
    lost: int = 0
    in_doubt: int = 0  # Adds whose answers were lost
    adopted: int = 0  # of those, settled by their callbacks
    released: int = 0  # of those, neither answered nor called back by `poll_after`
    stopped: str | None = None  # why Add calls stopped early (credits)


def iso(moment: pendulum.DateTime) -> str:
    return moment.in_timezone("UTC").format("YYYY-MM-DDTHH:mm:ss.SSSSSS[Z]")


class Sync:
    """Adds, waits and polls; every rid and result goes to the store before anything else."""

    def __init__(
        self, client: AmzpectyClient, store: Store, clock: Clock, settings: SyncSettings
    ) -> None:
        self.client = client
        self.store = store
        self.clock = clock
        self.settings = settings
        self.report = SyncReport()

    def add_all(self, wanted: list[Wanted]) -> None:
        queue = list(wanted)
        tried: set[Wanted] = set()
        while queue:
            item = queue.pop(0)
            if item in tried:
                continue
            tried.add(item)
            try:
                self.client.credits.check(outstanding=self._outstanding())
            except CreditsExhaustedError as error:
                self._stop(error)
                return
            self.store.journal_add(item.queue, item.key, item.domain, iso(self.clock.now()))
            try:
                envelope = self.client.add(
                    item.queue,
                    item.key,
                    item.domain,
                    callback_url=self.settings.callback_url,
                    user_agent=self.settings.user_agent,
                    **self.settings.domain_options,  # type: ignore[arg-type]
                )
            except AddInDoubtError as error:
                log.warning("amzpecty: %s %s in doubt: %s", item.queue, item.key, error)
                self.report.in_doubt += 1
                continue
            except AmzpectyError as error:
                self.store.settle(item.queue, item.key, item.domain)  # answered: not queued
                if isinstance(error, ParentAsinError):
                    queue.insert(0, Wanted(VARIATIONS, item.key, item.domain))
                elif isinstance(error, InvalidRequestError):
                    log.warning("amzpecty: %s %s rejected: %s", item.queue, item.key, error)
                    self.report.rejected.append(item.key)
                elif isinstance(error, CreditsExhaustedError):
                    self._stop(error)
                    return
                else:
                    raise
                continue
            requested_at = iso(self.clock.now())
            self.store.record_request(
                str(envelope["rid"]), item.queue, item.key, item.domain, requested_at
            )
            self.report.added += 1

    def _stop(self, error: CreditsExhaustedError) -> None:
        log.warning("amzpecty: Add calls stop: %s", error)
        self.report.stopped = str(error)

    def _outstanding(self) -> int:
        """Requests that may still cost a credit: pending ones and journaled (in doubt) ones."""
        return len(self.store.pending()) + len(self.store.journal())

    def _adopt(self) -> None:
        adopted = self.store.adopt()
        if adopted:
            log.info("amzpecty: %d Adds in doubt settled by their callbacks", adopted)
            self.report.adopted += adopted

    def _waiting_for(self) -> int:
        """Pending rids and journaled Adds young enough that their callback may still come."""
        self._adopt()
        horizon = self.clock.now().subtract(seconds=self.settings.poll_after)
        sent = [p.requested_at for p in self.store.pending()]
        sent += [j.sent_at for j in self.store.journal()]
        return sum(1 for at in sent if pendulum.parse(at) > horizon)

    def wait_for_callbacks(self) -> None:
        deadline = self.clock.monotonic() + self.settings.callback_wait
        while self._waiting_for() and self.clock.monotonic() < deadline:
            self.clock.sleep(self.settings.callback_check)

    def poll(self) -> None:
        """Get by rid (no credit) for every request pending longer than `poll_after`; a
        journaled Add as old with no callback is released (its key may be asked for again)."""
        self._adopt()
        horizon = self.clock.now().subtract(seconds=self.settings.poll_after)
        for add in self.store.journal():
            if pendulum.parse(add.sent_at) <= horizon:
                log.warning("amzpecty: no answer and no callback for %s %s", add.queue, add.key)
                self.store.settle(add.queue, add.key, add.domain)
                self.report.released += 1
        for pending in self.store.pending():
            if pendulum.parse(pending.requested_at) > horizon:
                continue
            try:
                envelope = self.client.get_by_rid(pending.rid)
            except RidNotFoundError:
                self.report.lost += 1
                envelope = {"status": LOST, "responsefor": pending.queue, "rid": pending.rid}
            status = str(envelope.get("status"))
            if status == "PENDING":
                continue
            self.report.polled += 1
            received = iso(self.clock.now())
            body = orjson.dumps(envelope)
            self.store.record_results(
                [Result(pending.rid, pending.queue, status, received, "poll", body)]
            )

    def run(self, plan: Callable[[], list[Wanted]], rounds: int = 2) -> SyncReport:
        """Add, wait, poll; a second round asks for the parents the first round's snapshots
        named (their variations), and for nothing else that is already in flight."""
        for round_ in range(rounds):
            wanted = plan()
            if round_ and not wanted:
                break
            self.add_all(wanted)
            self.wait_for_callbacks()
            self.poll()
            if self.report.stopped:
                break
        report = self.report
        log.info(
            "amzpecty: %d added, %d rejected, %d polled (%d lost), %d in doubt (%d adopted, "
            "%d released), credits left %s",
            report.added,
            len(report.rejected),
            report.polled,
            report.lost,
            report.in_doubt,
            report.adopted,
            report.released,
            self.client.credits.left(),
        )
        return report
