"""The warehouse a run loads: any dlt destination, chosen the dlt way; DuckDB by default.

`--destination NAME`, else dlt's own `destination_type` (config.toml, or `DESTINATION_TYPE`),
else a DuckDB file. NAME is a dlt destination (`postgres`, `motherduck`, `bigquery`,
`snowflake`, ...) or one named in config (`[destination.NAME] destination_type = "postgres"`),
and its credentials resolve as dlt resolves them (`[destination.<name>.credentials]` in
secrets.toml, `DESTINATION__<NAME>__CREDENTIALS...`). A setting of a destination the run does
not load means the user expected another one: it is refused, never ignored.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import dlt
from dlt.common.configuration.container import Container
from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.common.configuration.providers import EnvironProvider
from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext
from dlt.common.destination import Destination
from dlt.destinations.sql_client import SqlClientBase

from pipelines.duckdb_file import DuckDbFile, WarehouseError
from sources.common.redact import register_secret

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "amazon.duckdb"
# DuckDB's engine tuning (config.toml ships some) chooses no warehouse: it may stay set while
# another destination loads
DUCKDB_TUNING = tuple(
    f"destination.duckdb.credentials.{name}"
    for name in ("global_config", "local_config", "pragmas", "extensions")
)
MOTHERDUCK_PREFIXES = ("md:", "motherduck:")
# warehouses that keep all data encrypted at rest, always; for others the operator says so
ALWAYS_ENCRYPTED = frozenset({"motherduck", "bigquery", "snowflake"})
ENCRYPTED_AT_REST = "pii.encrypted_at_rest"
SECRET_FIELDS = ("password", "private_key", "private_key_passphrase", "refresh_token", "token")
# dbt hides the values of `DBT_ENV_SECRET_*` variables from its logs and errors
DBT_HIDDEN = "DBT_ENV_SECRET_"


@dataclass
class Warehouse:
    """A dlt destination, and where a run keeps its own files of it (the lock, dbt's target,
    the sandbox's callback store): beside a DuckDB file, else in the pipelines folder."""

    factory: Destination[Any, Any]
    home: Path  # `<home>.dbt`, `<home>.amzpecty.sqlite`, ...
    file: DuckDbFile | None = field(default=None)

    @classmethod
    def of_file(cls, file: DuckDbFile) -> Warehouse:
        """The DuckDB warehouse `file` (tests and benchmarks name one directly)."""
        return cls(dlt.destinations.duckdb(), file.path.with_suffix(""), file)

    @property
    def name(self) -> str:
        """The destination's name in config (`destination.<name>`): its type, or the name
        given to a configured one."""
        return str(self.factory.destination_name)

    @property
    def kind(self) -> str:
        """dlt's destination type, short: `duckdb`, `postgres`, `bigquery`, ..."""
        return str(self.factory.destination_type).rsplit(".", 1)[-1]

    @property
    def label(self) -> str:
        """What messages call it: the file, or the database on its server."""
        if self.file is not None:
            return self.file.path.name
        database = getattr(self.credentials, "database", None) or getattr(
            self.credentials, "project_id", None
        )
        return f"{self.name} database {database}" if database else self.name

    @property
    def where(self) -> str:
        """What a reader is told it reads: the file's full path, or the database."""
        return str(self.file.path) if self.file is not None else self.label

    @property
    def marts_schema(self) -> str:
        """Where dbt builds the marts (sql/profiles.yml): `main` in DuckDB and MotherDuck,
        else `analytics`, or AMAZON_DBT_SCHEMA."""
        if self.file is not None:
            return "main"
        default = "main" if self.kind == "motherduck" else "analytics"
        return os.environ.get("AMAZON_DBT_SCHEMA") or default

    @cached_property
    def credentials(self) -> Any:
        """The destination's credentials as dlt resolves them (a missing one fails here,
        naming its keys); their secrets are masked in every log line from now on."""
        config = self.factory.spec()
        config.dataset_name = "amazon"  # any: credentials do not depend on it
        credentials = self.factory.configuration(config).credentials
        for name in SECRET_FIELDS:
            value = getattr(credentials, name, None)
            if isinstance(value, str) and value:
                register_secret(value)
        return credentials

    @property
    def encrypted(self) -> bool:
        """Encrypted at rest: a DuckDB file with a key, a warehouse that always is, or one
        whose operator says it is (`pii.encrypted_at_rest`: PostgreSQL on encrypted disks)."""
        if self.file is not None:
            return self.file.encrypted
        return self.kind in ALWAYS_ENCRYPTED or bool(dlt.config.get(ENCRYPTED_AT_REST, bool))

    @property
    def exists(self) -> bool:
        """False only for a DuckDB file no run has made yet (so readers need not create it)."""
        return self.file is None or self.file.path.exists()

    def beside(self, suffix: str) -> Path:
        """A local file of this warehouse's: `amazon.dbt` beside `amazon.duckdb`, or
        `postgres.dbt` in the pipelines folder."""
        return self.home.with_name(self.home.name + suffix)

    @property
    def lock_path(self) -> Path:
        """The run lock's file (pipelines/locking.py): `amazon.duckdb.lock`, `postgres.lock`."""
        if self.file is not None:
            return self.file.path.with_name(self.file.path.name + ".lock")
        return self.beside(".lock")

    def destination(self, **options: Any) -> Destination[Any, Any]:
        """What dlt loads into (an encrypted file: dlt's DuckDB on its attached connection),
        with `options` of its configuration (a seller's staging dataset)."""
        if self.file is not None:
            return self.file.destination(**options)
        if not options:
            return self.factory
        return Destination.from_reference(
            str(self.factory.destination_type),
            destination_name=self.name,
            **{**self.factory.config_params, **options},
        )

    @property
    def single_writer(self) -> bool:
        """Loads take turns: DuckDB has one writer per file."""
        return self.file is not None

    @contextmanager
    def kept_open(self) -> Iterator[None]:
        """The DuckDB file open in this process while the block runs (a unit's turn at it), and
        let go after: dlt opens and closes connections many times a load (116 in a first run),
        and DuckDB reopens the file for each and checkpoints it whenever the last one closes.
        Opened by dlt's own client, so that dlt's connections share it (DuckDB refuses a second
        connection with other settings). An encrypted file stays attached until `close`
        anyway; a file not made yet is left to whoever makes it."""
        if self.file is None or self.file.encrypted or not self.exists:
            yield
            return
        with self.sql_client("main"):  # any dataset: it runs nothing
            yield

    @property
    def loader_file_format(self) -> str | None:
        """The fastest format the destination takes (bench/postgres_formats.py): parquet; into
        PostgreSQL through ADBC's COPY, or without ADBC the CSV COPY path, so that dlt never
        falls back (and warns) per table; dlt's own choice where parquet is not taken."""
        if self.kind == "postgres" and importlib.util.find_spec("adbc_driver_postgresql") is None:
            return "csv"
        supported = self.factory.capabilities().supported_loader_file_formats
        return "parquet" if "parquet" in supported else None

    def dataset(self, name: str) -> Any:
        """dlt's view of dataset `name`, with the schema dlt stored there (tables, columns)."""
        return dlt.dataset(self.destination(), name)

    def sql_client(self, dataset_name: str) -> SqlClientBase[Any]:
        """dlt's SQL client on `dataset_name` of this warehouse (open it with `with`)."""
        dataset = dlt.dataset(self.destination(), dataset_name, dlt.Schema(dataset_name))
        return dataset.sql_client

    def dbt_target(self) -> tuple[str, dict[str, str]]:
        """sql/profiles.yml's target for this warehouse and the variables it reads, from dlt's
        credentials (secrets under `DBT_ENV_SECRET_*`, which dbt never prints)."""
        if self.file is not None:
            return ("encrypted" if self.file.encrypted else "dev"), self.file.dbt_environment()
        credentials = self.credentials
        if self.kind == "postgres":
            query = credentials.query or {}
            return "postgres", {
                "AMAZON_PG_HOST": str(query.get("host") or credentials.host),
                "AMAZON_PG_PORT": str(credentials.port or 5432),
                "AMAZON_PG_USER": str(credentials.username),
                f"{DBT_HIDDEN}AMAZON_PG_PASSWORD": str(credentials.password or ""),
                "AMAZON_PG_DBNAME": str(credentials.database),
            }
        if self.kind == "motherduck":
            return "motherduck", {
                "AMAZON_MOTHERDUCK_DATABASE": str(credentials.database),
                f"{DBT_HIDDEN}AMAZON_MOTHERDUCK_TOKEN": str(credentials.password),
            }
        if self.kind == "bigquery":
            location = dlt.config.get(f"destination.{self.name}.location") or "US"
            return "bigquery", {
                "AMAZON_BQ_PROJECT": str(credentials.project_id),
                "AMAZON_BQ_CLIENT_EMAIL": str(credentials.client_email),
                "AMAZON_BQ_PRIVATE_KEY_ID": str(credentials.private_key_id or ""),
                f"{DBT_HIDDEN}AMAZON_BQ_PRIVATE_KEY": str(credentials.private_key),
                "AMAZON_BQ_LOCATION": str(location),
            }
        if self.kind == "snowflake":
            return "snowflake", {
                "AMAZON_SF_ACCOUNT": str(credentials.host),
                "AMAZON_SF_USER": str(credentials.username),
                f"{DBT_HIDDEN}AMAZON_SF_PASSWORD": str(credentials.password or ""),
                "AMAZON_SF_DATABASE": str(credentials.database),
                "AMAZON_SF_WAREHOUSE": str(credentials.warehouse or ""),
                "AMAZON_SF_ROLE": str(credentials.role or ""),
            }
        raise WarehouseError(
            f"dlt loads {self.kind}, and sql/profiles.yml has no target for it: add one, or "
            "run with --no-dbt"
        )

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


def choose(
    destination: str | None,
    duckdb_path: Path | None,
    pipelines_dir: Path,
    default_file: Path = DEFAULT_FILE,
) -> Warehouse:
    """The warehouse of `--destination` (else `destination_type`, else DuckDB) and `--duckdb`
    (else dlt's DuckDB path setting, else `default_file`), with everything that would make it
    the wrong one refused before anything runs."""
    reference = destination or dlt.config.get("destination_type") or "duckdb"
    try:
        factory = Destination.from_reference(reference)
    except Exception as error:  # dlt's UnknownDestinationModule and its kin
        raise WarehouseError(
            f"{reference!r} is not a dlt destination: use one of duckdb, postgres, motherduck, "
            f"bigquery, snowflake, or a [destination.{reference}] with its destination_type"
        ) from error
    _refuse_unused(str(factory.destination_name))
    if not str(factory.destination_type).endswith(".duckdb"):
        if duckdb_path is not None:
            raise WarehouseError(
                f"--duckdb names a DuckDB file, and this run loads {factory.destination_name}: "
                "leave --duckdb out, or run with --destination duckdb"
            )
        warehouse = Warehouse(factory, pipelines_dir.resolve() / str(factory.destination_name))
        try:
            warehouse.credentials  # noqa: B018  (resolved now: a missing one fails at once)
        except ConfigFieldMissingException as error:
            name = warehouse.name
            missing = [
                field
                for traces in error.traces.values()
                for found in traces
                for field in getattr(found, "traces", {})
            ]
            raise WarehouseError(
                f"{name} needs its credentials: set [destination.{name}.credentials] in "
                f".dlt/secrets.toml or DESTINATION__{name.upper()}__CREDENTIALS "
                f"(missing: {', '.join(missing) or 'credentials'})"
            ) from None
        return warehouse
    path = duckdb_path or _configured_file() or default_file
    if str(path).startswith(MOTHERDUCK_PREFIXES):
        raise WarehouseError(
            f"--duckdb takes a DuckDB file, not the MotherDuck database {path}: run with "
            "--destination motherduck and set destination.motherduck.credentials.database "
            "(the token in its password, or MOTHERDUCK_TOKEN)"
        )
    return Warehouse.of_file(DuckDbFile.from_config(path))


def _configured_file() -> Path | None:
    """dlt's DuckDB path setting: `destination.duckdb.credentials` as a path, or its
    `database`."""
    found = dlt.config.get("destination.duckdb.credentials")
    if isinstance(found, dict):
        found = found.get("database")
    return Path(found) if isinstance(found, str) and found else None


def _refuse_unused(chosen: str) -> None:
    """Fail naming the first setting of another destination than `chosen`."""
    unused = [
        (key, where)
        for key, where in _destination_settings()
        if key.split(".")[1] != chosen.lower() and not key.startswith(DUCKDB_TUNING)
    ]
    if unused:
        key, where = min(unused)
        other = key.split(".")[1]
        raise WarehouseError(
            f"{key} is set ({where}), and this run loads {chosen}: run with --destination "
            f'{other} (or destination_type = "{other}" in .dlt/config.toml) to load there, '
            "or remove the setting"
        )


def _destination_settings() -> list[tuple[str, str]]:
    """Every setting under a named `destination.<name>` section, as (dotted key, where)."""
    found = []
    for variable in os.environ:
        parts = variable.lower().split("__")
        if parts[0] == "destination" and len(parts) > 2:
            found.append((".".join(parts), f"environment variable {variable}"))
    for provider in Container()[PluggableRunContext].providers.providers:
        if isinstance(provider, EnvironProvider):
            continue
        section, _ = provider.get_value("destination", Any, None)
        for name, value in (section or {}).items():
            if isinstance(value, dict):
                found += [(key, provider.name) for key in _leaves(f"destination.{name}", value)]
    return found


def _leaves(prefix: str, table: dict[str, Any]) -> list[str]:
    keys = []
    for name, value in table.items():
        key = f"{prefix}.{name}"
        keys += _leaves(key, value) if isinstance(value, dict) else [key]
    return keys
