"""Pipeline names tell warehouses apart, and a warehouse keeps the name its state knows."""

from __future__ import annotations

from pipelines.naming import pipeline_name


def test_two_warehouses_get_two_names_and_one_warehouse_one() -> None:
    first = pipeline_name("sandbox", "sp_api", "/data/amazon.duckdb")
    assert (
        first.startswith("sandbox_sp_api_amazon_")
        and len(first) == len("sandbox_sp_api_amazon_") + 6
    )
    assert first == pipeline_name("sandbox", "sp_api", "/data/amazon.duckdb")
    assert first != pipeline_name("sandbox", "sp_api", "/backup/amazon.duckdb")
    assert pipeline_name("live", "mws", "/data/Shop 2.duckdb").startswith("amazon_mws_shop_2_")


def test_a_warehouse_keeps_the_name_its_state_knows() -> None:
    moved = pipeline_name("sandbox", "sp_api", "/old/place.duckdb")
    assert pipeline_name("sandbox", "sp_api", "/new/place.duckdb", [moved]) == moved
    assert pipeline_name("sandbox", "sp_api", "/any.duckdb", ["sandbox_sp_api"]) == "sandbox_sp_api"
    # another mode's or source's pipeline is not adopted (run.py refuses to mix them)
    other = pipeline_name("sandbox", "sp_api", "/any.duckdb", ["amazon_sp_api", "sandbox_sp_api_x"])
    assert other == pipeline_name("sandbox", "sp_api", "/any.duckdb")
