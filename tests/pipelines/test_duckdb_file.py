"""The warehouse file, plain or encrypted: opening it, and the errors that name the fix."""

from __future__ import annotations

import re
from pathlib import Path

import dlt
import duckdb
import pytest
from dlt.common.normalizers.naming import snake_case, sql_cs_v1

from pipelines.duckdb_file import KEY, DuckDbFile, WarehouseError, catalog_of, load_crypto

SECRET = "unit-test key with a ' quote"


def _encrypted(path: Path) -> DuckDbFile:
    return DuckDbFile(path, SECRET, force_mbedtls_unsafe=True)


def test_an_encrypted_file_opens_only_with_its_key(tmp_path) -> None:
    path = tmp_path / "amazon.duckdb"
    with _encrypted(path).connect() as connection:
        connection.execute("create schema sp_api")
        connection.execute("create table sp_api.t as select 'CANARY-29' as v")
        assert connection.execute("select current_database()").fetchone() == ("amazon",)
    assert b"CANARY-29" not in path.read_bytes()
    with _encrypted(path).connect(read_only=True) as connection:
        assert connection.execute("select v from sp_api.t").fetchall() == [("CANARY-29",)]
    with pytest.raises(WarehouseError, match=re.escape(f"amazon.duckdb is encrypted: set {KEY}")):
        DuckDbFile(path).connect(read_only=True)
    with pytest.raises(WarehouseError, match=re.escape(f"{KEY} does not open amazon.duckdb")):
        DuckDbFile(path, "another key").connect(read_only=True)
    assert SECRET not in repr(_encrypted(path))


def test_a_key_for_a_plain_file_is_refused(tmp_path) -> None:
    path = tmp_path / "plain.duckdb"
    duckdb.connect(str(path)).close()
    with pytest.raises(WarehouseError, match=re.escape("plain.duckdb is not encrypted")):
        _encrypted(path).connect()


def test_readers_share_the_connection_a_load_holds(tmp_path) -> None:
    warehouse = _encrypted(tmp_path / "w.duckdb")
    warehouse.destination()
    try:
        with warehouse.connect() as writer:
            writer.execute("create table t as select 1 as x")
        with warehouse.connect(read_only=True) as reader:
            assert reader.execute("select x from t").fetchall() == [(1,)]
    finally:
        warehouse.close()
    with warehouse.connect(read_only=True) as reader:
        assert reader.execute("select x from t").fetchall() == [(1,)]


def test_a_plain_file_loads_through_dlts_duckdb_asking_no_configuration_for_capabilities(
    tmp_path, monkeypatch
) -> None:
    ours = DuckDbFile(tmp_path / "w.duckdb").destination()
    theirs = dlt.destinations.duckdb(str(tmp_path / "w.duckdb"))
    assert (ours.destination_type, ours.destination_name) == ("dlt.destinations.duckdb", "duckdb")
    namings = [None, snake_case.NamingConvention(), sql_cs_v1.NamingConvention()]
    expected = [dict(theirs.capabilities(naming=naming)) for naming in namings]

    resolved = []  # dlt's capabilities() swallows what configuration() raises
    monkeypatch.setattr(type(ours), "configuration", lambda *args, **kw: resolved.append(args))
    assert [dict(ours.capabilities(naming=naming)) for naming in namings] == expected
    assert resolved == []
    assert expected[2]["casefold_identifier"] is str  # the case-sensitive naming did adjust them


def test_writing_encrypted_needs_openssl_unless_forced() -> None:
    with duckdb.connect() as connection:
        try:
            connection.execute("LOAD httpfs")
            openssl = True
        except duckdb.Error:
            openssl = False
    with duckdb.connect() as connection:
        if openssl:
            load_crypto(connection, force_mbedtls_unsafe=False)
        else:
            with pytest.raises(WarehouseError, match="needs DuckDB's httpfs extension"):
                load_crypto(connection, force_mbedtls_unsafe=False)
    with duckdb.connect() as connection:
        load_crypto(connection, force_mbedtls_unsafe=True)  # either way it can write now


def test_dbt_gets_the_key_only_under_a_name_it_keeps_out_of_its_logs(tmp_path) -> None:
    assert DuckDbFile(tmp_path / "a.duckdb").dbt_environment() == {
        "AMAZON_DUCKDB_PATH": str(tmp_path / "a.duckdb")
    }
    found = _encrypted(tmp_path / "a.duckdb").dbt_environment()
    assert [k for k, v in found.items() if v == SECRET] == ["DBT_ENV_SECRET_AMAZON_DUCKDB_KEY"]
    assert found["AMAZON_DUCKDB_CATALOG"] == "a"


@pytest.mark.parametrize(
    ("name", "catalog"),
    [("amazon.duckdb", "amazon"), ("my.db.duckdb", "my"), (".hidden.duckdb", "hidden")],
)
def test_the_catalog_is_duckdbs_name_for_the_file(name: str, catalog: str) -> None:
    assert catalog_of(Path("/x") / name) == catalog
