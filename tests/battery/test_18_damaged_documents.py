"""Row 18, truncated and corrupt gzip documents and a decompression bomb: a damaged download is
downloaded again; one that stays damaged fails its report whole (no partial rows, cursor kept,
never "warn and load nothing"); a bomb stops at the configured cap with the process's memory
growing less than the cap."""

from __future__ import annotations

import pytest

from sources.common.clock import SYSTEM_CLOCK
from sources.common.retry import RetryPolicy
from sources.common.stats import ApiStats
from sources.sp_api import documents
from sources.sp_api.client import Account, make_client
from sources.sp_api.exceptions import DocumentError
from sources.sp_api.report_catalog import LISTINGS
from tests.battery.fetching import (
    calls,
    clean,
    expected_fixture,
    peak_rss_growth,
    report_faults,
    state,
)
from tests.loading import load_sp_api
from tests.sandbox.wire import control

OPTIONS = {"resources": ["reports"], "report_types": [LISTINGS]}
JP = "A1VC38T7YXB528"
REASONS = {"truncate": "truncated gzip", "corrupt": "corrupt gzip"}
CAP = 32 << 20  # the sandbox's bomb inflates to 64 MiB; a download needs ~16 MiB whatever its size


expected = expected_fixture(**OPTIONS)


@pytest.mark.parametrize("kind", REASONS)
def test_a_document_damaged_once_is_downloaded_again_and_loads_clean(
    sandbox_server, accounts, expected, tmp_path, kind
) -> None:
    url, fe = sandbox_server.url, accounts["accounts"][2]["seller_id"]
    report_faults(url, {"kind": kind, "report_type": LISTINGS, "seller_id": fe})
    load = load_sp_api(accounts, tmp_path, **OPTIONS)
    assert not list(load.failures)
    assert len(calls(url, "s3.GetObject", fe)) == 2
    assert clean(load) == expected


@pytest.mark.parametrize("kind", REASONS)
def test_a_document_that_stays_damaged_fails_whole_and_keeps_its_cursor(
    sandbox_server, accounts, expected, tmp_path, kind
) -> None:
    url, fe = sandbox_server.url, accounts["accounts"][2]
    spoiled = {"kind": kind, "report_type": LISTINGS, "seller_id": fe["seller_id"], "count": 100}
    report_faults(url, spoiled)
    load = load_sp_api(accounts, tmp_path, **OPTIONS)
    (failure,) = load.failures
    assert failure.key == f"{fe['name']} {LISTINGS} ({JP})"
    assert isinstance(failure.error, DocumentError) and REASONS[kind] in str(failure.error)
    assert len(calls(url, "s3.GetObject", fe["seller_id"])) == RetryPolicy().max_attempts
    rows = load.query(
        f"select count(*) from sp_api.report_listings where seller_id = '{fe['seller_id']}'"
    )
    assert rows == [(0,)]  # nothing of it
    assert load.count("report_listings") > 0  # everything else
    assert (
        "cursor" not in state(load, "report_documents")["jobs"][fe["seller_id"]][f"{LISTINGS}|{JP}"]
    )


def test_a_bomb_stops_at_the_cap_and_memory_grows_less_than_the_cap(
    sandbox_server, accounts, tmp_path
) -> None:
    url, fe = sandbox_server.url, accounts["accounts"][2]
    report_faults(url, {"kind": "bomb", "report_type": LISTINGS, "seller_id": fe["seller_id"]})
    load = load_sp_api(accounts, tmp_path / "run", max_document_bytes=CAP, **OPTIONS)
    (failure,) = load.failures
    assert failure.key == f"{fe['name']} {LISTINGS} ({JP})"
    assert "decompression bomb" in str(failure.error) and "max_document_bytes" in str(failure.error)
    assert f"{CAP:,} bytes" in str(failure.error)

    # the same bomb downloaded alone, so that the process's memory shows only the download
    client = make_client(
        Account.parse(fe, 2),
        accounts["lwa"]["client_id"],
        accounts["lwa"]["client_secret"],
        accounts["lwa"]["token_url"],
        SYSTEM_CLOCK,
        ApiStats(),
        RetryPolicy(backoff_base=0.01),
        accounts["sp_api"]["endpoint"],
        quota_scale=accounts["sp_api"]["time_scale"],
    )
    created = client.rest.post(
        "/reports/2021-06-30/reports", json={"reportType": LISTINGS, "marketplaceIds": [JP]}
    ).json()["reportId"]
    control(url, "clock/advance", {"seconds": 3600})  # processed
    report = client.rest.get(f"/reports/2021-06-30/reports/{created}").json()
    assert report["processingStatus"] == "DONE"
    report_faults(url, {"kind": "bomb", "report_type": LISTINGS, "seller_id": fe["seller_id"]})
    ref = documents.ReportRef(created, LISTINGS, (JP,), "", "")
    workdir = tmp_path / "alone"
    workdir.mkdir()

    def download() -> None:
        with pytest.raises(DocumentError, match="decompression bomb"):
            documents.download(client, report["reportDocumentId"], ref, workdir, CAP)

    assert peak_rss_growth(download) < CAP
    assert (workdir / f"{created}.txt").stat().st_size <= CAP  # it stopped at the cap
