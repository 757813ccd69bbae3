"""Sellers API v1: the marketplaces each seller takes part in."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.core.routing import Request
from sandbox.seed.marketplaces import MARKETPLACES
from sandbox.seed.sellers import Seller

if TYPE_CHECKING:
    from sandbox.core.access_tokens import AccessToken
    from sandbox.sp_api.service import SpApiService

# a marketplace of its region a seller is registered in but does not sell in, so that
# clients must read `isParticipating` (the seeded world has no orders there)
NOT_PARTICIPATING = {
    "na": {
        "id": "A1AM78C64UM0Y8",
        "name": "Amazon.com.mx",
        "countryCode": "MX",
        "defaultCurrencyCode": "MXN",
        "defaultLanguageCode": "es_MX",
        "domainName": "www.amazon.com.mx",
    }
}


def participations(seller: Seller) -> list[dict[str, Any]]:
    found = []
    for marketplace_id in seller.marketplace_ids:
        market = MARKETPLACES[marketplace_id]
        marketplace = {
            "id": marketplace_id,
            "name": market.name,
            "countryCode": market.country_code,
            "defaultCurrencyCode": market.currency,
            "defaultLanguageCode": market.language,
            "domainName": market.domain,
        }
        found.append((marketplace, True))
    if seller.region in NOT_PARTICIPATING:
        found.append((NOT_PARTICIPATING[seller.region], False))
    return [
        {
            "marketplace": marketplace,
            "participation": {"isParticipating": active, "hasSuspendedListings": False},
            "storeName": seller.name,
        }
        for marketplace, active in found
    ]


def register(service: SpApiService) -> None:
    def get_marketplace_participations(request: Request, seller: Seller, token: AccessToken) -> Any:
        return {"payload": participations(seller)}

    service.route(
        "GET",
        r"/sellers/v1/marketplaceParticipations",
        "sellers.getMarketplaceParticipations",
        get_marketplace_participations,
    )
