"""A run's side of Amzpecty's callbacks: where they go, where they are kept, whose clock.

In sandbox mode the receiver runs in-process with a trustme certificate, the sandbox is told
to trust that certificate's CA, and the source runs on the sandbox's clock, so waiting for
callbacks advances virtual time. In live mode the receiver is the user's own
(`python pipelines/receiver.py`) and everything comes from config.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from pipelines import receiver
from pipelines.sandbox_time import SandboxTime
from pipelines.warehouse import Warehouse


@contextmanager
def source_arguments(
    name: str, sandbox: dict[str, Any] | None, warehouse: Warehouse
) -> Iterator[dict[str, Any]]:
    """Arguments `name`'s source needs from the run, valid while the context is open."""
    if name != "amzpecty":
        yield {}
        return
    arguments: dict[str, Any] = {"warehouse": lambda: _sp_api(warehouse)}
    if sandbox is None:
        yield arguments
        return
    url = sandbox["amzpecty"]["endpoint"]
    store = warehouse.beside(".amzpecty.sqlite")  # amazon.amzpecty.sqlite
    with tempfile.TemporaryDirectory(prefix="amzpecty-tls-") as folder:
        certfile, keyfile, cafile = receiver.trustme_certificate(Path(folder))
        response = requests.post(
            f"{url}/_sandbox/amzpecty/account", json={"ca_file": cafile}, timeout=30
        )
        response.raise_for_status()
        secret = sandbox["amzpecty"]["secret_key"]
        with receiver.start(store, secret, certfile, keyfile) as running:
            yield {
                **arguments,
                "store_path": str(store),
                "callback_url": running.url,
                "clock": SandboxTime(url),
            }


def _sp_api(warehouse: Warehouse) -> Any:
    """dlt's view of the `sp_api` dataset earlier runs loaded (None before a first load)."""
    return warehouse.dataset("sp_api") if warehouse.exists else None
