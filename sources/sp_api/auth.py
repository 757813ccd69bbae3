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
from sources.common.redact import register_secret
from sources.common.session import PacedSession, Verdict
from sources.sp_api.exceptions import LwaError, ServerError
from sources.sp_api.settings import LWA_MARGIN_SECONDS


class LwaSession(PacedSession):
    """Token requests: 5xx and dropped connections retry; LWA's JSON errors name the key."""

    def __init__(self, *args: object, config_key: str = "sources.sp_api", **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.config_key = config_key

    def assess(self, response: requests.Response, operation: str) -> Verdict:
        if response.status_code >= 500 or response.status_code == 429:
            return Verdict.SERVER_ERROR
        return Verdict.FAIL if response.status_code >= 400 else Verdict.DONE

    def error_for(self, response, operation, cause=None):  # type: ignore[no-untyped-def]
        if response is None or response.status_code >= 500 or response.status_code == 429:
            status = response.status_code if response is not None else "no response"
            return ServerError(f"Login with Amazon is unavailable ({status})", operation=operation)
        try:
            body = response.json()
        except ValueError:
            body = {}
        code = str(body.get("error", "")) if isinstance(body, dict) else ""
        key = (
            "sources.sp_api.client_id / client_secret"
            if code in ("invalid_client", "unauthorized_client")
            else f"{self.config_key}.refresh_token"
        )
        return LwaError(
            f"Login with Amazon refused the credentials "
            f"({response.status_code} {code or 'error'}): check {key}",
            operation=operation,
            status=response.status_code,
            code=code,
        )


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
        self._session = session
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self._lifetime = 0.0

    def __repr__(self) -> str:
        return f"LwaAuth(token_url={self._token_url!r})"

    @property
    def server_date(self) -> float | None:
        """The token endpoint's clock as of its latest answer."""
        return self._session.server_date

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["x-amz-access-token"] = self.token()
        return request

    def token(self, stale: str | None = None, min_validity: float = 0.0) -> str:
        """The current token, valid for `min_validity` more seconds; a caller holding `stale`
        forces one refresh, not one per caller."""
        with self._lock:
            # a request's flight may need the token longer, up to a tenth of its lifetime
            needed = min(min_validity, 0.1 * self._lifetime)
            fresh = self._token is not None and self._clock.monotonic() + needed < self._expires_at
            if fresh and (stale is None or stale != self._token):
                return self._token  # type: ignore[return-value]
            return self._refresh()

    def _refresh(self) -> str:
        started = self._clock.monotonic()
        response = self._session.post(self._token_url, data=self._form)
        body = response.json()
        token = str(body["access_token"])
        register_secret(token)
        lifetime = float(body.get("expires_in", 3600))
        margin = min(LWA_MARGIN_SECONDS, 0.01 * lifetime)
        self._token = token
        self._lifetime = lifetime
        self._expires_at = started + lifetime - margin
        return token
