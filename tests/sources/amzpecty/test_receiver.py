"""The callback receiver over HTTPS: who may post, what it accepts, and that it stores once."""

from __future__ import annotations

import re
import socket
import sqlite3
import ssl
from concurrent.futures import ThreadPoolExecutor

import orjson
import pytest
import requests

from pipelines import receiver
from pipelines.https_server import Limits
from tests.callbacks import make_tls

SECRET = "receiver-test-secret-4c1d"


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def running(tls, tmp_path):
    store = tmp_path / "store.sqlite"
    limits = Limits(max_body_bytes=4096)
    with receiver.start(store, SECRET, tls.certfile, tls.keyfile, limits=limits) as started:
        started.store = store  # type: ignore[attr-defined]
        yield started


def _post(running, tls, body: bytes, secret: str | None = SECRET, **headers: str):
    sent = {"Content-Type": "application/json"}
    if secret is not None:
        sent["AMZPECTY-API-SECRET-KEY"] = secret
    sent.update(headers)
    return requests.post(running.url, data=body, headers=sent, verify=tls.cafile, timeout=10)


def _envelope(rid: str, **data: object) -> bytes:
    return orjson.dumps({"status": "OK", "responsefor": "asinsnapshot", "rid": rid, "data": data})


def _stored(running) -> list[tuple]:
    with sqlite3.connect(running.store) as connection:
        return connection.execute("select rid, via, body from results order by seq").fetchall()


@pytest.mark.parametrize("secret", [None, "wrong", SECRET + "x", SECRET[:-1]])
def test_a_missing_or_wrong_secret_is_a_401_and_stores_nothing(running, tls, secret) -> None:
    response = _post(running, tls, _envelope("a" * 24), secret=secret)
    assert response.status_code == 401
    assert _stored(running) == []


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (_envelope("a" * 24), {"Content-Type": "text/plain"}, 415),
        (_envelope("a" * 24), {"Content-Type": "application/x-www-form-urlencoded"}, 415),
        (_envelope("a" * 24, blob="x" * 5000), {}, 413),
        (b"{not json", {}, 400),
        (orjson.dumps({"status": "OK"}), {}, 400),
        (_envelope("not-a-rid"), {}, 400),
        (b"[1, 2]", {}, 400),
    ],
    ids=["text", "form", "too-large", "not-json", "no-rid", "bad-rid", "not-an-object"],
)
def test_bad_callbacks_are_refused_and_not_stored(running, tls, body, headers, status) -> None:
    assert _post(running, tls, body, **headers).status_code == status
    assert _stored(running) == []


def test_a_chunked_body_over_the_limit_is_a_413(running, tls) -> None:
    def chunks():
        yield b'{"rid": "' + b"a" * 24 + b'", "pad": "'
        yield b"x" * 8192
        yield b'"}'

    headers = {"Content-Type": "application/json", "AMZPECTY-API-SECRET-KEY": SECRET}
    response = requests.post(
        running.url, data=chunks(), headers=headers, verify=tls.cafile, timeout=10
    )
    assert response.status_code == 413 and _stored(running) == []


def test_a_repeated_rid_is_the_same_callback(running, tls) -> None:
    first = _post(running, tls, _envelope("b" * 24, asin="B0FIRST"))
    again = _post(running, tls, _envelope("b" * 24, asin="B0SECOND"))
    assert first.json() == {"rid": "b" * 24, "stored": True, "duplicate": False}
    assert again.status_code == 200 and again.json()["duplicate"] is True
    stored = _stored(running)
    assert len(stored) == 1 and b"B0FIRST" in stored[0][2] and stored[0][1] == "callback"


def test_concurrent_callbacks_are_all_stored_once(running, tls) -> None:
    rids = [f"{n:024x}" for n in range(200)]
    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(lambda rid: _post(running, tls, _envelope(rid)).status_code, rids))
    assert statuses == [200] * 200
    assert sorted(row[0] for row in _stored(running)) == rids


def test_plain_http_is_refused_unread(running) -> None:
    body = _envelope("c" * 24)
    headers = {"Content-Type": "application/json", "AMZPECTY-API-SECRET-KEY": SECRET}
    response = requests.post(
        running.url.replace("https", "http"), data=body, headers=headers, timeout=10
    )
    assert response.status_code == 403 and response.json() == {"error": "HTTPS only"}
    assert _stored(running) == []


def _raw(running, tls, data: bytes, answers: int = 1, then: bytes = b"") -> bytes:
    """Write `data` on one TLS connection (and `then` after a 100 Continue); what comes back
    until `answers` final answers did, or the receiver closed."""
    port = int(running.url.split(":")[2].split("/")[0])
    context = ssl.create_default_context(cafile=tls.cafile)
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    with context.wrap_socket(raw, server_hostname="127.0.0.1") as sock:
        sock.sendall(data)
        answer = b""
        while sum(s >= 200 for s in _statuses(answer)) < answers or not answer.endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
            if then and b" 100 Continue" in answer:
                sock.sendall(then)
                then = b""
    return answer


def _request(body: bytes, secret: str = SECRET, extra: str = "") -> bytes:
    head = (
        f"POST {receiver.CALLBACK_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"AMZPECTY-API-SECRET-KEY: {secret}\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    )
    return head.encode() + body


def _statuses(answer: bytes) -> list[int]:
    return [int(status) for status in re.findall(rb"HTTP/1\.1 (\d{3}) ", answer)]


def test_pipelined_requests_are_answered_in_order_until_one_is_refused(running, tls) -> None:
    first, second, never = (_envelope(c * 24) for c in "de9")
    refused = _request(first, secret="wrong")
    sent = _request(first) + _request(second) + refused + _request(never)
    answer = _raw(running, tls, sent, answers=3)
    assert _statuses(answer) == [200, 200, 401]
    assert answer.endswith(b'{"error":"missing or wrong AMZPECTY-API-SECRET-KEY"}')
    running.stop()  # nothing after a refusal is read
    assert [row[0] for row in _stored(running)] == ["d" * 24, "e" * 24]


def test_expect_continue_is_answered_only_for_an_acceptable_request(running, tls) -> None:
    body = _envelope("f" * 24)
    expect = "Expect: 100-continue\r\n"
    head = _request(b"", extra=expect).replace(
        b"Content-Length: 0", f"Content-Length: {len(body)}".encode()
    )
    assert _statuses(_raw(running, tls, head, then=body)) == [100, 200]
    refused = _request(b"", secret="wrong", extra=expect)
    assert _statuses(_raw(running, tls, refused)) == [401]
    assert [row[0] for row in _stored(running)] == ["f" * 24]


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (_request(b"{}", extra=f"X-Padding: {'p' * 20_000}\r\n"), 431),
        (b"NOT HTTP AT ALL\r\n\r\n", 400),
        (_request(b"{}").replace(b"Content-Length: 2", b"Content-Length: -2"), 400),
    ],
    ids=["headers-too-large", "malformed", "bad-length"],
)
def test_broken_requests_are_refused_and_closed(running, tls, request_bytes, status) -> None:
    assert _statuses(_raw(running, tls, request_bytes)) == [status]
    assert _stored(running) == []
