"""FBA Inventory API v1: summaries of each seller's Amazon-fulfilled listings, whose
quantities are the listings' own (`sandbox/seed/stock.py`), per marketplace."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sandbox.core.pagination import TokenBook, TokenError
from sandbox.core.routing import Request
from sandbox.seed.sellers import Seller
from sandbox.sp_api.exceptions import InvalidInputError
from sandbox.sp_api.params import iso, parse_times

if TYPE_CHECKING:
    from sandbox.core.access_tokens import AccessToken
    from sandbox.sp_api.service import SpApiService

PAGE_SIZE = 50  # not documented; a guess
TOKEN_SECONDS = 30.0  # "The string token will expire 30 seconds after being created"
HISTORY_SECONDS = 548 * 86400.0  # startDateTime "no earlier than 18 months prior"
MAX_SKUS = 50


class InventoryApi:
    def __init__(self, service: SpApiService) -> None:
        self.app = service.app
        self.tokens = TokenBook(lambda: self.app.clock.timestamp(), TOKEN_SECONDS)
        self.app.on_reset(self.tokens.clear)

    def _rows(self, seller: Seller, marketplace_id: str, at: float, details: bool) -> list[dict]:
        world = self.app.world
        listings = world.catalog.listings[seller.seller_id]
        stock = world.stock[seller.seller_id]
        fulfillable = stock.quantity(at)
        changed = stock.quantity_changed(at)
        inbound = stock.inbound(at)
        rows = []
        for index in np.argsort([listing.sku for listing in listings], kind="stable"):
            listing = listings[int(index)]
            if listing.fulfilled_by != "AMAZON":
                continue
            product = world.catalog.products[listing.product_index]
            available = int(fulfillable[index])
            reserved = min(available, int(stock.drain[index]) // 2)
            unfulfillable = int(index) % 3
            row: dict[str, Any] = {
                "asin": product.asin,
                "fnSku": stock.fnskus[index],
                "sellerSku": listing.sku,
                "condition": "NewItem",
                "lastUpdatedTime": iso(max(float(changed[index]), float(stock.created[index]))),
                "productName": product.title(marketplace_id),
                "totalQuantity": available + reserved + unfulfillable + int(inbound[index]),
            }
            if details:
                row["inventoryDetails"] = {
                    "fulfillableQuantity": available,
                    "inboundWorkingQuantity": 0,
                    "inboundShippedQuantity": int(inbound[index]),
                    "inboundReceivingQuantity": 0,
                    "reservedQuantity": {
                        "totalReservedQuantity": reserved,
                        "pendingCustomerOrderQuantity": reserved,
                        "pendingTransshipmentQuantity": 0,
                        "fcProcessingQuantity": 0,
                    },
                    "researchingQuantity": {
                        "totalResearchingQuantity": 0,
                        "researchingQuantityBreakdown": [],
                    },
                    "unfulfillableQuantity": {
                        "totalUnfulfillableQuantity": unfulfillable,
                        "customerDamagedQuantity": unfulfillable,
                        "warehouseDamagedQuantity": 0,
                        "distributorDamagedQuantity": 0,
                        "carrierDamagedQuantity": 0,
                        "defectiveQuantity": 0,
                        "expiredQuantity": 0,
                    },
                }
            rows.append(row)
        return rows

    def get_inventory_summaries(self, request: Request, seller: Seller, token: AccessToken) -> Any:
        query = request.query
        if query.get("granularityType") != "Marketplace":
            raise InvalidInputError("granularityType must be Marketplace.")
        marketplace_id = query.get("granularityId")
        marketplaces = request.query_list("marketplaceIds") or []
        if marketplace_id not in seller.marketplace_ids or marketplaces != [marketplace_id]:
            raise InvalidInputError(
                "granularityId and marketplaceIds must name one marketplace of the seller."
            )
        details = query.get("details", "false") == "true"
        now = self.app.clock.timestamp()
        since = parse_times(request, ["startDateTime"]).get("startDateTime")
        if since is not None and since < now - HISTORY_SECONDS:
            raise InvalidInputError("startDateTime must be no earlier than 18 months ago.")
        bound = {k: v for k, v in query.items() if k != "nextToken"}
        bound["_seller"] = seller.seller_id
        if "nextToken" in query:
            try:
                rows, offset = self.tokens.redeem(query["nextToken"], bound)
            except TokenError as error:
                raise InvalidInputError(f"Invalid nextToken: {error}.") from None
        else:
            rows, offset = self._rows(seller, marketplace_id, self.app.world_time(), details), 0
            skus = request.query_list("sellerSkus")
            if skus and len(skus) > MAX_SKUS:
                raise InvalidInputError(f"sellerSkus accepts at most {MAX_SKUS} values.")
            if since is not None:  # changed since; the SKU filters are then ignored
                rows = [r for r in rows if r["lastUpdatedTime"] > iso(since)]
            elif skus or query.get("sellerSku"):
                wanted = set(skus or [query["sellerSku"]])
                rows = [r for r in rows if r["sellerSku"] in wanted]
        body: dict[str, Any] = {
            "payload": {
                "granularity": {"granularityType": "Marketplace", "granularityId": marketplace_id},
                "inventorySummaries": rows[offset : offset + PAGE_SIZE],
            }
        }
        if offset + PAGE_SIZE < len(rows):
            token_next = self.tokens.issue(bound, (rows, offset + PAGE_SIZE), TOKEN_SECONDS)
            body["pagination"] = {"nextToken": token_next}
        return body


def register(service: SpApiService) -> None:
    api = InventoryApi(service)
    service.route(
        "GET",
        r"/fba/inventory/v1/summaries",
        "fbaInventory.getInventorySummaries",
        api.get_inventory_summaries,
    )
