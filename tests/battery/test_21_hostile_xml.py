"""Battery row 21: hostile XML (an external entity reading a `file://` canary, an external
DTD and a parameter entity fetched from 127.0.0.1, billion laughs, quadratic blowup, 10k-deep
nesting, a DOCTYPE hidden in UTF-16) through both the whole-document parser (`xml.parse`, every
MWS, ECS and AIM answer) and the streaming one (`xml.iter_elements`, SP-API XML reports).

Every DOCTYPE is refused before it is read, the nesting at libxml2's depth limit; the canary's
content appears nowhere, the DTD listener sees no connection, and a fresh process parsing them
all stays small.
"""

from __future__ import annotations

import importlib.metadata
import logging
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from sources.aim import aim_source
from sources.common import xml
from sources.common.failures import Failures
from sources.mws import mws_source
from sources.paapi import paapi_source
from tests.battery.hostile_xml import HostileServer, Listener, documents
from tests.conftest import ROOT
from tests.loading import run_source

NAMES = list(documents(Path("c"), 1))
MEMORY_LIMIT_KB = 200 << 10  # a fresh interpreter with lxml is ~30 MB; one expansion is GBs


@pytest.fixture
def canary(tmp_path: Path) -> tuple[Path, str]:
    content = f"CANARY-21-{uuid.uuid4().hex}"
    path = tmp_path / "canary.txt"
    path.write_text(content)
    return path, content


@pytest.fixture
def listener() -> Any:
    found = Listener()
    yield found
    found.close()


def test_lxml_is_6_1_or_newer_installed_and_required() -> None:
    assert etree.LXML_VERSION >= (6, 1)
    required = importlib.metadata.requires("amazon-elt") or []
    assert "lxml>=6.1" in [r.replace(" ", "") for r in required]


@pytest.mark.parametrize("name", NAMES)
def test_both_parsers_refuse_it_before_reading_anything(
    name: str, canary: tuple[Path, str], listener: Listener, tmp_path: Path
) -> None:
    path, content = canary
    document = documents(path, listener.port)[name]
    saved = tmp_path / "answer.xml"
    saved.write_bytes(document)
    deep = name == "deep-nesting"
    with pytest.raises(xml.XmlError if deep else xml.UnsafeXmlError) as whole:
        xml.parse(document, "answer")
    # the streaming parser meets the depth limit as it reads (lxml's own error, which SP-API's
    # report documents catch), a DOCTYPE before it reads
    with pytest.raises(etree.XMLSyntaxError if deep else xml.UnsafeXmlError) as streamed:
        list(xml.iter_elements(saved, "AmazonOrderId"))
    for error in (whole.value, streamed.value):
        assert content not in f"{error}{error!r}"
    if deep:
        assert "depth" in str(whole.value).lower() and "depth" in str(streamed.value).lower()
    assert listener.connections() == 0


# prints the process's peak RSS in kB: /proc's VmHWM starts again at exec, where getrusage's
# maxrss would carry over the forking pytest worker's
PARSE_ALL = """
import sys
from pathlib import Path
from sources.common import xml
for path in sorted(Path(sys.argv[1]).iterdir()):
    for parse in (lambda: xml.parse(path.read_bytes()), lambda: list(xml.iter_elements(path, "a"))):
        try:
            parse()
        except (xml.XmlError, xml.etree.XMLSyntaxError):
            pass
        else:
            sys.exit(f"{path.name} parsed")
status = Path("/proc/self/status").read_text()
print(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
"""


def test_a_fresh_process_refusing_them_all_stays_small(
    canary: tuple[Path, str], listener: Listener, tmp_path: Path
) -> None:
    folder = tmp_path / "hostile"
    folder.mkdir()
    for name, document in documents(canary[0], listener.port).items():
        (folder / f"{name}.xml").write_bytes(document)
    result = subprocess.run(
        [sys.executable, "-c", PARSE_ALL, str(folder)],
        capture_output=True,
        text=True,
        timeout=120,  # a guard, not a measure: refusing takes milliseconds
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) < MEMORY_LIMIT_KB
    assert listener.connections() == 0


def _legacy_sources(url: str, failures: Failures) -> dict[str, Any]:
    """MWS, ECS and AIM sources of one account each, talking to `url`."""
    account = {"name": "hostile", "seller_id": "A1HOSTILE", "marketplace_ids": ["ATVPDKIKX0DER"]}
    return {
        "mws": mws_source(
            accounts=[account], access_key_id="AKIAHOSTILE21", secret_key="hostile-secret-21",
            endpoint=url, reports=False, retry_backoff_seconds=0.01, failures=failures,
        ),
        "paapi": paapi_source(
            access_key_id="AKIAHOSTILE21", secret_key="hostile-secret-21", endpoint=url,
            asins=["B000000001"], retry_backoff_seconds=0.01, failures=failures,
        ),
        "aim": aim_source(
            accounts=[{**account, "email": "a@example.com", "password": "hostile-password-21"}],
            endpoint=url, retry_backoff_seconds=0.01, failures=failures,
        ),
    }  # fmt: skip


@pytest.mark.parametrize("name", ["file-entity", "parameter-entity", "utf-16-doctype"])
def test_hostile_answers_fail_their_account_and_leak_nothing(
    name: str, canary: tuple[Path, str], listener: Listener, tmp_path: Path, caplog
) -> None:
    path, content = canary
    failures = Failures()
    with (
        HostileServer(documents(path, listener.port)[name]) as server,
        caplog.at_level(logging.DEBUG),
    ):
        for dataset, source in _legacy_sources(server.url, failures).items():
            run_source(source, tmp_path, dataset)
    assert sorted(f.resource for f in failures) == ["aim", "mws orders", "paapi items"]
    assert all("DOCTYPE is not allowed" in str(f.error) for f in failures)
    assert listener.connections() == 0
    assert content not in caplog.text + "".join(f"{f}{f.error!r}" for f in failures)
    for found in tmp_path.rglob("*"):
        if found.is_file() and found != path:
            assert content.encode() not in found.read_bytes(), found
