"""The Amzpecty callback receiver: HTTPS, the secret checked in constant time, every callback
on disk before it is answered 2xx, a repeated rid stored once.

    python pipelines/receiver.py        # certificate, key, store and secret from config

`run.py` and the tests start it in-process (`start`) with a trustme certificate.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import logging
import os
import re
import socket
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":
    sys.path[0] = str(ROOT)  # this checkout's packages, never pipelines/ shadowing them

import orjson  # noqa: E402
import uvicorn  # noqa: E402

from sources.amzpecty.settings import SECRET_HEADER  # noqa: E402
from sources.amzpecty.store import Result, Store  # noqa: E402
from sources.common.clock import SYSTEM_CLOCK, Clock  # noqa: E402
from sources.common.redact import register_secret  # noqa: E402

log = logging.getLogger("pipelines.receiver")

CALLBACK_PATH = "/amzpecty/callback"
MAX_BODY_BYTES = 1 << 20
MAX_BATCH = 512  # callbacks per transaction at most
RID = re.compile(r"^[0-9a-fA-F]{24}$")
HOLDS = ("before-write", "after-write")


Answer = tuple[int, dict]
App = Callable[..., Awaitable[None]]


def _answer(status: int, **data: object) -> Answer:
    return status, data


class GroupCommitter:
    """Callbacks that arrive while a commit runs wait for the next one: one transaction and
    one fsync per batch, batches as large as the disk is slow. Lives on one event loop.

    The commit runs on the loop itself: requests arriving meanwhile wait in their sockets,
    and measured here a writer thread cost a third more CPU per callback in hand-offs.
    """

    def __init__(self, store_path: str | Path, hold: str | None = None) -> None:
        self._hold = hold  # tests only: hang at this point so the process can be killed there
        self._store = Store(store_path)
        self._waiting: list[tuple[Result, asyncio.Future]] = []
        self._flusher: asyncio.Task | None = None

    async def write(self, result: Result) -> bool:
        """True once `result` is durable and new, False once durable and already stored."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._waiting.append((result, future))
        if self._flusher is None:
            self._flusher = loop.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        try:
            while self._waiting:
                await asyncio.sleep(0)  # let the requests already read join this batch
                batch = self._waiting[:MAX_BATCH]
                del self._waiting[:MAX_BATCH]
                results = [result for result, _ in batch]
                try:
                    outcomes: list = self._commit(results)
                except Exception as error:
                    log.exception("storing %d callbacks failed", len(batch))
                    outcomes = [error] * len(batch)
                for (_, future), outcome in zip(batch, outcomes, strict=True):
                    if future.done():
                        continue
                    if isinstance(outcome, BaseException):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)
        finally:
            self._flusher = None

    def _commit(self, results: list[Result]) -> list[bool]:
        self._pause("before-write", results)
        fresh = self._store.record_results(results)
        self._pause("after-write", results)
        return fresh

    def _pause(self, where: str, results: list[Result]) -> None:
        if self._hold == where:
            rids = " ".join(result.rid for result in results)
            print(f"holding {where}: {rids}", file=sys.stderr, flush=True)
            threading.Event().wait()

    def close(self) -> None:
        self._store.close()


def make_app(
    secret: str, committer: GroupCommitter, clock: Clock, max_body: int = MAX_BODY_BYTES
) -> App:
    """The callback endpoint as a bare ASGI app (one route needs no framework, and every
    microsecond per callback counts); nothing is stored unless every check passes."""
    register_secret(secret)
    expected = secret.encode()
    secret_header = SECRET_HEADER.lower().encode()

    async def check(scope: dict, receive: Callable[[], Awaitable[dict]]) -> Answer:
        if scope["path"] != CALLBACK_PATH:
            return _answer(404, error="not found")
        if scope["method"] != "POST":
            return _answer(405, error="POST only")
        headers = dict(scope["headers"])
        if not hmac.compare_digest(headers.get(secret_header, b""), expected):
            return _answer(401, error=f"missing or wrong {SECRET_HEADER}")
        media = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if media != b"application/json":
            return _answer(415, error="content type must be application/json")
        declared = headers.get(b"content-length", b"0")
        if not declared.isdigit():
            return _answer(400, error="bad content-length")
        if int(declared) > max_body:
            return _answer(413, error=f"body over {max_body} bytes")
        body = bytearray()
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > max_body:
                return _answer(413, error=f"body over {max_body} bytes")
        try:
            envelope = orjson.loads(body)
        except orjson.JSONDecodeError:
            return _answer(400, error="body is not JSON")
        rid = envelope.get("rid") if isinstance(envelope, dict) else None
        if not isinstance(rid, str) or not RID.match(rid):
            return _answer(400, error="no 24-hex rid in the body")
        received = clock.now().isoformat()
        status = str(envelope.get("status"))
        kind = envelope.get("responsefor")
        fresh = await committer.write(Result(rid, kind, status, received, "callback", bytes(body)))
        return _answer(200, rid=rid, stored=True, duplicate=not fresh)

    async def app(scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return
        status, data = await check(scope, receive)
        body = orjson.dumps(data)
        headers = [(b"content-type", b"application/json")]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


class _Server(uvicorn.Server):
    """Tells when it accepts connections, so starting it needs no sleep."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()


def listen(host: str, port: int) -> socket.socket:
    """A listening socket (port 0 picks one); connections queue until the server runs."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def _config(app: App, certfile: str, keyfile: str) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
        log_level="warning",
        access_log=False,
        lifespan="off",
        server_header=False,
        date_header=False,
        proxy_headers=False,
        timeout_graceful_shutdown=5,  # an idle sender's TLS close can take 30 s
    )


@dataclass
class RunningReceiver:
    """An in-process receiver: where to POST, and how to stop it."""

    url: str
    server: _Server
    thread: threading.Thread
    committer: GroupCommitter

    def stop(self) -> None:
        # no waiting for idle keep-alive TLS connections: whatever was answered is on disk,
        # and a sender whose answer is cut off sends again (the same rid, stored once)
        self.server.should_exit = self.server.force_exit = True
        self.thread.join(timeout=30)
        self.committer.close()

    def __enter__(self) -> RunningReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start(
    store_path: str | Path,
    secret: str,
    certfile: str,
    keyfile: str,
    host: str = "127.0.0.1",
    port: int = 0,
    clock: Clock = SYSTEM_CLOCK,
    max_body: int = MAX_BODY_BYTES,
) -> RunningReceiver:
    """Serve on a background thread; returns once it accepts connections."""
    committer = GroupCommitter(store_path)
    sock = listen(host, port)
    server = _Server(_config(make_app(secret, committer, clock, max_body), certfile, keyfile))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="receiver", daemon=True
    )
    thread.start()
    if not server.ready.wait(timeout=30):
        raise RuntimeError("the callback receiver did not start")
    return RunningReceiver(
        f"https://{host}:{sock.getsockname()[1]}{CALLBACK_PATH}", server, thread, committer
    )


def trustme_certificate(directory: Path) -> tuple[str, str, str]:
    """(certificate, key, CA) files from a fresh trustme CA, for 127.0.0.1 and localhost."""
    import trustme

    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1", "localhost")
    certfile, keyfile, cafile = (directory / n for n in ("cert.pem", "key.pem", "ca.pem"))
    issued.cert_chain_pems[0].write_to_path(str(certfile))
    issued.private_key_pem.write_to_path(str(keyfile))
    ca.cert_pem.write_to_path(str(cafile))
    return str(certfile), str(keyfile), str(cafile)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DLT_PROJECT_DIR", str(ROOT))
    import dlt

    parser = argparse.ArgumentParser(prog="python pipelines/receiver.py", description=__doc__)
    parser.add_argument("--host", help="default: sources.amzpecty.receiver.host or 0.0.0.0")
    parser.add_argument("--port", type=int, help="default: sources.amzpecty.receiver.port or 8443")
    parser.add_argument("--certfile", help="default: sources.amzpecty.receiver.certfile")
    parser.add_argument("--keyfile", help="default: sources.amzpecty.receiver.keyfile")
    parser.add_argument("--store", help="default: sources.amzpecty.store_path")
    parser.add_argument("--max-body-bytes", type=int, default=MAX_BODY_BYTES)
    parser.add_argument("--test-hold", choices=HOLDS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    settings = dlt.config.get("sources.amzpecty.receiver") or {}
    secret = dlt.secrets.get("sources.amzpecty.secret_key")
    store = args.store or dlt.config.get("sources.amzpecty.store_path")
    certfile = args.certfile or settings.get("certfile")
    keyfile = args.keyfile or settings.get("keyfile")
    missing = [
        key
        for key, value in (
            ("sources.amzpecty.secret_key", secret),
            ("sources.amzpecty.store_path", store),
            ("sources.amzpecty.receiver.certfile", certfile),
            ("sources.amzpecty.receiver.keyfile", keyfile),
        )
        if not value
    ]
    if missing:
        print(f"error: set {', '.join(missing)}", file=sys.stderr)
        return 2
    host = args.host or settings.get("host", "0.0.0.0")  # noqa: S104 - a public callback URL
    port = args.port if args.port is not None else int(settings.get("port", 8443))
    committer = GroupCommitter(store, hold=args.test_hold)
    sock = listen(host, port)
    print(f"https://{host}:{sock.getsockname()[1]}{CALLBACK_PATH}", flush=True)
    app = make_app(str(secret), committer, SYSTEM_CLOCK, args.max_body_bytes)
    _Server(_config(app, certfile, keyfile)).run(sockets=[sock])
    committer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
