"""The processes a run starts for itself stop when their input closes."""

from __future__ import annotations

import os
import subprocess
import sys

from pipelines import children

# reads its input to the end, then holds on until the test's own pipe closes
CHILD = (
    "import os, sys; sys.stdin.read(); print('wound down', flush=True); "
    "os.read(int(sys.argv[1]), 1)"
)


def test_a_child_stopped_without_waiting_winds_down_and_stopping_again_reaps_it() -> None:
    hold, release = os.pipe()
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(hold)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        pass_fds=(hold,),
    )
    os.close(hold)
    children.stop(process, wait=False)
    assert process.stdin is not None and process.stdin.closed
    assert process.stdout is not None and process.stdout.readline() == "wound down\n"
    assert process.poll() is None  # not waited for: it still holds on
    os.close(release)
    children.stop(process)
    assert process.returncode == 0
    process.stdout.close()
