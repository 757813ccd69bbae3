"""One producer per account, all in parallel: with a Failures collector, a failing account is
recorded (and its position not advanced) while the others load."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from functools import partial
from typing import TypeVar

from sources.common.concurrency import interleave
from sources.common.failures import Failures
from sources.sp_api.client import SpApiClient
from sources.sp_api.exceptions import SpApiError

log = logging.getLogger("sources.sp_api")
T = TypeVar("T")


def guarded(
    resource: str,
    client: SpApiClient,
    produce: Callable[[], Iterator[T]],
    failures: Failures | None,
) -> Iterator[T]:
    """`produce`'s items; without a collector its error is raised, with one it is recorded."""
    try:
        yield from produce()
    except SpApiError as error:
        if failures is None:
            raise
        log.error("%s [%s] failed: %s", resource, client.account.name, error)
        failures.add(resource, client.account.name, error)


def per_account(
    resource: str,
    clients: list[SpApiClient],
    fetch: Callable[[SpApiClient], Iterator[T]],
    failures: Failures | None,
    buffer: int = 2,
) -> Iterator[T]:
    """Every account's items as they arrive (see `interleave`)."""
    producers = [
        partial(guarded, resource, client, partial(fetch, client), failures) for client in clients
    ]
    yield from interleave(producers, workers=max(1, len(producers)), buffer=buffer)
