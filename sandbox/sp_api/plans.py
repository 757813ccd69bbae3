"""Usage plans (rate per second, burst) of every SP-API operation, from its model's description.

Operations are named `<model file stem>.<operationId>`, since ids repeat across models. The
entries written here win; every other operation takes the plan its model states.
"""

from __future__ import annotations

from sandbox.core.ratelimit import UsagePlan
from sandbox.sp_api.registry import operations

UNSTATED_PLAN = UsagePlan(5.0, 15)  # the model states none: Amazon's sandbox plan for every call

USAGE_PLANS: dict[str, UsagePlan] = {
    **{
        key: UsagePlan(*op.usage_plan) if op.usage_plan else UNSTATED_PLAN
        for key, op in operations().items()
    },
    "orders_2026-01-01.searchOrders": UsagePlan(0.0056, 20),
    "orders_2026-01-01.getOrder": UsagePlan(0.5, 30),
    "ordersV0.getOrders": UsagePlan(0.0167, 20),
    "ordersV0.getOrder": UsagePlan(0.5, 30),
    "ordersV0.getOrderItems": UsagePlan(0.5, 30),
    "tokens_2021-03-01.createRestrictedDataToken": UsagePlan(1.0, 10),
    "reports_2021-06-30.createReport": UsagePlan(0.0167, 15),
    "reports_2021-06-30.getReports": UsagePlan(0.0222, 10),
    "reports_2021-06-30.getReport": UsagePlan(2.0, 15),
    "reports_2021-06-30.cancelReport": UsagePlan(0.0222, 10),
    "reports_2021-06-30.getReportDocument": UsagePlan(0.0167, 15),
    "financesV0.listFinancialEventGroups": UsagePlan(0.5, 30),
    "financesV0.listFinancialEvents": UsagePlan(0.5, 30),
    "finances_2024-06-19.listTransactions": UsagePlan(0.5, 10),
}
