"""A user's project pointed at the sandbox: credentials in `.dlt/secrets.toml` (README's way) or
in environment variables, settings in `.dlt/config.toml`, and `run.py` over it as a subprocess,
so that dlt's own config resolution (and its trace) is on the path."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import tomlkit
from dlt.common.versioned_state import decompress_state

from pipelines.naming import PREFIX, slug
from tests.conftest import ROOT
from tests.e2e.runner import run_py

LEGACY = ("mws", "paapi", "aim")
SOURCES = ("sp_api", *LEGACY)


@dataclass(frozen=True)
class Project:
    folder: Path  # .dlt/, warehouse.duckdb, warehouse-pipelines/ and warehouse.dbt/

    @property
    def warehouse(self) -> Path:
        return self.folder / "warehouse.duckdb"

    @property
    def pipelines(self) -> Path:
        return self.folder / "warehouse-pipelines"

    def run(
        self, *args: str, sources: tuple[str, ...] = SOURCES, **env: str
    ) -> subprocess.CompletedProcess[str]:
        """`python pipelines/run.py --live` in the project, as a user runs it there."""
        return run_py(
            self.folder,
            "--live",
            "--sources",
            ",".join(sources),
            *args,
            DLT_PROJECT_DIR=str(self.folder),
            **env,
        )

    def state(self, source: str, account: str | None = None) -> dict[str, Any]:
        """The newest `_dlt_pipeline_state` of `source`'s dataset (of `account`'s pipeline,
        when named), decompressed."""
        family = f"{PREFIX['live']}{source}__{slug(account)}__%" if account else "%"
        with duckdb.connect(str(self.warehouse), read_only=True) as connection:
            (stored,) = connection.execute(
                f'select state from "{source}"._dlt_pipeline_state where pipeline_name like ? '
                "order by created_at desc, version desc limit 1",
                [family],
            ).fetchone()
        return decompress_state(stored)


def credentials(accounts: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The sandbox's credentials as `[sources.*]` secrets."""
    aim_homes = {a["seller_id"]: a["marketplace_ids"] for a in accounts["accounts"]}
    return {
        "sp_api": {
            "client_id": accounts["lwa"]["client_id"],
            "client_secret": accounts["lwa"]["client_secret"],
            "accounts": [dict(a) for a in accounts["accounts"]],
        },
        "mws": {
            "access_key_id": accounts["mws"]["access_key_id"],
            "secret_key": accounts["mws"]["secret_key"],
            "accounts": [dict(a) for a in accounts["mws"]["accounts"]],
        },
        "paapi": {
            "access_key_id": accounts["paapi"]["access_key_id"],
            "secret_key": accounts["paapi"]["secret_key"],
        },
        "aim": {
            "accounts": [
                {**a, "marketplace_ids": aim_homes[a["seller_id"]][:1]}
                for a in accounts["aim"]["accounts"]
            ]
        },
    }


def settings(accounts: Mapping[str, Any], **extra: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Where the sandbox is and how fast it runs, per source, plus `extra` per source: a small
    load (orders and items, no reports or finances; five ASINs in one locale) unless told."""
    scale = accounts["sp_api"]["time_scale"]
    found: dict[str, dict[str, Any]] = {
        "sp_api": {
            "endpoint": accounts["sp_api"]["endpoint"],
            "lwa_token_url": accounts["lwa"]["token_url"],
            "resources": ["orders", "order_items"],
            "report_types": [],
            "finances": False,
        },
        "mws": {"endpoint": accounts["mws"]["endpoint"], "reports": False},
        "paapi": {
            "endpoint": accounts["paapi"]["endpoint"],
            "associate_tag": accounts["paapi"]["associate_tag"],
            "asins": accounts["paapi"]["asins"][:5],
            "locales": ["us"],
        },
        "aim": {"endpoint": accounts["aim"]["endpoint"]},
    }
    for name, table in found.items():
        table.update(quota_scale=scale, retry_backoff_seconds=0.01, **extra.get(name, {}))
    return found


def project(
    folder: Path, secrets: Mapping[str, Mapping[str, Any]], config: Mapping[str, Any]
) -> Project:
    """`folder` as a project: the repository's `.dlt/config.toml` with `config`'s `[sources.*]`
    tables added, and `secrets` in `.dlt/secrets.toml`."""
    dlt_folder = folder / ".dlt"
    dlt_folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / ".dlt" / "config.toml", dlt_folder / "config.toml")
    document = tomlkit.parse((dlt_folder / "config.toml").read_text())
    for name, table in config.items():
        document["sources"].setdefault(name, tomlkit.table()).update(table)  # type: ignore[union-attr]
    (dlt_folder / "config.toml").write_text(tomlkit.dumps(document))
    (dlt_folder / "secrets.toml").write_text(tomlkit.dumps({"sources": dict(secrets)}))
    return Project(folder)


def environment(secrets: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """`secrets` as dlt's environment variables (`SOURCES__SP_API__CLIENT_ID`); tables and
    lists as the JSON text README shows."""
    return {
        f"SOURCES__{source.upper()}__{key.upper()}": (
            value if isinstance(value, str) else json.dumps(value)
        )
        for source, table in secrets.items()
        for key, value in table.items()
    }
