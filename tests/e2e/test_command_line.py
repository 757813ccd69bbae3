"""run.py as a user meets it (stdout and stderr not a terminal): its output at each verbosity,
one-line failures, `--resources`, `check`, the summary's row counts and dlt's CLI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import dlt
import duckdb
import pytest
import requests

from pipelines.naming import pipeline_name, slug
from sources.sp_api import sp_api_source
from tests.battery import live
from tests.conftest import ROOT
from tests.e2e.runner import environment, run_py, run_py_command
from tests.loading import sp_api_kwargs

pytestmark = pytest.mark.e2e

SMALL = ("--sources", "sp_api", "--resources", "marketplace_participations,orders", "--no-dbt")
PROGRESS = re.compile(
    r"^sp_api \[(?P<account>[^]]+)\] +done +resources \d+/\d+ +rows +[\d,]+ +API calls +[\d,]+$"
)
ONE_REPORT = {"SOURCES__SP_API__REPORT_TYPES": '["GET_MERCHANT_LISTINGS_ALL_DATA"]'}
WRONG_SECRET = "wrong-client-secret-canary-16"  # pragma: allowlist secret


def _run(tmp_path: Path, url: str, *extra: str, verbose: bool = False, **env: str):
    return run_py(tmp_path, "--sandbox-url", url, *extra, verbose=verbose, **env)


def _tables(path: Path, dataset: str = "sp_api") -> set[str]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return {
            row[0]
            for row in connection.execute(
                "select table_name from information_schema.tables where table_schema = ? "
                "and table_name not like '\\_dlt%' escape '\\'",
                [dataset],
            ).fetchall()
        }


def _calls(url: str, service: str) -> int:
    calls = requests.get(f"{url}/_sandbox/calls", params={"detail": 1}, timeout=30).json()
    return sum(call["service"] == service for call in calls["calls"])


# Python's start-up hook for a run's processes: pandas as though not installed; each process
# that loads the hook writes its pid down
WITHOUT_PANDAS = """
import os, sys
from importlib.abc import MetaPathFinder


class Absent(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "pandas":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


sys.meta_path.insert(0, Absent())
with open(os.environ["HOOKED"], "a") as hooked:
    hooked.write(f"{os.getpid()}\\n")
"""


def test_a_run_needs_no_pandas(sandbox_server, tmp_path) -> None:
    """pandas comes with the notebook extra alone: a lean install (`pip install .`) lacks it."""
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(WITHOUT_PANDAS)
    hooked = tmp_path / "hooked.txt"
    path = os.pathsep.join(filter(None, [str(hooks), os.environ.get("PYTHONPATH")]))
    result = _run(tmp_path, sandbox_server.url, *SMALL, PYTHONPATH=path, HOOKED=str(hooked))
    assert result.returncode == 0, result.stderr[-2000:]
    assert hooked.read_text().split()  # the run's process started with pandas out of reach
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as connection:
        assert connection.execute("select count(*) from sp_api.orders").fetchone()[0] > 0


def test_default_output_is_a_line_per_source_and_seller_then_the_summary(
    sandbox_server, accounts, tmp_path
) -> None:
    result = _run(tmp_path, sandbox_server.url, *SMALL)
    assert result.returncode == 0, result.stderr[-2000:]
    progress = result.stderr.splitlines()
    shown = [PROGRESS.match(line) for line in progress]
    assert all(shown), progress
    # a line per seller, as each finishes (sellers run side by side)
    assert sorted(found["account"] for found in shown) == sorted(
        a["name"] for a in accounts["accounts"]
    )
    summary = result.stdout.splitlines()
    assert summary[0].startswith("warehouse: ") and summary[-1].startswith("time: ")
    (line,) = [row.split() for row in summary if row.startswith("  sp_api ")]
    assert line[1] == "2"  # tables: the resources named, and nothing else
    assert len(progress) + len(summary) <= 12
    assert _tables(tmp_path / "warehouse.duckdb") == {"marketplace_participations", "orders"}


def test_quiet_prints_nothing_on_success(sandbox_server, tmp_path) -> None:
    result = _run(tmp_path, sandbox_server.url, *SMALL, "-q")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize(
    ("extra", "env"),
    [
        pytest.param(("-v",), {}, id="verbose"),
        pytest.param(("--log-level", "info"), {}, id="log-level"),
        pytest.param((), {"RUNTIME__LOG_LEVEL": "INFO"}, id="runtime-log-level"),
    ],
)
def test_info_level_adds_a_line_per_report_and_table(
    sandbox_server, tmp_path, extra: tuple[str, ...], env: dict[str, str]
) -> None:
    command = ("--sources", "sp_api", "--resources", "reports", "--no-dbt", *extra)
    result = _run(tmp_path, sandbox_server.url, *command, **ONE_REPORT, **env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert re.search(r"report GET_MERCHANT_LISTINGS_ALL_DATA .*created", result.stderr)
    assert "sp_api.report_listings" in result.stdout
    assert "reports_2021-06-30.createReport" in result.stdout


def test_start_date_is_refused_before_the_sandbox_starts(tmp_path) -> None:
    result = run_py(tmp_path, "--log-level", "INFO", "--start-date", "yesterday", verbose=False)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: argument --start-date: 'yesterday' is not an ISO 8601 date (e.g. 2025-01-01) "
        "(--help lists the options)"
    ]
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_an_unknown_resource_is_refused_with_the_choices(tmp_path) -> None:
    result = run_py(tmp_path, "--resources", "orders,refunds", verbose=False)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: argument --resources: unknown refunds; choose from orders, ")
    assert "reports, finances" in line


def test_a_missing_setting_is_named_by_its_key_and_variable(accounts, tmp_path) -> None:
    secrets = live.credentials(accounts)
    del secrets["sp_api"]["client_secret"]
    project = live.project(tmp_path, secrets, live.settings(accounts))
    result = project.run("--no-dbt", sources=("sp_api",), verbose=False)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "error: missing sources.sp_api.client_secret: set it in .dlt/secrets.toml (or "
        ".dlt/config.toml) or as the environment variable SOURCES__SP_API__CLIENT_SECRET"
    )


def test_a_wrong_client_secret_asks_lwa_once_and_says_so_once(
    sandbox_server, accounts, tmp_path
) -> None:
    secrets = live.credentials(accounts)
    secrets["sp_api"]["client_secret"] = WRONG_SECRET
    project = live.project(tmp_path, secrets, live.settings(accounts))
    result = project.run("--no-dbt", sources=("sp_api",), verbose=False)
    assert result.returncode == 1
    assert _calls(sandbox_server.url, "lwa") == 1  # three accounts, one application
    lines = result.stderr.splitlines()
    (logged,) = [line for line in lines if line.startswith("ERROR ")]  # as it happened
    (error,) = [line for line in lines if line.startswith("error: ")]  # the run's last word
    for line in (logged, error):
        assert "invalid_client" in line and "check sources.sp_api.client_id / client_secret" in line
    assert "Error:" not in result.stderr and WRONG_SECRET not in result.stderr


def test_check_calls_each_account_once_and_loads_nothing(
    sandbox_server, accounts, tmp_path
) -> None:
    result = _run(tmp_path, sandbox_server.url, "check", "--sources", "sp_api,paapi")
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert lines[0].startswith("sp_api accounts: ") and lines[0].count(",") == 2
    for account in accounts["accounts"]:  # a unit per seller: LWA + Sellers, each
        assert f"sp_api [{account['name']}]: marketplace_participations: 2 API calls" in lines
    assert any(re.fullmatch(r"paapi: items: [12] API calls", line) for line in lines)
    assert "  first run from 2024-10-01" in lines
    assert _calls(sandbox_server.url, "sp_api") == 3
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_check_names_each_account_whose_credentials_fail(sandbox_server, accounts, tmp_path):
    secrets = live.credentials(accounts)
    for account in secrets["sp_api"]["accounts"][:2]:
        account["refresh_token"] = "Atzr|revoked-canary-16"  # pragma: allowlist secret
    project = live.project(tmp_path, secrets, live.settings(accounts))
    result = project.run("check", sources=("sp_api",), verbose=False)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 2
    for account, error in zip(accounts["accounts"][:2], sorted(errors), strict=True):
        assert f"sources.sp_api.accounts[{account['name']}].refresh_token" in "".join(errors)
        assert "invalid_grant" in error


def _orders_line(result: subprocess.CompletedProcess[str]) -> tuple[int, int, int]:
    (line,) = [row.split() for row in result.stdout.splitlines() if "sp_api.orders " in row]
    new, updated, rows = (int(n.replace(",", "")) for n in line[1:])
    return new, updated, rows


def test_the_summary_counts_new_and_updated_rows(sandbox_server, tmp_path) -> None:
    command = ("--sources", "sp_api", "--resources", "orders", "--no-dbt")
    first = _run(tmp_path, sandbox_server.url, *command, verbose=True)
    assert first.returncode == 0, first.stderr[-2000:]
    new, updated, rows = _orders_line(first)
    assert (new, updated) == (rows, 0) and rows > 0

    rerun = _run(tmp_path, sandbox_server.url, *command, verbose=True)
    assert _orders_line(rerun)[::2] == (0, rows)  # nothing new in a world standing still

    advance = f"{sandbox_server.url}/_sandbox/clock/advance"
    requests.post(advance, json={"seconds": 2 * 86400}, timeout=30).raise_for_status()
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as connection:
        (last,) = connection.execute("select max(load_id) from sp_api._dlt_loads").fetchone()
    later = _run(tmp_path, sandbox_server.url, *command, verbose=True)
    new, updated, now = _orders_line(later)
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as connection:
        (written,) = connection.execute(  # every seller's load of this run
            "select count(*) from sp_api.orders where _dlt_load_id > ?", [last]
        ).fetchone()
    assert new > 0 and now == rows + new and updated == written - new


def test_dlt_cli_finds_the_run_from_the_project_folder(sandbox_server, accounts, tmp_path) -> None:
    command = run_py_command(tmp_path, "--sandbox-url", sandbox_server.url, *SMALL)
    at = command.index("--pipelines-dir")
    del command[at : at + 2]  # dlt's own folder, as a user's run has it
    env = environment(DLT_DATA_DIR=str(tmp_path / "dlt"))
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    where = str((tmp_path / "warehouse.duckdb").resolve())
    seller = accounts["accounts"][0]["name"]
    name = pipeline_name("sandbox", "sp_api", where, seller)
    assert name.startswith(f"sandbox_sp_api__{slug(seller)}__warehouse_")
    dlt_cli = [str(Path(sys.executable).with_name("dlt")), "pipeline"]
    listed = subprocess.run([*dlt_cli, "--list"], capture_output=True, text=True, env=env, cwd=ROOT)
    assert name in listed.stdout
    for command in ("info", "trace", "load-package"):
        shown = subprocess.run(
            [*dlt_cli, name, command], capture_output=True, text=True, env=env, cwd=ROOT
        )
        assert shown.returncode == 0, shown.stderr[-2000:]
        assert "sp_api" in shown.stdout


def test_a_warehouse_loaded_under_the_old_name_keeps_its_state(accounts, sandbox_server, tmp_path):
    """Before pipeline names told warehouses apart, run.py named them `sandbox_<source>`."""
    old = dlt.pipeline(
        pipeline_name="sandbox_sp_api",
        destination=dlt.destinations.duckdb(str(tmp_path / "warehouse.duckdb")),
        dataset_name="sp_api",
        pipelines_dir=str(tmp_path / "warehouse-pipelines"),
    )
    old.run(sp_api_source(**sp_api_kwargs(accounts, resources=["orders"])))
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as connection:
        (rows,) = connection.execute("select count(*) from sp_api.orders").fetchone()
    result = _run(
        tmp_path,
        sandbox_server.url,
        "--sources",
        "sp_api",
        "--resources",
        "orders",
        "--no-dbt",
        verbose=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    new, updated, now = _orders_line(result)
    assert (new, now) == (0, rows) and updated < rows  # read from its cursor, not from scratch
    where = str((tmp_path / "warehouse.duckdb").resolve())
    units = {pipeline_name("sandbox", "sp_api", where, a["name"]) for a in accounts["accounts"]}
    assert set(os.listdir(tmp_path / "warehouse-pipelines")) == {"sandbox_sp_api", *units}
