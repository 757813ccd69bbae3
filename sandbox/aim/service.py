"""AIM functions under `/exec/panama/seller-admin/`: inventory uploads and their batches,
error logs and quick-fix files, order and open listings reports, batch refunds.

Answers are the tiny pseudo-XML and TSV files of the spec; statuses move at the clock's pace
(Pending -> Done after two minutes: a guess, only `Done` is public). Error tokens come back
as `<Status>TOKEN</Status>` with a 4xx status (a guess: the guide lists tokens, not bodies).
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sandbox.clock import Mark
from sandbox.core.faults import Disconnect
from sandbox.core.routing import Request, Response
from sandbox.core.serialize import tsv_bytes
from sandbox.seed.legacy import legacy
from sandbox.seed.marketplaces import MARKETPLACES
from sandbox.seed.sellers import Seller
from sandbox.world.orders import OrderRenderer, amount
from sandbox.world.seller_central import charset, local_time, summary_document

if TYPE_CHECKING:
    from sandbox.app import App

BASE = "/exec/panama/seller-admin"
READY_SECONDS = 120.0
REPORT_NAMES = ("Order", "OpenListings", "OpenListingsLite", "OpenListingsLiter", "BatchRefund")
ORDER_HEADER = (
    "payments-status", "order-id", "order-item-id", "payments-date", "payments-transaction-id",
    "item-name", "listing-id", "sku", "price", "shipping-fee", "quantity-purchased",
    "total-price", "purchase-date", "batch-id", "buyer-email", "buyer-name", "recipient-name",
    "ship-address-1", "ship-address-2", "ship-city", "ship-state", "ship-zip", "ship-country",
    "special-comments", "upc", "ship-method",
)  # fmt: skip
LOGIN_PAGE = (
    b"<html><head><title>Amazon.com Sign In</title></head><body>"
    b"<form name='signIn' method='POST'>E-mail address <input name='email'> Password "
    b"<input type='password' name='password'></form></body></html>"
)


class AimError(Exception):
    def __init__(self, token: str, status: int = 400) -> None:
        super().__init__(token)
        self.token, self.status = token, status


@dataclass
class Batch:
    batch_id: int
    uploaded: Mark
    rows: int
    failed: int

    def status(self, pace: float) -> str:
        return "Done" if pace >= self.uploaded.pace + READY_SECONDS else "Pending"


@dataclass
class Report:
    report_id: int
    name: str
    start: float
    end: float
    requested: Mark
    refunds: list[list[str]] = field(default_factory=list)

    def ready(self, pace: float) -> bool:
        return pace >= self.requested.pace + READY_SECONDS


@dataclass
class SellerState:
    batches: list[Batch]
    reports: list[Report]


def _batch_time(ts: float) -> str:
    stamp, zone = local_time(ts, "ATVPDKIKX0DER").rsplit(" ", 1)
    day, clock = stamp.split(" ")
    year, month, date = day.split("-")
    return f"{month}/{date}/{year} {clock} {zone}"


def _report_time(ts: float) -> str:
    """`12-26-2009:19-00-02` (no zone; the sandbox writes Pacific time, a guess)."""
    stamp = local_time(ts, "ATVPDKIKX0DER").rsplit(" ", 1)[0]
    day, clock = stamp.split(" ")
    year, month, date = day.split("-")
    return f"{month}-{date}-{year}:{clock.replace(':', '-')}"


class AimService:
    def __init__(self, app: App) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._state: dict[str, SellerState] = {}
        self._world: object = None
        app.on_reset(self._forget)
        functions: dict[str, Callable[[Request, Seller], Response]] = {
            "catalog-upload/add-modify-delete": self.upload,
            "catalog-upload/modify-only": self.upload,
            "catalog-upload/purge-replace": self.upload,
            "catalog-upload/get-batches": self.get_batches,
            "catalog-upload/batch-refund": self.batch_refund,
            "download/errorlog": self.errorlog,
            "download/quickfix": self.quickfix,
            "manual-reports/generate-report-now": self.generate_report_now,
            "manual-reports/get-report-status": self.get_report_status,
            "manual-reports/get-pending-uploads-count": self.pending_uploads_count,
            "download/report": self.download_report,
        }
        for name, handler in functions.items():
            app.router.add("POST", f"{BASE}/{name}", self._wrap(name, handler), name, "aim")

    def _forget(self) -> None:
        with self._lock:
            self._state.clear()

    def _wrap(self, name: str, handler: Callable[[Request, Seller], Response]):  # type: ignore[no-untyped-def]
        def wrapped(request: Request) -> Response:
            seller = self._login(request)
            if seller is None:
                return Response(status=401, body=LOGIN_PAGE, content_type="text/html")
            request.seller_id = seller.seller_id
            fault = self.app.faults.take("aim", name, seller.seller_id)
            try:
                if fault is not None:
                    if fault.disconnect:
                        raise Disconnect()
                    raise AimError("INTERNAL_ERROR", fault.status or 500)
                return handler(request, seller)
            except AimError as error:
                return _xml("Status", error.token, error.status)

        return wrapped

    def _login(self, request: Request) -> Seller | None:
        value = request.header("authorization") or ""
        if not value.startswith("Basic "):
            return None
        try:
            email, _, password = base64.b64decode(value[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        logins = legacy(self.app.world).logins
        for seller in self.app.world.sellers:
            login = logins[seller.seller_id]
            if secrets.compare_digest(email, login.aim_email) and secrets.compare_digest(
                password, login.aim_password
            ):
                return seller
        return None

    def state(self, seller: Seller) -> SellerState:
        """A seller's batches and reports; a history of earlier uploads seeded on first use."""
        with self._lock:
            if self._world is not self.app.world:
                self._world, self._state = self.app.world, {}
            if seller.seller_id not in self._state:
                origin = self.app.world.origin
                base = 2_585_000_000 + 100_000 * self.app.world.sellers.index(seller)
                history = [
                    Batch(
                        base + n,
                        self.app.clock.mark_at(origin - (12 - n) * 30 * 86400.0),
                        80 + n,
                        n % 3,
                    )
                    for n in range(12)
                ]
                self._state[seller.seller_id] = SellerState(history[::-1], [])
            return self._state[seller.seller_id]

    def upload(self, request: Request, seller: Seller) -> Response:
        if (request.header("fileformat") or "TabDelimited") not in ("TabDelimited", "UIEE"):
            raise AimError("INVALID_FILE_FORMAT")
        if (request.header("uploadfor") or "MarketplaceOnly") not in (
            "MarketplaceOnly",
            "Marketplace",
            "ZShop",
        ):
            raise AimError("INVALID_LISTING_PROGRAM")
        lines = [line for line in request.body.decode("utf-8", "replace").splitlines() if line]
        if not lines or "\t" not in lines[0]:
            raise AimError("INVALID_FILE_FORMAT")
        state = self.state(seller)
        with self._lock:
            batch_id = max(b.batch_id for b in state.batches) + 1
            rows = len(lines) - 1
            failed = sum(1 for line in lines[1:] if not line.split("\t")[0].strip())
            state.batches.insert(0, Batch(batch_id, self.app.clock.mark(), rows, failed))
        return _xml("BatchID", str(batch_id))

    def _batch(self, request: Request, seller: Seller) -> Batch:
        wanted = request.header("batchid") or ""
        found = next((b for b in self.state(seller).batches if str(b.batch_id) == wanted), None)
        if found is None:
            raise AimError("INVALID_BATCH")
        if found.status(self.app.clock.pace()) != "Done":
            raise AimError("FILE_NOT_FOUND", 404)
        return found

    def get_batches(self, request: Request, seller: Seller) -> Response:
        count = _count(request.header("numberofbatches"))
        pace = self.app.clock.pace()
        lines = [
            f"<Batch>batchid={b.batch_id} status={b.status(pace)} "
            f"dateandtime={_batch_time(b.uploaded.world)} activateditems={b.rows - b.failed} "
            f"numberofwarnings=0 itemsnotacivated={b.failed} </Batch>"
            for b in self.state(seller).batches[:count]
        ]
        return _raw("<Batches> " + "".join(lines) + "</Batches>\n")

    def _summary(self, seller: Seller, batch: Batch, quickfix: bool) -> Response:
        listings = self.app.world.catalog.listings[seller.seller_id]
        failed = [listings[(batch.batch_id + n) % len(listings)] for n in range(batch.failed)]
        wire, codec = charset(seller.marketplace_ids[0])
        if quickfix:
            body = tsv_bytes(("sku", "price", "quantity"), [(f.sku, "", "") for f in failed], codec)
        else:
            errors = [
                (n + 1, f.sku, 8026, "Error", "Seller is not authorized to list products in "
                 "this category.") for n, f in enumerate(failed)
            ]  # fmt: skip
            body = summary_document(batch.rows, errors, codec)
        return Response(body=body, content_type=f"text/plain;charset={wire}")

    def errorlog(self, request: Request, seller: Seller) -> Response:
        return self._summary(seller, self._batch(request, seller), quickfix=False)

    def quickfix(self, request: Request, seller: Seller) -> Response:
        return self._summary(seller, self._batch(request, seller), quickfix=True)

    def pending_uploads_count(self, request: Request, seller: Seller) -> Response:
        pace = self.app.clock.pace()
        pending = sum(1 for b in self.state(seller).batches if b.status(pace) != "Done")
        return _xml("PendingUploadsCount", str(pending))

    def generate_report_now(self, request: Request, seller: Seller) -> Response:
        name = request.header("reportname") or ""
        if name not in REPORT_NAMES:
            raise AimError("INVALID_REPORT_NAME")
        days = _count(request.header("numberofdays"), default=15)
        self._add_report(seller, name, days)
        return _xml("Status", "SUCCESS")

    def _add_report(self, seller: Seller, name: str, days: int, refunds=None) -> Report:  # type: ignore[no-untyped-def]
        requested = self.app.clock.mark()
        now = requested.world
        state = self.state(seller)
        with self._lock:
            number = 2_893_000_000 + 1000 * self.app.world.sellers.index(seller)
            report_id = max([r.report_id for r in state.reports] or [number]) + 1
            report = Report(report_id, name, now - days * 86400.0, now, requested, refunds or [])
            state.reports.insert(0, report)
        return report

    def get_report_status(self, request: Request, seller: Seller) -> Response:
        name = request.header("reportname") or ""
        if name not in REPORT_NAMES:
            raise AimError("INVALID_REPORT_NAME")
        count = _count(request.header("numberofreports"))
        pace = self.app.clock.pace()
        flavours = ("OpenListings", "OpenListingsLite", "OpenListingsLiter")
        same = flavours if name in flavours else (name,)
        ready = [r for r in self.state(seller).reports if r.name in same and r.ready(pace)][:count]
        lines = [
            f"<Report>reportstarttime={_report_time(r.start)} reportendtime={_report_time(r.end)}"
            f" reportid={r.report_id} </Report>"
            for r in ready
        ]
        return _raw("<Reports> " + "".join(lines) + "</Reports>\n")

    def download_report(self, request: Request, seller: Seller) -> Response:
        wanted, name = request.header("reportid"), request.header("reportname")
        pace = self.app.clock.pace()
        ready = [r for r in self.state(seller).reports if r.ready(pace)]
        report = next(
            (r for r in ready if str(r.report_id) == wanted or (not wanted and r.name == name)),
            None,
        )
        if report is None:
            raise AimError("FILE_NOT_FOUND", 404)
        marketplace_id = seller.marketplace_ids[0]
        wire, codec = charset(marketplace_id)
        if report.name == "Order":
            body = tsv_bytes(ORDER_HEADER, self._order_rows(seller, report), codec)
        elif report.name == "BatchRefund":
            body = tsv_bytes(
                ("order-id", "payments-transaction-id", "refund-amount", "reason", "status"),
                [[*row[:4], "SUCCESS"] for row in report.refunds],
                codec,
            )
        else:
            body = self._listings(seller, report.name, codec)
        return Response(body=body, content_type=f"text/plain;charset={wire}")

    def _listings(self, seller: Seller, name: str, codec: str) -> bytes:
        catalog = self.app.world.catalog
        market = MARKETPLACES[seller.marketplace_ids[0]]
        rows = []
        for n, listing in enumerate(catalog.listings[seller.seller_id]):
            quantity = 0 if listing.fulfilled_by == "AMAZON" else (n * 7) % 40 + 1
            price = amount(listing.prices_minor[market.marketplace_id], market)
            asin = catalog.products[listing.product_index].asin
            rows.append((listing.sku, quantity) if name == "OpenListingsLiter" else
                        (listing.sku, asin, price, quantity))  # fmt: skip
        header = ("seller-sku", "quantity") if name == "OpenListingsLiter" else (
            "sku", "asin", "price", "quantity")  # fmt: skip
        return tsv_bytes(header, rows, codec)

    def _order_rows(self, seller: Seller, report: Report) -> list[tuple]:
        marketplace_id = seller.marketplace_ids[0]
        market = MARKETPLACES[marketplace_id]
        products = self.app.world.catalog.products
        at = self.app.world_time()
        rows: list[tuple] = []
        for book in legacy(self.app.world).books(self.app.world, seller.seller_id):
            lo = int(np.searchsorted(book.created, report.start, side="left"))
            hi = int(np.searchsorted(book.created, min(report.end, at), side="right"))
            home = seller.marketplace_ids.index(marketplace_id)
            indices = np.arange(lo, hi)[book.marketplace[lo:hi] == home]
            if not len(indices):
                continue
            renderer = OrderRenderer(book, indices, at, products)
            for k, index in enumerate(renderer.indices):
                name, (city, state, postal), email = renderer.person(index, market)
                bought = local_time(renderer.created[k], marketplace_id)
                for item in renderer.items_v0(k):
                    if "ItemPrice" not in item:
                        continue  # pending orders are not in order reports
                    quantity = item["QuantityOrdered"]
                    unit = float(item["ItemPrice"]["Amount"]) / quantity
                    shipping = float(item.get("ShippingPrice", {}).get("Amount", 0))
                    rows.append(
                        (
                            "", book.order_id(index), item["OrderItemId"], bought, "",
                            item["Title"], "", item["SellerSKU"], f"{unit:.2f}",
                            f"{shipping:.2f}", quantity, f"{unit * quantity + shipping:.2f}",
                            bought, "", email, name, name, f"{100 + index % 900} Sandbox Street",
                            "", city, state, postal, market.country_code, "", "", "standard",
                        )
                    )  # fmt: skip
        return rows

    def batch_refund(self, request: Request, seller: Seller) -> Response:
        lines = [line for line in request.body.decode("utf-8", "replace").splitlines() if line]
        expected = ["order-id", "payments-transaction-id", "refund-amount", "reason", "message"]
        if not lines or lines[0].split("\t") != expected:
            raise AimError("INVALID_FILE_FORMAT")
        refunds = [(line.split("\t") + [""] * 5)[:5] for line in lines[1:]]
        self._add_report(seller, "BatchRefund", 0, refunds)
        return _xml("Success", "SUCCESS")


def _count(value: str | None, default: int = 10) -> int:
    return int(value) if value and value.isdigit() and int(value) > 0 else default


def _raw(text: str, status: int = 200) -> Response:
    return Response(status=status, body=text.encode(), content_type="text/xml")


def _xml(element: str, value: str, status: int = 200) -> Response:
    return _raw(f"<{element}>{value}</{element}>\n", status)
