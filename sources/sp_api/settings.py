"""SP-API facts the client needs: endpoints, usage plans per operation, defaults."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ENDPOINTS = {
    "na": "https://sellingpartnerapi-na.amazon.com",
    "eu": "https://sellingpartnerapi-eu.amazon.com",
    "fe": "https://sellingpartnerapi-fe.amazon.com",
}
LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"
USER_AGENT = "amazon-elt/0.1 (Language=Python)"

HISTORY_DAYS = 730  # Orders API history: the last two years
MIN_LAG_SECONDS = 120  # the API's own two-minute rule
DEFAULT_LAG_SECONDS = 300
PAGE_SIZE = 100
ORDERS_BATCH_ORDERS = 2000  # orders per Arrow batch handed to dlt
DEFAULT_INCLUDED_DATA = ("FULFILLMENT", "PROCEEDS", "CANCELLATION", "PROMOTION")
PII_INCLUDED_DATA = ("BUYER", "RECIPIENT")
ORDERS_API_VERSIONS = ("2026-01-01", "v0")
LWA_PLAN = (100.0, 100)  # LWA publishes no usage plan; this only stops a runaway refresh loop
LWA_MARGIN_SECONDS = 60.0  # refresh this early, or 1% of the lifetime when that is shorter
LEGACY_AWS_KEYS = frozenset(
    {
        "aws_access_key",
        "aws_access_key_id",
        "aws_secret_key",
        "aws_secret_access_key",
        "role_arn",
        "role_session_name",
        "aws_role_region",
    }
)
AWS_NOTICE = (
    "Starting October 2, 2023, SP-API no longer requires the use of AWS Identity and Access "
    "Management (IAM) or AWS Signature Version 4"
)


@dataclass(frozen=True)
class Operation:
    api: str  # the model file stem, e.g. orders_2026-01-01
    name: str  # operationId
    method: str
    path: str  # template, e.g. /orders/v0/orders/{orderId}
    rate: float
    burst: int
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(self.path))
        object.__setattr__(self, "pattern", re.compile(f"^{regex}$"))

    @property
    def key(self) -> str:
        return f"{self.api}.{self.name}"


OPERATIONS: tuple[Operation, ...] = (
    Operation("orders_2026-01-01", "searchOrders", "GET", "/orders/2026-01-01/orders", 0.0056, 20),
    Operation(
        "orders_2026-01-01", "getOrder", "GET", "/orders/2026-01-01/orders/{orderId}", 0.5, 30
    ),
    Operation("ordersV0", "getOrders", "GET", "/orders/v0/orders", 0.0167, 20),
    Operation("ordersV0", "getOrder", "GET", "/orders/v0/orders/{orderId}", 0.5, 30),
    Operation(
        "ordersV0", "getOrderItems", "GET", "/orders/v0/orders/{orderId}/orderItems", 0.5, 30
    ),
)
UNKNOWN_OPERATION = Operation("unknown", "unknown", "*", "/", 0.5, 1)


def operation_for(method: str, path: str) -> Operation:
    """The operation a request calls, by method and path (the usage plan hangs off it)."""
    for operation in OPERATIONS:
        if operation.method == method and operation.pattern.match(path):
            return operation
    return UNKNOWN_OPERATION


def plan_for(operation_key: object) -> tuple[float, int]:
    """(rate, burst) of the usage plan behind an operation key."""
    found = next((op for op in OPERATIONS if op.key == operation_key), UNKNOWN_OPERATION)
    return found.rate, found.burst
