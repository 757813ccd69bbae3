"""Row 23, injection-shaped data: titles that are spreadsheet formulas, SQL, right-to-left and
zero-width marks or a NUL arrive byte-exact in the raw tables, through an Orders API page and a
flat file (whose hostile column names load as names); no SQL is built by concatenating text,
and nothing exports CSV (a spreadsheet would need each formula prefixed with ', ASVS 1.2.10)."""

from __future__ import annotations

import ast
import copy
import json
import re
from pathlib import Path

from sources.common.arrow import column_name
from sources.sp_api.report_catalog import LISTINGS
from tests.battery.fetching import SEARCH_ORDERS, faults, report_faults
from tests.conftest import ROOT, START_DATE
from tests.loading import load_sp_api
from tests.sandbox.wire import lwa_token, sp_get

TITLES = (
    '=HYPERLINK("http://127.0.0.1/x","click")',
    "@SUM(1)",
    "+1+1",
    "-2+3",
    "'); DROP TABLE orders;--",
    'Robert"); DROP TABLE sp_api.orders;--',
    "\u202eevil\u202c right-to-left",
    "zero\u200bwidth\u200djoiner\ufeff",
    "nul\x00byte",
    "NULL",
)
# text that reads like SQL: a statement, or a condition
SQL = re.compile(
    r"^\s*(select|insert|update|delete|create|drop|alter|attach|copy)\b"
    r"|\bwhere\b[^.]*(=|<|>|\bis\b|\bin\b|\blike\b)",
    re.I,
)
# placeholders that are SQL fragments made only of quoted names, escaped literals and constants,
# reviewed where they are built (a new one is reviewed and added here, with why it is safe)
FRAGMENTS = {
    ("sources/sp_api/documents.py", "listed"),  # "name" and expressions of quoted names
    ("sources/sp_api/documents.py", "relation"),  # read_csv(_literal(path), _literal names)
    ("sources/sp_api/documents.py", "codes"),  # coalesce/md5 of quoted names
    ("sources/amzpecty/planning.py", "market"),  # dlt's escape_column_name, or null
    ("sources/amzpecty/planning.py", "column"),  # dlt's escape_column_name
    ("sources/amzpecty/planning.py", "client.make_qualified_table_name(table)"),  # dlt's
    ("pipelines/duckdb_file.py", "self._catalog_sql"),  # the catalog name, double-quoted
    ("pipelines/duckdb_file.py", "options"),  # a constant, the key passed as a parameter
    ("pipelines/locking.py", "RUN_LOCK"),  # an int constant
    ("pipelines/run.py", "state"),  # dlt's make_qualified_table_name
    ("pipelines/migration.py", "table"),  # dlt's make_qualified_table_name
    ("pipelines/summary.py", "now"),  # load ids of digits and dots only, quoted
    ("pipelines/summary.py", "client.make_qualified_table_name(table)"),  # dlt's
    ("pipelines/retention.py", "table"),  # dlt's make_qualified_table_name
    ("pipelines/retention.py", "qualified"),  # the same
    ("pipelines/retention.py", "where"),  # escape_column_name and escape_literal only
    ("pipelines/retention.py", "nulls"),  # escape_column_name = null
    ("pipelines/recovery.py", "client.make_qualified_table_name(LOADS_TABLE)"),  # dlt's
    ("pipelines/recovery.py", "done"),  # select from dlt's qualified _dlt_loads
    ("pipelines/recovery.py", "qualified"),  # dlt's make_qualified_table_name
    ("pipelines/recovery.py", "where"),  # a constant condition, values passed as parameters
    ("pipelines/summary.py", "name"),  # dlt's make_qualified_table_name
    ("pipelines/summary.py", "placeholders"),  # %s, one per load id passed as a parameter
    ("pipelines/pool.py", "versions"),  # dlt's make_qualified_table_name
}
CODE = [*ROOT.glob("sources/**/*.py"), *ROOT.glob("pipelines/**/*.py")]


def test_hostile_titles_in_an_orders_page_arrive_byte_exact(
    sandbox_server, accounts, tmp_path
) -> None:
    fe = accounts["accounts"][2]
    params = {"lastUpdatedAfter": f"{START_DATE}T00:00:00Z", "maxResultsPerPage": 1}
    page = sp_get(
        sandbox_server.url, lwa_token(accounts, 2), "/orders/2026-01-01/orders", **params
    ).json()
    (order,) = page["orders"]
    template = order["orderItems"][0]
    order["orderItems"] = []
    for number, title in enumerate(TITLES):
        item = copy.deepcopy(template)
        item["orderItemId"] = f"{number:014}"
        item["product"]["title"] = title
        order["orderItems"].append(item)
    body = json.dumps({"orders": [order]})  # one page, no next one
    faults(
        sandbox_server.url, {"operation": SEARCH_ORDERS, "seller_id": fe["seller_id"], "body": body}
    )
    load = load_sp_api(accounts, tmp_path, resources=["orders", "order_items"])
    assert not list(load.failures), [str(f) for f in load.failures]
    stored = load.query(
        "select product__title from sp_api.order_items "
        f"where seller_id = '{fe['seller_id']}' order by order_item_id"
    )
    assert [row[0] for row in stored] == list(TITLES)


def test_hostile_titles_and_column_names_in_a_flat_file_arrive_as_text(
    sandbox_server, accounts, tmp_path
) -> None:
    na = accounts["accounts"][0]  # UTF-8 documents: every title can be written in them
    header = ["seller-sku", "item-name", 'x"); DROP TABLE sp_api.report_listings; --', "';--"]
    rows = [[f"SKU-{n:02}", title, title, title] for n, title in enumerate(TITLES)]
    text = "".join("\t".join(line) + "\n" for line in (header, *rows))
    fault = {"kind": "text", "report_type": LISTINGS, "seller_id": na["seller_id"], "text": text}
    report_faults(sandbox_server.url, {**fault, "count": len(na["marketplace_ids"])})
    load = load_sp_api(accounts, tmp_path, resources=["reports"], report_types=[LISTINGS])
    assert not list(load.failures), [str(f) for f in load.failures]
    names = ", ".join(f'"{column_name(name)}"' for name in header[1:])  # as dlt names them
    for marketplace in na["marketplace_ids"]:
        stored = load.query(
            f"select {names} from sp_api.report_listings where seller_id = "
            f"'{na['seller_id']}' and marketplace_id = '{marketplace}' order by seller_sku"
        )
        assert stored == [(title, title, title) for title in TITLES]  # no cell shifted
    others = load.query(
        f"select count(*) from sp_api.report_listings where seller_id <> '{na['seller_id']}'"
    )
    assert others[0][0] > 0  # the table the header names is still there, and full


def _text(node: ast.expr) -> str | None:
    """A string constant's text, or an f-string's constant parts; None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(str(p.value) for p in node.values if isinstance(p, ast.Constant))
    return None


def _safe(path: str, parts: list[ast.expr], n: int) -> bool:
    """The f-string's `n`th part is a double-quoted identifier, a value quoted by `_literal` or
    `_quoted`, or a reviewed fragment built of those."""
    part = parts[n]
    assert isinstance(part, ast.FormattedValue)
    before = _text(parts[n - 1]) if n else ""
    after = _text(parts[n + 1]) if n + 1 < len(parts) else ""
    if (before or "").endswith('"') and (after or "").startswith('"'):
        return True
    if isinstance(part.value, ast.Call) and ast.unparse(part.value.func) in {"_literal", "_quoted"}:
        return True
    return (path, ast.unparse(part.value)) in FRAGMENTS


def test_no_sql_is_built_by_concatenating_text() -> None:
    found = []
    for path in CODE:
        for node in ast.walk(ast.parse(path.read_text())):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.JoinedStr) and SQL.search(_text(node) or ""):
                found += [
                    f"{where} {{{ast.unparse(part.value)}}}"  # type: ignore[attr-defined]
                    for n, part in enumerate(node.values)
                    if isinstance(part, ast.FormattedValue)
                    and not _safe(str(path.relative_to(ROOT)), node.values, n)
                ]
            concatenated = (
                isinstance(node, ast.BinOp)
                and isinstance(node.op, ast.Add | ast.Mod)
                and any(SQL.search(_text(side) or "") for side in (node.left, node.right))
            )
            formatted = (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "format"
                and SQL.search(_text(node.func.value) or "")
            )
            if concatenated or formatted:
                found.append(f"{where} {ast.unparse(node)[:60]}")
    assert found == []


def test_nothing_exports_csv() -> None:
    """The warehouse is the only output; a CSV export would have to prefix formulas."""
    writers = re.compile(
        r"\bto_csv\b|csv\.writer|\bwrite_csv\b|\bcopy\b.+\bto\b.+format\s+csv", re.I
    )
    paths = [*CODE, *ROOT.glob("sql/**/*.sql"), *ROOT.glob("notebooks/*.ipynb")]
    assert [
        str(Path(p).relative_to(ROOT)) for p in paths if writers.search(Path(p).read_text())
    ] == []
