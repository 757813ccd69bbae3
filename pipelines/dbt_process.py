"""The dbt build a run starts for itself, in its own process, before its loads: importing dbt
and parsing sql/ (seconds) then run on the other core while the sources load, instead of
after them and under the run's GIL. It builds when the run asks, and stops with the run, even
a killed one (it stops when its standard input closes).

    python -m pipelines.dbt_process PROFILE WORK_FOLDER   (the profile's variables in its
                                                           environment)

Its standard input takes one line, the build's options as JSON; it answers on its standard
output with a JSON line per event the run's progress shows ({"step": ...}: the nodes found,
then each node finished) and ends with {"summary": ..., "phases": ...}. dbt's own messages go
to standard error.
"""

from __future__ import annotations

import dataclasses
import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":
    sys.path[0] = str(ROOT)  # this checkout's packages, never pipelines/ shadowing them

from pipelines import children, transform  # noqa: E402
from pipelines.timing import Timings  # noqa: E402
from pipelines.transform import DbtSummary, Step, Target  # noqa: E402

PARSING = "dbt import and parse (beside the loads)"


class DbtProcess:
    """A run's dbt process: started with the run, asked to build once the loads are done."""

    def __init__(self, target: Target) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pipelines.dbt_process", target.profile, str(target.work)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={
                **os.environ,
                "DO_NOT_TRACK": "1",
                "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
                **target.environment,
            },
            start_new_session=True,  # a Ctrl-C reaches the run, which then stops it
        )

    def build(
        self,
        full_refresh: bool,
        on_event: Callable[[Step], None],
        timings: Timings | None = None,
    ) -> DbtSummary:
        """`transform.build` in the process; its steps reach `on_event` as they come."""
        assert self.process.stdin is not None and self.process.stdout is not None
        summary = None
        try:
            self.process.stdin.write(json.dumps({"full_refresh": full_refresh}) + "\n")
            self.process.stdin.flush()
            for line in self.process.stdout:
                message = json.loads(line)
                if "step" in message:
                    on_event(Step(**message["step"]))
                else:
                    summary = DbtSummary(**message["summary"])
                    for name, seconds in message["phases"].items():
                        if timings is not None:
                            timings.add(name, seconds)
        except BrokenPipeError:  # it ended before it was asked; its error is on stderr
            pass
        finally:
            self.stop()
        if summary is None:
            return DbtSummary(
                False,
                {},
                [f"dbt: its process ended (exit {self.process.returncode}) before building"],
            )
        return summary

    def stop(self) -> None:
        children.stop(self.process)


def listen(stdin: TextIO) -> queue.Queue[dict[str, Any]]:
    """The run's one request, when it comes; the process ends at once when its input closes
    (a run that ended without building, or was stopped while it built)."""
    arrived: queue.Queue[dict[str, Any]] = queue.Queue()

    def read() -> None:
        if line := stdin.readline():
            arrived.put(json.loads(line))
            stdin.readline()  # returns at the end of input: nothing more is sent
        os._exit(130 if line else 0)

    threading.Thread(target=read, name="dbt-requests", daemon=True).start()
    return arrived


def main(argv: list[str]) -> None:
    """Parse, wait for the run's request, build, answer."""
    profile, work = argv
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # dbt prints its errors to stdout

    def send(message: dict[str, Any]) -> None:
        answers.write(json.dumps(message) + "\n")
        answers.flush()

    request = listen(sys.stdin)
    target = Target(profile, {}, Path(work))
    timings = Timings()
    with timings.phase(PARSING):
        manifest = transform.parse(target)
    options = request.get()
    summary = transform.build(
        target,
        full_refresh=bool(options["full_refresh"]),
        on_event=lambda step: send({"step": dataclasses.asdict(step)}),
        manifest=manifest,
    )
    send({"summary": dataclasses.asdict(summary), "phases": timings.phases})


if __name__ == "__main__":
    main(sys.argv[1:])
