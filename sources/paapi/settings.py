"""ECS facts the client needs: locale hosts, the rate, batch sizes, search paging."""

from __future__ import annotations

LOCALES = {
    "us": ("webservices.amazon.com", "ATVPDKIKX0DER"),
    "ca": ("webservices.amazon.ca", "A2EUQ1WTGCTBG2"),
    "uk": ("webservices.amazon.co.uk", "A1F83G8C2ARO7P"),
    "de": ("webservices.amazon.de", "A1PA6795UKMFR9"),
    "jp": ("webservices.amazon.co.jp", "A1VC38T7YXB528"),
}
# marketplaces by the detail page's domain: an answer (or a saved file) names no locale
DOMAINS = {
    "www.amazon.com": "ATVPDKIKX0DER",
    "www.amazon.ca": "A2EUQ1WTGCTBG2",
    "www.amazon.co.uk": "A1F83G8C2ARO7P",
    "www.amazon.de": "A1PA6795UKMFR9",
    "www.amazon.co.jp": "A1VC38T7YXB528",
    "www.amazon.fr": "A13V1IB3VIYZZH",
    "www.amazon.it": "APJ6JRA9NG5V4",
    "www.amazon.es": "A1RKKUPIHCS9HS",
}
RATE = (1.0, 1)  # one request a second per account, initially (no burst)
IDS_PER_SET = 10
# a batch request carries at most two parameter sets (`Op.1.*`, `Op.2.*`) of any operation
# but the Cart ones: ItemLookup ids and ItemSearch pages alike
BATCH_SETS = 2
USER_AGENT = "amazon-elt/0.1 (Language=Python)"
RESPONSE_GROUP = "Large"  # attributes, sales rank, offer summary and offers


def item_page_limit(version: str) -> int:
    """ItemPage runs 1-400 in the 2009-era guide and 1-10 from API version 2011-08-01."""
    return 10 if version >= "2011-08-01" else 400
