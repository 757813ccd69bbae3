"""Pipeline names: one per (source, account, warehouse), readable, and safe as a folder name."""

from __future__ import annotations

import hashlib
import re
from pathlib import PurePath

# sandbox and live data never share a pipeline (nor, `run.py` checks, a warehouse)
PREFIX = {"sandbox": "sandbox_", "live": "amazon_"}


def slug(text: str) -> str:
    """`text` in lowercase letters, digits and single underscores."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "_"


def warehouse_tag(location: str) -> str:
    """A warehouse as a short tag that tells it apart from any other: its name and a hash of
    where it is (a resolved file path, or a server's URL without credentials)."""
    digest = hashlib.blake2s(location.encode(), digest_size=3).hexdigest()
    return f"{slug(PurePath(location).stem)}_{digest}"


def pipeline_name(mode: str, source: str, warehouse: str, account: str | None = None) -> str:
    """The pipeline (its state and load packages) of `source` for one account (None: the
    whole source) loading the warehouse at `warehouse`."""
    parts = [PREFIX[mode] + source, *([slug(account)] if account else []), warehouse_tag(warehouse)]
    return "__".join(parts)


def legacy_name(mode: str, source: str) -> str:
    """The one pipeline per source that runs before agencies' units kept every account's state
    (`sandbox_sp_api`); its state is where a unit's first run starts."""
    return PREFIX[mode] + source


def belongs(name: str, mode: str, source: str) -> bool:
    """Whether the pipeline `name` is one of `mode`'s for `source`, in either layout."""
    legacy = legacy_name(mode, source)
    return name == legacy or name.startswith(legacy + "__")
