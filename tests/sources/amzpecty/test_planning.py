"""What a run asks for: ASINs from config and the warehouse, minus what is in flight."""

from __future__ import annotations

from pathlib import Path

import dlt
import orjson
import pendulum
import pyarrow as pa

from pipelines.duckdb_file import DuckDbFile
from pipelines.warehouse import Warehouse
from sources.amzpecty.planning import Wanted, plan, warehouse_asins
from sources.amzpecty.store import LOST, Result, Store

NOW = pendulum.datetime(2026, 11, 1, 12, tz="UTC")
US, DE = "www.amazon.com", "www.amazon.de"


def _at(hours_ago: float) -> str:
    return NOW.subtract(hours=hours_ago).isoformat()


def _result(rid: str, queue: str, status: str = "OK", data: dict | None = None) -> Result:
    body = orjson.dumps({"rid": rid, "status": status, "responsefor": queue, "data": data})
    return Result(rid, queue, status, _at(0), "callback", body)


def _sp_api(path: Path, tables: dict[str, pa.Table]) -> DuckDbFile:
    """A warehouse whose `sp_api` dataset dlt loaded with `tables`."""
    file = DuckDbFile(path)
    pipeline = dlt.pipeline(
        pipeline_name=f"planning_{path.stem}",
        destination=file.destination(),
        dataset_name="sp_api",
        pipelines_dir=str(path.parent / "pipelines"),
    )
    pipeline.run([dlt.resource(t, name=n) for n, t in tables.items()], loader_file_format="parquet")
    return file


def test_warehouse_asins_come_from_every_sp_api_table_with_an_asin(tmp_path) -> None:
    file = _sp_api(
        tmp_path / "w.duckdb",
        {
            "order_items": pa.table(
                {
                    "product__asin": ["B0A", "B0A", None],
                    "marketplace_id": ["ATVPDKIKX0DER", "A1PA6795UKMFR9", "ATVPDKIKX0DER"],
                }
            ),
            "listings": pa.table({"asin": ["B0B"]}),
            "orders": pa.table({"order_id": ["x"]}),
        },
    )
    warehouse = Warehouse.of_file(file)
    assert warehouse_asins(lambda: warehouse.dataset("sp_api"), US) == {
        ("B0A", US),
        ("B0A", DE),
        ("B0B", US),
    }


def test_a_warehouse_without_sp_api_tables_gives_no_asins(tmp_path) -> None:
    file = _sp_api(tmp_path / "empty.duckdb", {"orders": pa.table({"order_id": ["x"]})})
    warehouse = Warehouse.of_file(file)
    assert warehouse_asins(lambda: warehouse.dataset("sp_api"), US) == set()
    assert warehouse_asins(lambda: warehouse.dataset("mws"), US) == set()  # nothing loaded
    assert warehouse_asins(lambda: None, US) == set()
    assert warehouse_asins(None, US) == set()


def test_pending_and_fresh_keys_are_not_added_again(tmp_path) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.record_request("a" * 24, "asinsnapshot", "B0PENDING", US, _at(1))
    store.record_request("b" * 24, "asinsnapshot", "B0FRESH", US, _at(2))
    store.record_request("c" * 24, "asinsnapshot", "B0STALE", US, _at(30))
    store.record_request("d" * 24, "asinsnapshot", "B0LOST", US, _at(1))
    store.record_results(
        [
            _result("b" * 24, "asinsnapshot"),
            _result("c" * 24, "asinsnapshot"),
            _result("d" * 24, "asinsnapshot", status=LOST),
        ]
    )
    keys = [(k, US) for k in ("B0PENDING", "B0FRESH", "B0STALE", "B0LOST", "B0NEW")]
    keys.append(("B0FRESH", DE))  # the same ASIN in another marketplace is another key
    chosen = plan(store, NOW, min_refresh=86400, asins=keys)
    assert chosen == [
        Wanted("asinsnapshot", "B0FRESH", DE),
        Wanted("asinsnapshot", "B0LOST", US),
        Wanted("asinsnapshot", "B0NEW", US),
        Wanted("asinsnapshot", "B0STALE", US),
    ]


def test_parents_go_to_the_variations_queue(tmp_path) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.record_request("e" * 24, "asinsnapshot", "B0CHILD", US, _at(48))
    store.record_results([_result("e" * 24, "asinsnapshot", data={"parentAsin": "B0PARENT"})])
    chosen = plan(
        store,
        NOW,
        min_refresh=86400,
        asins=[("B0CHILD", US), ("B0CONFIGPARENT", US)],
        parents=[("B0CONFIGPARENT", US)],
        product_ids=[("012345678905", US)],
    )
    assert chosen == [
        Wanted("asinsnapshot", "B0CHILD", US),
        Wanted("matchasins", "012345678905", US),
        Wanted("productvariations", "B0CONFIGPARENT", US),
        Wanted("productvariations", "B0PARENT", US),
    ]


def test_an_add_in_doubt_is_not_planned_again_until_settled(tmp_path) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.journal_add("asinsnapshot", "B0DOUBT", US, _at(0))
    assert plan(store, NOW, 86400, [("B0DOUBT", US), ("B0NEW", US)]) == [
        Wanted("asinsnapshot", "B0NEW", US)
    ]
    store.settle("asinsnapshot", "B0DOUBT", US)
    assert Wanted("asinsnapshot", "B0DOUBT", US) in plan(store, NOW, 86400, [("B0DOUBT", US)])
