"""The processes a run starts for itself stop when their input closes."""

from __future__ import annotations

import subprocess
import sys

from pipelines import children


def test_a_child_stopped_without_waiting_winds_down_and_stopping_again_reaps_it() -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read(); print('wound down')"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    children.stop(process, wait=False)
    assert process.stdin is not None and process.stdin.closed
    assert process.stdout is not None and process.stdout.read() == "wound down\n"
    children.stop(process)
    assert process.returncode == 0
    process.stdout.close()
