"""One paced, signed ECS client per locale: SigV2 over the GET query, HmacSHA256."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import requests
from lxml import etree
from requests.auth import AuthBase

from sources.common import xml
from sources.common.clock import Clock, ServerClock
from sources.common.ratelimit import Pacer
from sources.common.redact import redact_url, register_secret
from sources.common.retry import RetryPolicy
from sources.common.session import PacedSession, Verdict
from sources.common.sigv2 import sign, signing_host, string_to_sign
from sources.common.stats import ApiStats
from sources.paapi.exceptions import (
    AccessDeniedError,
    EcsError,
    InvalidRequestError,
    ServerError,
    ThrottledError,
)
from sources.paapi.settings import LOCALES, RATE, USER_AGENT

log = logging.getLogger("sources.paapi")
# in-body errors that refuse the caller, not an item: the whole account fails
ACCOUNT_ERRORS = frozenset({"AWS.InvalidAccount"})


class EcsAuth(AuthBase):
    """Adds the key, Timestamp and Signature to the query; secrets registered for redaction."""

    def __init__(self, access_key_id: str, secret_key: str, server_time: ServerClock) -> None:
        register_secret(access_key_id)
        register_secret(secret_key)
        self._key = access_key_id
        self._secret = secret_key
        self.server_time = server_time

    def __repr__(self) -> str:
        return "EcsAuth()"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        self.sign(request)
        return request

    def sign(self, request: requests.PreparedRequest) -> None:
        parts = urlsplit(request.url or "")
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        params.pop("Signature", None)
        params.update(AWSAccessKeyId=self._key, Timestamp=self.server_time.stamp())
        text = string_to_sign("GET", signing_host(request.url or ""), parts.path, params)
        params["Signature"] = sign(self._secret, text)
        query = urlencode(params, quote_via=quote, safe="-_.~")
        request.url = urlunsplit(parts._replace(query=query))


def error_fields(body: bytes) -> dict[str, str]:
    try:
        root = xml.parse(body, "ECS error response")
    except xml.XmlError:
        return {}
    if not xml.local(root).endswith("ErrorResponse"):
        return {}
    return {
        "Code": xml.text(root, "Error", "Code") or "",
        "Message": xml.text(root, "Error", "Message") or "",
        "RequestId": xml.text(root, "RequestId") or xml.text(root, "RequestID") or "",
    }


class EcsSession(PacedSession):
    def __init__(self, *args: Any, auth: EcsAuth, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ecs_auth = auth

    def assess(self, response: requests.Response, operation: str) -> Verdict:
        if response.status_code == 503:
            throttled = error_fields(response.content).get("Code") == "RequestThrottled"
            return Verdict.THROTTLED if throttled else Verdict.SERVER_ERROR
        if (
            response.status_code == 400
            and error_fields(response.content).get("Code") == "RequestExpired"
        ):
            return Verdict.REFRESH_AUTH
        return super().assess(response, operation)

    def before_attempt(self, request: requests.PreparedRequest) -> None:
        self.ecs_auth.sign(request)

    def refresh_auth(self, request: requests.PreparedRequest) -> bool:
        self.ecs_auth.sign(request)
        return True

    def error_for(self, response, operation, cause=None):  # type: ignore[no-untyped-def]
        if response is None:
            return ServerError(f"{operation}: no response ({type(cause).__name__})")
        fields = error_fields(response.content)
        code, status = fields.get("Code", ""), response.status_code
        text = f"{operation} answered {status} {code}: {fields.get('Message', '')}".rstrip(": ")
        if status == 403:
            text += "; check sources.paapi.access_key_id / secret_key"
        text += f" (RequestId {fields.get('RequestId') or '-'}) at {redact_url(response.url)}"
        kind: type[EcsError] = InvalidRequestError
        if status == 403:
            kind = AccessDeniedError
        elif status == 503 and code == "RequestThrottled":
            kind = ThrottledError
        elif status >= 500:
            kind = ServerError
        return kind(text, status=status, code=code)


@dataclass
class EcsClient:
    locale: str
    url: str
    session: EcsSession
    base: dict[str, str]

    def call(self, operation: str, params: dict[str, str]) -> etree._Element:
        """The answer's root; a top-level error document raises, and so does an in-body error
        about the account (a 200 that refuses the key is a 403 in all but status); errors
        about an id or a parameter are rows."""
        query = {**self.base, "Operation": operation, **params}
        response = self.session.get(self.url, params=query, headers={"User-Agent": USER_AGENT})
        try:
            root = xml.parse(response.content, f"ECS {operation} answer")
        except xml.XmlError as error:
            raise InvalidRequestError(str(error)) from None
        for error in xml.descendants(root, "Error"):
            code = xml.text(error, "Code") or ""
            if code in ACCOUNT_ERRORS:
                request_id = xml.text(xml.child(root, "OperationRequest"), "RequestId") or "-"
                raise AccessDeniedError(
                    f"{operation} answered 200 with {code}: {xml.text(error, 'Message') or ''}; "
                    f"check sources.paapi.access_key_id / secret_key (RequestId {request_id}) "
                    f"at {redact_url(response.url)}",
                    status=response.status_code,
                    code=code,
                )
        return root


def make_client(
    locale: str,
    access_key_id: str,
    secret_key: str,
    associate_tag: str | None,
    clock: Clock,
    stats: ApiStats,
    policy: RetryPolicy,
    endpoint: str | None,
    version: str,
    quota_scale: float,
) -> EcsClient:
    host, _ = LOCALES[locale]
    if endpoint:
        prefix = "" if locale == "us" else f"/{locale}"
        url = f"{endpoint.rstrip('/')}{prefix}/onca/xml"
    else:
        url = f"https://{host}/onca/xml"
    server_clock = ServerClock(clock)
    auth = EcsAuth(access_key_id, secret_key, server_clock)
    rate, burst = RATE
    session = EcsSession(
        Pacer(lambda key: (rate * quota_scale, burst), clock),
        lambda request: (
            "paapi." + dict(parse_qsl(urlsplit(request.url).query)).get("Operation", "unknown")
        ),
        clock,
        stats,
        policy,
        bucket_key=lambda operation: "account",  # one rate for every operation
        auth=auth,
        server_clock=server_clock,
    )
    session.auth = auth
    base = {"Service": "AWSECommerceService", "Version": version}
    if associate_tag:
        base["AssociateTag"] = associate_tag
    return EcsClient(locale, url, session, base)
