"""The sandbox over HTTPS: a certificate from the CA it prints, every URL it hands out on
https://, plain HTTP and untrusting clients refused without stopping the server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import certifi
import pytest
import requests

from tests.sandbox.wire import control


def test_https_is_served_with_a_certificate_from_the_printed_ca(tls_sandbox) -> None:
    url, ca_file = tls_sandbox.url, tls_sandbox.ca_file
    assert url.startswith("https://127.0.0.1:")
    accounts = requests.get(f"{url}/_sandbox/accounts", timeout=10, verify=ca_file).json()
    assert accounts["ca_file"] == ca_file
    assert accounts["lwa"]["token_url"] == f"{url}/auth/o2/token"
    assert accounts["sp_api"]["endpoint"] == url
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{url}/_sandbox/clock", timeout=10, verify=certifi.where())
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"{url.replace('https', 'http', 1)}/_sandbox/clock", timeout=10)
    assert control(url, "clock/advance", {"seconds": 60}, verify=ca_file)["frozen"] is True


def test_plain_http_sandboxes_name_no_ca(sandbox_server, accounts) -> None:
    assert sandbox_server.ca_file is None and accounts["ca_file"] is None


def test_python_m_sandbox_tls_prints_its_ca_and_removes_it_on_exit() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--tls", "--orders", "100", "--frozen"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        lines = []
        while not lines or lines[-1] != "}\n":
            line = process.stdout.readline()
            assert line, "the sandbox ended before printing its accounts"
            lines.append(line)
        ca_file = json.loads("".join(lines))["ca_file"]
        body = requests.get(f"{url}/_sandbox/accounts", timeout=10, verify=ca_file).json()
        assert url.startswith("https://") and body["sp_api"]["endpoint"] == url
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert process.returncode == 0
    assert not Path(ca_file).exists()
