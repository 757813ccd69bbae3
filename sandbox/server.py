"""One threaded HTTP(S) server on 127.0.0.1 that hands every request to the sandbox app."""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import struct
import sys
import threading
import traceback
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sandbox.core.faults import Disconnect
from sandbox.core.routing import Request, Response
from sandbox.core.serialize import to_json
from sandbox.tls import Certificates, certificates

if TYPE_CHECKING:
    from sandbox.app import App

log = logging.getLogger("sandbox")
RESET_LINGER = struct.pack("ii", 1, 0)  # linger on, zero seconds: close() sends an RST
STALL_SECONDS = 60.0  # a stalled answer holds its connection this long at most


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else every response stalls ~40 ms on delayed ACKs
    server_version = "amazon-elt-sandbox"
    server: _Server

    def setup(self) -> None:
        if self.server.tls is not None:
            # the handshake runs here, on the connection's thread, not in the accept loop
            self.request = self.server.tls.wrap_socket(self.request, server_side=True)
        super().setup()

    def finish(self) -> None:
        super().finish()
        if self.server.tls is not None:
            self.request.close()  # the server only knows the plain socket the TLS one took over

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def _dispatch(self) -> None:
        app = self.server.app
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=url.path,
            query_string=url.query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        try:
            response = app.handle(request)
        except Disconnect:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        except Exception:
            log.error("sandbox handler failed:\n%s", traceback.format_exc())
            response = to_json(
                {"errors": [{"code": "InternalFailure", "message": "sandbox handler failed"}]}, 500
            )
        self._write(response, app.clock.timestamp())

    def _write(self, response: Response, now: float) -> None:
        self.send_response_only(response.status)
        headers = {
            "Server": self.server_version,
            "Date": formatdate(now, usegmt=True),
            "Content-Type": response.content_type,
        }
        headers.update(response.headers)
        body = response.body
        if response.cut is not None:  # the whole body is promised, then broken off
            body = body if isinstance(body, bytes | bytearray) else b"".join(body)
            headers.pop("Transfer-Encoding", None)
        streamed = not isinstance(body, bytes | bytearray)
        if not streamed:
            headers["Content-Length"] = str(len(body))
        elif "Content-Length" not in headers:
            headers["Transfer-Encoding"] = "chunked"
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command == "HEAD":
            return
        if response.cut is not None:
            self._cut(bytes(body), *response.cut)
            return
        if not streamed:
            self.wfile.write(body)
            return
        chunked = headers.get("Transfer-Encoding") == "chunked"
        for chunk in body:
            if not chunk:
                continue
            if chunked:
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            else:
                self.wfile.write(chunk)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")

    def _cut(self, body: bytes, kind: str, at: float) -> None:
        """Send the body up to `at`, then reset the connection, close it, stall until the
        client gives up (STALL_SECONDS at most), or drip the rest a byte a write."""
        if kind == "drip":
            for offset in range(len(body)):
                self.wfile.write(body[offset : offset + 1])
            return
        self.wfile.write(body[: int(len(body) * at)])
        self.close_connection = True
        if kind == "reset":  # an RST: the client reads ECONNRESET
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET_LINGER)
            self.connection.close()
        elif kind == "close":  # a clean FIN short of Content-Length: an incomplete read
            self.connection.shutdown(socket.SHUT_RDWR)
        else:
            self.connection.settimeout(STALL_SECONDS)
            with contextlib.suppress(OSError):
                self.connection.recv(1)  # returns when the client closes its end

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s " + format, self.address_string(), *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: App, tls: ssl.SSLContext | None) -> None:
        self.app = app
        self.tls = tls
        super().__init__(address, _Handler)

    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, OSError):  # a client hung up or failed the TLS handshake
            log.debug("connection from %s failed: %s", client_address[0], error)
            return
        log.error("sandbox connection failed:\n%s", traceback.format_exc())


class SandboxServer:
    """Serves `app` on a background thread; port 0 picks a free port; `tls` serves HTTPS with
    a certificate from a fresh CA (`ca_file`)."""

    def __init__(self, app: App, host: str = "127.0.0.1", port: int = 0, tls: bool = False) -> None:
        self._certificates: Certificates | None = certificates(host) if tls else None
        context = self._certificates.context if self._certificates else None
        self._server = _Server((host, port), app, context)
        app.base_url = self.url
        app.ca_file = self.ca_file
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="sandbox-http",
            daemon=True,
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        scheme = "https" if self._certificates else "http"
        return f"{scheme}://{host}:{port}"

    @property
    def ca_file(self) -> str | None:
        """The CA that signed the server's certificate (None over plain HTTP)."""
        return self._certificates.ca_file if self._certificates else None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        if self._certificates:
            self._certificates.remove()
