"""dbt docs a user can read: every column of every mart described, as built, an overview page,
and no deprecation warning from `dbt parse` or `dbt docs generate`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from pipelines import transform
from pipelines.duckdb_file import DuckDbFile
from pipelines.warehouse import Warehouse
from tests.warehouses import SQL_DIR, run_dbt


def warnings_of(command: str, path: Path) -> list[str]:
    """`dbt command` on the DuckDB file at `path`; the warnings it raised."""
    warnings: list[str] = []

    def collect(event: Any) -> None:
        if event.info.level in ("warn", "error"):
            warnings.append(f"{event.info.name}: {event.info.msg}")

    target, env = Warehouse.of_file(DuckDbFile(path)).dbt_target()
    result = run_dbt(command, target, env, path.with_suffix(".dbt"), callbacks=[collect])
    transform._release_duckdb()
    assert result.success, result.exception
    return warnings


def test_every_mart_column_is_described_and_docs_generate_warns_of_nothing(tmp_path) -> None:
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    assert transform.build(path).success
    assert warnings_of("parse --no-partial-parse", path) == []
    assert warnings_of("docs generate", path) == []

    manifest = json.loads((tmp_path / "empty.dbt" / "target" / "manifest.json").read_text())
    marts = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    ]
    with duckdb.connect(str(path), read_only=True) as connection:
        built = {
            node["name"]: [
                name
                for (name,) in connection.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = 'main' and table_name = ? order by ordinal_position",
                    [node["name"]],
                ).fetchall()
            ]
            for node in marts
        }
    assert len(marts) == len(list((SQL_DIR / "models" / "marts").glob("*.sql"))) >= 12
    for node in marts:
        declared = node["columns"]
        assert list(declared) == built[node["name"]], node["name"]  # both ways, in order
        undescribed = [name for name, column in declared.items() if not column["description"]]
        assert undescribed == [], node["name"]
        assert node["description"]
    overview = manifest["docs"]["doc.amazon_elt.__overview__"]["block_contents"]
    assert "int_orders_unioned" in overview and "Orders API" in overview
    assert (tmp_path / "empty.dbt" / "target" / "catalog.json").exists()
