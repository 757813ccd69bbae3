"""Benchmark plumbing: a sandbox in its own process, a measured worker process, JSON lines, and
the machine the figures were measured on."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
# the packages whose versions move the figures
WORKING_PACKAGES = ("dlt", "duckdb", "pyarrow", "dbt-core", "sqlglot", "sqlglotc")
LOOP_ITERATIONS = 5_000_000
os.environ.setdefault("DLT_PROJECT_DIR", str(ROOT))
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")


@contextmanager
def sandbox_process(*args: str) -> Iterator[str]:
    """`python -m sandbox ...` in a separate process (no GIL shared with the client)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", *args],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError(f"sandbox did not start: {url!r}")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def control(url: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    response = requests.request(method, f"{url}/_sandbox/{path}", json=body, timeout=600)
    response.raise_for_status()
    return response.json()


def access_headers(accounts: dict[str, Any], index: int = 0) -> dict[str, str]:
    """SP-API headers for the `index`th seller: the refresh_token grant at the sandbox's LWA."""
    lwa, seller = accounts["lwa"], accounts["accounts"][index]
    grant = {"client_id": lwa["client_id"], "client_secret": lwa["client_secret"]}
    grant.update(grant_type="refresh_token", refresh_token=seller["refresh_token"])
    response = requests.post(lwa["token_url"], data=grant, timeout=60)
    response.raise_for_status()
    return {"x-amz-access-token": response.json()["access_token"]}


def duplicate_keys(path: Path, table: str, key: tuple[str, ...]) -> int:
    """Rows of `table` whose `key` another row holds too; counted outside the measured process
    (a distinct count of millions of rows would weigh on its peak memory)."""
    import duckdb

    columns = ", ".join(key)
    with duckdb.connect(str(path), read_only=True) as connection:
        query = f"select count(*) - count(distinct ({columns})) from {table}"
        return connection.execute(query).fetchone()[0]


def peak_rss_mb() -> float:
    """The process's peak RSS since it started or since the last `reset_peak_rss` (Linux's
    VmHWM: getrusage's maxrss also counts the parent's RSS when it forked this worker, which
    made bench/orders.py's v0 run, after the 1M-order run's duplicate count, 456 MB: 329 alone)."""
    return _status_mb("VmHWM")


def rss_mb() -> float:
    """The process's resident memory now (Linux)."""
    return _status_mb("VmRSS")


def files_mb() -> float:
    """The part of the resident memory mapped from files (Linux's RssFile): the interpreter's
    and the libraries' code that has run (Python, pyarrow, DuckDB...), which no data frees."""
    return _status_mb("RssFile")


def _status_mb(field: str) -> float:
    status = Path("/proc/self/status").read_text()
    return int(status.split(f"{field}:")[1].split()[0]) / 1024


def reset_peak_rss() -> None:
    """Start a new peak, so that each phase of a run has its own (Linux: "5" to clear_refs
    resets the high-water mark getrusage reads)."""
    Path("/proc/self/clear_refs").write_text("5")


# a worker's figures that `phases_line` prints, in its order
PHASES_KEYS = ("phases_rss_mb", "phases_start_rss_mb", "phases_start_files_mb")


def run_phases(
    pipeline: Any, source: Any
) -> tuple[Any, dict[str, float], dict[str, float], dict[str, float], dict[str, float]]:
    """dlt's extract, normalize and load of `source`, one after the other: the normalize
    info, and each phase's seconds, peak RSS, RSS at its start and the part of that mapped from
    files (MB): what a phase adds to the process it starts in, and what of its start is code."""
    seconds, peaks, starts, files, infos = {}, {}, {}, {}, {}
    for phase, step in (
        ("extract", lambda: pipeline.extract(source, loader_file_format="parquet")),
        ("normalize", pipeline.normalize),
        ("load", pipeline.load),
    ):
        starts[phase], files[phase] = rss_mb(), files_mb()
        reset_peak_rss()
        started = time.perf_counter()
        infos[phase] = step()
        seconds[phase] = time.perf_counter() - started
        peaks[phase] = peak_rss_mb()
    return infos["normalize"], seconds, peaks, starts, files


def phases_line(peaks: dict[str, float], starts: dict[str, float], files: dict[str, float]) -> str:
    """Each dlt step's peak RSS, the RSS it started from and how much of that was code mapped
    from files, as the benchmarks print them."""
    steps = (
        f"{k} {v:.0f} MB (from {starts[k]:.0f}, {files[k]:.0f} of it code)"
        for k, v in peaks.items()
    )
    return "peak RSS per dlt step: " + ", ".join(steps)


def run_worker(script: Path, *args: str) -> dict[str, Any]:
    """Run `script --worker ...` and return the JSON object on its last line."""
    result = subprocess.run(
        [sys.executable, str(script), "--worker", *args], capture_output=True, text=True, cwd=ROOT
    )
    if result.returncode != 0:
        raise RuntimeError(f"worker failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def emit(figures: dict[str, Any]) -> None:
    """One JSON line of figures: a worker's to its parent, and a benchmark's last line."""
    print(json.dumps(figures, sort_keys=True), flush=True)


def finish(figures: dict[str, Any]) -> None:
    """A benchmark's end: a line naming the machine, then its figures and the machine's."""
    host = machine()
    versions = ", ".join(f"{name} {version}" for name, version in host["packages"].items())
    print(
        f"machine: {host['cpu']}, {host['cores']} cores; a {LOOP_ITERATIONS:,}-iteration "
        f"Python loop {host['python_loop_s']:.2f} s; Python {host['python']}; {versions}"
    )
    emit(figures | {"machine": host})


def machine() -> dict[str, Any]:
    """What figures were measured on, so that runs on other machines or versions compare: the
    CPU, its cores, a fixed pure-Python loop's seconds (best of three) and package versions."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [line for line in cpuinfo.read_text().splitlines() if line.startswith("model name")]
        cpu = names[0].split(":", 1)[1].strip() if names else cpu
    packages = {}
    for name in WORKING_PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "python_loop_s": round(min(_loop_seconds() for _ in range(3)), 3),
        "packages": packages,
    }


def _loop_seconds() -> float:
    started = time.perf_counter()
    total = 0
    for number in range(LOOP_ITERATIONS):
        total += number
    return time.perf_counter() - started
