"""Processes a run starts for itself (the sandbox, dbt): each stops when its standard input
closes, so a killed run stops them too."""

from __future__ import annotations

import subprocess
from typing import Any

GRACE_SECONDS = 30


def stop(process: subprocess.Popen[Any], wait: bool = True) -> None:
    """Close `process`'s input, which stops it, and wait for it (killing it if it does not
    stop in time); without `wait` it stops meanwhile, and a later call waits."""
    assert process.stdin is not None
    if not process.stdin.closed:
        process.stdin.close()
    if not wait:
        return
    try:
        process.wait(timeout=GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
