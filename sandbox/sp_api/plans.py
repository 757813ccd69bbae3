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
}
