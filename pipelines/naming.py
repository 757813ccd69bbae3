"""Pipeline names and where dlt keeps their folders, so that dlt's CLI finds a run's pipelines.

A name says the mode, the source, the account of a seller's unit (`pipelines/units.py`) and
the warehouse (its name and a hash of where it is): `sandbox_sp_api__shop_one__amazon_3f2a1c`
for a seller's pipeline, `sandbox_amzpecty_amazon_3f2a1c` for a source that is one unit (the
form every source's one pipeline had before sellers were units). Two warehouses' runs never
share a pipeline folder, and `dlt pipeline <name> trace` describes the warehouse it names. A
warehouse that already holds a pipeline's state keeps that pipeline's name (one loaded before
names told warehouses apart, or a file moved since).
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

from dlt.common.pipeline import get_dlt_pipelines_dir

# sandbox and live data never share a pipeline (nor, `run.py` checks, a warehouse)
PREFIX = {"sandbox": "sandbox_", "live": "amazon_"}
WAREHOUSE = r"[a-z0-9]+(?:_[a-z0-9]+)*_[0-9a-f]{6}"  # `amazon_3f2a1c`: no double underscore
MAX_NAME = 64  # dlt checks a pipeline's name as it checks a schema's
STEM = 16  # of a warehouse's name, in a pipeline's
# where run.py kept pipeline folders before it used dlt's default (the folder dlt's CLI reads)
OLD_PIPELINES_DIR = Path(__file__).resolve().parent.parent / ".dlt" / "pipelines"


def slug(text: str) -> str:
    """`text` in lowercase letters, digits and single underscores."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "_"


def pipeline_name(
    mode: str, source: str, warehouse: str, account: str | None = None, known: Iterable[str] = ()
) -> str:
    """The pipeline of `source` for one account (None: the whole source) into `warehouse` (a
    path, or any string that tells the warehouse apart): the one of these the warehouse's
    state knows (`known`), else a new one; at most 64 characters (dlt's limit)."""
    stem = slug(Path(warehouse).stem)
    stem = stem if len(stem) <= STEM else stem[: STEM + 1].rsplit("_", 1)[0][:STEM]
    stem = "warehouse" if stem == "_" else stem
    tail = f"{stem}_{hashlib.sha256(warehouse.encode()).hexdigest()[:6]}"
    base = PREFIX[mode] + source
    if account:
        base += "__" + _fitted(slug(account), MAX_NAME - len(f"{base}____{tail}"))
    pattern = f"__{WAREHOUSE}" if account else f"(?:_{WAREHOUSE})?"
    mine = sorted(name for name in known if re.fullmatch(re.escape(base) + pattern, name))
    if mine:
        return mine[0]
    return f"{base}{'__' if account else '_'}{tail}"


def _fitted(name: str, room: int) -> str:
    """`name`, or its start and a hash of it when longer than `room`."""
    if len(name) <= room:
        return name
    digest = hashlib.blake2s(name.encode(), digest_size=3).hexdigest()
    return f"{name[: room - 7].rstrip('_')}_{digest}"


def belongs(name: str, mode: str, source: str) -> bool:
    """Whether the pipeline `name` is one of `mode`'s for `source`, whatever its account or
    warehouse."""
    base = PREFIX[mode] + source
    return name == base or name.startswith(base + "_")


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


def pipelines_dir() -> Path:
    """dlt's own pipelines folder (`~/.dlt/pipelines`, or under DLT_DATA_DIR): `dlt pipeline`
    reads it from any folder with no flag."""
    return Path(get_dlt_pipelines_dir())


def adopt_folder(name: str, folder: Path) -> None:
    """Move `name`'s pipeline folder from where run.py kept it before into `folder`, keeping the
    load packages an interrupted run left there."""
    old = OLD_PIPELINES_DIR / name
    new = folder / name
    if old.is_dir() and not new.exists() and old.resolve() != new.resolve():
        folder.mkdir(parents=True, exist_ok=True)
        shutil.move(str(old), str(new))
