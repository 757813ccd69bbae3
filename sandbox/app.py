"""The sandbox application: clock, world, shared machinery and every service's routes."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pendulum

from sandbox import control
from sandbox.aim.service import AimService
from sandbox.amzpecty.service import AmzpectyService
from sandbox.clock import SandboxClock
from sandbox.core.access_tokens import AccessTokens
from sandbox.core.calls import Call, CallLog
from sandbox.core.faults import Faults
from sandbox.core.ratelimit import RateLimiter
from sandbox.core.routing import Request, Response, Router
from sandbox.core.serialize import to_json
from sandbox.lwa import responses as lwa_responses
from sandbox.mws.service import MwsService
from sandbox.paapi.service import PaapiService
from sandbox.seed.world import DEFAULT_ORDERS, DEFAULT_SELLERS, World, build_world
from sandbox.sp_api.service import SpApiService


class App:
    """Everything one sandbox serves; services read `app.world` on every request."""

    def __init__(
        self,
        seed: int = 42,
        orders: int = DEFAULT_ORDERS,
        time_scale: float = 1.0,
        start: pendulum.DateTime | None = None,
        origin: pendulum.DateTime | None = None,
        products: int | None = None,
        frozen: bool = False,
        sellers: int = DEFAULT_SELLERS,
    ) -> None:
        """`start`: where the world's clock begins (default: now); `origin`: the world's
        "now" at seeding, which ends its two years of history (default: `start`);
        `products`: the catalog's size (default: grows with the orders); `frozen`: the
        world's clock moves only when advanced (tests), else with the real clock; `sellers`:
        how many accounts, over the three regions in turn (an agency's)."""
        self.clock = SandboxClock(start, time_scale, frozen)
        self.initial_scale = time_scale
        self.router = Router()
        self.calls = CallLog()
        self.faults = Faults()
        self.limiter = RateLimiter(self.clock.pace)
        self.tokens = AccessTokens(self.clock.timestamp)
        world_origin = origin if origin is not None else self.clock.start
        self.world: World = build_world(seed, orders, world_origin.timestamp(), products, sellers)
        self.frozen_at: float | None = None
        # the address the server bound: document URLs point here whatever Host a client sends
        self.base_url = "http://127.0.0.1"
        self.ca_file: str | None = None  # the CA of base_url's certificate, served over HTTPS
        self._reset_hooks: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        lwa_responses.register(self)
        self.sp_api = SpApiService(self)
        self.mws = MwsService(self)
        self.paapi = PaapiService(self)
        self.aim = AimService(self)
        self.amzpecty = AmzpectyService(self)
        control.register(self)

    def world_time(self) -> float:
        """The moment the world's data is evaluated at: now, unless a test held the data back."""
        now = self.clock.timestamp()
        return now if self.frozen_at is None else min(now, self.frozen_at)

    def on_reset(self, hook: Callable[[], None]) -> None:
        """Services with state of their own register how to forget it."""
        self._reset_hooks.append(hook)

    def reset(self) -> None:
        """Back to the seeded state: clock at its origin, no tokens, buckets, faults or calls."""
        with self._lock:
            self.clock.reset(time_scale=self.initial_scale)
            self.limiter.reset()
            self.tokens.clear()
            self.faults.clear()
            self.calls.clear()
            self.frozen_at = None
            for hook in self._reset_hooks:
                hook()

    def reseed(
        self,
        seed: int,
        orders: int,
        origin: pendulum.DateTime | None = None,
        products: int | None = None,
        sellers: int | None = None,
    ) -> None:
        """A different world (seed, size, sellers or origin); the clock restarts at the origin."""
        world_origin = origin if origin is not None else pendulum.from_timestamp(self.world.origin)
        count = sellers if sellers is not None else len(self.world.sellers)
        world = build_world(seed, orders, world_origin.timestamp(), products, count)
        with self._lock:
            self.world = world
            self.clock.reset(start=world_origin)
        self.reset()

    def handle(self, request: Request) -> Response:
        found = self.router.match(request)
        if found is None:
            response = to_json({"message": f"no route for {request.method} {request.path}"}, 404)
            service, operation = "unknown", "unknown"
        else:
            route, params = found
            request.path_params = params
            request.operation, request.service = route.operation, route.service
            response = route.handler(request)
            # a handler may name what it dispatched to (MWS's Action, ECS's Operation)
            service, operation = request.service, request.operation
        cut = self.faults.take(service, operation, request.seller_id, cut=True)
        if cut is not None:
            response.cut = (str(cut.cut), cut.at)
        if service != "_sandbox":
            self.calls.record(
                Call(self.clock.pace(), service, operation, request.seller_id, response.status)
            )
        return response
