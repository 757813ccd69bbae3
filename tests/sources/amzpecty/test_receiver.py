"""The callback receiver over HTTPS: who may post, what it accepts, and that it stores once."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor

import orjson
import pytest
import requests

from pipelines import receiver
from tests.callbacks import make_tls

SECRET = "receiver-test-secret-4c1d"


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def running(tls, tmp_path):
    store = tmp_path / "store.sqlite"
    with receiver.start(store, SECRET, tls.certfile, tls.keyfile, max_body=4096) as started:
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


def test_plain_http_is_not_served(running) -> None:
    with pytest.raises(requests.ConnectionError):
        requests.post(running.url.replace("https", "http"), data=b"{}", timeout=10)
