"""SP-API facts the client needs: endpoints, usage plans per operation, defaults."""

from __future__ import annotations

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
DOCUMENT_PLAN = (100.0, 100)  # presigned document URLs have no usage plan either
HTTP_POOL_SIZE = 64  # connections kept per account: a report window each, at most 64
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
