"""A newcomer's first run: `python pipelines/run.py` as README says, timed from outside.

    python bench/first_run.py [--runs 1]

Runs the default command (embedded sandbox, every source, every report type, dbt) as a
subprocess into a fresh temporary warehouse and pipelines folder, `-v` so that it prints where
its time went. Prints the wall time (process start to exit), that breakdown (the process's
start-up before run.py's first line is the wall time less run.py's own total), the CPU seconds
of run.py, its sandbox and dbt (what a busy machine's wall time hides) and the API calls made;
target: wall <= 30 s. The last line printed is one JSON object of every figure.
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import finish

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 30.0
ROW = re.compile(r"^  (\S.*?)\s+(\d+\.\d\d)\s+\d+%$")
TOTAL = re.compile(r"^  total\s+(\d+\.\d\d)$")
CALLS = re.compile(r"^  total\s+([\d,]+)\s+\d+")


def first_run() -> dict[str, Any]:
    """One default run in a fresh folder: its wall time, breakdown and API calls."""
    with tempfile.TemporaryDirectory(prefix="first-run-") as folder:
        command = [
            sys.executable,
            str(ROOT / "pipelines" / "run.py"),
            "-v",
            "--duckdb",
            str(Path(folder) / "amazon.duckdb"),
            "--pipelines-dir",
            str(Path(folder) / "pipelines"),
        ]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
        wall = time.perf_counter() - began
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"run.py failed ({result.returncode}):\n{result.stderr[-3000:]}")
    phases, run_total, calls = {}, None, None
    for line in result.stdout.splitlines():
        if (row := ROW.match(line)) is not None:
            phases[row.group(1)] = float(row.group(2))
        elif (total := TOTAL.match(line)) is not None:
            run_total = float(total.group(1))
        elif (count := CALLS.match(line)) is not None:
            calls = int(count.group(1).replace(",", ""))
    if run_total is None:
        sys.exit("run.py -v printed no time breakdown")
    return {
        "wall_seconds": round(wall, 2),
        # run.py, its sandbox and dbt on the CPU: on a busy machine, what an idle one would wait
        "cpu_seconds": round(
            after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, 2
        ),
        "process_start_seconds": round(wall - run_total, 2),
        "phases": phases,
        "api_calls": calls,
        "dbt_ok": "dbt build: ok" in result.stdout,
        "stdout": result.stdout,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="runs; the fastest counts")
    args = parser.parse_args()
    runs = [first_run() for _ in range(args.runs)]
    best = min(runs, key=lambda run: run["wall_seconds"])
    print(best.pop("stdout"))
    for run in runs:
        run.pop("stdout", None)
    print(
        f"wall: {best['wall_seconds']:.2f} s (target <= {TARGET_SECONDS:.0f} s), CPU (run.py, its"
    )
    print(f"sandbox and dbt, user + system): {best['cpu_seconds']:.2f} s; the wall time went to")
    print(f"  interpreter start-up before run.py's clock: {best['process_start_seconds']:.2f} s")
    for name, seconds in best["phases"].items():
        print(f"  {name}: {seconds:.2f} s")
    print(f"API calls: {best['api_calls']:,}")
    finish(
        {
            "wall_seconds": best["wall_seconds"],
            "walls": [run["wall_seconds"] for run in runs],
            "cpu_seconds": best["cpu_seconds"],
            "process_start_seconds": best["process_start_seconds"],
            "phases": best["phases"],
            "api_calls": best["api_calls"],
            "dbt_ok": best["dbt_ok"],
            "targets_met": best["dbt_ok"] and best["wall_seconds"] <= TARGET_SECONDS,
        }
    )


if __name__ == "__main__":
    main()
