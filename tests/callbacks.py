"""Amzpecty test plumbing: trustme files, a recording HTTPS endpoint, loading via the source,
a receiver as a killable process, and what the sandbox and the warehouse hold afterwards."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import dlt
import duckdb
import requests

from pipelines import receiver
from pipelines.sandbox_time import SandboxTime
from sources.amzpecty import amzpecty_source
from sources.common.failures import Failures
from sources.common.stats import ApiStats
from tests.conftest import ROOT
from tests.loading import Load


@dataclass(frozen=True)
class Tls:
    certfile: str
    keyfile: str
    cafile: str


def make_tls(folder: Path) -> Tls:
    folder.mkdir(parents=True, exist_ok=True)
    return Tls(*receiver.trustme_certificate(folder))


def control(url: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = requests.post(f"{url}/_sandbox/amzpecty/{path}", json=body or {}, timeout=60)
    response.raise_for_status()
    return response.json()


def sandbox_state(url: str, path: str) -> dict[str, Any]:
    """A GET control: `account`, `requests` or `callbacks`."""
    response = requests.get(f"{url}/_sandbox/amzpecty/{path}", timeout=30)
    response.raise_for_status()
    return response.json()


def sandbox_requests(url: str) -> list[dict[str, Any]]:
    """Every request the sandbox queued (its ledger: rid, key, status, `fetched` by rid)."""
    return sandbox_state(url, "requests")["requests"]


def adds_per_key(url: str) -> Counter[tuple[str, str, str]]:
    """How many Adds the sandbox queued per (queue, key, domain)."""
    return Counter((r["responsefor"], r["key"], r["domain"]) for r in sandbox_requests(url))


def child_asins(sandbox_server: Any, count: int, children: bool = True) -> list[str]:
    """ASINs that are variations of a parent (so a run asks for their parents too), or
    (`children=False`) of products without one."""
    products = sandbox_server.app.world.catalog.products
    return [p.asin for p in products if bool(p.parent_asin) == children][:count]


def rows(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def assert_every_rid_once(url: str, path: Path) -> None:
    """The warehouse holds each rid the sandbox queued once, every request completed."""
    queued = {r["rid"]: r["responsefor"] for r in sandbox_requests(url)}
    snapshots = [r[0] for r in rows(path, "select rid from amzpecty.asin_snapshots")]
    requested = rows(path, "select rid, status from amzpecty.amzpecty_requests")
    assert sorted(snapshots) == sorted(r for r, q in queued.items() if q == "asinsnapshot")
    parents = {r for r, q in queued.items() if q == "productvariations"}
    if parents:
        variations = rows(path, "select distinct rid from amzpecty.product_variations")
        assert {r[0] for r in variations} == parents
    assert sorted(r for r, _ in requested) == sorted(queued)
    assert {status for _, status in requested} == {"OK"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def receiver_process(tls: Tls, store: Path, port: int, secret: str, *extra: str):
    """`pipelines/receiver.py` as its own process (to be killed), once it accepts."""
    command = [sys.executable, str(ROOT / "pipelines" / "receiver.py"), "--host", "127.0.0.1"]
    command += ["--port", str(port), "--certfile", tls.certfile, "--keyfile", tls.keyfile]
    command += ["--store", str(store), *extra]
    env = {**os.environ, "SOURCES__AMZPECTY__SECRET_KEY": secret}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    assert process.stdout is not None
    assert process.stdout.readline().startswith("https://127.0.0.1:")
    return process


def amzpecty_call(url: str, path: str, secret: str | None, **params: Any) -> requests.Response:
    if secret is not None:
        params["secretKey"] = secret
    return requests.get(url + path, params=params, timeout=30)


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class RecordingServer:
    """An HTTPS endpoint that records every POST and answers the statuses it is told to."""

    tls: Tls
    statuses: list[int] = field(default_factory=list)  # answered in turn, then 200
    seen: list[Recorded] = field(default_factory=list)

    def __post_init__(self) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.seen.append(Recorded(self.path, dict(self.headers.items()), body))
                status = outer.statuses.pop(0) if outer.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.tls.certfile, self.tls.keyfile)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self._server.server_address[1]}/hook"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def amzpecty_kwargs(accounts: dict[str, Any], sandbox_url: str, **overrides: Any):
    target = accounts["amzpecty"]
    kwargs = {
        "secret_key": target["secret_key"],
        "endpoint": target["endpoint"],
        "clock": SandboxTime(sandbox_url),
        "retry_backoff_seconds": 0.01,
    }
    kwargs.update(overrides)
    return kwargs


def load_amzpecty(
    accounts: dict[str, Any], workdir: Path, sandbox_url: str, **overrides: Any
) -> Load:
    """One pipeline run of the Amzpecty source into `workdir`; its store is workdir/store."""
    stats, failures = ApiStats(), Failures()
    duckdb_path = workdir / "warehouse.duckdb"
    overrides.setdefault("store_path", str(workdir / "store.sqlite"))
    pipeline = dlt.pipeline(
        pipeline_name="test_amzpecty",
        destination=dlt.destinations.duckdb(str(duckdb_path)),
        dataset_name="amzpecty",
        pipelines_dir=str(workdir / "pipelines"),
    )
    kwargs = amzpecty_kwargs(accounts, sandbox_url, stats=stats, failures=failures, **overrides)
    pipeline.run(amzpecty_source(**kwargs), loader_file_format="parquet")
    return Load(pipeline, stats, failures, duckdb_path)
