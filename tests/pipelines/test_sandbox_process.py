"""The sandbox a run starts in its own process: it serves, and it never outlives the run."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys

import requests

from pipelines.sandbox_process import SandboxProcess
from tests.conftest import ROOT, WORLD_ORIGIN

STARTER = """
import sys
from pipelines.sandbox_process import SandboxProcess
import pendulum
origin = pendulum.parse(sys.argv[1])
running = SandboxProcess(seed=1, orders=300, time_scale=3600, start=origin, origin=origin)
print(running.process.pid, flush=True)
sys.stdin.read()
"""


def test_serves_the_accounts_it_printed_and_stops() -> None:
    running = SandboxProcess(
        seed=1, orders=300, time_scale=1800, start=WORLD_ORIGIN, origin=WORLD_ORIGIN
    )
    try:
        served = requests.get(f"{running.url}/_sandbox/accounts", timeout=30).json()
        assert served == running.accounts()
        assert running.time_scale == 1800
    finally:
        running.stop()
    assert running.process.returncode == 0


def test_stops_when_the_run_that_started_it_is_killed() -> None:
    run = subprocess.Popen(
        [sys.executable, "-c", STARTER, WORLD_ORIGIN.isoformat()],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert run.stdout is not None
    child = int(run.stdout.readline())
    watch = os.pidfd_open(child)
    try:
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=30)
        exits = select.poll()  # a pidfd reads as ready once its process has exited
        exits.register(watch, select.POLLIN)
        assert exits.poll(30_000), "the sandbox outlived the run that started it"
    finally:
        os.close(watch)
