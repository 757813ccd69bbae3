"""Process memory settings for bulk extraction: the garbage collector, Arrow's allocator and
pyarrow's use of pandas.

Parsed JSON pages are millions of short-lived, acyclic dicts; reference counting frees them,
yet each allocation burst triggers cyclic collections that scan every live object. Measured
here: parsing a page took 4.8 ms with default thresholds and 1.1 ms with collection relaxed.
Relaxed, not off: the few reference cycles a page leaves hold memory until they are
collected: at 50,000 allocations between collections a 100k-order extract peaked 12-27 MB higher.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa

from sources.common.arrow import JSON_DATABASE
from sources.common.imports import unreachable

BULK_THRESHOLDS = (10_000, 10, 10)
M_ARENA_MAX = -8  # glibc mallopt parameter
MALLOC_ARENAS = 2
_LIBC_NAME = ctypes.util.find_library("c")
_LIBC = ctypes.CDLL(_LIBC_NAME) if _LIBC_NAME else None  # glibc's malloc, for its settings


class _Relaxed:
    """The collector's settings are the process's: runs in threads (sellers' units) relax them
    while the first is in, and the last one out restores them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.runs = 0
        self.previous = gc.get_threshold()


_RELAXED = _Relaxed()


@contextmanager
def relaxed_gc() -> Iterator[None]:
    """Collect cycles rarely while bulk extractions run; the last one out restores the settings
    and hands their memory back."""
    with _RELAXED.lock:
        _RELAXED.runs += 1
        if _RELAXED.runs == 1:
            _RELAXED.previous = gc.get_threshold()
            gc.freeze()  # objects alive now (modules, config) are never scanned again
            gc.set_threshold(*BULK_THRESHOLDS)
    try:
        yield
    finally:
        with _RELAXED.lock:
            _RELAXED.runs -= 1
            last = not _RELAXED.runs
            if last:
                gc.set_threshold(*_RELAXED.previous)
                gc.unfreeze()
                JSON_DATABASE.close()  # the last bulk extraction out lets its memory go
        if last:  # while others extract, they reuse what it frees; a first run collected 15 times
            release_memory()


def release_memory() -> None:
    """Hand the memory a bulk extraction freed back to the system, so that dlt's normalize and
    load, which run next in the same process, start from the baseline (measured: a 100k-order
    extract left 17 MB of free heap resident)."""
    gc.collect()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def lean_process_memory() -> None:
    """Process-wide settings that keep a run's memory down, called once by the process's
    entry point (pipelines/run.py, benchmarks), never by a source:

    - Arrow buffers from malloc rather than mimalloc, which keeps freed pages: measured here,
      a 100k-order load peaked at 390 MB instead of 540 MB;
    - malloc's arenas capped: each of the many threads that fetch reports would otherwise keep
      an arena of freed memory (measured: a 1M-row report peaked 40 MB lower);
    - pyarrow's question whether pandas is installed, settled without importing it."""
    pa.set_memory_pool(pa.system_memory_pool())
    if _LIBC is not None:
        _LIBC.mallopt(M_ARENA_MAX, MALLOC_ARENAS)
    _arrow_without_pandas()


def _arrow_without_pandas() -> None:
    """pyarrow imports pandas, when installed (the notebook extra), on its first conversion of
    Python objects, to ask whether they are pandas objects; a run converts lists and dicts only,
    and pandas cost it ~35 MB resident (bench/orders.py: a 100k-order load started at 262 MB
    with it, 227 MB without). Asked once with pandas out of reach, pyarrow keeps the answer;
    what needs pandas (`Table.to_pandas`) imports it still, when it runs."""
    if "pandas" in sys.modules:
        return
    with unreachable("pandas"):
        pa.array([])
