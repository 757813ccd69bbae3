"""Battery row 28: every credential is a canary (the sandbox derives unique ones from its seed,
plus legacy AWS settings set to canaries here), and after runs at DEBUG through faults none
shows in stdout/stderr, logs, exception reprs (URLs included), any VARCHAR value of the
warehouse, its decompressed pipeline states and stored schemas, the pipeline folders (trace,
state, packages), the callback store or dbt's target and logs; credentials read from
`.dlt/secrets.toml` or the environment stay out of dlt's trace; the tree holds no secret
beyond the audited `.secrets.baseline`."""

from __future__ import annotations

import inspect
import logging
import pickle
import shutil
import subprocess
import traceback
from typing import Any

import pytest
import requests
from detect_secrets.core import baseline
from detect_secrets.core.secrets_collection import SecretsCollection
from detect_secrets.settings import transient_settings
from dlt.common.configuration import is_secret_hint
from dlt.common.reflection.spec import spec_from_signature

from sources.aim import aim_source
from sources.amzpecty import amzpecty_source
from sources.common.failures import Failures
from sources.common.redact import is_sensitive
from sources.mws import mws_source
from sources.paapi import paapi_source
from sources.sp_api import sp_api_source
from tests.battery import live
from tests.battery.canaries import canaries, leaks, sweep
from tests.conftest import ROOT, TEST_TIME_SCALE
from tests.e2e.runner import run_py
from tests.loading import load_sp_api, run_source
from tests.sandbox.wire import control

LEGACY_AWS = {
    "aws_access_key": "AKIACANARY28LEGACYKY",
    "aws_secret_key": "canary-28-aws-secret-key-value",
    "role_arn": "arn:aws:iam::123456789012:role/canary-28-role",
}
FAULTS = [
    {"service": "sp_api", "operation": "orders_2026-01-01.searchOrders", "status": 503},
    {"service": "sp_api", "operation": "orders_2026-01-01.searchOrders", "expire_tokens": True,
     "skip": 2},
    {"service": "mws", "operation": "ListOrderItems", "status": 503, "count": 2},
    {"service": "paapi", "operation": "ItemLookup", "status": 400, "count": 1},  # terminal
    {"service": "aim", "operation": "download/report", "status": 500, "count": 1},
    {"service": "amzpecty", "operation": "add", "status": 500, "count": 1},
]  # fmt: skip
GIT = shutil.which("git") or "git"
REPORT_FAULTS = [{"kind": "expire_url", "count": 1}, {"kind": "fatal", "count": 1}]


def _secret_looking(name: str) -> bool:
    return (
        name == "accounts"
        or is_sensitive(name)
        or name.endswith(("_key", "_secret", "_token", "password", "_arn", "key_id"))
    )


@pytest.mark.parametrize(
    "source", [sp_api_source, mws_source, paapi_source, aim_source, amzpecty_source]
)
def test_every_secret_parameter_is_secret_typed(source: Any) -> None:
    """dlt's trace keeps the value of every config parameter that is not secret-typed."""
    spec, _ = spec_from_signature(inspect.unwrap(source), inspect.signature(source))
    fields = spec.get_resolvable_fields()
    plain = [n for n, hint in fields.items() if _secret_looking(n) and not is_secret_hint(hint)]
    assert plain == []
    assert any(is_secret_hint(hint) for hint in fields.values())


def test_a_run_of_every_source_through_faults_at_debug_leaks_no_canary(
    sandbox_server, accounts, tmp_path
) -> None:
    fast = {"retry_backoff_seconds": 0.01}
    settings = {name: dict(fast) for name in (*live.SOURCES, "amzpecty")}
    settings["sp_api"]["report_types"] = ["GET_MERCHANT_LISTINGS_ALL_DATA"]
    live.project(tmp_path, {}, settings)
    control(sandbox_server.url, "faults", {"faults": FAULTS})
    for fault in REPORT_FAULTS:
        control(sandbox_server.url, "reports/faults", fault)
    result = run_py(
        tmp_path,
        "--sandbox-url",
        sandbox_server.url,
        DLT_PROJECT_DIR=str(tmp_path),
        RUNTIME__LOG_LEVEL="DEBUG",
    )
    assert result.returncode == 1, result.stderr[-3000:]  # the ECS 400 is terminal
    pending = requests.get(f"{sandbox_server.url}/_sandbox/faults", timeout=30).json()
    assert pending["faults"] == [], pending  # every fault was met
    assert "error: paapi items [us]" in result.stderr
    assert "DEBUG" in result.stderr and "AWSAccessKeyId=***" in result.stderr
    values = canaries(accounts)
    assert leaks((result.stdout + result.stderr).encode(), values) == []
    outputs = {p.name for p in tmp_path.iterdir()}
    assert {"warehouse.duckdb", "warehouse-pipelines", "warehouse.dbt"} <= outputs
    assert (tmp_path / "warehouse.dbt" / "logs" / "dbt.log").stat().st_size > 0
    assert sweep(tmp_path, values) == {}


@pytest.mark.parametrize("where", ["secrets.toml", "environment"])
def test_credentials_from_config_stay_out_of_dlts_trace(
    where: str, sandbox_server, accounts, tmp_path
) -> None:
    secrets = live.credentials(accounts)
    secrets["sp_api"].update(LEGACY_AWS)
    in_file = secrets if where == "secrets.toml" else {}
    env = {} if where == "secrets.toml" else live.environment(secrets)
    project = live.project(tmp_path, in_file, live.settings(accounts))
    result = project.run("--no-dbt", RUNTIME__LOG_LEVEL="DEBUG", **env)
    assert result.returncode == 0, result.stderr[-3000:]
    values = canaries(accounts, *LEGACY_AWS.values())
    assert leaks((result.stdout + result.stderr).encode(), values) == []
    assert sweep(tmp_path, values) == {}
    # dlt did resolve them from config, and recorded them as secrets without a value
    (sp_api, *_) = sorted(project.pipelines.glob("amazon_sp_api__*"))  # one per seller
    with (sp_api / "trace.pickle").open("rb") as file:
        trace = pickle.load(file)  # noqa: S301 - our own pipeline's trace
    resolved = {v.key: v for v in trace.resolved_config_values if "sp_api" in v.sections}
    for key in (*LEGACY_AWS, "client_secret"):
        assert resolved[key].is_secret_hint and resolved[key].value is None, key
    # a seller's pipeline gets its account as an argument (`pipelines/units.py`), which dlt
    # records nowhere; were it resolved from config, only as a secret without its value
    accounts_seen = resolved.get("accounts")
    assert accounts_seen is None or (accounts_seen.is_secret_hint and accounts_seen.value is None)
    mws_pipelines = sorted(project.pipelines.glob("amazon_mws__*"))
    assert mws_pipelines
    for mws in mws_pipelines:
        assert b"mws_auth_token" not in (mws / "trace.pickle").read_bytes()


def test_errors_and_debug_logs_of_every_client_leak_nothing(
    sandbox_server, accounts, tmp_path, caplog
) -> None:
    """Exception reprs and tracebacks (URLs with Signature, AWSAccessKeyId, secretKey) and
    every logger at DEBUG, urllib3's request lines among them."""
    failures = Failures()
    control(sandbox_server.url, "faults", {"faults": FAULTS})
    mws, paapi = accounts["mws"], accounts["paapi"]
    broken = [{**accounts["accounts"][0], "refresh_token": "Atzr|canary-28-revoked"}]
    with caplog.at_level(logging.DEBUG):
        loaded = load_sp_api({**accounts, "accounts": broken}, tmp_path / "sp_api")
        for name, source in {
            "mws": mws_source(
                accounts=[{**mws["accounts"][0], "mws_auth_token": "amzn.mws.canary-28"}],
                access_key_id=mws["access_key_id"], secret_key=mws["secret_key"],
                endpoint=mws["endpoint"], reports=False, quota_scale=TEST_TIME_SCALE,
                failures=failures,
            ),
            "paapi": paapi_source(
                access_key_id=paapi["access_key_id"], secret_key=paapi["secret_key"],
                endpoint=paapi["endpoint"], asins=paapi["asins"][:3], quota_scale=TEST_TIME_SCALE,
                retry_backoff_seconds=0.01, failures=failures,
            ),
            "aim": aim_source(
                accounts=[{**accounts["aim"]["accounts"][0], "password": "canary-28-password"}],
                endpoint=accounts["aim"]["endpoint"], failures=failures,
            ),
        }.items():  # fmt: skip
            run_source(source, tmp_path, name)
    failed = [*loaded.failures, *failures]
    assert {f.resource for f in failed} >= {"orders", "mws orders", "paapi items", "aim"}
    reprs = "".join(
        f"{f}\n{f.error!r}\n{f.error.__dict__!r}\n{''.join(traceback.format_exception(f.error))}"
        for f in failed
    )
    assert "Signature=***" in reprs  # the ECS URL was there, masked
    values = canaries(accounts, "Atzr|canary-28-revoked", "amzn.mws.canary-28")
    values.append("canary-28-password")
    assert "urllib3" in caplog.text  # request lines were logged
    assert leaks((caplog.text + reprs).encode(), values) == []
    assert sweep(tmp_path, values) == {}


def test_the_tree_holds_no_secret_beyond_the_audited_baseline() -> None:
    """detect-secrets over every tracked file with the baseline's plugins and filters (which
    leave out Amazon's public models and recorded answers); a finding the baseline does not
    hold as audited fails. To accept a new test value: `detect-secrets scan --baseline
    .secrets.baseline`, then `detect-secrets audit .secrets.baseline`."""
    config = baseline.load_from_file(str(ROOT / ".secrets.baseline"))
    tracked = subprocess.run(
        [GIT, "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    with transient_settings(config):
        found = SecretsCollection(root=str(ROOT))
        for name in tracked:
            found.scan_file(name)
    audited = {
        (name, secret["hashed_secret"], secret["type"])
        for name, listed in config["results"].items()
        for secret in listed
        if secret.get("is_secret") is False
    }
    new = [
        f"{name}:{secret.line_number} {secret.type}"
        for name, secret in found
        if (name, secret.secret_hash, secret.type) not in audited
    ]
    assert new == []
