"""One malformed or hostile file in an archive folder is named and skipped: the rest of the
folder and the API data load, and the next run tries only that file again."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from sources.aim import aim_source
from sources.common.failures import Failures
from sources.legacy_files import files as archive
from sources.mws import mws_source
from sources.paapi import paapi_source
from tests.conftest import TEST_TIME_SCALE
from tests.loading import run_source

pytestmark = pytest.mark.e2e
SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "legacy-samples"
HOSTILE = {
    "truncated.xml.gz": gzip.compress(
        (SAMPLES / "mws/doc-samples/orders_list_orders.xml").read_bytes()
    )[:300],
    "doctype.xml": b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><ListOrdersResponse>&x;</ListOrdersResponse>',
    "notes.txt": b"neither XML nor a known report\n",
}


def _folder(tmp_path: Path, seller: str) -> Path:
    folder = tmp_path / "archive"
    (folder / seller).mkdir(parents=True)
    for path in (SAMPLES / "mws/doc-samples").glob("orders_list_orders*.xml"):
        shutil.copy(path, folder / seller / path.name)
    shutil.copy(SAMPLES / "aim/download-report-Order.tsv", folder / seller / "order-report.tsv")
    shutil.copytree(SAMPLES / "ecs", folder / "ecs")
    for name, data in HOSTILE.items():
        (folder / seller / name).write_bytes(data)
    (folder / "outside-a-seller-folder.tsv").write_text(
        "order-id\tpayments-transaction-id\trefund-amount\n002-1\tT-1\t1.00\n"
    )
    return folder


def _run(
    tmp_path: Path, accounts: dict, folder: Path
) -> tuple[dict[str, dict[str, int]], Failures]:
    failures = Failures()
    mws = accounts["mws"]
    sources = {
        "mws": mws_source(
            accounts=mws["accounts"][:1], access_key_id=mws["access_key_id"],
            secret_key=mws["secret_key"], endpoint=mws["endpoint"], reports=False,
            quota_scale=TEST_TIME_SCALE, archive_folder=str(folder), failures=failures,
        ),
        "aim": aim_source(archive_folder=str(folder), failures=failures),
        "paapi": paapi_source(archive_folder=str(folder), failures=failures),
    }  # fmt: skip
    counts = {}
    for name, source in sources.items():
        pipeline = run_source(source, tmp_path, name)
        counts[name] = {
            table: rows
            for table, rows in pipeline.last_trace.last_normalize_info.row_counts.items()
            if not table.startswith("_dlt")
        }
    return counts, failures


def _saved(tmp_path: Path, sql: str) -> set[Any]:
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as connection:
        return {row[0] for row in connection.execute(sql).fetchall()}


def test_bad_files_are_named_and_skipped_and_only_they_are_tried_again(
    sandbox_server, accounts, tmp_path
) -> None:
    seller = accounts["mws"]["accounts"][0]["seller_id"]
    folder = _folder(tmp_path, seller)
    counts, failures = _run(tmp_path, accounts, folder)
    named = sorted(f.key for f in failures)
    assert named == sorted([*(f"{seller}/{n}" for n in HOSTILE), "outside-a-seller-folder.tsv"])
    assert all(f.resource == archive.SKIPPED for f in failures)
    saved = "select distinct source_file from mws.orders where source_file is not null"
    assert f"{seller}/orders_list_orders.xml" in _saved(tmp_path, saved)
    assert counts["aim"]["order_items"] > 0 and counts["paapi"]["items"] > 10
    api = _saved(tmp_path, "select count(*) from mws.orders where source_file is null").pop()
    assert api > 0  # the account's orders from the API loaded beside the folder

    counts, failures = _run(tmp_path, accounts, folder)
    assert sorted(f.key for f in failures) == named  # the bad files, tried again
    assert counts["aim"] == {} and counts["paapi"] == {}  # nothing else read twice
    (folder / seller / "notes.txt").unlink()
    fixed = (SAMPLES / "mws/doc-samples/orders_list_orders.xml").read_bytes()
    (folder / seller / "doctype.xml").write_bytes(fixed.replace(b"902-3159896", b"902-0000000"))
    counts, failures = _run(tmp_path, accounts, folder)
    assert f"{seller}/doctype.xml" not in {f.key for f in failures}
    assert "902-0000000-1390916" in _saved(tmp_path, "select amazon_order_id from mws.orders")


def test_a_missing_archive_folder_is_named_and_the_api_data_loads(
    sandbox_server, accounts, tmp_path
) -> None:
    counts, failures = _run(tmp_path, accounts, tmp_path / "no-such-folder")
    assert sorted(f.key for f in failures) == [
        "sources.aim.archive_folder", "sources.mws.archive_folder", "sources.paapi.archive_folder"
    ]  # fmt: skip
    assert counts["mws"]["orders"] > 0


def test_a_gzip_bomb_is_refused_at_the_cap_without_inflating_it() -> None:
    bomb = gzip.compress(bytes(64 << 20))
    with pytest.raises(archive.ArchiveError, match="decompresses past"):
        archive.unzipped(bomb, "bomb.xml.gz", max_bytes=1 << 20)
