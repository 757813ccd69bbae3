"""Reading an archive folder: gzip or not, any charset the services used, classified by
content (root element or header line), one seller per first-level folder (its seller id).

Layout: `<folder>/<seller id>/...` for MWS and AIM files (their documents do not name the
seller); ECS files may be anywhere.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from sources.common import tsv, xml

MWS_ORDERS = "mws.orders"
MWS_ORDER_ITEMS = "mws.order_items"
MWS_REPORT_REQUESTS = "mws.report_requests"
MWS_REPORTS = "mws.reports"
MWS_FEED_SUBMISSIONS = "mws.feed_submissions"
MWS_LISTINGS = "mws.listings"
MWS_FEED_RESULT = "mws.feed_result"
PAAPI_ITEMS = "paapi.items"
AIM_ORDER_REPORT = "aim.order_report"
AIM_OPEN_LISTINGS = "aim.open_listings"
AIM_BATCHES = "aim.batches"
AIM_BATCH_ERRORS = "aim.batch_errors"
AIM_QUICKFIX = "aim.batch_quickfix"
AIM_REFUNDS = "aim.refunds"
OTHER = "other"  # acknowledgements and error documents: parsed, nothing to load

_XML_KINDS = {
    "ListOrdersResponse": MWS_ORDERS,
    "ListOrdersByNextTokenResponse": MWS_ORDERS,
    "GetOrderResponse": MWS_ORDERS,
    "ListOrderItemsResponse": MWS_ORDER_ITEMS,
    "ListOrderItemsByNextTokenResponse": MWS_ORDER_ITEMS,
    "GetReportRequestListResponse": MWS_REPORT_REQUESTS,
    "GetReportRequestListByNextTokenResponse": MWS_REPORT_REQUESTS,
    "RequestReportResponse": MWS_REPORT_REQUESTS,
    "GetReportListResponse": MWS_REPORTS,
    "GetReportListByNextTokenResponse": MWS_REPORTS,
    "GetFeedSubmissionListResponse": MWS_FEED_SUBMISSIONS,
    "GetFeedSubmissionListByNextTokenResponse": MWS_FEED_SUBMISSIONS,
    "SubmitFeedResponse": MWS_FEED_SUBMISSIONS,
    "ItemLookupResponse": PAAPI_ITEMS,
    "ItemSearchResponse": PAAPI_ITEMS,
    "MultiOperationResponse": PAAPI_ITEMS,
    "Batches": AIM_BATCHES,
}
_SKIPPED_SUFFIXES = (".json", ".md")


class ArchiveError(ValueError):
    """A file that cannot be read: truncated gzip, not XML or TSV, or outside a seller folder."""


@dataclass(frozen=True)
class ArchiveFile:
    name: str  # path inside the folder, `/`-separated: the rows' lineage
    seller_id: str | None
    digest: str  # sha256 of the stored bytes: a file imported once is skipped after
    data: bytes  # uncompressed

    def xml(self) -> etree._Element:
        return xml.parse(self.data, self.name)

    def text(self) -> str:
        return tsv.decode(self.data)


def _read(path: Path, name: str) -> bytes:
    raw = path.read_bytes()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as error:
        raise ArchiveError(f"{name}: unreadable gzip ({error})") from None


def scan(folder: str | Path, skip: Iterable[str] = ()) -> list[ArchiveFile]:
    """Every file under `folder` in name order, except those whose digest is in `skip`."""
    root = Path(folder)
    if not root.is_dir():
        raise ArchiveError(f"{root} is not a folder")
    seen = set(skip)
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root)
        if path.name.startswith(".") or path.name.endswith(_SKIPPED_SUFFIXES):
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest in seen:
            continue
        name = relative.as_posix()
        seller = relative.parts[0] if len(relative.parts) > 1 else None
        found.append(ArchiveFile(name, seller, digest, _read(path, name)))
    return found


def kind(file: ArchiveFile) -> str:
    """What a file holds, from its first bytes: an XML root, or a TSV header line."""
    head = file.data.lstrip()[:1]
    if head == b"<":
        name = xml.local(file.xml())
        return _XML_KINDS.get(name, OTHER)
    text = file.text()
    first = text.lstrip().split("\n", 1)[0].strip()
    lowered = file.name.lower()
    if "quickfix" in lowered:  # its header is an inventory file's: only its name tells
        return AIM_QUICKFIX
    if first.startswith("Feed Processing Summary"):
        return AIM_BATCH_ERRORS if "errorlog" in lowered or "batch" in lowered else MWS_FEED_RESULT
    header = set(first.split("\t"))
    if {"order-id", "payments-transaction-id", "refund-amount"} <= header:
        return AIM_REFUNDS
    if {"order-id", "order-item-id", "purchase-date"} <= header:
        return AIM_ORDER_REPORT
    if {"seller-sku", "asin1"} <= header or {"listing-id", "seller-sku"} <= header:
        return MWS_LISTINGS
    if "seller-sku" in header and "quantity" in header:
        return AIM_OPEN_LISTINGS
    raise ArchiveError(f"{file.name}: neither a known XML document nor a known report")


def by_kind(files: list[ArchiveFile], kinds: Iterable[str]) -> list[tuple[str, ArchiveFile]]:
    wanted = set(kinds)
    return [(k, f) for f in files if (k := kind(f)) in wanted]


def seller_of(file: ArchiveFile) -> str:
    if not file.seller_id:
        raise ArchiveError(f"{file.name}: put MWS and AIM files in a folder named by seller id")
    return file.seller_id


def digits(name: str) -> str | None:
    """The id in a file name (`errorlog-2585199250.tsv`, `quickfix-2585199250.tsv`)."""
    run = "".join(c if c.isdigit() else " " for c in Path(name).name).split()
    return max(run, key=len) if run else None
