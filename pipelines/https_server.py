"""A small HTTPS/1.1 server for one endpoint the internet can reach (the callback receiver).

Every phase of a request has a deadline (TLS handshake, headers, body, keep-alive idle), every
client address a cap on open connections, the server a cap on all of them, and a request
is refused from its headers (size, or the endpoint's own checks) before its body is read.
So slow or abusive clients get 408/413/431 or a closed connection and cannot hold the server,
while valid requests keep their latency. Plain HTTP on the port gets a 403, never served.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import logging
import socket
import ssl
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import httptools
import orjson

log = logging.getLogger("pipelines.https_server")

TLS_HANDSHAKE = 0x16  # the first byte of every TLS connection (a handshake record)
PIPELINED = 8  # requests read ahead of their answers before reading pauses
SHUTDOWN_SECONDS = 5.0  # how long a stopping server lets answers in progress finish

Answer = tuple[int, dict]  # status and a JSON body


@dataclass(frozen=True)
class Limits:
    """What one request or client may take; the defaults suit callbacks of a few KB."""

    max_body_bytes: int = 1 << 20
    max_header_bytes: int = 16 << 10
    header_seconds: float = 10.0  # TLS handshake; a request's first byte to its blank line
    body_seconds: float = 10.0  # the blank line to the body's last byte
    idle_seconds: float = 15.0  # a kept-alive connection waiting for its next request
    connections_per_client: int = 64
    connections: int = 1024


@dataclass(frozen=True)
class Head:
    """A request line and headers: names lower case, a repeated header's values joined."""

    method: str
    path: str
    headers: dict[bytes, bytes]


class Endpoint(Protocol):
    def refuse(self, head: Head) -> Answer | None:
        """An answer that ends the request before its body is read, or None to read it."""

    async def respond(self, head: Head, body: bytes) -> Answer:
        """The answer to a whole request."""


def render(status: int, data: dict, close: bool = False) -> bytes:
    """A complete HTTP/1.1 response with a JSON body."""
    body = orjson.dumps(data)
    phrase = http.HTTPStatus(status).phrase
    lines = [f"HTTP/1.1 {status} {phrase}", "content-type: application/json"]
    lines.append(f"content-length: {len(body)}")
    if close:
        lines.append("connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


PLAIN_HTTP = render(403, {"error": "HTTPS only"}, close=True)


class _Slot:
    """One accepted connection counted against its client's cap until released, once."""

    def __init__(self, counts: Counter[str], client: str) -> None:
        self.counts, self.client, self.released = counts, client, False
        counts[client] += 1

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.counts[self.client] -= 1
            if not self.counts[self.client]:
                del self.counts[self.client]


@dataclass
class _Pending:
    """A request read (to answer) or an answer decided (a refusal), in arrival order."""

    head: Head | None
    body: bytes
    answer: Answer | None
    keep_alive: bool


class _Connection(asyncio.Protocol):
    """One TLS connection: parses requests, arms each phase's deadline, answers in order."""

    def __init__(self, server: HttpsServer, slot: _Slot) -> None:
        self.server, self.slot, self.limits = server, slot, server.limits
        self.loop = asyncio.get_running_loop()
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.pending: deque[_Pending] = deque()
        self.answering: asyncio.Task | None = None
        self.closing = False  # an answer ends the connection: input is only drained
        self.in_message = False
        self.paused = False
        self._new_request()

    def _new_request(self) -> None:
        self.url = b""
        self.headers: dict[bytes, bytes] = {}
        self.head: Head | None = None
        self.head_bytes = 0  # raw bytes read while the head is under way
        self.head_size = 0  # the URL's and headers' bytes
        self.body = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.server.connections.add(self)
        self._arm(self.limits.idle_seconds, None)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self.slot.release()
        self.server.forget(self)

    def data_received(self, data: bytes) -> None:
        if self.closing:
            return  # drained: a client still sending gets its answer, not a reset
        if self.head is None:
            self.head_bytes += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self._refuse(400, "malformed HTTP request")
        except httptools.HttpParserUpgrade:
            self._refuse(400, "no protocol upgrades here")
        else:
            if self.in_message and self.head is None:  # a head not ended yet, held in memory
                self._check_head(self.head_bytes)

    def on_message_begin(self) -> None:
        self.in_message = True
        if not self.closing:
            self._arm(self.limits.header_seconds, 408)

    def on_url(self, url: bytes) -> None:
        self.url += url
        self.head_size += len(url)
        self._check_head(self.head_size)

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        self.headers[name] = self.headers[name] + b", " + value if name in self.headers else value
        self.head_size += len(name) + len(value)
        self._check_head(self.head_size)

    def _check_head(self, size: int) -> None:
        if size > self.limits.max_header_bytes and not self.closing:
            self._refuse(431, f"headers over {self.limits.max_header_bytes} bytes")

    def on_headers_complete(self) -> None:
        if self.closing:
            return
        path = httptools.parse_url(self.url).path.decode("latin-1") if self.url else ""
        self.head = Head(self.parser.get_method().decode("latin-1"), path, self.headers)
        refusal = self.server.endpoint.refuse(self.head)
        declared = self.headers.get(b"content-length", b"0")
        if refusal is None and not declared.isdigit():
            refusal = 400, {"error": "bad content-length"}
        elif refusal is None and int(declared) > self.limits.max_body_bytes:
            refusal = 413, {"error": f"body over {self.limits.max_body_bytes} bytes"}
        if refusal is not None:
            self._refuse(*refusal)
            return
        expects = self.headers.get(b"expect", b"").lower() == b"100-continue"
        if expects and not self._owing():  # never ahead of an answer still owed
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # type: ignore[union-attr]
        self._arm(self.limits.body_seconds, 408)

    def on_body(self, body: bytes) -> None:
        if self.closing:
            return
        self.body += body
        if len(self.body) > self.limits.max_body_bytes:
            self._refuse(413, f"body over {self.limits.max_body_bytes} bytes")

    def on_message_complete(self) -> None:
        if self.closing:
            return
        self.in_message = False
        self._disarm()
        keep_alive = self.parser.should_keep_alive()
        self.pending.append(_Pending(self.head, bytes(self.body), None, keep_alive))
        self._new_request()
        if len(self.pending) >= PIPELINED:
            self._reading(False)
        self._answer()

    def _refuse(self, status: int, error: str | dict) -> None:
        """Answer `status` after the answers owed, then close; read nothing more."""
        self.closing = True
        self._disarm()
        data = error if isinstance(error, dict) else {"error": error}
        self.pending.append(_Pending(None, b"", (status, data), False))
        self._answer()

    def _owing(self) -> bool:
        """Answers not written yet (queued or being worked out)."""
        return bool(self.pending) or not (self.answering is None or self.answering.done())

    def _answer(self) -> None:
        if self.answering is None or self.answering.done():
            self.answering = self.loop.create_task(self._answer_all())

    async def _answer_all(self) -> None:
        transport = self.transport
        assert transport is not None
        while self.pending:
            item = self.pending.popleft()
            if item.answer is not None:
                status, data = item.answer
            else:
                assert item.head is not None
                try:
                    status, data = await self.server.endpoint.respond(item.head, item.body)
                except Exception:
                    log.exception("answering %s %s failed", item.head.method, item.head.path)
                    status, data = 500, {"error": "internal error"}
            if transport.is_closing():
                return
            last = not item.keep_alive or self.server.stopping
            transport.write(render(status, data, close=last))
            if last:
                self._linger()
                return
        self._reading(True)
        if not self.in_message:
            self._arm(self.limits.idle_seconds, None)

    def _reading(self, on: bool) -> None:
        transport = self.transport
        assert transport is not None
        if self.paused == on:
            self.paused = not on
            transport.resume_reading() if on else transport.pause_reading()

    def _linger(self) -> None:
        """Close once the client has read the answer and hung up, or `body_seconds` on: a
        close with its unread body pending would reset the connection and lose the answer."""
        self.closing = True
        self._reading(True)
        self._arm(self.limits.body_seconds, None)

    def _arm(self, seconds: float, status: int | None) -> None:
        self._disarm()
        self.timer = self.loop.call_later(seconds, self._expire, status)

    def _disarm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _expire(self, status: int | None) -> None:
        """A phase ran out: a request under way gets `status` (408); an idle connection or a
        lingering one is closed."""
        self.timer = None
        if status is None or self.closing:
            self.transport.close()  # type: ignore[union-attr]
            return
        log.debug("request from %s timed out", self.slot.client)
        self._refuse(status, "request timed out")

    def stop(self) -> None:
        """Close now when idle (without waiting for the client's TLS goodbye once every
        answer is sent); else after the answer in progress."""
        if not self.in_message and not self._owing():
            transport = self.transport
            assert transport is not None
            if transport.get_write_buffer_size():
                transport.close()
            else:
                transport.abort()


class HttpsServer:
    """Serves `endpoint` on a listening socket until `stop` (thread-safe)."""

    def __init__(self, endpoint: Endpoint, context: ssl.SSLContext, limits: Limits) -> None:
        self.endpoint, self.context, self.limits = endpoint, context, limits
        self.connections: set[_Connection] = set()
        self.stopping = False
        self._counts: Counter[str] = Counter()
        self._greetings: set[asyncio.Task] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._drained: asyncio.Event | None = None

    async def serve(self, sock: socket.socket, ready: Callable[[], object] = lambda: None) -> None:
        """Accept until stopped, then let answers in progress finish (briefly)."""
        self._loop = asyncio.get_running_loop()
        self._stop, self._drained = asyncio.Event(), asyncio.Event()
        sock.setblocking(False)
        accepting = self._loop.create_task(self._accept(sock))
        ready()
        await self._stop.wait()
        self.stopping = True
        accepting.cancel()
        sock.close()
        for task in list(self._greetings):
            task.cancel()
        for connection in list(self.connections):
            connection.stop()
        if self.connections:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._drained.wait(), SHUTDOWN_SECONDS)
        for connection in list(self.connections):
            connection.transport.abort()  # type: ignore[union-attr]

    def stop(self) -> None:
        """Stop serving (from any thread); answers in progress finish first."""
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)

    def forget(self, connection: _Connection) -> None:
        """A connection ended; the last one to end lets a stopping server return."""
        self.connections.discard(connection)
        if self.stopping and not self.connections and self._drained is not None:
            self._drained.set()

    async def _accept(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                conn, address = await loop.sock_accept(sock)
            except OSError as error:  # out of file descriptors, a connection aborted
                log.warning("accepting a connection failed: %s", error)
                await asyncio.sleep(0.1)
                continue
            client = address[0]
            full = sum(self._counts.values()) >= self.limits.connections
            if full or self._counts[client] >= self.limits.connections_per_client:
                log.debug("refused a connection from %s: at its cap", client)
                conn.close()
                continue
            conn.setblocking(False)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            task = loop.create_task(self._greet(conn, _Slot(self._counts, client)))
            self._greetings.add(task)
            task.add_done_callback(self._greetings.discard)

    async def _greet(self, conn: socket.socket, slot: _Slot) -> None:
        """TLS for a TLS client (the connection then owns the slot); a 403 for plain HTTP."""
        loop = asyncio.get_running_loop()
        handed = False
        try:
            async with asyncio.timeout(self.limits.header_seconds):
                await _readable(loop, conn)
                first = conn.recv(1, socket.MSG_PEEK)
            if first and first[0] == TLS_HANDSHAKE:
                await loop.connect_accepted_socket(
                    lambda: _Connection(self, slot),
                    conn,
                    ssl=self.context,
                    ssl_handshake_timeout=self.limits.header_seconds,
                    ssl_shutdown_timeout=self.limits.header_seconds,
                )
                handed = True
            elif first:
                await self._refuse_plain(loop, conn)
        except (OSError, TimeoutError) as error:  # ssl.SSLError is an OSError
            log.debug("connection from %s failed: %s", slot.client, error)
        finally:
            if not handed:
                conn.close()
                slot.release()

    async def _refuse_plain(self, loop: asyncio.AbstractEventLoop, conn: socket.socket) -> None:
        await loop.sock_sendall(conn, PLAIN_HTTP)
        conn.shutdown(socket.SHUT_WR)
        with contextlib.suppress(TimeoutError, OSError):
            async with asyncio.timeout(self.limits.body_seconds):
                while await loop.sock_recv(conn, 65536):
                    pass  # drained, so closing does not reset the connection before it reads


async def _readable(loop: asyncio.AbstractEventLoop, conn: socket.socket) -> None:
    ready = loop.create_future()
    loop.add_reader(conn.fileno(), lambda: ready.done() or ready.set_result(None))
    try:
        await ready
    finally:
        loop.remove_reader(conn.fileno())


def event_loop() -> asyncio.AbstractEventLoop:
    """uvloop where it is installed (a third less CPU per request), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()
