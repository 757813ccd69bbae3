"""MWS request signing: Signature Version 2 over the form body, applied when a request is
prepared and again right before each attempt, so the Timestamp is fresh after pacing."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import requests
from requests.auth import AuthBase

from sources.common.clock import ServerClock
from sources.common.redact import register_secret
from sources.common.sigv2 import sign, signing_host, string_to_sign


class MwsAuth(AuthBase):
    """Adds the account's identity and signs; secrets are registered for redaction."""

    def __init__(
        self,
        access_key_id: str,
        secret_key: str,
        seller_id: str,
        auth_token: str | None,
        server_time: ServerClock,
        method: str = "HmacSHA256",
    ) -> None:
        for secret in (access_key_id, secret_key, auth_token):
            register_secret(secret)
        self._identity = {"AWSAccessKeyId": access_key_id, "SellerId": seller_id}
        if auth_token:
            self._identity["MWSAuthToken"] = auth_token
        self._secret = secret_key
        self._method = method
        self.server_time = server_time

    def __repr__(self) -> str:
        return f"MwsAuth(seller_id={self._identity['SellerId']!r})"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        self.sign(request)
        return request

    def sign(self, request: requests.PreparedRequest) -> None:
        """(Re)sign `request` in place with a fresh Timestamp."""
        body = request.body.decode() if isinstance(request.body, bytes) else request.body or ""
        params = dict(parse_qsl(body, keep_blank_values=True))
        params.pop("Signature", None)
        params.update(self._identity)
        params.update(
            SignatureMethod=self._method,
            SignatureVersion="2",
            Timestamp=self.server_time.stamp(),
        )
        path = urlsplit(request.url).path or "/"
        text = string_to_sign("POST", signing_host(request.url or ""), path, params)
        params["Signature"] = sign(self._secret, text, self._method)
        encoded = urlencode(params, quote_via=quote, safe="-_.~")
        request.body = encoded
        request.headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
        request.headers["Content-Length"] = str(len(encoded))
