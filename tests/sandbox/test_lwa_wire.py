"""Login with Amazon on the wire: form and JSON bodies, tokens, Amazon's error codes."""

from __future__ import annotations

import pytest
import requests


def _form(accounts: dict, **overrides: str) -> dict[str, str]:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": accounts["accounts"][0]["refresh_token"],
        "client_id": accounts["lwa"]["client_id"],
        "client_secret": accounts["lwa"]["client_secret"],
    }
    form.update(overrides)
    return form


def test_token_form_body_returns_bearer_token(accounts) -> None:
    response = requests.post(accounts["lwa"]["token_url"], data=_form(accounts), timeout=10)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["access_token"].startswith("Atza|")
    assert body["token_type"] == "bearer"
    assert body["refresh_token"] == accounts["accounts"][0]["refresh_token"]
    # an hour, whatever the time scale: a client cannot hurry a token's life
    assert body["expires_in"] == 3600


def test_token_json_body_is_accepted(accounts) -> None:
    response = requests.post(accounts["lwa"]["token_url"], json=_form(accounts), timeout=10)
    assert response.status_code == 200
    assert response.json()["access_token"].startswith("Atza|")


@pytest.mark.parametrize(
    ("overrides", "status", "error"),
    [
        ({"refresh_token": "Atzr|revoked"}, 400, "invalid_grant"),
        ({"client_secret": "amzn1.oa2-cs.v1.wrong"}, 401, "invalid_client"),
        ({"client_id": "amzn1.application-oa2-client.other"}, 401, "invalid_client"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"refresh_token": ""}, 400, "invalid_request"),
    ],
    ids=["revoked-refresh-token", "wrong-secret", "wrong-client-id", "bad-grant", "missing"],
)
def test_token_errors_use_amazon_codes(accounts, overrides, status, error) -> None:
    response = requests.post(
        accounts["lwa"]["token_url"], data=_form(accounts, **overrides), timeout=10
    )
    assert response.status_code == status
    body = response.json()
    assert body["error"] == error
    assert body["error_description"]
