"""Raw HTTP against the sandbox, as any SP-API client would speak it."""

from __future__ import annotations

from typing import Any

import requests


def lwa_token(accounts: dict[str, Any], index: int = 0) -> str:
    lwa = accounts["lwa"]
    response = requests.post(
        lwa["token_url"],
        data={
            "grant_type": "refresh_token",
            "refresh_token": accounts["accounts"][index]["refresh_token"],
            "client_id": lwa["client_id"],
            "client_secret": lwa["client_secret"],
        },
        timeout=10,
    )
    response.raise_for_status()
    return response.json()["access_token"]


def sp_get(url: str, token: str | None, path: str, **params: Any) -> requests.Response:
    headers = {"x-amz-access-token": token} if token else {}
    return requests.get(url + path, params=params, headers=headers, timeout=30)


def control(url: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = requests.post(f"{url}/_sandbox/{path}", json=body or {}, timeout=30)
    response.raise_for_status()
    return response.json()
