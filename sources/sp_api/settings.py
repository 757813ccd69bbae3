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
NAMED_RESOURCES = (
    "orders",
    "order_items",
    "marketplace_participations",
    "listings_items",
    "catalog_items",
    "inventory_summaries",
    "order_metrics",
    "sales_and_traffic",
)
# names for several tables each: those of `report_types`; the financial event groups, events,
# their amounts and the transactions
RESOURCE_GROUPS = ("reports", "finances")
DEFAULT_LISTINGS_INCLUDED_DATA = ("summaries", "offers", "fulfillmentAvailability", "issues")
DEFAULT_CATALOG_INCLUDED_DATA = (
    "summaries",
    "identifiers",
    "salesRanks",
    "relationships",
    "classifications",
    "productTypes",
)
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

# each marketplace's day, as Seller Central counts it (the zones of sql/seeds/marketplaces.csv)
MARKETPLACE_TIMEZONES = {
    "A2EUQ1WTGCTBG2": "America/Los_Angeles",
    "ATVPDKIKX0DER": "America/Los_Angeles",
    "A1AM78C64UM0Y8": "America/Mexico_City",
    "A2Q3Y263D00KWC": "America/Sao_Paulo",
    "A28R8C7NBKEWEA": "Europe/Dublin",
    "A1RKKUPIHCS9HS": "Europe/Madrid",
    "A1F83G8C2ARO7P": "Europe/London",
    "A13V1IB3VIYZZH": "Europe/Paris",
    "AMEN7PMS3EDWL": "Europe/Brussels",
    "A1805IZSGTT6HS": "Europe/Amsterdam",
    "A1PA6795UKMFR9": "Europe/Berlin",
    "APJ6JRA9NG5V4": "Europe/Rome",
    "A2NODRKZP88ZB9": "Europe/Stockholm",
    "AE08WJ6YKNBMC": "Africa/Johannesburg",
    "A1C3SOZRARQ6R3": "Europe/Warsaw",
    "ARBP9OOSHTCHU": "Africa/Cairo",
    "A33AVAJ2PDY3EV": "Europe/Istanbul",
    "A17E79C6D8DWNP": "Asia/Riyadh",
    "A2VIGQ35RCS4UG": "Asia/Dubai",
    "A21TJRUUN4KGV": "Asia/Kolkata",
    "A19VAU5U5O7RUS": "Asia/Singapore",
    "A39IBJ37TRP1C6": "Australia/Sydney",
    "A1VC38T7YXB528": "Asia/Tokyo",
}
