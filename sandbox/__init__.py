"""An offline Amazon: each wire protocol over real HTTP on 127.0.0.1, on a virtual clock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pendulum

from sandbox.app import App
from sandbox.clock import SandboxClock
from sandbox.control import accounts
from sandbox.seed.world import DEFAULT_ORDERS, DEFAULT_SELLERS
from sandbox.server import SandboxServer

__all__ = ["DEFAULT_ORDERS", "Sandbox", "start"]


@dataclass
class Sandbox:
    """A running sandbox: its base URL, its clock, and how to stop it."""

    app: App
    server: SandboxServer

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def ca_file(self) -> str | None:
        """The CA file to trust when started with `tls=True`."""
        return self.server.ca_file

    @property
    def clock(self) -> SandboxClock:
        return self.app.clock

    def accounts(self) -> dict[str, Any]:
        return accounts(self.app, self.url)

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start(
    seed: int = 42,
    orders: int = DEFAULT_ORDERS,
    time_scale: float = 1.0,
    start: pendulum.DateTime | None = None,
    origin: pendulum.DateTime | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    products: int | None = None,
    frozen: bool = False,
    tls: bool = False,
    sellers: int = DEFAULT_SELLERS,
) -> Sandbox:
    """Seed a world and serve it on a background thread (see `App` for start and origin);
    `tls` serves HTTPS with a certificate from a fresh CA (`Sandbox.ca_file`)."""
    app = App(
        seed=seed,
        orders=orders,
        time_scale=time_scale,
        start=start,
        origin=origin,
        products=products,
        frozen=frozen,
        sellers=sellers,
    )
    server = SandboxServer(app, host, port, tls)
    server.start()
    return Sandbox(app, server)
