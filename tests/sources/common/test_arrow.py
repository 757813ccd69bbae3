"""Nested records to flat Arrow tables with dlt's column names."""

from __future__ import annotations

from sources.common.arrow import JsonDatabase, flat_table, struct_array


def test_structs_flatten_to_dlt_names_and_lists_become_json() -> None:
    table = flat_table(
        struct_array(
            [
                {
                    "orderId": "1",
                    "salesChannel": {"marketplaceId": "A"},
                    "SellerSKU": "s",
                    "programs": ["PRIME"],
                    "empty": {},
                },
                {"orderId": "2", "salesChannel": None, "SellerSKU": None, "programs": None},
            ]
        ),
        columns={"seller_id": ["S", "S"]},
    )
    assert table.column_names == [
        "seller_id",
        "order_id",
        "sales_channel__marketplace_id",
        "seller_sku",
        "programs",
    ]
    assert table.to_pylist()[0] == {
        "seller_id": "S",
        "order_id": "1",
        "sales_channel__marketplace_id": "A",
        "seller_sku": "s",
        "programs": '["PRIME"]',
    }
    assert table.to_pylist()[1]["programs"] is None


def test_key_columns_are_declared_not_null() -> None:
    table = flat_table(struct_array([{"a": 1, "b": None}]), not_null=["a"])
    assert not table.schema.field("a").nullable
    assert table.schema.field("b").nullable


def test_keys_missing_from_the_first_record_are_kept() -> None:
    table = flat_table(
        struct_array(
            [
                {"orderId": "1", "x": {"y": 1}},
                {"orderId": "2", "programs": ["PRIME"], "x": {"y": 2, "z": "q"}},
            ]
        )
    )
    assert set(table.column_names) == {"order_id", "x__y", "x__z", "programs"}
    assert table.column("programs").to_pylist() == [None, '["PRIME"]']


def test_dropped_fields_are_left_out() -> None:
    table = flat_table(struct_array([{"a": 1, "items": [{"b": 2}], "c": {"d": 3}}]), drop=["items"])
    assert table.column_names == ["a", "c__d"]


def test_urls_lose_their_callers_credentials_and_other_text_stays_byte_exact() -> None:
    link = "https://www.amazon.com/dp/B0?SubscriptionId=AKIACANARY&tag=t"
    table = flat_table(
        struct_array(
            [
                {"url": link, "title": '=HYPERLINK("x") ?password=1', "links": [link]},
                {"url": None, "title": "plain", "links": []},
            ]
        )
    )
    assert table.column("url").to_pylist() == ["https://www.amazon.com/dp/B0?tag=t", None]
    assert table.column("title").to_pylist() == ['=HYPERLINK("x") ?password=1', "plain"]
    assert "AKIACANARY" not in str(table.column("links").to_pylist())


def test_the_json_database_closes_between_queries_and_opens_again_on_use() -> None:
    database = JsonDatabase()
    with database.cursor() as cursor:
        running = database.connection
        database.close()  # a query runs: the database stays
        assert database.connection is running
        assert cursor.execute("select 1").fetchone() == (1,)
    database.close()
    assert database.connection is None
    with database.cursor() as cursor:
        assert database.connection is not running
        assert cursor.execute("select to_json([1, 2])::varchar").fetchone() == ("[1,2]",)
