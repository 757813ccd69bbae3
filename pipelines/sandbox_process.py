"""The sandbox a run starts for itself, in its own process: its work (rendering answers,
seeding, pacing) then runs on the other core instead of taking turns with the run's under one
GIL. It stops with the run, even a killed one (it stops when its standard input closes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pendulum

from pipelines import children

ROOT = Path(__file__).resolve().parent.parent


class SandboxProcess:
    """`python -m sandbox` for one run: its URL, its accounts document, and how to stop it."""

    def __init__(
        self,
        seed: int,
        orders: int | None,
        time_scale: float | None,
        start: pendulum.DateTime,
        origin: pendulum.DateTime,
    ) -> None:
        arguments = {"--seed": seed, "--orders": orders, "--time-scale": time_scale}
        arguments.update({"--start": start.isoformat(), "--origin": origin.isoformat()})
        command = [sys.executable, "-m", "sandbox", "--stop-on-eof"]
        for key, value in arguments.items():
            if value is not None:
                command += [key, str(value)]
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            start_new_session=True,  # a Ctrl-C reaches the run, which then stops it
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        lines = []  # then its accounts document, which ends with a line "}"
        while self.url.startswith("http") and (line := self.process.stdout.readline()):
            lines.append(line)
            if line.rstrip("\n") == "}":
                break
        if not lines or lines[-1].rstrip("\n") != "}":
            self.stop()
            raise RuntimeError(f"the sandbox did not start (exit {self.process.returncode})")
        self._accounts: dict[str, Any] = json.loads("".join(lines))
        self.time_scale = float(self._accounts["sp_api"]["time_scale"])

    def accounts(self) -> dict[str, Any]:
        return self._accounts

    def stop(self, wait: bool = True) -> None:
        children.stop(self.process, wait)
