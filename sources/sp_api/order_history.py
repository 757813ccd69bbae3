"""Where the order history splits: the orders flat-file report backfills everything before the
split, the Orders API reads everything after it. The split is fixed per seller on first use and
kept in source state, so the two never leave a gap between them."""

from __future__ import annotations

from dataclasses import dataclass

import pendulum

from sources.sp_api.client import SpApiClient
from sources.sp_api.report_windows import iso, parse

SPLITS_STATE = "order_history_split"  # source state: seller id -> split


@dataclass(frozen=True)
class OrderHistory:
    """`api_days`: how many days back the Orders API starts on a first run; None when the
    orders report is not loaded and the Orders API reads the whole history from `start`."""

    start: pendulum.DateTime
    api_days: int | None

    def split(self, client: SpApiClient, splits: dict[str, str]) -> pendulum.DateTime:
        """The seller's split: the start of the day `api_days` before the server's today."""
        seller_id = client.account.seller_id
        if self.api_days is None:
            return self.start
        if seller_id not in splits:
            today = client.server_now().start_of("day")
            splits[seller_id] = iso(max(self.start, today.subtract(days=self.api_days)))
        return parse(splits[seller_id])
