"""Test controls, only under /_sandbox/: reset, seed, clock, call log, faults and accounts."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pendulum

from sandbox.core.faults import Fault
from sandbox.core.routing import Request, Response
from sandbox.core.serialize import to_json
from sandbox.seed.legacy import legacy

if TYPE_CHECKING:
    from sandbox.app import App


def control_body(request: Request) -> dict[str, Any]:
    """A control request's JSON object body ({} when empty)."""
    if not request.body:
        return {}
    data = json.loads(request.body)
    if not isinstance(data, dict):
        raise ValueError("the control body must be a JSON object")
    return data


def accounts(app: App, url: str) -> dict[str, Any]:
    """Test credentials for every seeded seller, for any SP-API, MWS, ECS or AIM client, and
    the CA file to trust when the sandbox serves HTTPS (None over HTTP)."""
    world = app.world
    old = legacy(world)
    return {
        "ca_file": app.ca_file,
        "lwa": {
            "client_id": world.app.client_id,
            "client_secret": world.app.client_secret,
            "token_url": f"{url}/auth/o2/token",
        },
        "sp_api": {"endpoint": url, "time_scale": app.clock.time_scale},
        "amzpecty": app.amzpecty.describe(url),
        "accounts": [
            {
                "name": seller.name,
                "seller_id": seller.seller_id,
                "region": seller.region,
                "marketplace_ids": list(seller.marketplace_ids),
                "refresh_token": seller.refresh_token,
            }
            for seller in world.sellers
        ],
        "mws": {
            "endpoint": url,
            "access_key_id": old.mws_access_key_id,
            "secret_key": old.mws_secret_key,
            "time_scale": app.clock.time_scale,
            "accounts": [
                {
                    "name": seller.name,
                    "seller_id": seller.seller_id,
                    "mws_auth_token": old.logins[seller.seller_id].mws_auth_token,
                    "marketplace_ids": list(seller.marketplace_ids),
                }
                for seller in world.sellers
            ],
        },
        "paapi": {
            "endpoint": url,
            "access_key_id": old.paapi_access_key_id,
            "secret_key": old.paapi_secret_key,
            "subscription_id": old.paapi_subscription_id,
            "associate_tag": old.associate_tag,
            "locales": ["us", "ca", "uk", "de", "jp"],
            "asins": [product.asin for product in world.catalog.products],
            "time_scale": app.clock.time_scale,
        },
        "aim": {
            "endpoint": url,
            "time_scale": app.clock.time_scale,
            "accounts": [
                {
                    "name": seller.name,
                    "seller_id": seller.seller_id,
                    "email": old.logins[seller.seller_id].aim_email,
                    "password": old.logins[seller.seller_id].aim_password,
                }
                for seller in world.sellers
            ],
        },
    }


def clock_state(app: App) -> dict[str, Any]:
    """The world's time (`timestamp`, `now`), the pace of waits, the scale, and whether the
    world's time stands still between advances."""
    return {
        "now": app.clock.now().isoformat(),
        "timestamp": app.clock.timestamp(),
        "pace": app.clock.pace(),
        "start": app.clock.start.isoformat(),
        "time_scale": app.clock.time_scale,
        "frozen": app.clock.frozen,
    }


def add_control(app: App, method: str, path: str, handler: Callable[[Request], Any]) -> None:
    """Serve `handler` at /_sandbox/`path`; a bad body answers 400 with the reason."""

    def wrapped(request: Request) -> Response:
        try:
            result = handler(request)
        except (ValueError, TypeError, KeyError) as error:
            return to_json({"error": str(error)}, 400)
        return result if isinstance(result, Response) else to_json(result)

    app.router.add(method, f"/_sandbox/{path}", wrapped, path, "_sandbox")


def register(app: App) -> None:
    def reset(request: Request) -> Any:
        app.reset()
        return clock_state(app)

    def seed(request: Request) -> Any:
        body = control_body(request)
        origin = pendulum.parse(body["origin"]) if body.get("origin") else None
        app.reseed(
            int(body.get("seed", app.world.seed)),
            int(body.get("orders", app.world.orders_total)),
            origin,  # type: ignore[arg-type]
            int(body["products"]) if body.get("products") else None,
            int(body["sellers"]) if body.get("sellers") else None,
        )
        return world(request)

    def world(request: Request) -> Any:
        now = app.world_time()
        return {
            "seed": app.world.seed,
            "orders_total": app.world.orders_total,
            "origin": pendulum.from_timestamp(app.world.origin).isoformat(),
            "sellers": [
                {
                    "seller_id": seller.seller_id,
                    "visible_orders": app.world.order_books[seller.seller_id].visible_count(now),
                    "listings": len(app.world.catalog.listings[seller.seller_id]),
                }
                for seller in app.world.sellers
            ],
            "products": len(app.world.catalog.products),
            "frozen_at": app.frozen_at,
        }

    def freeze(request: Request) -> Any:
        """Stop the world's data (orders, statuses) at a moment; rate limits keep running."""
        body = control_body(request)
        at = body.get("at")
        app.frozen_at = (
            app.clock.timestamp() if at in (None, "now") else pendulum.parse(at).timestamp()
        )  # type: ignore[union-attr]
        return world(request)

    def thaw(request: Request) -> Any:
        app.frozen_at = None
        return world(request)

    def advance(request: Request) -> Any:
        app.clock.advance(float(control_body(request)["seconds"]))
        return clock_state(app)

    def scale(request: Request) -> Any:
        app.clock.set_scale(float(control_body(request)["time_scale"]))
        return clock_state(app)

    def calls(request: Request) -> Any:
        summary = app.calls.summary()
        if request.query.get("detail"):
            summary["calls"] = [call.__dict__ for call in app.calls.calls()]
        return summary

    def clear_calls(request: Request) -> Any:
        app.calls.clear()
        return {"cleared": True}

    def faults(request: Request) -> Any:
        return {"faults": [fault.__dict__ for fault in app.faults.pending()]}

    def add_faults(request: Request) -> Any:
        body = control_body(request)
        expired = app.tokens.expire_all() if body.pop("expire_tokens", False) else 0
        specs = body.pop("faults", [])
        if body:
            specs.append(body)
        for spec in specs:
            app.faults.add(Fault.from_json(spec))
        return {"faults": [f.__dict__ for f in app.faults.pending()], "expired_tokens": expired}

    def clear_faults(request: Request) -> Any:
        app.faults.clear()
        return {"faults": []}

    def list_accounts(request: Request) -> Any:
        return accounts(app, app.base_url)

    routes = [
        ("POST", "reset", reset),
        ("POST", "seed", seed),
        ("GET", "world", world),
        ("POST", "world/freeze", freeze),
        ("DELETE", "world/freeze", thaw),
        ("GET", "clock", lambda request: clock_state(app)),
        ("POST", "clock/advance", advance),
        ("POST", "clock/scale", scale),
        ("GET", "calls", calls),
        ("DELETE", "calls", clear_calls),
        ("GET", "faults", faults),
        ("POST", "faults", add_faults),
        ("DELETE", "faults", clear_faults),
        ("GET", "accounts", list_accounts),
    ]
    for method, path, handler in routes:
        add_control(app, method, path, handler)
