"""One producer per account, all in parallel: with a Failures collector, a failing account is
recorded (and its position not advanced) while the others load."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TypeVar

from sources.common.concurrency import interleave
from sources.common.failures import Failures, guarded
from sources.sp_api.client import SpApiClient
from sources.sp_api.exceptions import SpApiError

T = TypeVar("T")


def per_account(
    resource: str,
    clients: list[SpApiClient],
    fetch: Callable[[SpApiClient], Iterator[T]],
    failures: Failures | None,
    buffer: int = 2,
) -> Iterator[T]:
    """Every account's items as they arrive (see `interleave`)."""
    producers = [
        partial(
            guarded, partial(fetch, client), failures, resource, client.account.name, (SpApiError,)
        )
        for client in clients
    ]
    yield from interleave(producers, workers=max(1, len(producers)), buffer=buffer)
