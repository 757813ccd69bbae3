"""Pipeline names: one per (source, account, warehouse), readable and safe as a folder name."""

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
    """A warehouse by its name (a file's stem, a server database's name): pipelines of two
    warehouses in one folder keep apart, and a warehouse file moved or copied with its
    folder keeps its pipelines (a hash of the path would start them over, reading all history
    again)."""
    return slug(PurePath(location).stem)


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


def staging_layout(account: str | None) -> str:
    """dlt's staging dataset of one account's pipeline (`sp_api_staging_<account>`): a package
    merges from its own copies, never from ones another seller's load replaced meanwhile (one
    resumed after a kill, or loading in parallel), within PostgreSQL's 63-character names."""
    if account is None:
        return "%s_staging"
    name = slug(account)
    if len(name) > 32:
        name = f"{name[:25]}_{hashlib.blake2s(name.encode(), digest_size=3).hexdigest()}"
    return f"%s_staging_{name}"  # single underscores: dlt would normalize a double one
