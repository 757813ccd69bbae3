"""What a run shows while it works: a line per source and seller (a unit of work) with resources
done, rows and API calls, then dbt's models built of total; live in a terminal (rich), else a
plain line per milestone."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO, TypeVar

from dlt.common.runtime.collector import Collector
from rich.console import Console, Group
from rich.live import Live
from rich.logging import RichHandler
from rich.text import Text

if TYPE_CHECKING:
    from pipelines.transform import Step

STEPS = {"extract": "extracting", "normalize": "normalizing", "load": "loading"}
Line = TypeVar("Line", "SourceLine", "DbtLine")
MODELS = re.compile(r"(\d+) models?\b")  # dbt's "Found 30 models, 120 data tests, ..."


class SourceLine(Collector):
    """dlt's counters for one pipeline (a source, or a source and account): dlt calls
    `update` from its extract, normalize and load steps."""

    def __init__(self, label: str, calls: Callable[[], int], changed: Callable[[], None]):
        self.label = label
        self.calls = calls  # API calls since this line started
        self.changed = changed
        self.state = "waiting"
        self.resources = 0
        self.resources_total = 0
        self.rows = 0

    def update(
        self,
        name: str,
        inc: int = 1,
        total: int | None = None,
        inc_total: int | None = None,
        message: str | None = None,
        label: str | None = None,
    ) -> None:
        if not self.step.startswith("Extract"):
            return
        if name == "Resources":
            self.resources += inc
            self.resources_total += total or 0
        elif not name.startswith("_dlt"):
            self.rows += inc

    def _start(self, step: str) -> None:
        self.state = STEPS.get(step.split()[0].lower(), step)
        self.changed()

    def _stop(self) -> None:
        pass

    def finish(self, failed: bool = False) -> None:
        calls = self.calls()
        self.calls = lambda: calls
        self.state = "failed" if failed else "done"
        self.changed()

    def render(self, width: int = 10) -> str:
        return (
            f"{self.label:<{width}} {self.state:<12} resources {self.resources}/"
            f"{self.resources_total:<4} rows {self.rows:>10,}   API calls {self.calls():>7,}"
        )


class DbtLine:
    """dbt's events (dbtRunner callbacks): models built of the project's total."""

    label = "dbt"

    def __init__(self, changed: Callable[[], None]):
        self.changed = changed
        self.state = "building"
        self.models = 0
        self.models_total = 0
        self.nodes = 0

    def on_event(self, step: Step) -> None:
        if step.name == "FoundStats":
            found = MODELS.search(step.stat_line)
            self.models_total = int(found[1]) if found else 0
        elif step.name == "NodeFinished":
            self.nodes += 1
            if step.resource_type == "model":
                self.models += 1

    def finish(self, success: bool) -> None:
        self.state = "done" if success else "failed"
        self.changed()

    def render(self, width: int = 10) -> str:
        return (
            f"{self.label:<{width}} {self.state:<12} models {self.models}/{self.models_total}"
            f"   nodes {self.nodes:,}"
        )


class Progress:
    """Live lines in a terminal (redrawn by rich, log records printed above them), or a plain
    line to `stream` when a line is done; nothing when quiet."""

    def __init__(self, stream: TextIO, live: bool, quiet: bool = False):
        self.stream = stream
        self.quiet = quiet
        self.lines: list[SourceLine | DbtLine] = []
        self._lock = threading.Lock()
        self._live: Live | None = None
        if live and not quiet:
            self._live = Live(
                console=Console(file=stream),
                get_renderable=self._renderable,
                refresh_per_second=4,
                transient=False,
            )

    def __enter__(self) -> Progress:
        """Live lines start, and log records print above them instead of through them."""
        if self._live is not None:
            root = logging.getLogger()
            self._handlers = root.handlers[:]
            handler = RichHandler(
                console=self._live.console, show_time=False, show_path=False, markup=False
            )
            handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
            root.handlers[:] = [handler]
            self._live.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._live is not None:
            self._live.stop()
            logging.getLogger().handlers[:] = self._handlers

    def source(self, label: str, calls: Callable[[], int]) -> SourceLine:
        line = SourceLine(label, calls, lambda: self._changed(line))
        return self._add(line)

    def dbt(self) -> DbtLine:
        line = DbtLine(lambda: self._changed(line))
        return self._add(line)

    def _add(self, line: Line) -> Line:
        with self._lock:
            self.lines.append(line)
        self._changed(line)
        return line

    def _changed(self, line: SourceLine | DbtLine) -> None:
        if self._live is not None:
            self._live.refresh()
        elif not self.quiet and line.state in ("done", "failed"):
            text = line.render(self._width()) + "\n"
            with self._lock:  # units finishing at once: whole lines, never run into each other
                self.stream.write(text)
                self.stream.flush()

    def _renderable(self) -> Group:
        width = self._width()
        with self._lock:
            return Group(*(Text(line.render(width)) for line in self.lines))

    def _width(self) -> int:
        """The widest label so far: a source's, or a source and its seller's."""
        with self._lock:
            return max([10, *(len(line.label) for line in self.lines)])
