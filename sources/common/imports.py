"""Imports as though a package were not installed: for libraries that ask once, as they start,
whether an optional package is there, and pay for it when it is."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.abc import MetaPathFinder


class _Unreachable(MetaPathFinder):
    """Imports of one package fail, as though it were not installed."""

    def __init__(self, package: str) -> None:
        self.package = package

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.partition(".")[0] == self.package:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


@contextmanager
def unreachable(package: str) -> Iterator[None]:
    """Inside, importing `package` or its modules fails; what is imported there keeps the answer."""
    finder = _Unreachable(package)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
