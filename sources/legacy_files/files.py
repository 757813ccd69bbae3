"""Reading an archive folder: gzip or not, any charset the services used, classified by
content (root element or header line), one seller per first-level folder (its seller id).

Layout: `<folder>/<seller id>/...` for MWS and AIM files (their documents do not name the
seller); ECS files may be anywhere.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import logging
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from lxml import etree

from sources.common import tsv, xml
from sources.common.failures import Failures

T = TypeVar("T")
log = logging.getLogger("sources.legacy_files")
SKIPPED = "archive"  # the failures' resource: a file skipped, whichever source read it
MAX_FILE_BYTES = 1 << 30  # a file (decompressed) past this is refused: a gzip bomb

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


def unzipped(raw: bytes, name: str, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """`raw` gunzipped when gzip'd; past `max_bytes` (a gzip bomb) it is refused."""
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
            data = stream.read(max_bytes + 1)
    except (EOFError, OSError, zlib.error) as error:
        raise ArchiveError(f"{name}: unreadable gzip ({error})") from None
    if len(data) > max_bytes:
        raise ArchiveError(f"{name}: decompresses past {max_bytes} bytes")
    return data


def _paths(folder: str | Path) -> list[Path]:
    root = Path(folder)
    if not root.is_dir():
        raise ArchiveError(f"{root} is not a folder")
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith(".") and not p.name.endswith(_SKIPPED_SUFFIXES)
    )


def _file(root: Path, path: Path, imported: set[str]) -> ArchiveFile | None:
    """The file at `path`, or None when its bytes were imported before."""
    relative = path.relative_to(root)
    name = relative.as_posix()
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ArchiveError(f"{name}: larger than {MAX_FILE_BYTES} bytes")
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest in imported:
        return None
    seller = relative.parts[0] if len(relative.parts) > 1 else None
    return ArchiveFile(name, seller, digest, unzipped(raw, name))


def load(
    folder: str,
    readers: Mapping[str, Callable[[ArchiveFile], Iterable[T]]],
    state: dict[str, Any],
    failures: Failures | None,
    config_key: str,
) -> Iterator[T]:
    """What `readers` (by kind) make of each file of `folder` not imported before, a file at a
    time, each file's output whole before any of it is handed out.

    A file that cannot be read (truncated gzip, a bomb, malformed or hostile XML, an unknown
    kind, no seller folder) is named in the run's failures once, loads nothing and is tried
    again next run; the rest of the folder loads. A missing folder is named by its config key.
    Without a collector, either raises.
    """
    done: list[str] = state.setdefault("archive_files", [])
    imported = set(done)
    try:
        paths = _paths(folder)
    except ArchiveError as error:
        _skipped(failures, config_key, error)
        return
    root = Path(folder)
    for path in paths:
        name = path.relative_to(root).as_posix()
        try:
            file = _file(root, path, imported)
            if file is None:
                continue
            read = readers.get(kind(file))
            made = list(read(file)) if read else []
        except Exception as error:  # one hostile file never stops the folder
            _skipped(failures, name, error)
            continue
        yield from made
        done.append(file.digest)
        imported.add(file.digest)


def _skipped(failures: Failures | None, key: str, error: Exception) -> None:
    if failures is None:
        raise error
    if any(f.resource == SKIPPED and f.key == key for f in failures):
        return  # another resource reading the same folder named it already
    log.error("archive [%s] skipped: %s", key, error)
    failures.add(SKIPPED, key, error)


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


def seller_of(file: ArchiveFile) -> str:
    if not file.seller_id:
        raise ArchiveError(f"{file.name}: put MWS and AIM files in a folder named by seller id")
    return file.seller_id


def digits(name: str) -> str | None:
    """The id in a file name (`errorlog-2585199250.tsv`, `quickfix-2585199250.tsv`)."""
    run = "".join(c if c.isdigit() else " " for c in Path(name).name).split()
    return max(run, key=len) if run else None
