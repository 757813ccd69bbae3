"""Canary secrets never reach logs, exceptions, the DuckDB file or dlt's pipeline folder."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from tests.e2e.runner import run_py
from tests.loading import load_sp_api

pytestmark = pytest.mark.e2e

ACCESS_TOKEN_PREFIXES = ("Atza|", "Atz.sprdt|")
# presigned report document URLs carry signature-like parameters
PRESIGNED = re.compile(rb"X-Amz-(Signature|Security-Token|Credential)=(?!\*\*\*)[^&\s\"']+")


def _canaries(accounts: dict) -> list[str]:
    values = [accounts["lwa"]["client_secret"], accounts["lwa"]["client_id"]]
    values += [a["refresh_token"] for a in accounts["accounts"]]
    return values


def _leaks(data: bytes, canaries: list[str]) -> list[str]:
    found = [c[:12] + "..." for c in canaries if c.encode() in data]
    found += [p for p in ACCESS_TOKEN_PREFIXES if p.encode() in data]
    found += [m.group(0)[:24].decode() for m in PRESIGNED.finditer(data)]
    return found


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_run_py_at_debug_level_leaks_nothing(sandbox_server, accounts, tmp_path) -> None:
    result = run_py(
        tmp_path, "--sandbox-url", sandbox_server.url, "--no-dbt", RUNTIME__LOG_LEVEL="DEBUG"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    canaries = _canaries(accounts)
    assert len(result.stderr) > 1000  # dlt really logged at DEBUG
    assert _leaks((result.stdout + result.stderr).encode(), canaries) == []
    assert _leaks((tmp_path / "warehouse.duckdb").read_bytes(), canaries) == []
    pipeline_files = _files(tmp_path / "warehouse-pipelines")
    assert any(p.name == "trace.pickle" for p in pipeline_files)
    for path in pipeline_files:
        assert _leaks(path.read_bytes(), canaries) == [], path


def test_failures_and_their_logs_leak_nothing(sandbox_server, accounts, tmp_path, caplog) -> None:
    broken = dict(accounts)
    broken["accounts"] = [dict(a) for a in accounts["accounts"]]
    canary = "Atzr|canary-refresh-token-5e1f"
    broken["accounts"][0]["refresh_token"] = canary
    broken["accounts"][1]["client_secret"] = "canary-client-secret-93ab"
    with caplog.at_level(logging.DEBUG):
        load = load_sp_api(broken, tmp_path)
    failures = list(load.failures)
    assert len(failures) == 2
    text = caplog.text + "".join(f"{f}\n{f.error!r}" for f in failures)
    canaries = [*_canaries(accounts), canary, "canary-client-secret-93ab"]
    assert "refresh_token" in text and "client_secret" in text  # the keys are named...
    assert _leaks(text.encode(), canaries) == []  # ...their values never
    for path in _files(tmp_path):
        assert _leaks(path.read_bytes(), canaries) == [], path
