"""MWS Feeds 2009-01-01, read side: GetFeedSubmissionList (and ByNextToken) and
GetFeedSubmissionResult, over each seller's seeded history of inventory and price feeds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sandbox.core.pagination import TokenBook
from sandbox.core.routing import Response
from sandbox.mws import documents, tokens
from sandbox.mws.exceptions import REPORTS_NS, InvalidParameterValueError, MissingParameterError
from sandbox.mws.wire import MwsCall, iso, respond
from sandbox.world import seller_central

if TYPE_CHECKING:
    from sandbox.app import App

FEED_TYPES = ("_POST_INVENTORY_AVAILABILITY_DATA_", "_POST_PRODUCT_PRICING_DATA_")
HISTORY = 36  # one feed a month for three years before the Orders API's horizon
MAX_COUNT_DEFAULT, MAX_COUNT_LIMIT = 10, 100
ERROR = (8026, "Error", "Seller is not authorized to list products in this category.")


@dataclass(frozen=True)
class FeedSubmission:
    submission_id: str
    feed_type: str
    submitted: float
    records: int
    failed: int  # rows that failed, the first ones of the feed

    def info(self) -> dict[str, Any]:
        return {
            "FeedSubmissionId": self.submission_id,
            "FeedType": self.feed_type,
            "SubmittedDate": iso(self.submitted),
            "FeedProcessingStatus": "_DONE_",
            "StartedProcessingDate": iso(self.submitted + 30),
            "CompletedProcessingDate": iso(self.submitted + 300),
        }


def submissions(app: App, call: MwsCall) -> list[FeedSubmission]:
    """Newest first; derived from the world, so they never change for a seller."""
    world = app.world
    index = world.sellers.index(call.seller)
    horizon = world.origin - 731 * 86400.0
    return [
        FeedSubmission(
            str(2_291_000_000 + 10_000 * index + n),
            FEED_TYPES[n % 2],
            horizon - (HISTORY - n) * 30 * 86400.0,
            40 + (n * 13) % 60,
            n % 3,
        )
        for n in range(HISTORY)
    ][::-1]


class MwsFeeds:
    def __init__(self, app: App) -> None:
        self.app = app
        self.tokens = TokenBook(app.clock.timestamp, tokens.TOKEN_TTL)
        app.on_reset(self.tokens.clear)

    def handlers(self) -> dict[str, Any]:
        return {
            "GetFeedSubmissionList": self.get_feed_submission_list,
            "GetFeedSubmissionListByNextToken": self.get_feed_submission_list_by_next_token,
            "GetFeedSubmissionResult": self.get_feed_submission_result,
        }

    def _page(self, call: MwsCall, action: str, items: list, offset: int, size: int) -> Response:
        page, rest = items[offset : offset + size], items[offset + size :]
        body: dict[str, Any] = {"HasNext": bool(rest)}
        if rest:
            body["NextToken"] = tokens.issue(
                self.tokens,
                "GetFeedSubmissionList",
                call.seller.seller_id,
                (items, offset + size, size),
            )
        body["FeedSubmissionInfo"] = [s.info() for s in page]
        return respond(action, body, REPORTS_NS)

    def get_feed_submission_list(self, call: MwsCall) -> Response:
        ids = set(call.list_param("FeedSubmissionIdList.Id"))
        types = set(call.list_param("FeedTypeList.Type"))
        since = call.time_param("SubmittedFromDate") or 0.0
        items = [
            s
            for s in submissions(self.app, call)
            if (not ids or s.submission_id in ids)
            and (not types or s.feed_type in types)
            and s.submitted >= since
        ]
        size = call.int_param("MaxCount", MAX_COUNT_DEFAULT, 1, MAX_COUNT_LIMIT)
        return self._page(call, "GetFeedSubmissionList", items, 0, size)

    def get_feed_submission_list_by_next_token(self, call: MwsCall) -> Response:
        items, offset, size = tokens.redeem(
            self.tokens,
            "GetFeedSubmissionList",
            call.seller.seller_id,
            call.params.get("NextToken"),
        )
        return self._page(call, "GetFeedSubmissionListByNextToken", items, offset, size)

    def get_feed_submission_result(self, call: MwsCall) -> Response:
        wanted = call.params.get("FeedSubmissionId")
        if not wanted:
            raise MissingParameterError(message="FeedSubmissionId is required.")
        found = next((s for s in submissions(self.app, call) if s.submission_id == wanted), None)
        if found is None:
            raise InvalidParameterValueError(message=f"Invalid FeedSubmissionId: {wanted}.")
        listings = self.app.world.catalog.listings[call.seller.seller_id]
        errors = [
            (row + 1, listings[row % len(listings)].sku, *ERROR) for row in range(found.failed)
        ]
        wire, codec = seller_central.charset(call.seller.marketplace_ids[0])
        return documents.text_response(
            seller_central.summary_document(found.records, errors, codec), wire
        )
