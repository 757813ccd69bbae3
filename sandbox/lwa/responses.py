"""POST /auth/o2/token: form or JSON body, JSON answer, Amazon's error codes."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from sandbox.core.access_tokens import ACCESS_TOKEN_SECONDS
from sandbox.core.routing import Request, Response
from sandbox.core.serialize import to_json
from sandbox.lwa.models import InvalidRequestError, LwaError, exchange

if TYPE_CHECKING:
    from sandbox.app import App


def _form(request: Request) -> dict[str, str]:
    content_type = (request.header("content-type") or "").lower()
    if "json" in content_type:
        try:
            body = json.loads(request.body or b"{}")
        except ValueError as error:
            raise InvalidRequestError(message="The request body is not valid JSON") from error
        return {k: str(v) for k, v in body.items()} if isinstance(body, dict) else {}
    return dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))


def register(app: App) -> None:
    def token(request: Request) -> Response:
        try:
            form = _form(request)
            access_token = exchange(app.tokens, app.world, form)
        except LwaError as error:
            return error.to_response()
        request.seller_id = app.tokens.resolve(access_token).seller_id  # type: ignore[union-attr]
        return to_json(
            {
                "access_token": access_token,
                "token_type": "bearer",
                "expires_in": ACCESS_TOKEN_SECONDS,
                "refresh_token": form["refresh_token"],
            },
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    app.router.add("POST", r"/auth/o2/token", token, "token", "lwa")
