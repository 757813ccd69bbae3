"""Row 20, malformed flat files and header drift: a ragged row (a tab or a line break inside a
field makes one too) fails its report naming the line, with nothing of it loaded; quotes are
text; a renamed column lands under its new name, never shifted; an empty or header-only file
is no rows with the cursor moved on; an added column evolves the table and the rows loaded
before keep their values."""

from __future__ import annotations

import pytest

from sources.sp_api.report_catalog import INVENTORY, LISTINGS
from tests.battery.fetching import report_faults, state
from tests.loading import load_sp_api
from tests.sandbox.wire import control

JP = "A1VC38T7YXB528"
TODAY = "2026-11-01"  # the sandbox's frozen day
HEADER = "item-name\tlisting-id\tseller-sku\tprice\tquantity\tstatus"
ROWS = ["Teekanne\t0101\tSKU-1\t1.50\t1\tActive", "Tasse\t0102\tSKU-2\t2.50\t2\tActive"]


def _text(*lines: str) -> str:
    return "".join(f"{line}\n" for line in lines)


BROKEN = {
    "ragged": (_text(HEADER, *ROWS, "Kanne\t0103\tSKU-3\t3.50\t3\tActive\textra"), 4, "Found: 7"),
    "tab-in-field": (_text(HEADER, "Tee\tkanne\t0101\tSKU-1\t1.50\t1\tActive", *ROWS), 2, "7"),
    "line-break-in-field": (
        _text(HEADER, ROWS[0], "Tee", "kanne\t0102\tSKU-2\t2\t2\tActive"),
        3,
        "",
    ),
}


def _load_listings(accounts: dict, tmp_path, url: str, text: str):  # type: ignore[no-untyped-def]
    fe = accounts["accounts"][2]["seller_id"]
    report_faults(url, {"kind": "text", "report_type": LISTINGS, "seller_id": fe, "text": text})
    return load_sp_api(accounts, tmp_path, resources=["reports"], report_types=[LISTINGS])


def _rows(load, seller_id: str) -> list[tuple]:  # type: ignore[no-untyped-def]
    return load.query(
        "select item_name, listing_id, seller_sku, price, quantity, status from "
        f"sp_api.report_listings where seller_id = '{seller_id}' order by seller_sku"
    )


def _cursor(load, seller_id: str) -> str | None:  # type: ignore[no-untyped-def]
    jobs = state(load, "report_documents")["jobs"][seller_id]
    return jobs[f"{LISTINGS}|{JP}"].get("cursor")


@pytest.mark.parametrize("case", BROKEN)
def test_a_ragged_row_fails_its_report_naming_the_line(
    sandbox_server, accounts, tmp_path, case
) -> None:
    text, line, found = BROKEN[case]
    fe = accounts["accounts"][2]
    load = _load_listings(accounts, tmp_path, sandbox_server.url, text)
    (failure,) = load.failures
    assert failure.key == f"{fe['name']} {LISTINGS} ({JP})"
    message = str(failure.error)
    assert f"line {line} (the header is line 1): Expected Number of Columns: 6" in message
    assert found in message
    assert _rows(load, fe["seller_id"]) == [] and _cursor(load, fe["seller_id"]) is None
    assert load.count("report_listings") > 0  # the other reports loaded


def test_quotes_are_text_and_a_renamed_column_is_never_shifted(
    sandbox_server, accounts, tmp_path
) -> None:
    fe = accounts["accounts"][2]["seller_id"]
    renamed = HEADER.replace("item-name", "item-title")
    quoted = '"Best" tea \'pot\' "unbalanced\t0101\tSKU-1\t1.50\t1\tActive'
    load = _load_listings(accounts, tmp_path, sandbox_server.url, _text(renamed, quoted, ROWS[1]))
    assert not list(load.failures)
    assert _rows(load, fe) == [
        (None, "0101", "SKU-1", "1.50", "1", "Active"),
        (None, "0102", "SKU-2", "2.50", "2", "Active"),
    ]
    titles = load.query(
        f"select item_title from sp_api.report_listings where seller_id = '{fe}' order by 1"
    )
    assert titles == [('"Best" tea \'pot\' "unbalanced',), ("Tasse",)]


@pytest.mark.parametrize("text", ["", _text(HEADER)], ids=["empty", "header-only"])
def test_an_empty_or_header_only_file_is_no_rows_and_the_cursor_moves_on(
    sandbox_server, accounts, tmp_path, text
) -> None:
    fe = accounts["accounts"][2]["seller_id"]
    load = _load_listings(accounts, tmp_path, sandbox_server.url, text)
    assert not list(load.failures)
    assert _rows(load, fe) == []
    assert _cursor(load, fe) == TODAY


def test_an_added_column_evolves_the_table_and_keeps_the_rows_loaded_before(
    sandbox_server, accounts, tmp_path
) -> None:
    url, fe = sandbox_server.url, accounts["accounts"][2]["seller_id"]
    options = {"resources": ["reports"], "report_types": [INVENTORY]}
    first = load_sp_api(accounts, tmp_path, **options)
    assert not list(first.failures)
    columns = ", ".join(r[0] for r in first.query("describe sp_api.report_fba_inventory"))
    before = first.query(f"select {columns} from sp_api.report_fba_inventory order by all")
    control(url, "clock/advance", {"seconds": 86400})  # tomorrow's snapshot
    drifted = _text(
        "sku\tfnsku\tasin\tnew-column\tafn-fulfillable-quantity",
        "SKU-1\tX001\tB000000001\tfresh\t5",
        "SKU-2\tX002\tB000000002\t\t7",
    )
    report_faults(url, {"kind": "text", "report_type": INVENTORY, "seller_id": fe, "text": drifted})
    second = load_sp_api(accounts, tmp_path, **options)
    assert not list(second.failures)
    kept = second.query(
        f"select {columns} from sp_api.report_fba_inventory "
        f"where snapshot_date = '{TODAY}' order by all"
    )
    assert kept == before  # every row loaded before, every value, in its column
    assert second.query(
        f"select count(*) from sp_api.report_fba_inventory where snapshot_date = '{TODAY}' "
        "and new_column is not null"
    ) == [(0,)]
    assert second.query(
        "select sku, asin, new_column, afn_fulfillable_quantity from sp_api.report_fba_inventory "
        f"where seller_id = '{fe}' and snapshot_date > '{TODAY}' order by sku"
    ) == [("SKU-1", "B000000001", "fresh", "5"), ("SKU-2", "B000000002", None, "7")]
