"""The DuckDB warehouse file: plain, or encrypted at rest when a key is configured.

Encryption is DuckDB's own (AES-GCM, `ATTACH ... (ENCRYPTION_KEY ...)`), so it is a concern of
the DuckDB destination alone: the key is `destination.duckdb.credentials.encryption_key` (in
`.dlt/secrets.toml` or `DESTINATION__DUCKDB__CREDENTIALS__ENCRYPTION_KEY`), and every reader of
the file opens it through `DuckDbFile`: dlt (and through dlt's SQL client the run's checks, its
summary and the sources that read what earlier runs loaded), dbt and the notebook.

DuckDB reads encrypted files with its built-in crypto, but writes them only with OpenSSL, which
its httpfs extension brings (`LOAD httpfs`, installed once with network). Where that extension
cannot be had, `force_mbedtls_unsafe = true` (DuckDB's setting of that name) writes with the
built-in crypto, whose nonces come from a non-cryptographic generator: for tests and offline
trials only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt
import duckdb
from dlt.common.destination import Destination, DestinationCapabilitiesContext
from dlt.common.normalizers.naming import NamingConvention
from dlt.destinations.impl.duckdb.duck import DuckDbClient
from dlt.destinations.impl.duckdb.factory import duckdb as duckdb_destination
from dlt.destinations.impl.duckdb.sql_client import DuckDbSqlClient

from sources.common.redact import register_secret

log = logging.getLogger("pipelines.warehouse")
KEY = "destination.duckdb.credentials.encryption_key"
UNSAFE = "destination.duckdb.credentials.force_mbedtls_unsafe"
DUCKDB_TYPE = duckdb_destination().destination_type  # dlt.destinations.duckdb


class WarehouseError(Exception):
    """The warehouse cannot be used as configured; the message names the fix."""


def catalog_of(path: Path) -> str:
    """DuckDB's name for a database file: its name up to the first dot (`amazon.duckdb` ->
    `amazon`), which an encrypted attach must keep so that dbt's views resolve either way."""
    return path.name.lstrip(".").split(".")[0]


def load_crypto(connection: duckdb.DuckDBPyConnection, force_mbedtls_unsafe: bool) -> None:
    """Make `connection` able to write encrypted files: OpenSSL from httpfs, else (only when
    allowed) DuckDB's built-in crypto."""
    try:
        connection.execute("LOAD httpfs")
        return
    except duckdb.Error:
        if not force_mbedtls_unsafe:
            raise WarehouseError(
                "an encrypted warehouse needs DuckDB's httpfs extension (OpenSSL) to write: "
                "run `python -c \"import duckdb; duckdb.sql('INSTALL httpfs')\"` once"
            ) from None
    log.warning(
        "writing the encrypted warehouse with DuckDB's built-in crypto "
        "(force_mbedtls_unsafe): for tests only, install DuckDB's httpfs extension"
    )
    connection.execute("SET force_mbedtls_unsafe = true")


@dataclass
class DuckDbFile:
    """A DuckDB warehouse file and how to open it; `encryption_key` set means encrypted."""

    path: Path
    encryption_key: str | None = field(default=None, repr=False)
    force_mbedtls_unsafe: bool = False
    _shared: duckdb.DuckDBPyConnection | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @classmethod
    def from_config(cls, path: Path) -> DuckDbFile:
        """The file at `path`, with the key and crypto setting dlt resolves."""
        key = dlt.secrets.get(KEY)
        if key:
            register_secret(str(key))
        unsafe = dlt.config.get(UNSAFE, bool)
        return cls(path.resolve(), str(key) if key else None, bool(unsafe))

    @property
    def encrypted(self) -> bool:
        return self.encryption_key is not None

    @property
    def catalog(self) -> str:
        return catalog_of(self.path)

    @property
    def _catalog_sql(self) -> str:
        return '"' + self.catalog.replace('"', '""') + '"'

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        """A connection whose default database is the warehouse (close it when done)."""
        if not self.encrypted:
            return self._guarded(lambda: duckdb.connect(str(self.path), read_only=read_only))
        if self._shared is not None:
            cursor = self._shared.cursor()
            cursor.execute(f"USE {self._catalog_sql}")
            return cursor
        connection = duckdb.connect()
        try:
            if not read_only:
                load_crypto(connection, self.force_mbedtls_unsafe)
                connection.execute("SET temp_file_encryption = true")
            options = "ENCRYPTION_KEY ?, READ_ONLY" if read_only else "ENCRYPTION_KEY ?"
            self._guarded(
                lambda: connection.execute(
                    f"ATTACH ? AS {self._catalog_sql} ({options})",
                    [str(self.path), self.encryption_key],
                )
            )
            connection.execute(f"USE {self._catalog_sql}")
        except BaseException:
            connection.close()
            raise
        return connection

    def destination(self, **options: Any) -> Destination[Any, Any]:
        """dlt's DuckDB destination on this file, with `options` of its configuration. An
        encrypted file stays attached to one connection, which this process's readers share
        (DuckDB opens a file once per process) until `close`."""
        if not self.encrypted:
            return plain_duckdb(str(self.path), **options)
        if self._shared is None:
            self._shared = self.connect()
        return encrypted_duckdb(credentials=self._shared, **options)

    def close(self) -> None:
        """Detach the encrypted file (dbt opens it on its own connection next)."""
        if self._shared is not None:
            self._shared.close()
            self._shared = None

    def dbt_environment(self) -> dict[str, str]:
        """What `sql/profiles.yml` reads: the path, and for an encrypted file its catalog, the
        key (dbt hides `DBT_ENV_SECRET_*` values from its logs) and the crypto setting."""
        found = {"AMAZON_DUCKDB_PATH": str(self.path)}
        if self.encrypted:
            found.update(
                AMAZON_DUCKDB_CATALOG=self.catalog,
                DBT_ENV_SECRET_AMAZON_DUCKDB_KEY=str(self.encryption_key),
                AMAZON_DUCKDB_FORCE_MBEDTLS_UNSAFE=str(self.force_mbedtls_unsafe).lower(),
            )
        return found

    def _guarded(self, open_: Any) -> Any:
        """Run `open_`, turning DuckDB's key errors into ones that name the setting."""
        try:
            return open_()
        except duckdb.Error as error:
            text = str(error)
            if "without a key" in text:
                raise WarehouseError(
                    f"{self.path.name} is encrypted: set {KEY} (secrets.toml or "
                    "DESTINATION__DUCKDB__CREDENTIALS__ENCRYPTION_KEY)"
                ) from None
            if "Wrong encryption key" in text:
                raise WarehouseError(f"{KEY} does not open {self.path.name}") from None
            if "is not encrypted" in text:
                raise WarehouseError(
                    f"{self.path.name} is not encrypted, and {KEY} is set: load into a new "
                    "file with --duckdb (or unset the key)"
                ) from None
            raise


class _CatalogSqlClient(DuckDbSqlClient):
    """Names tables with the warehouse's catalog: the connections dlt clones from the shared
    one start in DuckDB's `memory` database, not in the attached file."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cursor = self.credentials.external_conn().cursor()
        try:
            row = cursor.execute(
                "select database_name from duckdb_databases() "
                "where not internal and path is not null"
            ).fetchone()
        finally:
            cursor.close()
        self._catalog = str(row[0])

    def catalog_name(self, quote: bool = True, casefold: bool = True) -> str | None:
        return self.capabilities.escape_identifier(self._catalog) if quote else self._catalog


class _CatalogClient(DuckDbClient):
    """dlt's DuckDB client with `_CatalogSqlClient` (as dlt's MotherDuck client does)."""

    def __init__(self, schema: Any, config: Any, capabilities: Any) -> None:
        super().__init__(schema, config, capabilities)
        names = DuckDbClient.create_dataset_names(schema, config)
        self.sql_client = _CatalogSqlClient(*names, config.credentials, capabilities)


class _duckdb(duckdb_destination):
    """dlt's DuckDB destination, whose capabilities skip the client configuration dlt resolves
    each time it asks for them: DuckDB's depend on the naming convention alone, and dlt asks ~17
    times per pipeline run (a first run's 11 units spent 2.2 CPU seconds on 191 such calls)."""

    def capabilities(
        self, config: Any = None, naming: NamingConvention | None = None
    ) -> DestinationCapabilitiesContext:
        return super().capabilities(self.spec() if config is None else config, naming)


class plain_duckdb(_duckdb):
    """A plain file, under the type and name of `dlt.destinations.duckdb`: pipelines' state and
    config sections (`destination.duckdb`) stay dlt's DuckDB's."""

    @property
    def destination_type(self) -> str:
        return DUCKDB_TYPE


class encrypted_duckdb(_duckdb):
    """dlt's DuckDB destination on a connection with the encrypted warehouse attached."""

    @property
    def client_class(self) -> type[DuckDbClient]:
        return _CatalogClient
