"""Which nodes an incremental `dbt build` runs (`transform.build`): most of a build with little
new is dbt's fixed cost per node (~0.1 s however little it does), so a build runs only the
nodes that new loads, changed definitions or the last build's failures can affect.

The selection is the union of
- `source:<source>+` for each source that loads completed since the last passing build put rows
  in (`build_selection` in sql/macros/build_selection.sql asks the warehouse, through dbt),
- `state:modified+` against the manifest of the last passing build,
- `result:error+`, `result:fail+`, `result:skipped+` of the last build's results,
and the build tests through the newest load it found (sql/macros/tested_loads.sql). Every node
is built when there is nothing to compare with: no passing build yet (a first build, a new
warehouse, a deleted state folder), a model or seed without its relation, another dbt version,
or any macro changed (dbt does not see every node that uses one: dispatched versions, hooks,
materializations).

The state lives beside dbt's target (`<warehouse>.dbt/state/`): `manifest.json` of the last
passing build and `run_results.json` of the last build that ran.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STATE = "state"
UNFINISHED = ("error", "fail", "skipped")


@dataclass(frozen=True)
class Selection:
    """A build's `--select` and what it covers."""

    selectors: tuple[str, ...]
    through: str  # the newest completed load it builds and tests through
    tested_through: str  # the last passing build's: its tests check the rows loaded since
    state: Path

    def arguments(self) -> list[str]:
        """`dbt build`'s arguments for this selection."""
        return [
            "--select",
            *self.selectors,
            "--state",
            str(self.state),
            "--vars",
            json.dumps({"selection_through": self.through, "tested_through": self.tested_through}),
        ]


def whole(found: dict[str, Any] | None) -> list[str]:
    """A build of every node's arguments: its tests check the rows loaded since the cursor
    `build_selection` found (none: every row), rather than each asking the warehouse for it
    (measured: 2 s of a 7.5 s build of every node after a passing one). Nothing found: a full
    refresh tests every row without asking; a first build's tests ask, but its cursor is made
    as it starts, after dbt listed the warehouse's relations, so none finds it (every row)."""
    if found is None:
        return []
    return ["--vars", json.dumps({"tested_through": found["tested_through"]})]


def choose(work: Path, manifest: Any, found: dict[str, Any]) -> Selection | None:
    """The selection for what `build_selection` `found` in the warehouse, or None: build every
    node. Only for a `manifest` `comparable` with the state in `work`."""
    state = work / STATE
    if found["tested_through"] is None or found["through"] is None or found["missing"]:
        return None
    loaded = (manifest.sources[unique_id] for unique_id in found["sources"])
    return Selection(
        (
            "state:modified+",
            *(f"source:{source.source_name}.{source.name}+" for source in loaded),
            *(f"result:{status}+" for status in unfinished(state / "run_results.json")),
        ),
        found["through"],
        found["tested_through"],
        state,
    )


def passed_before(work: Path) -> bool:
    """A build passed in `work` before (its manifest is kept): the warehouse may hold a cursor
    of tested loads (`build_selection` finds it), which a first build lacks."""
    return (work / STATE / "manifest.json").exists()


def comparable(work: Path, manifest: Any) -> bool:
    """The last passing build's manifest in `work` is of this dbt, with the same macros as
    `manifest`: else there is nothing to compare with (a first build), and every node builds."""
    if not passed_before(work):
        return False
    saved = work / STATE / "manifest.json"
    previous = json.loads(saved.read_text())
    if previous["metadata"]["dbt_version"] != manifest.metadata.dbt_version:
        return False
    macros = {unique_id: macro["macro_sql"] for unique_id, macro in previous["macros"].items()}
    return macros == {unique_id: macro.macro_sql for unique_id, macro in manifest.macros.items()}


def unfinished(results: Path) -> list[str]:
    """The statuses of nodes the last build left unfinished, of `UNFINISHED`."""
    if not results.exists():
        return []
    statuses = {node["status"] for node in json.loads(results.read_text())["results"]}
    return [status for status in UNFINISHED if status in statuses]


def keep(work: Path, ran: bool, passed: bool) -> None:
    """A build's results (if it `ran`) and, if it `passed`, its manifest become the state the
    next build compares with."""
    state = work / STATE
    state.mkdir(parents=True, exist_ok=True)
    for name, kept in (("run_results.json", ran), ("manifest.json", passed)):
        if kept:
            copy = state / f".{name}.new"
            shutil.copyfile(work / "target" / name, copy)
            os.replace(copy, state / name)
