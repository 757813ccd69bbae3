"""The Dagster code location: it validates, two sellers' partitions materialize in-process
against the sandbox, then the dbt models, and the warehouse holds both sellers' orders."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import dagster as dg
import duckdb
import pytest

from tests.conftest import ROOT, START_DATE

DEFINITIONS = ROOT / "orchestration" / "definitions.py"


@pytest.fixture
def location(sandbox_server, tmp_path, monkeypatch) -> dict[str, str]:
    """The code location's settings: the session's sandbox, a warehouse under `tmp_path`, a
    small load (orders and their items)."""
    settings = {
        "AMAZON_ELT_SANDBOX_URL": sandbox_server.url,
        "AMAZON_ELT_DUCKDB": str(tmp_path / "agency.duckdb"),
        "AMAZON_ELT_PIPELINES_DIR": str(tmp_path / "pipelines"),
        "AMAZON_ELT_START_DATE": START_DATE,
        "DAGSTER_HOME": str(tmp_path / "dagster"),
        "SOURCES__SP_API__RESOURCES": '["orders", "order_items"]',
        "SOURCES__SP_API__REPORT_TYPES": "[]",
        "SOURCES__SP_API__FINANCES": "false",
    }
    (tmp_path / "dagster").mkdir()
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    return settings


def load_definitions() -> ModuleType:
    """A fresh import of the code location (it reads its settings when imported)."""
    spec = importlib.util.spec_from_file_location("agency_definitions", DEFINITIONS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_code_location_validates(location, tmp_path) -> None:
    """As `.venv/bin/dagster` runs it from a venv that is not activated: no `dbt` on PATH."""
    bin_dir = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p != bin_dir)
    result = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-f", str(DEFINITIONS)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=os.environ | {"PATH": path},
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Validation successful" in result.stdout + result.stderr


def test_two_sellers_partitions_then_the_models_materialize(location, accounts, tmp_path) -> None:
    definitions = load_definitions()
    (sellers,) = definitions.seller_assets()
    na, eu, fe = accounts["accounts"]
    assert set(definitions.partitions.get_partition_keys()) == {na["name"], eu["name"], fe["name"]}
    instance = dg.DagsterInstance.ephemeral()

    for account in (na, eu):
        result = dg.materialize(
            [sellers],
            partition_key=account["name"],
            resources=definitions.resources(),
            instance=instance,
        )
        assert result.success
        (orders,) = [
            m
            for m in result.asset_materializations_for_node(sellers.node_def.name)
            if m.asset_key == dg.AssetKey(["sp_api", "orders"])
        ]
        assert orders.partition == account["name"]
        assert orders.metadata["api_calls"].value > 0  # the run's summary
    built = dg.materialize(
        [definitions.dbt_models], resources=definitions.resources(), instance=instance
    )

    assert built.success
    with duckdb.connect(location["AMAZON_ELT_DUCKDB"], read_only=True) as connection:
        raw = dict(
            connection.execute(
                "select seller_id, count(*) from sp_api.orders group by 1"
            ).fetchall()
        )
        marts = dict(
            connection.execute("select seller_id, count(*) from main.orders group by 1").fetchall()
        )
    assert set(raw) == {na["seller_id"], eu["seller_id"]}
    assert marts == raw
    assert sorted(p.name for p in Path(location["AMAZON_ELT_PIPELINES_DIR"]).iterdir())
