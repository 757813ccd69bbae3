"""Amzpecty test plumbing: trustme files, a recording HTTPS endpoint, loading via the source."""

from __future__ import annotations

import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import dlt
import requests

from pipelines import receiver
from pipelines.sandbox_time import SandboxTime
from sources.amzpecty import amzpecty_source
from sources.common.failures import Failures
from sources.common.stats import ApiStats
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
