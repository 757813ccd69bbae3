"""`pipelines/run.py` that stops at a named step of dlt's normalize or load, for the battery's
kill tests: it prints `KILLPOINT <point>` on stderr and waits there, and the test SIGKILLs it,
so a kill lands at the same step on every machine (no polling, no timing), or lets it go on
with a line on its stdin.

    python tests/battery/killpoint.py <point> <run.py arguments...>

Nothing is replaced: every step runs as in `run.py` until the point, where the process waits.
Run with `LOAD__WORKERS=1` so that load jobs run one at a time, in file order.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
MARKER = "KILLPOINT"


_LET_GO: list[bool] = []  # once the test lets the run go on, it runs to its end


def _stop(point: str) -> None:
    """Tell the test where we are and wait for its SIGKILL, or a line to go on (for good: the
    point comes again in the next seller's pipeline)."""
    if _LET_GO:
        return
    sys.stderr.write(f"{MARKER} {point}\n")
    sys.stderr.flush()
    sys.stdin.readline()
    _LET_GO.append(True)


def _before(owner: Any, name: str, point: str, when: Callable[..., bool]) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
        if when(self, *args):
            _stop(point)
        return original(self, *args, **kwargs)

    setattr(owner, name, wrapped)


def _after(owner: Any, name: str, point: str) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        _stop(point)
        return result

    setattr(owner, name, wrapped)


def _nth(n: int, test: Callable[..., bool]) -> Callable[..., bool]:
    """True on the n-th call for which `test` holds."""
    seen = [0]

    def check(*args: Any) -> bool:
        if test(*args):
            seen[0] += 1
            return seen[0] == n
        return False

    return check


def _merge_job(job: Any, *args: Any) -> bool:
    return job.file_name().endswith(".sql")


def _state_job(job: Any, *args: Any) -> bool:
    return job.file_name().startswith("_dlt_pipeline_state.")


def _data_job(job: Any, *args: Any) -> bool:
    name = job.file_name()
    return not name.startswith("_dlt") and not name.endswith(".sql")


def _append_job(job: Any, *args: Any) -> bool:
    return _data_job(job) and job._load_table["write_disposition"] == "append"


def _committed(kind: Callable[..., bool]) -> Callable[..., bool]:
    """The first job of `kind` whose rows DuckDB committed, before the loader records it."""
    return _nth(1, lambda job, state: kind(job) and state == "completed")


def install(point: str) -> None:
    """Patch the one dlt step that `point` names: stop before it (or, with no test, after)."""
    from dlt.common.destination.client import RunnableLoadJob
    from dlt.common.storages.load_storage import LoadStorage

    points: dict[str, tuple[type, str, Callable[..., bool] | None]] = {
        # every normalized file is in load/new/<id>/new_jobs; the package is not committed
        "normalize-written": (LoadStorage, "commit_new_load_package", lambda *a: True),
        # the normalized package is committed; its extracted twin is not deleted yet
        "normalize-committed": (LoadStorage, "commit_new_load_package", None),
        # a table's staging copy is loaded; no table is merged yet
        "load-first-merge": (RunnableLoadJob, "run_managed", _nth(1, _merge_job)),
        # one table is merged into the dataset, the next is not
        "load-second-merge": (RunnableLoadJob, "run_managed", _nth(2, _merge_job)),
        # a job's rows are committed in DuckDB; the loader has not recorded it as done
        "load-committed-unrecorded": (RunnableLoadJob, "_release", _committed(_data_job)),
        # the same for a job appending to its table (rerun, it would append twice)
        "load-append-committed-unrecorded": (
            RunnableLoadJob,
            "_release",
            _committed(_append_job),
        ),
        # the package's state row is committed (whatever the tables' order) and the package
        # is not complete: a restore must not take that state (dlt#4052)
        "load-state-committed": (RunnableLoadJob, "_release", _committed(_state_job)),
    }
    if point not in points:
        raise SystemExit(f"unknown kill point {point!r}; choose from {sorted(points)}")
    owner, name, when = points[point]
    if when is None:
        _after(owner, name, point)
    else:
        _before(owner, name, point, when)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    from pipelines import run  # first: it sets dlt's environment before dlt is imported

    install(sys.argv[1])
    sys.exit(run.main(sys.argv[2:]))
