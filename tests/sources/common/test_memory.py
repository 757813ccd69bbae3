"""The collector's relaxed settings under overlapping runs (sellers' units in threads), and the
process settings of an entry point."""

from __future__ import annotations

import gc
import subprocess
import sys

from sources.common.arrow import JSON_DATABASE
from sources.common.memory import BULK_THRESHOLDS, relaxed_gc
from tests.conftest import ROOT


def test_overlapping_runs_keep_collection_relaxed_until_the_last_one_leaves() -> None:
    before = gc.get_threshold()
    first, second = relaxed_gc(), relaxed_gc()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the first out, the second still extracting
    assert gc.get_threshold() == BULK_THRESHOLDS
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_the_json_database_closes_when_the_last_bulk_extraction_leaves() -> None:
    first, second = relaxed_gc(), relaxed_gc()
    first.__enter__()
    second.__enter__()
    with JSON_DATABASE.cursor():
        pass
    first.__exit__(None, None, None)  # the second still extracting, its flattening to come
    assert JSON_DATABASE.connection is not None
    second.__exit__(None, None, None)
    assert JSON_DATABASE.connection is None


# in a process of its own: pyarrow keeps its answer about pandas for the process's life
WITHOUT_PANDAS = """
import sys
import pyarrow as pa
from sources.common.memory import lean_process_memory

lean_process_memory()
table = pa.table({"orders": pa.array([{"orderId": "111-1", "items": [1, 2]}])})
assert "pandas" not in sys.modules, "converting lists and dicts imported pandas"
frame = table.to_pandas()  # what needs pandas imports it still
assert "pandas" in sys.modules and len(frame) == 1
"""


def test_a_lean_process_converts_python_objects_without_importing_pandas() -> None:
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_PANDAS], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_only_the_last_bulk_extraction_out_collects_and_trims(monkeypatch) -> None:
    released = []
    monkeypatch.setattr("sources.common.memory.release_memory", lambda: released.append(1))
    first, second = relaxed_gc(), relaxed_gc()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert released == []  # a full collection while the second extracts would only cost it time
    second.__exit__(None, None, None)
    assert released == [1]
