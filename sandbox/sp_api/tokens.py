"""Tokens API 2021-03-01: restricted data tokens that unlock PII for named resources."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.core.access_tokens import ACCESS_TOKEN_SECONDS
from sandbox.core.routing import Request
from sandbox.seed.sellers import Seller
from sandbox.sp_api.exceptions import InvalidInputError
from sandbox.sp_api.params import json_body

if TYPE_CHECKING:
    from sandbox.core.access_tokens import AccessToken
    from sandbox.sp_api.service import SpApiService

DATA_ELEMENTS = ("buyerInfo", "shippingAddress", "buyerTaxInformation")
METHODS = ("GET", "PUT", "POST", "DELETE")


def register(service: SpApiService) -> None:
    app = service.app

    def create_restricted_data_token(request: Request, seller: Seller, token: AccessToken) -> Any:
        body = json_body(request)
        resources = body.get("restrictedResources")
        if not isinstance(resources, list) or not 1 <= len(resources) <= 50:
            raise InvalidInputError("restrictedResources must hold 1 to 50 resources.")
        for resource in resources:
            if not isinstance(resource, dict) or resource.get("method") not in METHODS:
                raise InvalidInputError("Each restricted resource needs a valid method.")
            if not str(resource.get("path", "")).startswith("/"):
                raise InvalidInputError("Each restricted resource needs a path.")
            unknown = set(resource.get("dataElements") or []) - set(DATA_ELEMENTS)
            if unknown:
                raise InvalidInputError(f"Invalid dataElements: {', '.join(sorted(unknown))}.")
        rdt = app.tokens.issue(seller.seller_id, "Atz.sprdt|", resources)
        return {
            "restrictedDataToken": rdt,
            "expiresIn": ACCESS_TOKEN_SECONDS,
        }

    service.route(
        "POST",
        r"/tokens/2021-03-01/restrictedDataToken",
        "tokens_2021-03-01.createRestrictedDataToken",
        create_restricted_data_token,
    )
