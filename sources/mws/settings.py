"""MWS facts the client needs: hosts, section paths and versions, quotas, page sizes."""

from __future__ import annotations

ENDPOINTS = {
    "na": "https://mws.amazonservices.com",
    "eu": "https://mws-eu.amazonservices.com",
    "fe": "https://mws.amazonservices.jp",
}
ORDERS = ("/Orders/2013-09-01", "2013-09-01")
REPORTS = ("/Reports/2009-01-01", "2009-01-01")
FEEDS = ("/Feeds/2009-01-01", "2009-01-01")
USER_AGENT = "amazon-elt/0.1 (Language=Python)"

# (restore rate per second, max quota) from Amazon's throttling table; operations named
# together share a quota; Reports ByNextToken values are the reference's guess
QUOTAS: dict[str, tuple[float, int]] = {
    "ListOrders": (1 / 60, 6),
    "GetOrder": (1 / 60, 6),
    "ListOrderItems": (1 / 2, 30),
    "RequestReport": (1 / 60, 15),
    "GetReport": (1 / 60, 15),
    "GetReportRequestList": (1 / 45, 10),
    "GetReportRequestListByNextToken": (1 / 2, 30),
    "GetReportList": (1 / 60, 10),
    "GetReportListByNextToken": (1 / 2, 30),
    "GetFeedSubmissionList": (1 / 45, 10),
    "GetFeedSubmissionListByNextToken": (1 / 2, 30),
    "GetFeedSubmissionResult": (1 / 60, 15),
}
SHARED_QUOTAS = {
    "ListOrdersByNextToken": "ListOrders",
    "ListOrderItemsByNextToken": "ListOrderItems",
}
UNKNOWN_QUOTA = (1 / 60, 1)

DEFAULT_START_DATE = "2009-01-01"
HISTORY_DAYS = 730  # the Orders API's reach: by default MWS loads what lies before it
DEFAULT_LAG_SECONDS = 300
ORDERS_BATCH = 2000
ITEM_WORKERS = 8  # ListOrderItems in flight per account; the quota still paces them
REPORT_POLL_SECONDS = 60.0
REPORT_POLL_LIMIT = 60
NEXT_TOKEN_RESTARTS = 3  # NextTokenCorrupted: call the original operation again, this often
LISTINGS_REPORT = "_GET_MERCHANT_LISTINGS_DATA_"
# charset names MWS sends that Python's codecs do not know by that name
CHARSETS = {"windows-31j": "cp932", "cp1252": "cp1252", "shift_jis": "cp932"}


def quota_of(action: str) -> str:
    return SHARED_QUOTAS.get(action, action)


def plan_for(key: object) -> tuple[float, int]:
    """(rate, burst) for a pacer key `(account, quota)`."""
    _, quota = key  # type: ignore[misc]
    return QUOTAS.get(quota, UNKNOWN_QUOTA)
