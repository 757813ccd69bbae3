"""`python pipelines/run.py` as a real subprocess, the way a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, START_DATE


def run_py_command(
    workdir: Path, *extra: str, name: str = "warehouse", verbose: bool = True
) -> list[str]:
    """run.py into `workdir`: `<name>.duckdb` there, unless `extra` names a --destination;
    `verbose` (-v) prints a line per table, API operation and report, as most tests read them."""
    warehouse = [] if "--destination" in extra else ["--duckdb", str(workdir / f"{name}.duckdb")]
    return [
        sys.executable,
        str(ROOT / "pipelines" / "run.py"),
        *warehouse,
        "--pipelines-dir",
        str(workdir / f"{name}-pipelines"),
        "--start-date",
        START_DATE,
        *(["-v"] if verbose else []),
        *extra,
    ]


def environment(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    return env


def run_py(
    workdir: Path,
    *extra: str,
    name: str = "warehouse",
    timeout: float = 600,
    verbose: bool = True,
    **env: str,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        run_py_command(workdir, *extra, name=name, verbose=verbose),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment(**env),
        cwd=ROOT,
    )
