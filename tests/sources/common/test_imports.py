"""A package made unreachable for one import, and reachable again after."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

UNREACHABLE = """
from sources.common.imports import unreachable

with unreachable("duckdb"):
    try:
        import duckdb
    except ModuleNotFoundError as error:
        assert error.name == "duckdb", error.name
    else:
        raise AssertionError("duckdb was imported")
import duckdb
"""


def test_a_package_is_unreachable_inside_and_imports_after() -> None:
    done = subprocess.run(
        [sys.executable, "-c", UNREACHABLE], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-2000:]
