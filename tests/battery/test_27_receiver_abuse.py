"""Row 27, abuse of the callback receiver: a 10 MB body, slowloris (a byte a second, in the
headers and in the body), a wrong content type and 200 parallel connections from one client
-> 413, 408, 415 and the client's connections beyond its cap closed, while a valid callback
sent meanwhile is stored and answered within a second of wall time."""

from __future__ import annotations

import socket
import sqlite3
import ssl
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import orjson
import pytest
import requests

from pipelines import receiver
from pipelines.https_server import Limits
from sources.common.clock import SYSTEM_CLOCK
from tests.callbacks import Tls, make_tls

SECRET = "abuse-test-secret-27"
LIMITS = Limits(header_seconds=2.0, body_seconds=2.0, idle_seconds=10.0, connections_per_client=64)
SLOWLORIS = 5
FLOOD = 200
DRIPPED = 20  # bytes a drip sends at most: a server without deadlines fails, not hangs
HEAD = (
    f"POST {receiver.CALLBACK_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    f"Content-Type: application/json\r\nAMZPECTY-API-SECRET-KEY: {SECRET}\r\n"
)


def _envelope(rid: str) -> bytes:
    return orjson.dumps({"status": "OK", "responsefor": "asinsnapshot", "rid": rid, "data": {}})


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return make_tls(tmp_path_factory.mktemp("tls"))


@dataclass
class Target:
    tls: Tls
    port: int

    def connect(self, source: str) -> ssl.SSLSocket:
        """A TLS connection from the loopback address `source` (each its own client)."""
        raw = socket.create_connection(
            ("127.0.0.1", self.port), timeout=10, source_address=(source, 0)
        )
        context = ssl.create_default_context(cafile=self.tls.cafile)
        return context.wrap_socket(raw, server_hostname="127.0.0.1")


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


def _drip(
    target: Target, prefix: bytes, payload: bytes, started: threading.Barrier
) -> tuple[int, int]:
    """Send `prefix` at once, then `payload` a byte a second (the wait is a read timeout on
    the answer); returns the answer's status and how many bytes of `payload` went out."""
    with target.connect("127.0.0.3") as sock:
        sock.sendall(prefix)
        sock.settimeout(1.0)
        sent, answer = 0, b""
        for byte in payload[:DRIPPED]:
            sock.sendall(bytes([byte]))
            sent += 1
            if sent == 1:
                started.wait(timeout=30)
            try:
                answer = sock.recv(4096)
            except TimeoutError:
                continue
            break
        return _status(answer), sent


def _flood(target: Target) -> list[ssl.SSLSocket]:
    """FLOOD connections from one client at once; those that got through the handshake."""

    def attempt(_: int) -> ssl.SSLSocket | None:
        try:
            return target.connect("127.0.0.2")
        except OSError:  # ssl.SSLError too: closed at accept, before the handshake
            return None

    with ThreadPoolExecutor(50) as pool:
        return [sock for sock in pool.map(attempt, range(FLOOD)) if sock is not None]


def test_abuse_is_refused_while_a_valid_callback_goes_through_within_a_second(
    tls, tmp_path
) -> None:
    store = tmp_path / "store.sqlite"
    with receiver.start(store, SECRET, tls.certfile, tls.keyfile, limits=LIMITS) as running:
        target = Target(tls, int(running.url.split(":")[2].split("/")[0]))
        headers = {"Content-Type": "application/json", "AMZPECTY-API-SECRET-KEY": SECRET}

        def post(body: bytes, **extra: str) -> int:
            sent = {**headers, **extra}
            return requests.post(
                running.url, data=body, headers=sent, verify=tls.cafile, timeout=30
            ).status_code

        started = threading.Barrier(SLOWLORIS + 2)
        body = _envelope("e" * 24)
        head = (HEAD + f"Content-Length: {len(body)}\r\n\r\n").encode()
        with ThreadPoolExecutor(16) as pool:
            slowloris = [
                pool.submit(_drip, target, b"", HEAD.encode() * 50, started)
                for _ in range(SLOWLORIS)
            ]
            body_drip = pool.submit(_drip, target, head, body, started)
            large = pool.submit(post, b'{"rid": "' + b"0" * (10 << 20) + b'"}')
            large_chunked = pool.submit(post, iter([b"{"] + [b" " * (1 << 20)] * 10 + [b"}"]))
            wrong_type = pool.submit(post, body, **{"Content-Type": "text/plain"})
            started.wait(timeout=30)  # every drip is under way
            flood = _flood(target)
            began = SYSTEM_CLOCK.monotonic()
            valid = post(_envelope("f" * 24))
            took = SYSTEM_CLOCK.monotonic() - began
            for sock in flood:
                sock.close()
            dripped = [future.result() for future in slowloris]
            body_dripped = body_drip.result()
            statuses = large.result(), large_chunked.result(), wrong_type.result()

    assert valid == 200 and took < 1.0, took
    assert len(flood) == LIMITS.connections_per_client  # the rest closed at accept
    assert statuses == (413, 413, 415)
    # deadlines, not an idle timeout a drip keeps resetting: 408 while bytes still come
    assert [status for status, _ in dripped] == [408] * SLOWLORIS
    assert max(sent for _, sent in dripped) < DRIPPED
    status, sent = body_dripped
    assert status == 408 and sent < DRIPPED
    with sqlite3.connect(store) as connection:
        stored = connection.execute("select rid from results").fetchall()
    assert stored == [("f" * 24,)]
