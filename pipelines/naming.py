"""Pipeline names and where dlt keeps their folders, so that dlt's CLI finds a run's pipelines.

A name says the mode, the source and the warehouse (`sandbox_sp_api_amazon_3f2a1c`: the
warehouse's name and a hash of where it is), so two warehouses' runs never share a pipeline
folder, and `dlt pipeline <name> trace` describes the warehouse it names. A warehouse that
already holds a pipeline's state keeps that pipeline's name (one loaded before names told
warehouses apart, or a file moved since).
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

from dlt.common.pipeline import get_dlt_pipelines_dir

PREFIX = {"sandbox": "sandbox_", "live": "amazon_"}
# where run.py kept pipeline folders before it used dlt's default (the folder dlt's CLI reads)
OLD_PIPELINES_DIR = Path(__file__).resolve().parent.parent / ".dlt" / "pipelines"


def pipeline_name(mode: str, source: str, warehouse: str, known: Iterable[str] = ()) -> str:
    """The name of `source`'s pipeline into `warehouse` (a path, or any string that tells the
    warehouse apart): the one of this mode and source the warehouse's state knows, else new."""
    base = PREFIX[mode] + source
    mine = sorted(
        name for name in known if re.fullmatch(rf"{base}(_[a-z0-9_]+_[0-9a-f]{{6}})?", name)
    )
    if mine:
        return mine[0]
    stem = re.sub(r"[^a-z0-9]+", "_", Path(warehouse).stem.lower()).strip("_") or "warehouse"
    digest = hashlib.sha256(warehouse.encode()).hexdigest()[:6]
    return f"{base}_{stem}_{digest}"


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
