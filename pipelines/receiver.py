"""The Amzpecty callback receiver: HTTPS, the secret checked in constant time, every callback
on disk before it is answered 2xx, a repeated rid stored once (its newest payload), and slow
or abusive clients held off by `https_server`'s deadlines and caps.

    python pipelines/receiver.py        # certificate, key, store and secret from config

`run.py` and the tests start it in-process (`start`) with a trustme certificate.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import hmac
import logging
import os
import re
import signal
import socket
import ssl
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":
    sys.path[0] = str(ROOT)  # this checkout's packages, never pipelines/ shadowing them

import orjson  # noqa: E402

from pipelines.https_server import Answer, Head, HttpsServer, Limits, event_loop  # noqa: E402
from sources.amzpecty.settings import SECRET_HEADER  # noqa: E402
from sources.amzpecty.store import Result, Store  # noqa: E402
from sources.common.clock import SYSTEM_CLOCK, Clock  # noqa: E402
from sources.common.redact import register_secret  # noqa: E402

log = logging.getLogger("pipelines.receiver")

CALLBACK_PATH = "/amzpecty/callback"
MAX_BATCH = 512  # callbacks per transaction at most
RID = re.compile(r"^[0-9a-fA-F]{24}$")
SECRET_HEADER_NAME = SECRET_HEADER.lower().encode()
HOLDS = ("before-write", "after-write")


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


class CallbackEndpoint:
    """The callback route: the secret (constant time), the media type and the body's rid are
    checked before anything is stored; the secret and type before the body is even read."""

    def __init__(self, secret: str, committer: GroupCommitter, clock: Clock) -> None:
        register_secret(secret)
        self._expected = secret.encode()
        self._committer = committer
        self._clock = clock

    def refuse(self, head: Head) -> Answer | None:
        """Wrong route, method, secret or media type: refused before the body is read."""
        if head.path != CALLBACK_PATH:
            return 404, {"error": "not found"}
        if head.method != "POST":
            return 405, {"error": "POST only"}
        sent = head.headers.get(SECRET_HEADER_NAME, b"")
        if not hmac.compare_digest(sent, self._expected):
            return 401, {"error": f"missing or wrong {SECRET_HEADER}"}
        media = head.headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if media != b"application/json":
            return 415, {"error": "content type must be application/json"}
        return None

    async def respond(self, head: Head, body: bytes) -> Answer:
        """2xx once the callback is durable (new, newer or a repeat); 400 without a rid."""
        try:
            envelope = orjson.loads(body)
        except orjson.JSONDecodeError:
            return 400, {"error": "body is not JSON"}
        rid = envelope.get("rid") if isinstance(envelope, dict) else None
        if not isinstance(rid, str) or not RID.match(rid):
            return 400, {"error": "no 24-hex rid in the body"}
        received = self._clock.now().isoformat()
        status = str(envelope.get("status"))
        kind = envelope.get("responsefor")
        stored = Result(rid, kind, status, received, "callback", body)
        changed = await self._committer.write(stored)
        return 200, {"rid": rid, "stored": True, "duplicate": not changed}


def tls_context(certfile: str, keyfile: str) -> ssl.SSLContext:
    """A server context with the certificate Amzpecty checks (a valid one, not self-signed)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certfile, keyfile)
    return context


def listen(host: str, port: int) -> socket.socket:
    """A listening socket (port 0 picks one); connections queue until the server runs."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


@dataclass
class RunningReceiver:
    """An in-process receiver: where to POST, and how to stop it."""

    url: str
    server: HttpsServer
    thread: threading.Thread
    committer: GroupCommitter

    def stop(self) -> None:
        # idle keep-alive connections are closed at once: whatever was answered is on disk,
        # and a sender whose answer is cut off sends again (the same rid, stored once)
        self.server.stop()
        self.thread.join(timeout=30)
        self.committer.close()

    def __enter__(self) -> RunningReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(server: HttpsServer, sock: socket.socket, ready: Callable[[], object]) -> None:
    """Run `server` on a fresh event loop in this thread until it is stopped."""
    with asyncio.Runner(loop_factory=event_loop) as runner:
        runner.run(server.serve(sock, ready))


def start(
    store_path: str | Path,
    secret: str,
    certfile: str,
    keyfile: str,
    host: str = "127.0.0.1",
    port: int = 0,
    clock: Clock = SYSTEM_CLOCK,
    limits: Limits = Limits(),  # noqa: B008 - frozen
) -> RunningReceiver:
    """Serve on a background thread; returns once it accepts connections."""
    committer = GroupCommitter(store_path)
    sock = listen(host, port)
    url = f"https://{host}:{sock.getsockname()[1]}{CALLBACK_PATH}"
    endpoint = CallbackEndpoint(secret, committer, clock)
    server = HttpsServer(endpoint, tls_context(certfile, keyfile), limits)
    ready = threading.Event()
    thread = threading.Thread(
        target=serve, args=(server, sock, ready.set), name="receiver", daemon=True
    )
    thread.start()
    if not ready.wait(timeout=30):
        raise RuntimeError("the callback receiver did not start")
    return RunningReceiver(url, server, thread, committer)


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


def _limits(args: argparse.Namespace, settings: dict) -> Limits:
    """Each limit from its flag, else `[sources.amzpecty.receiver]`, else its default."""
    chosen = {}
    for field in dataclasses.fields(Limits):
        value = getattr(args, field.name)
        value = settings.get(field.name) if value is None else value
        if value is not None:
            chosen[field.name] = type(field.default)(value)
    return Limits(**chosen)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DLT_PROJECT_DIR", str(ROOT))
    import dlt

    parser = argparse.ArgumentParser(prog="python pipelines/receiver.py", description=__doc__)
    section = "sources.amzpecty.receiver"
    parser.add_argument("--host", help=f"default: {section}.host or 0.0.0.0")
    parser.add_argument("--port", type=int, help=f"default: {section}.port or 8443")
    parser.add_argument("--certfile", help=f"default: {section}.certfile")
    parser.add_argument("--keyfile", help=f"default: {section}.keyfile")
    parser.add_argument("--store", help="default: sources.amzpecty.store_path")
    for field in dataclasses.fields(Limits):
        parser.add_argument(
            f"--{field.name.replace('_', '-')}",
            type=type(field.default),
            help=f"default: {section}.{field.name} or {field.default}",
        )
    parser.add_argument("--test-hold", choices=HOLDS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    settings = dlt.config.get(section) or {}
    secret = dlt.secrets.get("sources.amzpecty.secret_key")
    store = args.store or dlt.config.get("sources.amzpecty.store_path")
    certfile = args.certfile or settings.get("certfile")
    keyfile = args.keyfile or settings.get("keyfile")
    missing = [
        key
        for key, value in (
            ("sources.amzpecty.secret_key", secret),
            ("sources.amzpecty.store_path", store),
            (f"{section}.certfile", certfile),
            (f"{section}.keyfile", keyfile),
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
    endpoint = CallbackEndpoint(str(secret), committer, SYSTEM_CLOCK)
    server = HttpsServer(endpoint, tls_context(certfile, keyfile), _limits(args, settings))

    def ready() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, server.stop)
        print(f"https://{host}:{sock.getsockname()[1]}{CALLBACK_PATH}", flush=True)

    serve(server, sock, ready)
    committer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
