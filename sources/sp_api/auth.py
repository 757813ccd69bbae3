"""Login with Amazon: a refresh token becomes an access token in `x-amz-access-token`.

dlt's OAuth2ClientCredentials sends `Authorization: Bearer`, reads pendulum's wall clock and
is not thread-safe; this AuthBase shares one token per refresh token across threads and
refreshes it once even when several resources find it stale at the same moment.
"""

from __future__ import annotations

import threading

import requests
from requests.auth import AuthBase

from sources.common.clock import Clock
from sources.common.redact import redact_text, register_secret
from sources.common.session import PacedSession, Verdict
from sources.sp_api.exceptions import LwaError, ServerError
from sources.sp_api.settings import LWA_MARGIN_SECONDS

# LWA's error codes (Amazon's clients know these) by the credential they are about
GRANT_ERRORS = frozenset({"invalid_grant", "access_denied"})  # the seller's authorization
CLIENT_ERRORS = frozenset({"invalid_client", "unauthorized_client"})  # the application's
DESCRIPTION_CHARS = 300  # of Amazon's error_description kept in the message


class LwaSession(PacedSession):
    """Token requests: 5xx and dropped connections retry; LWA's JSON errors keep Amazon's
    description and request id, and name the config key they are about."""

    def __init__(
        self,
        *args: object,
        config_key: str = "sources.sp_api",
        client_key: str = "sources.sp_api",
        **kwargs: object,
    ):
        """`config_key`: where the refresh token is configured (the account); `client_key`:
        where the client id and secret are (the source, or an account with its own)."""
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.config_key = config_key
        self.client_key = client_key

    def assess(self, response: requests.Response, operation: str) -> Verdict:
        if response.status_code >= 500 or response.status_code == 429:
            return Verdict.SERVER_ERROR
        return Verdict.FAIL if response.status_code >= 400 else Verdict.DONE

    def blamed(self, code: str) -> str:
        """The config key an LWA error code is about; codes about the request itself (a grant
        type or parameter LWA does not take) point at the URL, not at a credential."""
        if code in GRANT_ERRORS:
            return f"{self.config_key}.refresh_token"
        if code in CLIENT_ERRORS:
            return f"{self.client_key}.client_id / client_secret"
        return "sources.sp_api.lwa_token_url (is it Login with Amazon's token URL?)"

    def error_for(self, response, operation, cause=None):  # type: ignore[no-untyped-def]
        if response is None or response.status_code >= 500 or response.status_code == 429:
            status = response.status_code if response is not None else "no response"
            return ServerError(f"Login with Amazon is unavailable ({status})", operation=operation)
        try:
            body = response.json()
        except ValueError:
            body = None
        body = body if isinstance(body, dict) else {}
        code = str(body.get("error") or "")
        description = " ".join(str(body.get("error_description") or "").split())
        request_id = body.get("request_id") or response.headers.get("x-amzn-RequestId")
        said = f": {redact_text(description[:DESCRIPTION_CHARS])}" if description else ""
        return LwaError(
            f"Login with Amazon refused the token request "
            f"({response.status_code} {code or 'error'}{said}): check {self.blamed(code)}",
            operation=operation,
            status=response.status_code,
            code=code,
            request_id=str(request_id) if request_id else None,
        )


def refuses_application(error: BaseException) -> bool:
    """LWA refused the application itself: every account of it fails the same way."""
    return isinstance(error, LwaError) and error.code in CLIENT_ERRORS


class Applications:
    """A run's LWA applications, by (token URL, client id): the first `invalid_client` for one
    is remembered, so its other accounts fail with that error instead of asking again. Token
    requests of one application go one at a time (each account asks about once an hour)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._gates: dict[tuple[str, str], threading.Lock] = {}
        self._refused: dict[tuple[str, str], LwaError] = {}

    def gate(self, key: tuple[str, str]) -> threading.Lock:
        with self._lock:
            return self._gates.setdefault(key, threading.Lock())

    def refused(self, key: tuple[str, str]) -> LwaError | None:
        with self._lock:
            return self._refused.get(key)

    def refuse(self, key: tuple[str, str], error: LwaError) -> None:
        with self._lock:
            self._refused.setdefault(key, error)


class LwaAuth(AuthBase):
    """Sets `x-amz-access-token`; the token is reused until shortly before it expires."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        token_url: str,
        session: LwaSession,
        clock: Clock,
        applications: Applications | None = None,
    ) -> None:
        for secret in (client_id, client_secret, refresh_token):
            register_secret(secret)
        self._form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": client_id,
            "client_secret": client_secret,
        }
        self._token_url = token_url
        self._application = (token_url, client_id)
        self._applications = applications or Applications()
        self._session = session
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self._lifetime = 0.0
        self._refused: LwaError | None = None  # credentials refused: never asked again

    def __repr__(self) -> str:
        return f"LwaAuth(token_url={self._token_url!r})"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["x-amz-access-token"] = self.token()
        return request

    def token(self, stale: str | None = None, min_validity: float = 0.0) -> str:
        """The current token, valid for `min_validity` more seconds; a caller holding `stale`
        forces one refresh, not one per caller."""
        with self._lock:
            if self._refused is not None:
                raise self._refused
            # a request's flight may need the token longer, up to a tenth of its lifetime
            needed = min(min_validity, 0.1 * self._lifetime)
            fresh = self._token is not None and self._clock.monotonic() + needed < self._expires_at
            if fresh and (stale is None or stale != self._token):
                return self._token  # type: ignore[return-value]
            return self._refresh()

    def _refresh(self) -> str:
        with self._applications.gate(self._application):
            self._refused = self._applications.refused(self._application)
            if self._refused is not None:
                raise self._refused
            started = self._clock.monotonic()
            try:
                response = self._session.post(self._token_url, data=self._form)
            except LwaError as error:
                self._refused = error
                if refuses_application(error):
                    self._applications.refuse(self._application, error)
                raise
        body = response.json()
        token = str(body["access_token"])
        register_secret(token)
        lifetime = float(body.get("expires_in", 3600))
        margin = min(LWA_MARGIN_SECONDS, 0.01 * lifetime)
        self._token = token
        self._lifetime = lifetime
        self._expires_at = started + lifetime - margin
        return token
