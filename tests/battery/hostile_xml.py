"""Hostile XML for battery row 21: the documents, a listener that counts who tries to fetch an
external DTD, and a loopback server that answers every request with one document (MWS, ECS
and AIM answers alike: the sandbox never serves hostile XML)."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DEPTH = 10_000


def documents(canary: Path, port: int) -> dict[str, bytes]:
    """Each attack as an MWS ListOrders answer (the root every source here reads first)."""
    dtd = f"http://127.0.0.1:{port}/evil.dtd"
    order = "<ListOrdersResponse><ListOrdersResult><Orders><Order><AmazonOrderId>{}"
    order += "</AmazonOrderId></Order></Orders></ListOrdersResult></ListOrdersResponse>"
    laughs = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10)
    )
    found = {
        "file-entity": f'<!DOCTYPE r [<!ENTITY x SYSTEM "file://{canary}">]>' + order.format("&x;"),
        "external-dtd": f'<!DOCTYPE ListOrdersResponse SYSTEM "{dtd}">' + order.format("1"),
        "parameter-entity": f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{dtd}"> %p;]>' + order.format("1"),
        "billion-laughs": f"<!DOCTYPE r [{laughs}]>" + order.format("&l9;"),
        "quadratic-blowup": f'<!DOCTYPE r [<!ENTITY a "{"x" * 100_000}">]>'
        + order.format("&a;" * 50_000),
        "deep-nesting": "<a>" * DEPTH + "</a>" * DEPTH,
        "utf-16-doctype": '<?xml version="1.0" encoding="UTF-16"?>'
        f'<!DOCTYPE r [<!ENTITY x SYSTEM "file://{canary}">]>' + order.format("&x;"),
    }
    return {
        name: text.encode("utf-16" if name.startswith("utf-16") else "utf-8")
        for name, text in found.items()
    }


class Listener:
    """A TCP port on 127.0.0.1 that accepts nothing: a DTD fetch shows as a pending
    connection."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(16)
        self._socket.setblocking(False)
        self.port = self._socket.getsockname()[1]

    def connections(self) -> int:
        """Connections made to the port so far."""
        count = 0
        while True:
            try:
                accepted, _ = self._socket.accept()
            except BlockingIOError:
                return count
            accepted.close()
            count += 1

    def close(self) -> None:
        self._socket.close()


class HostileServer:
    """Answers every GET and POST with `body` (200, text/xml), on 127.0.0.1."""

    def __init__(self, body: bytes) -> None:
        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.disable_nagle_algorithm = True  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
