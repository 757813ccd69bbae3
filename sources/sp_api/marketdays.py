"""Marketplace days for daily resources: which local days a run asks for, from the last day
it completed (less a lag, since orders change after the day), in the server's time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pendulum

from sources.sp_api.client import SpApiClient
from sources.sp_api.sellers import marketplace_ids
from sources.sp_api.settings import MARKETPLACE_TIMEZONES


@dataclass(frozen=True)
class DailySettings:
    start: pendulum.DateTime  # where a first run starts
    lag_days: int  # days before the last completed one that a run asks for again
    history_days: int  # how far back the API answers


def days_to_fetch(
    client: SpApiClient, marketplace_id: str, through: str | None, settings: DailySettings
) -> tuple[pendulum.DateTime, pendulum.DateTime]:
    """(first day, today) as local midnights; `through` is the last day a run completed."""
    zone = MARKETPLACE_TIMEZONES.get(marketplace_id, "UTC")
    today = client.server_now().in_timezone(zone).start_of("day")
    if through is None:
        first = settings.start.in_timezone(zone).start_of("day")
    else:
        day = pendulum.parse(through)
        first = pendulum.datetime(day.year, day.month, day.day, tz=zone)  # type: ignore[union-attr]
        first = first.subtract(days=settings.lag_days)
    return max(first, today.subtract(days=settings.history_days)), today


def days_to_load(
    client: SpApiClient, state: dict[str, str], settings: DailySettings, with_today: bool
) -> Iterator[tuple[str, pendulum.DateTime, pendulum.DateTime]]:
    """(marketplace, first day, last day) for each of the account's marketplaces with days to
    load; its mark moves to yesterday when the caller asks for the next one, that is once the
    caller has loaded this one's rows (a failure in between leaves it where it was)."""
    for marketplace_id in marketplace_ids(client):
        key = f"{client.account.seller_id}:{marketplace_id}"
        first, today = days_to_fetch(client, marketplace_id, state.get(key), settings)
        last = today if with_today else today.subtract(days=1)
        if first > last:
            continue
        yield marketplace_id, first, last
        state[key] = today.subtract(days=1).to_date_string()
