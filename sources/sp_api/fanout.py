"""Each account's items in turn: with a Failures collector, a failing account is recorded (and
its position not advanced) while the others load. A run's parallelism is its units, one
pipeline per seller (`pipelines/pool.py`), so an account needs no thread of its own here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TypeVar

from sources.common.failures import Failures, guarded
from sources.sp_api.client import SpApiClient
from sources.sp_api.exceptions import SpApiError

T = TypeVar("T")


def per_account(
    resource: str,
    clients: list[SpApiClient],
    fetch: Callable[[SpApiClient], Iterator[T]],
    failures: Failures | None,
) -> Iterator[T]:
    """Every account's items, one account after another."""
    for client in clients:
        yield from guarded(
            partial(fetch, client), failures, resource, client.account.name, (SpApiError,)
        )
