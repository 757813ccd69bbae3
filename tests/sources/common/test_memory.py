"""The collector's relaxed settings under overlapping runs (sellers' units in threads)."""

from __future__ import annotations

import gc

from sources.common.arrow import JSON_DATABASE
from sources.common.memory import BULK_THRESHOLDS, relaxed_gc


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
