"""Warehouses besides DuckDB, for the tests that import this module: a real PostgreSQL 16 per
test session (so per xdist worker) from pgserver's wheel, `pipelines/run.py` pointed at it,
dbt run on any target, and a checksum of a table in SQL that DuckDB and PostgreSQL run alike."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import ROOT

SQL_DIR = ROOT / "sql"
HEX_DIGITS = "0123456789abcdef"


@dataclass(frozen=True)
class Postgres:
    """A running server, reached over its Unix socket; each user makes a database of its own."""

    socket_dir: str

    def dsn(self, database: str) -> str:
        # dlt wants a host and a password: libpq's `host` parameter names the socket's folder
        # instead, and the server trusts local connections
        return f"postgresql://postgres:trusted@localhost/{database}?host={self.socket_dir}"

    def run_py_env(self, database: str) -> dict[str, str]:
        """What points `run.py --destination postgres` at `database`, as a user sets it."""
        return {"DESTINATION__POSTGRES__CREDENTIALS": self.dsn(database)}

    def create_database(self, name: str) -> str:
        import psycopg2

        connection = psycopg2.connect(self.dsn("postgres"))
        connection.autocommit = True
        try:
            connection.cursor().execute(f'create database "{name}"')
        finally:
            connection.close()
        return name

    def query(self, database: str, sql: str) -> list[tuple[Any, ...]]:
        import psycopg2

        with psycopg2.connect(self.dsn(database)) as connection, connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """Its data lives outside pytest's tmp tree: as root, pgserver runs PostgreSQL as another
    user, and pytest makes that tree private again whenever a session (an xdist worker) starts."""
    import pgserver

    folder = Path(tempfile.mkdtemp(prefix="amazon-elt-postgres-"))
    try:
        with pgserver.get_server(folder, cleanup_mode="stop") as server:
            yield Postgres(parse_qs(urlsplit(server.get_uri()).query)["host"][0])
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_dbt(
    command: str,
    target: str,
    env: dict[str, str],
    work: Path,
    *args: str,
    callbacks: Sequence[Callable[[Any], None]] = (),
) -> Any:
    """`dbt command` ("build", "docs generate") on sql/ against `target` with the profile's
    variables set; dbt's target and logs go under `work`, its events to `callbacks`."""
    from pipelines.transform import dbt_runner

    with pytest.MonkeyPatch.context() as patch:
        for name, value in {"DO_NOT_TRACK": "1", **env}.items():
            patch.setenv(name, value)
        return dbt_runner()(callbacks=list(callbacks)).invoke(
            [
                "--quiet",
                *command.split(),
                "--project-dir",
                str(SQL_DIR),
                "--profiles-dir",
                str(SQL_DIR),
                "--target",
                target,
                "--target-path",
                str(work / "target"),
                "--log-path",
                str(work / "logs"),
                *args,
            ]
        )


def failures(result: Any) -> list[str]:
    """What failed in a dbt invocation, by node name and message."""
    found = [
        f"{node.node.name}: {node.message}"
        for node in getattr(result.result, "results", None) or []
        if str(node.status) in ("error", "fail")
    ]
    return found + ([f"dbt: {result.exception}"] if result.exception else [])


def mart_keys(manifest: Path) -> dict[str, list[str]]:
    """Each mart's key: the columns its unique_combination test names, else its unique column."""
    nodes = json.loads(manifest.read_text())["nodes"].values()
    marts = {n["name"] for n in nodes if n["resource_type"] == "model" and "marts" in n["fqn"]}
    keys: dict[str, list[str]] = {}
    for test in (n for n in nodes if n["resource_type"] == "test" and n.get("test_metadata")):
        model = (test.get("attached_node") or "").rsplit(".", 1)[-1]
        arguments = test["test_metadata"]["kwargs"]
        if model not in marts:
            continue
        if test["test_metadata"]["name"] == "unique_combination":
            keys[model] = arguments["columns"]
        elif test["test_metadata"]["name"] == "unique":
            keys.setdefault(model, [arguments["column_name"]])
    return keys


def checksum_sql(relation: str, keys: list[str], money: list[str]) -> str:
    """Rows, an order-independent checksum of each row's keys and money (the sum of a number
    from md5 of their text), and each money column's exact sum; money is compared at
    decimal(18, 4), so that a warehouse's scale of a sum does not count."""
    texts = [f"coalesce(cast({c} as varchar), '~')" for c in keys] + [
        f"coalesce(cast(cast({c} as decimal(18, 4)) as varchar), '~')" for c in money
    ]
    row = " || '|' || ".join(texts)
    digest = f"md5({row})"
    number = " + ".join(
        f"(strpos('{HEX_DIGITS}', substr({digest}, {i + 1}, 1)) - 1) * {16 ** (6 - i)}"
        for i in range(7)
    )
    sums = "".join(f", sum(cast({c} as decimal(18, 4)))" for c in money)
    return f"select count(*), sum(cast({number} as bigint)){sums} from {relation}"
