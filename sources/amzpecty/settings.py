"""Amzpecty facts the client needs: endpoint, paths, queues, pacing and defaults."""

from __future__ import annotations

ENDPOINT = "https://api.amzpecty.com"
DEFAULT_DOMAIN = "www.amazon.com"
CONDITIONS = ("new", "used", "collectible", "refurbished", "all")
USER_AGENT = "amazon-elt/0.1 (Language=Python)"

SNAPSHOT, VARIATIONS, MATCH = "asinsnapshot", "productvariations", "matchasins"
QUEUES = (SNAPSHOT, VARIATIONS, MATCH)
ADD_PATHS = {
    SNAPSHOT: "/api/query/add/{key}",
    VARIATIONS: "/api/query/requestvariants/{key}",
    MATCH: "/api/query/matchasins/{key}",
}
# the calls that queue work and cost credits: never sent twice blindly
ADD_OPERATIONS = frozenset(f"amzpecty.{path.split('/')[3]}" for path in ADD_PATHS.values())
# where a result names the key it was asked for: an Add whose answer was lost is matched so
RESULT_KEYS = {
    SNAPSHOT: "$.data.queryAsin",
    VARIATIONS: "$.data.parentAsin",
    MATCH: "$.data.productId",
}
GET_MATCHES_PATH = "/api/query/getmatchasins/productid/{key}"
GET_BY_RID_PATH = "/api/query/get/rid/{rid}"  # not public: the reference's guess

CALLBACK_URL_HEADER = "AMZPECTY_CALLBACK_URL"
USER_AGENT_HEADER = "AMZPECTY-USER-AGENT"
SECRET_HEADER = "AMZPECTY-API-SECRET-KEY"

# "at least 1-2 seconds intervals" (system-diagram page): 1 s plus room for network jitter
REQUEST_INTERVAL_SECONDS = 1.5
MIN_REFRESH_SECONDS = 86_400  # no second Add for a key with a snapshot younger than this
POLL_AFTER_SECONDS = 600  # a rid pending this long is fetched by Get-by-rid
CALLBACK_WAIT_SECONDS = 900  # how long a run waits for callbacks at most
CALLBACK_CHECK_SECONDS = 10.0  # how often it looks at the store meanwhile
CREDIT_FLOOR = 100

# the guessed messageIds (legacy.md (a)); TOO_MANY_REQUESTS is pacing, so it is retried
TOO_MANY_REQUESTS = "TOO_MANY_REQUESTS"
DAILY_LIMIT_REACHED = "DAILY_LIMIT_REACHED"
INSUFFICIENT_CREDITS = "INSUFFICIENT_CREDITS"
PARENT_ASIN_NOT_ALLOWED = "PARENT_ASIN_NOT_ALLOWED"
INVALID_SECRET_KEY = "INVALID_SECRET_KEY"
RID_NOT_FOUND = "RID_NOT_FOUND"

# the domain Amzpecty expects for each SP-API marketplace id
MARKETPLACE_DOMAINS = {
    "ATVPDKIKX0DER": "www.amazon.com",
    "A2EUQ1WTGCTBG2": "www.amazon.ca",
    "A1AM78C64UM0Y8": "www.amazon.com.mx",
    "A2Q3Y263D00KWC": "www.amazon.com.br",
    "A1F83G8C2ARO7P": "www.amazon.co.uk",
    "A1PA6795UKMFR9": "www.amazon.de",
    "A13V1IB3VIYZZH": "www.amazon.fr",
    "APJ6JRA9NG5V4": "www.amazon.it",
    "A1RKKUPIHCS9HS": "www.amazon.es",
    "A1805IZSGTT6HS": "www.amazon.nl",
    "A2NODRKZP88ZB9": "www.amazon.se",
    "A1C3SOZRARQ6R3": "www.amazon.pl",
    "A33AVAJ2PDY3EV": "www.amazon.com.tr",
    "AMEN7PMS3EDWL": "www.amazon.com.be",
    "A28R8C7NBKEWEA": "www.amazon.ie",
    "A2VIGQ35RCS4UG": "www.amazon.ae",
    "A17E79C6D8DWNP": "www.amazon.sa",
    "ARBP9OOSHTCHU": "www.amazon.eg",
    "A21TJRUUN4KGV": "www.amazon.in",
    "A1VC38T7YXB528": "www.amazon.co.jp",
    "A39IBJ37TRP1C6": "www.amazon.com.au",
    "A19VAU5U5O7RUS": "www.amazon.sg",
}
WAREHOUSE_ASIN_COLUMNS = ("asin", "product__asin")  # listings and order items
