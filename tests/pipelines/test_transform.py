"""dbt's start-up in a process of its own (run.py's dbt process, each benchmark's build)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# in a process of its own: jsonschema settles at its import whether rfc3987-syntax is there
IMPORT_DBT = """
import sys
from pipelines import transform

transform.dbt_runner()
assert "jsonschema" in sys.modules, "dbt no longer imports jsonschema"
assert "rfc3987_syntax" not in sys.modules, "importing dbt compiled rfc3987-syntax's grammar"
assert not any(type(finder).__name__ == "_Unreachable" for finder in sys.meta_path)
"""


def test_dbt_is_imported_without_compiling_an_iri_grammar_it_never_uses() -> None:
    if importlib.util.find_spec("rfc3987_syntax") is None:  # README's install line brings it
        pytest.skip("rfc3987-syntax is not installed: nothing to keep out")
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_DBT], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-2000:]
