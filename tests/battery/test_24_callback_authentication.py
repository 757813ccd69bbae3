"""Row 24, callback authentication: a POST without the secret, with a wrong one (same and
other length), with the secret in the wrong case or under another name, or over plain HTTP,
is refused (401/403) and stores nothing; no secret reaches a log; the comparison is
`hmac.compare_digest`."""

from __future__ import annotations

import ast
import logging
import socket
import sqlite3
import ssl

import orjson
import pytest
import requests

from pipelines import receiver
from tests.callbacks import make_tls
from tests.conftest import ROOT

SECRET = "canary-callback-secret-24-9f3c1e"
RID = "0123456789abcdef01234567"
BODY = orjson.dumps({"status": "OK", "responsefor": "asinsnapshot", "rid": RID, "data": {}})
JSON = {"Content-Type": "application/json"}

WRONG = [
    pytest.param({}, "", id="no-header"),
    pytest.param({"AMZPECTY-API-SECRET-KEY": SECRET[:-1] + "0"}, "", id="wrong-same-length"),
    pytest.param({"AMZPECTY-API-SECRET-KEY": SECRET[:-4]}, "", id="wrong-shorter"),
    pytest.param({"AMZPECTY-API-SECRET-KEY": SECRET + "00"}, "", id="wrong-longer"),
    pytest.param({"AMZPECTY-API-SECRET-KEY": ""}, "", id="empty"),
    pytest.param({"AMZPECTY-API-SECRET-KEY": SECRET.upper()}, "", id="value-in-upper-case"),
    pytest.param({"AMZPECTY_API_SECRET_KEY": SECRET}, "", id="underscored-name"),
    pytest.param({"X-AMZPECTY-API-SECRET-KEY": SECRET}, "", id="prefixed-name"),
    pytest.param({"Authorization": f"Bearer {SECRET}"}, "", id="as-bearer-token"),
    pytest.param({}, f"?secretKey={SECRET}", id="in-the-query"),
    pytest.param({"AMZPECTY-API-SECRET-KEY": f"{SECRET}, {SECRET}"}, "", id="listed-twice"),
]


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return make_tls(tmp_path_factory.mktemp("tls"))


def _stored(store) -> int:
    with sqlite3.connect(store) as connection:
        return connection.execute("select count(*) from results").fetchone()[0]


@pytest.mark.parametrize(("headers", "query"), WRONG)
def test_a_callback_without_the_exact_secret_is_refused_and_stores_nothing(
    tls, tmp_path, caplog, headers, query
) -> None:
    caplog.set_level(logging.DEBUG)
    store = tmp_path / "store.sqlite"
    with receiver.start(store, SECRET, tls.certfile, tls.keyfile) as running:
        response = requests.post(
            running.url + query,
            data=BODY,
            headers={**JSON, **headers},
            verify=tls.cafile,
            timeout=10,
        )
        assert response.status_code == 401
        assert response.json() == {"error": "missing or wrong AMZPECTY-API-SECRET-KEY"}
        assert _stored(store) == 0
        # then the secret as Amzpecty sends it (a header name has no case): stored
        right = requests.post(
            running.url,
            data=BODY,
            headers={**JSON, "amzpecty-api-secret-key": SECRET},  # names have no case
            verify=tls.cafile,
            timeout=10,
        )
        assert right.status_code == 200 and _stored(store) == 1
    assert SECRET[:-4].lower() not in caplog.text.lower()


def test_a_repeated_secret_header_is_refused(tls, tmp_path) -> None:
    store = tmp_path / "store.sqlite"
    with receiver.start(store, SECRET, tls.certfile, tls.keyfile) as running:
        host, port = running.url.split("/")[2].split(":")
        request = (
            f"POST {receiver.CALLBACK_PATH} HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Type: application/json\r\nAMZPECTY-API-SECRET-KEY: wrong\r\n"
            f"AMZPECTY-API-SECRET-KEY: {SECRET}\r\nContent-Length: {len(BODY)}\r\n\r\n"
        ).encode() + BODY
        answer = _raw_tls(tls.cafile, host, int(port), request)
    assert answer.startswith(b"HTTP/1.1 401 ") and _stored(store) == 0


def test_plain_http_is_refused_before_anything_is_read(tls, tmp_path, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    store = tmp_path / "store.sqlite"
    with receiver.start(store, SECRET, tls.certfile, tls.keyfile) as running:
        response = requests.post(
            running.url.replace("https://", "http://"),
            data=BODY,
            headers={**JSON, "AMZPECTY-API-SECRET-KEY": SECRET},
            timeout=10,
        )
    assert response.status_code == 403 and response.json() == {"error": "HTTPS only"}
    assert _stored(store) == 0
    assert SECRET[:-4].lower() not in caplog.text.lower()


def test_the_secret_is_compared_only_in_constant_time() -> None:
    """Static: the configured secret is read in exactly one place, `hmac.compare_digest`."""
    tree = ast.parse((ROOT / "pipelines" / "receiver.py").read_text())
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    uses = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr == "_expected"
        and isinstance(node.ctx, ast.Load)
    ]
    assert uses, "the receiver keeps the secret as self._expected"
    for use in uses:
        call = parents[use]
        assert isinstance(call, ast.Call) and ast.unparse(call.func) == "hmac.compare_digest"
    compared = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Compare) and "secret" in ast.unparse(node).lower()
    ]
    assert compared == [], [ast.unparse(node) for node in compared]


def _raw_tls(cafile: str, host: str, port: int, request: bytes) -> bytes:
    context = ssl.create_default_context(cafile=cafile)
    raw = socket.create_connection((host, port), timeout=10)
    with context.wrap_socket(raw, server_hostname=host) as sock:
        sock.sendall(request)
        return sock.recv(65536)
