"""LWA auth against the sandbox's token endpoint: one token shared, refreshed once."""

from __future__ import annotations

import threading

import pytest
import requests

from sources.common.ratelimit import Pacer
from sources.common.redact import redact_text
from sources.common.retry import RetryPolicy
from sources.common.stats import ApiStats
from sources.sp_api.auth import LwaAuth, LwaSession
from sources.sp_api.exceptions import LwaError
from tests.fakes import FakeClock


def _session(clock, stats: ApiStats, client_key: str = "sources.sp_api") -> LwaSession:
    return LwaSession(
        Pacer(lambda key: (100.0, 100), clock),
        lambda r: "lwa.token",
        clock,
        stats,
        RetryPolicy(backoff_base=0.001),
        config_key="sources.sp_api.accounts[na]",
        client_key=client_key,
    )


def _auth(accounts: dict, clock, stats: ApiStats, **overrides: str) -> LwaAuth:
    session = _session(clock, stats)
    values = {
        "client_id": accounts["lwa"]["client_id"],
        "client_secret": accounts["lwa"]["client_secret"],
        "refresh_token": accounts["accounts"][0]["refresh_token"],
    }
    values.update(overrides)
    return LwaAuth(token_url=accounts["lwa"]["token_url"], session=session, clock=clock, **values)


def test_racing_threads_share_one_token_request(accounts) -> None:
    stats = ApiStats()
    auth = _auth(accounts, FakeClock(), stats)
    tokens: list[str] = []
    barrier = threading.Barrier(8)

    def take() -> None:
        barrier.wait()
        tokens.append(auth.token())

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(tokens)) == 1
    assert stats.snapshot()["lwa.token"].calls == 1


def test_token_is_reused_until_shortly_before_expiry(accounts) -> None:
    clock, stats = FakeClock(), ApiStats()
    auth = _auth(accounts, clock, stats)
    first = auth.token()
    lifetime = 3600  # expires_in, whatever the time scale; refreshed 1% early
    clock.advance(lifetime * 0.985)
    assert auth.token() == first
    clock.advance(lifetime * 0.01)
    assert auth.token() != first
    assert stats.snapshot()["lwa.token"].calls == 2


def test_a_stale_token_is_refreshed_once_for_all_holders(accounts) -> None:
    stats = ApiStats()
    auth = _auth(accounts, FakeClock(), stats)
    stale = auth.token()
    fresh = auth.token(stale=stale)
    assert fresh != stale
    assert auth.token(stale=stale) == fresh  # a second holder of the stale token reuses it
    assert stats.snapshot()["lwa.token"].calls == 2


def test_auth_sets_the_sp_api_header(accounts) -> None:
    auth = _auth(accounts, FakeClock(), ApiStats())
    prepared = auth(requests.Request("GET", "https://x/orders").prepare())
    assert prepared.headers["x-amz-access-token"].startswith("Atza|")
    assert "Authorization" not in prepared.headers


@pytest.mark.parametrize(
    ("overrides", "names"),
    [
        ({"refresh_token": "Atzr|revoked-canary-xyz"}, "sources.sp_api.accounts[na].refresh_token"),
        ({"client_secret": "wrong-secret-canary"}, "sources.sp_api.client_id / client_secret"),
    ],
    ids=["bad-refresh-token", "bad-client-secret"],
)
def test_refused_credentials_name_the_key_not_the_value(accounts, overrides, names) -> None:
    auth = _auth(accounts, FakeClock(), ApiStats(), **overrides)
    with pytest.raises(LwaError) as raised:
        auth.token()
    message = str(raised.value)
    assert names in message
    assert next(iter(overrides.values())) not in message
    assert "canary" not in redact_text(repr(auth))


def test_refused_credentials_are_not_asked_for_again(accounts) -> None:
    stats = ApiStats()
    auth = _auth(accounts, FakeClock(), stats, refresh_token="Atzr|revoked-refresh-token")
    with pytest.raises(LwaError) as first:
        auth.token()
    with pytest.raises(LwaError) as second:
        auth.token()
    assert second.value is first.value  # one error, so a run records the account once
    assert stats.snapshot()["lwa.token"].calls == 1


def test_a_refusal_keeps_amazons_description_and_request_id(accounts) -> None:
    auth = _auth(accounts, FakeClock(), ApiStats(), refresh_token="Atzr|revoked-canary-abc")
    with pytest.raises(LwaError) as raised:
        auth.token()
    message = str(raised.value)
    assert "invalid_grant: The request has an invalid grant parameter : refresh_token" in message
    assert raised.value.request_id and raised.value.request_id in message
    assert "revoked-canary-abc" not in message


@pytest.mark.parametrize(
    ("form", "names", "not_named"),
    [
        ({"grant_type": "client_credentials"}, "sources.sp_api.lwa_token_url", "refresh_token"),
        ({"client_id": "amzn1.application-oa2-client.other"}, "[na].client_id", "refresh_token"),
    ],
    ids=["unsupported-grant-type", "invalid-client-of-an-account"],
)
def test_errors_not_about_the_refresh_token_do_not_blame_it(
    accounts, form, names, not_named
) -> None:
    # an account with a client id of its own
    session = _session(FakeClock(), ApiStats(), client_key="sources.sp_api.accounts[na]")
    body = {
        "grant_type": "refresh_token",
        "refresh_token": accounts["accounts"][0]["refresh_token"],
        "client_id": accounts["lwa"]["client_id"],
        "client_secret": accounts["lwa"]["client_secret"],
        **form,
    }
    response = requests.post(accounts["lwa"]["token_url"], data=body, timeout=10)
    error = session.error_for(response, "lwa.token")
    assert names in str(error) and not_named not in str(error)
    assert response.json()["error_description"] in str(error)
