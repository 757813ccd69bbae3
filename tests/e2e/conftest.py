"""One plain `python pipelines/run.py` sandbox load per session, in a checkout's layout, for the
tests that check what a user's first run leaves behind (it takes most of a minute)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pendulum
import pytest

from sources.common.clock import SYSTEM_CLOCK
from tests.conftest import ROOT
from tests.e2e.runner import run_py


@dataclass(frozen=True)
class DefaultRun:
    project: Path  # sql/ and notebooks/ beside amazon.duckdb
    result: subprocess.CompletedProcess[str]
    ended: pendulum.DateTime  # when the run had ended: its sandbox world's now was before

    @property
    def warehouse(self) -> Path:
        return self.project / "amazon.duckdb"


@pytest.fixture(scope="session")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> DefaultRun:
    project = tmp_path_factory.mktemp("project")
    shutil.copytree(ROOT / "sql", project / "sql", ignore=shutil.ignore_patterns("target", "logs"))
    (project / "notebooks").mkdir()
    result = run_py(project, "--orders", "3000", name="amazon")
    assert result.returncode == 0, result.stderr[-2000:]
    return DefaultRun(project, result, SYSTEM_CLOCK.now())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests of the default run share one worker under xdist (`--dist loadgroup`), so that the
    run happens once per suite, not once per worker."""
    for item in items:
        if "default_run" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("default_run"))
