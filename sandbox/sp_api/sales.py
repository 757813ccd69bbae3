"""Sales API v1: order metrics per time bucket, from the seeded order books."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pendulum

from sandbox.core.routing import Request
from sandbox.seed.marketplaces import MARKETPLACES
from sandbox.seed.sellers import Seller
from sandbox.sp_api.exceptions import InvalidInputError
from sandbox.sp_api.order_figures import edges, figures
from sandbox.world.orders import amount

if TYPE_CHECKING:
    from sandbox.core.access_tokens import AccessToken
    from sandbox.sp_api.service import SpApiService

GRANULARITIES = ("Hour", "Day", "Week", "Month", "Year", "Total")
STEPS = {"Hour": "hours", "Day": "days", "Week": "weeks", "Month": "months", "Year": "years"}
WEEK_STARTS = {"Monday": 0, "Sunday": 6}  # datetime.weekday()
HOUR_LIMIT_DAYS = 30  # Hour: "less than or equal to 30 days from now"
OTHER_LIMIT_DAYS = 731  # others: "less or equal to 2 years from now"


def _moment(text: str) -> pendulum.DateTime:
    try:
        parsed = pendulum.parse(text, strict=False)
    except (ValueError, pendulum.parsing.exceptions.ParserError):
        raise InvalidInputError(f"Invalid interval: {text}.") from None
    if not isinstance(parsed, pendulum.DateTime) or parsed.tzinfo is None:
        raise InvalidInputError("Interval dates need Z or an offset.")
    return parsed


def _boundaries(
    start: pendulum.DateTime, end: pendulum.DateTime, granularity: str, zone: str, week_start: str
) -> list[datetime]:
    """Bucket edges in the time zone from the interval's start; weeks begin on `week_start`,
    so a first partial week is its own bucket (alignment beyond that is not documented)."""
    tz = ZoneInfo(zone)
    first = datetime.fromtimestamp(start.timestamp(), tz)
    last = datetime.fromtimestamp(end.timestamp(), tz)
    head = []
    if granularity == "Week":
        ahead = (WEEK_STARTS[week_start] - first.weekday()) % 7
        if ahead:
            head = [first]
            first = datetime.combine(first.date() + timedelta(days=ahead), time(), tzinfo=tz)
            if first >= last:
                return [head[0], last]
    return head + edges(first, last, STEPS.get(granularity))


def _label(moment: datetime) -> str:
    """`2019-08-01T00:00-07:00`, as the models' examples write an interval's ends."""
    text = moment.isoformat()
    return text[:16] + ("Z" if str(moment.tzinfo) == "UTC" else text[19:])


def register(service: SpApiService) -> None:
    app = service.app

    def get_order_metrics(request: Request, seller: Seller, token: AccessToken) -> Any:
        query = request.query
        marketplaces = request.query_list("marketplaceIds") or []
        if len(marketplaces) != 1 or marketplaces[0] not in seller.marketplace_ids:
            raise InvalidInputError("marketplaceIds must name one marketplace of the seller.")
        marketplace_id = marketplaces[0]
        granularity = query.get("granularity")
        if granularity not in GRANULARITIES:
            raise InvalidInputError(f"granularity must be one of {', '.join(GRANULARITIES)}.")
        parts = (query.get("interval") or "").split("--")
        if len(parts) != 2:
            raise InvalidInputError("interval must be two ISO 8601 dates joined by '--'.")
        start, end = _moment(parts[0]), _moment(parts[1])
        if end <= start:
            raise InvalidInputError("The interval's end must be after its start.")
        zone = query.get("granularityTimeZone")
        if granularity != "Hour" and not zone:
            raise InvalidInputError("granularityTimeZone is required above Hour.")
        zone = zone or "UTC"
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInputError(f"Invalid granularityTimeZone: {zone}.") from None
        if start.utcoffset() != start.in_timezone(zone).utcoffset():
            raise InvalidInputError("granularityTimeZone must align with the interval's offset.")
        now = app.clock.now()
        limit = HOUR_LIMIT_DAYS if granularity == "Hour" else OTHER_LIMIT_DAYS
        if start < now.subtract(days=limit):
            raise InvalidInputError(f"The interval must start within {limit} days from now.")
        if query.get("asin") and query.get("sku"):
            raise InvalidInputError("asin and sku cannot both be specified.")
        network = query.get("fulfillmentNetwork")
        if network not in (None, "MFN", "AFN"):
            raise InvalidInputError("fulfillmentNetwork must be MFN or AFN.")
        week_start = query.get("firstDayOfWeek", "Monday")
        if week_start not in WEEK_STARTS:
            raise InvalidInputError("firstDayOfWeek must be Monday or Sunday.")
        bounds = _boundaries(start, end, granularity, zone, week_start)
        book = app.world.order_books[seller.seller_id]
        products = app.world.catalog.products
        listings = None
        if query.get("asin") or query.get("sku"):
            listings = np.array(
                [
                    listing.sku == query.get("sku")
                    or products[listing.product_index].asin == query.get("asin")
                    for listing in book.listings
                ]
            )
        result = figures(
            book,
            marketplace_id,
            np.array([edge.timestamp() for edge in bounds]),
            app.world_time(),
            None if network is None else network == "AFN",
            listings,
        )
        market = MARKETPLACES[marketplace_id]
        # seeded buyers are consumers and no order belongs to a program
        empty = query.get("buyerType") == "B2B" or query.get("amazonProgram") is not None
        payload = []
        for k in range(len(bounds) - 1):
            units = 0 if empty else int(result.units[k])
            sales = 0 if empty else int(result.sales_minor[k])
            payload.append(
                {
                    "interval": f"{_label(bounds[k])}--{_label(bounds[k + 1])}",
                    "unitCount": units,
                    "orderItemCount": 0 if empty else int(result.items[k]),
                    "orderCount": 0 if empty else int(result.orders[k]),
                    "averageUnitPrice": {
                        "amount": amount(round(sales / units) if units else 0, market),
                        "currencyCode": market.currency,
                    },
                    "totalSales": {
                        "amount": amount(sales, market),
                        "currencyCode": market.currency,
                    },
                }
            )
        return {"payload": payload}

    service.route("GET", r"/sales/v1/orderMetrics", "sales.getOrderMetrics", get_order_metrics)
