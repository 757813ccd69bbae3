"""Row 9, the operator's recovery path: after a run killed mid-load, `run.py --recover` drops
its package instead of loading it and rewinds the state with it, so the same run reads the
package's range again: nothing lost, nothing doubled. A package that cannot load (a damaged
file) fails a plain run with a hint naming that command; a package with no state to rewind
to (one an older dlt wrote) is not dropped: recovery refuses, and a plain run loads it."""

from __future__ import annotations

import shutil

from pipelines.recovery import PENDING_HINT
from tests.battery import runs
from tests.e2e.runner import run_py


def test_recover_drops_the_package_and_reads_its_range_again(
    sandbox_server, accounts, tmp_path, tmp_path_factory
) -> None:
    load_id = runs.interrupted_month(
        tmp_path, sandbox_server, "load-second-merge", tmp_path_factory
    )
    killed_from = runs.take_searches(sandbox_server)

    recovered = runs.run_ok(tmp_path, sandbox_server, "--recover")

    assert f"dropped load package(s) {load_id} and rewound the state" in recovered.stderr
    assert runs.pending(tmp_path) == runs.NOTHING_PENDING
    warehouse = runs.warehouse(tmp_path)
    assert load_id not in runs.completed_loads(warehouse)
    assert runs.searched_again(runs.take_searches(sandbox_server), killed_from)
    runs.assert_clean(tmp_path, accounts)


def test_a_package_that_cannot_load_names_the_recovery_which_ends_clean(
    sandbox_server, accounts, tmp_path, tmp_path_factory
) -> None:
    load_id = runs.interrupted_month(tmp_path, sandbox_server, "load-first-merge", tmp_path_factory)
    for job in (runs.package_dir(tmp_path, load_id) / "new_jobs").iterdir():
        job.write_bytes(b"damaged")

    failed = run_py(tmp_path, *runs.target(sandbox_server), **runs.ORDERS)

    assert failed.returncode == 1
    assert failed.stderr.strip().splitlines()[-1] == f"hint: {PENDING_HINT}"
    runs.run_ok(tmp_path, sandbox_server, "--recover")
    warehouse = runs.warehouse(tmp_path)
    assert load_id not in runs.completed_loads(warehouse)
    runs.assert_clean(tmp_path, accounts)


def test_recover_refuses_to_drop_a_package_it_cannot_rewind(
    sandbox_server, accounts, tmp_path, tmp_path_factory
) -> None:
    load_id = runs.interrupted_month(tmp_path, sandbox_server, "load-first-merge", tmp_path_factory)
    assert runs.pending(tmp_path)["load/normalized"] == [load_id]
    shutil.rmtree(runs.package_dir(tmp_path, load_id) / ".restore")

    refused = run_py(tmp_path, *runs.target(sandbox_server), "--recover", **runs.ORDERS)

    assert refused.returncode == 1
    assert f"load package {load_id} carries no state to rewind to" in refused.stderr
    assert runs.pending(tmp_path)["load/normalized"] == [load_id]
    runs.run_ok(tmp_path, sandbox_server)
    warehouse = runs.warehouse(tmp_path)
    assert load_id in runs.completed_loads(warehouse)
    runs.assert_clean(tmp_path, accounts)
