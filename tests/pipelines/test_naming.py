"""Pipeline names tell warehouses apart, and a warehouse keeps the name its state knows."""

from __future__ import annotations

from pipelines import naming
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
    assert pipeline_name("sandbox", "sp_api", "/new/place.duckdb", known=[moved]) == moved
    oldest = pipeline_name("sandbox", "sp_api", "/any.duckdb", known=["sandbox_sp_api"])
    assert oldest == "sandbox_sp_api"
    # another mode's or source's pipeline is not adopted (run.py refuses to mix them)
    other = pipeline_name(
        "sandbox", "sp_api", "/any.duckdb", known=["amazon_sp_api", "sandbox_sp_api_x"]
    )
    assert other == pipeline_name("sandbox", "sp_api", "/any.duckdb")


def test_a_folder_run_py_kept_in_the_project_moves_into_dlts(tmp_path, monkeypatch) -> None:
    old, new = tmp_path / "project" / ".dlt" / "pipelines", tmp_path / "dlt" / "pipelines"
    (old / "sandbox_sp_api" / "load" / "normalized").mkdir(parents=True)
    (old / "sandbox_mws").mkdir()
    monkeypatch.setattr(naming, "OLD_PIPELINES_DIR", old)
    naming.adopt_folder("sandbox_sp_api", new)
    assert (new / "sandbox_sp_api" / "load" / "normalized").is_dir()
    assert sorted(p.name for p in old.iterdir()) == ["sandbox_mws"]
    (old / "sandbox_mws" / "state.json").write_text("{}")
    (new / "sandbox_mws").mkdir()
    naming.adopt_folder("sandbox_mws", new)  # dlt's folder has one already: it stays
    assert (old / "sandbox_mws" / "state.json").exists()
