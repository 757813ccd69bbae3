"""Raw HTTP against the sandbox, as any SP-API or MWS client would speak it."""

from __future__ import annotations

import time
from typing import Any

import requests

from sources.common.sigv2 import sign, signing_host, string_to_sign


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


def sp_send(
    method: str,
    url: str,
    token: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    **params: Any,
) -> requests.Response:
    """Any SP-API request, with a JSON body and header parameters when they are given."""
    headers = {**(headers or {}), "x-amz-access-token": token}
    return requests.request(
        method, url + path, params=params, json=body, headers=headers, timeout=30
    )


def pages(url: str, token: str, path: str, cursor: str, token_name: str, **params: Any):
    """Every page of a paginated GET; `cursor` is the dotted path of the next token."""
    found = []
    while True:
        body = sp_get(url, token, path, **params).json()
        found.append(body)
        value: Any = body
        for key in cursor.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if not value:
            return found
        params[token_name] = value


def control(
    url: str, path: str, body: dict[str, Any] | None = None, verify: str | bool = True
) -> dict[str, Any]:
    """A /_sandbox/ control; `verify` is the CA file of a sandbox served over HTTPS."""
    response = requests.post(f"{url}/_sandbox/{path}", json=body or {}, timeout=30, verify=verify)
    response.raise_for_status()
    return response.json()


def mws_call(
    url: str,
    mws: dict[str, Any],
    method: str,
    path: str,
    action: str,
    index: int = 0,
    secret: str | None = None,
    **params: str,
) -> requests.Response:
    """An MWS call as python-amazon-mws makes it: every parameter in a GET's query or a POST's
    form body, signed (SigV2) with that verb and a Timestamp from the sandbox's clock."""
    account = mws["accounts"][index]
    now = requests.get(f"{url}/_sandbox/clock", timeout=10).json()["timestamp"]
    signed = {
        "AWSAccessKeyId": mws["access_key_id"],
        "Action": action,
        "SellerId": account["seller_id"],
        "MWSAuthToken": account["mws_auth_token"],
        "SignatureMethod": "HmacSHA256",
        "SignatureVersion": "2",
        "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        **params,
    }
    text = string_to_sign(method, signing_host(url), path, signed)
    signed["Signature"] = sign(secret or mws["secret_key"], text)
    if method == "GET":
        return requests.get(url + path, params=signed, timeout=60)
    return requests.request(method, url + path, data=signed, timeout=60)
