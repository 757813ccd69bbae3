"""MWS throttling: a leaky bucket per seller and quota (max quota = burst, restore rate).

From Amazon's throttling table in the reference; ByNextToken operations of Reports are a
guess taken from their Feeds analogue. Operations named together share one quota.
"""

from __future__ import annotations

from sandbox.core.ratelimit import UsagePlan

QUOTAS: dict[str, UsagePlan] = {
    "ListOrders": UsagePlan(1 / 60, 6),
    "GetOrder": UsagePlan(1 / 60, 6),
    "ListOrderItems": UsagePlan(1 / 2, 30),
    "RequestReport": UsagePlan(1 / 60, 15),
    "GetReport": UsagePlan(1 / 60, 15),
    "GetReportRequestList": UsagePlan(1 / 45, 10),
    "GetReportRequestListByNextToken": UsagePlan(1 / 2, 30),
    "GetReportList": UsagePlan(1 / 60, 10),
    "GetReportListByNextToken": UsagePlan(1 / 2, 30),
    "GetFeedSubmissionList": UsagePlan(1 / 45, 10),
    "GetFeedSubmissionListByNextToken": UsagePlan(1 / 2, 30),
    "GetFeedSubmissionResult": UsagePlan(1 / 60, 15),
}
SHARED = {
    "ListOrdersByNextToken": "ListOrders",
    "ListOrderItemsByNextToken": "ListOrderItems",
}


def quota_of(action: str) -> str:
    return SHARED.get(action, action)
