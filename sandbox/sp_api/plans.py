"""Default usage plans (rate per second, burst) from each operation's model description.

Operations are named `<model file stem>.<operationId>`, since ids repeat across models.
"""

from __future__ import annotations

from sandbox.core.ratelimit import UsagePlan

USAGE_PLANS: dict[str, UsagePlan] = {
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
