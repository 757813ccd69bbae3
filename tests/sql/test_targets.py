"""The dbt project compiles for the warehouses the suite cannot reach (MotherDuck, BigQuery,
Snowflake), where their adapter is installed: `dbt compile --no-introspect --no-populate-cache`
needs no connection (every raw table is taken as loaded), and every compiled model and test
must parse in the warehouse's SQL dialect (sqlglot)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import sqlglot

from tests.warehouses import failures, run_dbt

# any connection attempted by mistake goes to a closed loopback port, never to the internet
OFFLINE = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}
TARGETS = {  # target: (adapter package, sqlglot dialect, the profile's variables)
    "motherduck": (
        "dbt.adapters.duckdb",
        "duckdb",
        {
            "AMAZON_MOTHERDUCK_DATABASE": "amazon",
            "DBT_ENV_SECRET_AMAZON_MOTHERDUCK_TOKEN": "unused",  # pragma: allowlist secret
        },
    ),
    "bigquery": ("dbt.adapters.bigquery", "bigquery", {"AMAZON_BQ_PROJECT": "example-project"}),
    "snowflake": (
        "dbt.adapters.snowflake",
        "snowflake",
        {
            "AMAZON_SF_ACCOUNT": "example",
            "AMAZON_SF_USER": "dbt",
            "DBT_ENV_SECRET_AMAZON_SF_PASSWORD": "unused",
            "AMAZON_SF_DATABASE": "AMAZON",
            "AMAZON_SF_WAREHOUSE": "TRANSFORMING",
            "AMAZON_SF_ROLE": "TRANSFORMER",
        },
    ),
}


def service_account_key() -> dict[str, str]:
    """A throwaway service account key, as the profile's variables: BigQuery's adapter reads
    one before compiling."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return {
        "AMAZON_BQ_CLIENT_EMAIL": "dbt@example-project.iam.gserviceaccount.com",
        "DBT_ENV_SECRET_AMAZON_BQ_PRIVATE_KEY": key.decode(),
    }


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_the_project_compiles_offline_to_the_warehouses_sql(target: str, tmp_path: Path) -> None:
    adapter, dialect, env = TARGETS[target]
    if importlib.util.find_spec(adapter) is None:
        pytest.skip(f"{adapter} is not installed (pip install -e '.[{target}]')")
    if target == "bigquery":
        env = {**env, **service_account_key()}
    result = run_dbt(
        "compile", target, {**OFFLINE, **env}, tmp_path, "--no-introspect", "--no-populate-cache"
    )
    assert result.success, failures(result)
    compiled = sorted((tmp_path / "target" / "compiled").rglob("*.sql"))
    assert len(compiled) > 100
    unparsed = {}
    for path in compiled:
        try:
            sqlglot.parse(path.read_text(), read=dialect, error_level=sqlglot.ErrorLevel.RAISE)
        except sqlglot.ParseError as error:
            unparsed[str(path.relative_to(tmp_path))] = str(error).splitlines()[0]
    assert not unparsed
