"""Battery row 14: a revoked refresh token (LWA `invalid_grant`), a wrong AIM login (401), a
wrong MWS access key (403 `InvalidAccessKeyId`) and an ECS key no longer registered (a 200
carrying `AWS.InvalidAccount`) fail without a retry loop: the run exits non-zero naming each
config key, never a value, and the failing accounts' state and tables stay as they were."""

from __future__ import annotations

import requests

from tests.battery import live
from tests.battery.fingerprint import fingerprint
from tests.sandbox.wire import control

REVOKED = "Atzr|revoked-canary-14-refresh-token"
WRONG_PASSWORD = "wrong-canary-14-password"
WRONG_KEY = "AKIAWRONGCANARY14KEY"


def _refused_calls(url: str) -> dict[str, list[tuple[str | None, int]]]:
    """(seller, status) of each call the sandbox answered, by service."""
    calls = requests.get(f"{url}/_sandbox/calls", params={"detail": 1}, timeout=30).json()
    found: dict[str, list[tuple[str | None, int]]] = {}
    for call in calls["calls"]:
        found.setdefault(call["service"], []).append((call["seller_id"], call["status"]))
    return found


def test_rejected_credentials_fail_once_name_the_key_and_touch_nothing(
    sandbox_server, accounts, tmp_path
) -> None:
    good = live.credentials(accounts)
    project = live.project(tmp_path, good, live.settings(accounts))
    first = project.run("--no-dbt")
    assert first.returncode == 0, first.stderr[-2000:]
    before = {name: fingerprint(project.warehouse, name) for name in live.SOURCES}
    states = {name: project.state(name) for name in live.SOURCES}
    na = accounts["accounts"][0]
    na_state = project.state("sp_api", na["name"])

    bad = live.credentials(accounts)
    bad["sp_api"]["accounts"][0]["refresh_token"] = REVOKED
    bad["aim"]["accounts"][0]["password"] = WRONG_PASSWORD
    bad["mws"]["access_key_id"] = WRONG_KEY
    live.project(tmp_path, bad, live.settings(accounts))
    control(sandbox_server.url, "paapi/account", {"registered": False})
    requests.delete(f"{sandbox_server.url}/_sandbox/calls", timeout=30).raise_for_status()
    second = project.run("--no-dbt")

    assert second.returncode == 1
    errors = [line for line in second.stderr.splitlines() if line.startswith("error: ")]
    for named in (
        f"sources.sp_api.accounts[{na['name']}].refresh_token",
        f"sources.aim.accounts[{na['name']}].email / password",
        "sources.mws.access_key_id / secret_key",
        "sources.paapi.access_key_id / secret_key",
    ):
        assert sum(named in line for line in errors) >= 1, (named, errors)
    assert any("invalid_grant: The request has an invalid grant parameter" in e for e in errors)
    assert any("AWS.InvalidAccount" in e for e in errors)
    values = [REVOKED, WRONG_PASSWORD, WRONG_KEY, na["refresh_token"]]
    values += [accounts["lwa"]["client_secret"], accounts["mws"]["secret_key"]]
    values += [accounts["paapi"]["secret_key"], accounts["aim"]["accounts"][0]["password"]]
    assert not [v for v in values if v in second.stdout + second.stderr]

    calls = _refused_calls(sandbox_server.url)
    # one token request for the revoked token, one refused login, one refused call per MWS
    # account, one ECS lookup refused in its body: no retry loop
    assert [status for seller, status in calls["lwa"] if seller is None] == [400]
    assert [s for seller, s in calls["aim"] if s == 401] == [401]
    assert [status for _, status in calls["mws"]] == [403] * len(accounts["mws"]["accounts"])
    # (its first request, signed on our clock, is refused as expired and signed again on the
    # server's: the test world lies in the past)
    assert [status for _, status in calls["paapi"]] == [400, 200]

    for name in live.SOURCES:
        assert fingerprint(project.warehouse, name) == before[name], name
    for name in ("mws", "paapi"):  # every account of theirs failed
        assert project.state(name) == states[name], name
    marks = project.state("sp_api", na["name"])["sources"]["sp_api"]["resources"]["order_pages"]
    before_marks = na_state["sources"]["sp_api"]["resources"]["order_pages"]
    assert marks["high_water"][na["seller_id"]] == before_marks["high_water"][na["seller_id"]]
