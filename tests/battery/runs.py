"""`pipelines/run.py` as the battery's kill and recovery rows use it: a subprocess loading the
session's sandbox (orders and their items), killed at a named step of its run, re-run, and
compared with a clean load of the same frozen world (in-process: the same source and data)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs

import duckdb
import pytest
import requests

from tests.battery.fingerprint import TablePrint, fingerprint, unfinished_loads
from tests.battery.killpoint import MARKER
from tests.conftest import ROOT
from tests.e2e.runner import environment, run_py, run_py_command
from tests.loading import load_sp_api

DATASET = "sp_api"
SEARCH = "orders_2026-01-01.searchOrders"
# orders and order items (merge), the Orders API reading the whole history
ORDERS = {
    "SOURCES__SP_API__REPORT_TYPES": "[]",
    "SOURCES__SP_API__FINANCES": "false",
    "SOURCES__SP_API__RESOURCES": '["orders", "order_items"]',
}
A_MONTH = 30 * 86400.0
NOTHING_PENDING = {"normalize/extracted": [], "load/normalized": []}


def target(server) -> list[str]:  # type: ignore[no-untyped-def]
    """run.py's arguments for loading `server` (a running sandbox), without dbt."""
    return ["--sandbox-url", server.url, "--sources", "sp_api", "--no-dbt"]


def run_ok(
    workdir: Path, server, *extra: str, name: str = "warehouse", **env: str
) -> subprocess.CompletedProcess[str]:
    """One run.py of orders that must succeed."""
    result = run_py(workdir, *target(server), *extra, name=name, **{**ORDERS, **env})
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def start(
    workdir: Path,
    server,  # type: ignore[no-untyped-def]
    *extra: str,
    point: str | None = None,
    name: str = "warehouse",
    **env: str,
) -> subprocess.Popen[str]:
    """run.py of orders in the background; with `point`, it stops dead there (killpoint.py,
    sellers and load jobs one at a time so that the point is the same step on every machine)."""
    serial = ("--workers", "1") if point is not None else ()
    command = run_py_command(workdir, *target(server), *serial, *extra, name=name)
    variables = environment(**{**ORDERS, **env})
    if point is not None:
        command = [sys.executable, str(ROOT / "tests/battery/killpoint.py"), point, *command[2:]]
        variables["LOAD__WORKERS"] = "1"
    return subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=variables,
        cwd=ROOT,
    )


def kill_at(workdir: Path, server, point: str, name: str = "warehouse", **env: str) -> str:  # type: ignore[no-untyped-def]
    """Run run.py until `point`, SIGKILL it there; what it wrote on stderr."""
    process = start(workdir, server, point=point, name=name, **env)
    written = read_until(process, MARKER)
    kill(process)
    return written


def read_until(process: subprocess.Popen[str], text: str) -> str:
    """The process's stderr up to the first line with `text`, which must come."""
    assert process.stderr is not None
    lines = []
    for line in process.stderr:
        lines.append(line)
        if text in line:
            return "".join(lines)
    process.wait(timeout=60)
    raise AssertionError(f"run.py ended ({process.returncode}) before {text!r}:\n{''.join(lines)}")


def kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=60) == -signal.SIGKILL
    _close(process)


def resume(process: subprocess.Popen[str]) -> str:
    """Let a process stopped at its kill point go on; the rest of its stderr, once it ends."""
    assert process.stdin is not None
    process.stdin.write("\n")
    process.stdin.flush()
    return finish(process)


def finish(process: subprocess.Popen[str]) -> str:
    """The rest of a process's stderr, once it ends."""
    assert process.stderr is not None
    rest = process.stderr.read()
    process.wait(timeout=600)
    _close(process)
    return rest


def _close(process: subprocess.Popen[str]) -> None:
    for stream in (process.stdin, process.stderr):
        if stream is not None:
            stream.close()


def advance(server, seconds: float) -> None:  # type: ignore[no-untyped-def]
    """Move the sandbox's (frozen) world on: orders are placed and change status."""
    requests.post(
        f"{server.url}/_sandbox/clock/advance", json={"seconds": seconds}, timeout=30
    ).raise_for_status()


_FIRST_LOADS: dict[str, Path] = {}  # sandbox URL -> its first load, made once a session


def first_load(server, factory: pytest.TempPathFactory) -> Path:  # type: ignore[no-untyped-def]
    """A completed first load of the world at its origin, to copy from; the sandbox is left
    as a reset leaves it."""
    if server.url not in _FIRST_LOADS:
        folder = factory.mktemp("first-load")
        run_ok(folder, server)
        _FIRST_LOADS[server.url] = folder
        requests.post(f"{server.url}/_sandbox/reset", timeout=30).raise_for_status()
    return _FIRST_LOADS[server.url]


def interrupted_month(
    workdir: Path,
    server,  # type: ignore[no-untyped-def]
    point: str,
    factory: pytest.TempPathFactory,
) -> str:
    """A copy of the first load; a month on, the next run is killed at `point`: the load id
    of the package it leaves."""
    shutil.copytree(first_load(server, factory), workdir, dirs_exist_ok=True)
    advance(server, A_MONTH)
    kill_at(workdir, server, point)
    (load_id,) = {load_id for stage in pending(workdir).values() for load_id in stage}
    return load_id


def clean_print(workdir: Path, accounts: dict, **overrides: object) -> dict[str, TablePrint]:
    """The fingerprint of one uninterrupted load of the world as it is now (orders and their
    items unless `overrides` say otherwise), into a new file."""
    arguments = {"resources": ("orders", "order_items"), **overrides}
    load = load_sp_api(accounts, workdir / "clean", **arguments)
    assert not list(load.failures)
    assert not unfinished_loads(load.duckdb_path, DATASET)
    return fingerprint(load.duckdb_path, DATASET)


def assert_clean(workdir: Path, accounts: dict, **overrides: object) -> dict[str, TablePrint]:
    """The warehouse holds what a clean load of the world as it is now holds, every row from
    a completed load; its fingerprint."""
    found = fingerprint(warehouse(workdir), DATASET)
    assert found == clean_print(workdir, accounts, **overrides)
    assert not unfinished_loads(warehouse(workdir), DATASET)
    return found


def package_dir(workdir: Path, load_id: str) -> Path:
    """A normalized load package in the pipelines folder (in its seller's pipeline)."""
    (found,) = [
        folder
        for folder in (d / "load" / "normalized" / load_id for d in pipeline_dirs(workdir))
        if folder.exists()
    ]
    return found


def take_searches(server) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    """Per seller, the `lastUpdatedAfter` of every order search in the sandbox's call log,
    which starts afresh."""
    asked: dict[str, set[str]] = {}
    for call in server.app.calls.calls():
        if call.operation == SEARCH:
            asked.setdefault(call.seller_id, set()).update(parse_qs(call.query)["lastUpdatedAfter"])
    server.app.calls.clear()
    return asked


def searched_again(searches: dict[str, set[str]], killed: dict[str, set[str]]) -> bool:
    """Whether every seller the killed run searched for was searched for from the same
    positions (the sellers it never reached run from their own)."""
    return {seller: searches.get(seller) for seller in killed} == killed


def warehouse(workdir: Path, name: str = "warehouse") -> Path:
    return workdir / f"{name}.duckdb"


def pipelines_folder(workdir: Path, name: str = "warehouse") -> Path:
    return workdir / f"{name}-pipelines"


def pipeline_dirs(workdir: Path, name: str = "warehouse") -> list[Path]:
    """The sellers' `sp_api` pipelines (one per seller)."""
    return sorted(pipelines_folder(workdir, name).glob("sandbox_sp_api__*"))


def pending(workdir: Path) -> dict[str, list[str]]:
    """The load packages in the pipelines folder, every seller's: extracted and normalized,
    by load id."""
    found: dict[str, list[str]] = {}
    for stage in ("normalize/extracted", "load/normalized"):
        folders = [root / stage for root in pipeline_dirs(workdir)]
        found[stage] = sorted(p.name for f in folders if f.exists() for p in f.iterdir())
    return found


def state_rows(path: Path) -> list[tuple]:
    """The pipeline states the warehouse holds, with the loads that wrote them."""
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(
            f"select version, version_hash, _dlt_load_id from {DATASET}._dlt_pipeline_state "
            "order by version"
        ).fetchall()


def completed_loads(path: Path) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return [
            load_id
            for (load_id,) in connection.execute(
                f"select load_id from {DATASET}._dlt_loads where status = 0 order by 1"
            ).fetchall()
        ]
