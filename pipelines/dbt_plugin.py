"""A dbt-duckdb plugin that readies DuckDB's crypto before `sql/profiles.yml` attaches the
encrypted warehouse (dbt-duckdb runs plugins' `configure_connection` before its attaches)."""

from __future__ import annotations

from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from pipelines.duckdb_file import load_crypto


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self.force_mbedtls_unsafe = str(plugin_config.get("force_mbedtls_unsafe")) == "true"

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        load_crypto(conn, self.force_mbedtls_unsafe)
        conn.execute("SET temp_file_encryption = true")
