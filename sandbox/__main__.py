"""`python -m sandbox`: serve the sandbox and print its base URL and test credentials."""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading

import pendulum

import sandbox
from sandbox.seed.world import DEFAULT_ORDERS, DEFAULT_SELLERS

DEFAULT_TIME_SCALE = 3600.0  # a usage-plan hour refills in a second


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--orders",
        type=int,
        default=DEFAULT_ORDERS,
        help="orders in the two years before the clock's start",
    )
    parser.add_argument(
        "--products", type=int, help="catalog size (default: grows with the orders)"
    )
    parser.add_argument(
        "--sellers",
        type=int,
        default=DEFAULT_SELLERS,
        help="accounts over the three regions in turn, each with its own token, plans and data",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=DEFAULT_TIME_SCALE,
        help="how much faster than real time waits run: usage-plan refills, report and query "
        "processing, callback delays (token and URL lifetimes stay real)",
    )
    parser.add_argument("--start", help="the world's start time (ISO 8601); default: now")
    parser.add_argument(
        "--frozen",
        action="store_true",
        help="the world's clock moves only when advanced (POST /_sandbox/clock/advance)",
    )
    parser.add_argument("--origin", help="the world's seeding time (ISO 8601); default: start")
    parser.add_argument(
        "--tls",
        action="store_true",
        help="serve HTTPS with a certificate from a fresh CA (its file is printed as ca_file)",
    )
    parser.add_argument(
        "--stop-on-eof",
        action="store_true",
        help="stop when standard input closes (the process that started it ended, however)",
    )
    args = parser.parse_args(argv)
    running = sandbox.start(
        seed=args.seed,
        orders=args.orders,
        time_scale=args.time_scale,
        start=pendulum.parse(args.start) if args.start else None,  # type: ignore[arg-type]
        origin=pendulum.parse(args.origin) if args.origin else None,  # type: ignore[arg-type]
        host=args.host,
        port=args.port,
        products=args.products,
        frozen=args.frozen,
        sellers=args.sellers,
        tls=args.tls,
    )
    print(running.url, flush=True)
    print(json.dumps(running.accounts(), indent=2), flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    if args.stop_on_eof:
        threading.Thread(target=lambda: (sys.stdin.read(), stopped.set()), daemon=True).start()
    with contextlib.suppress(KeyboardInterrupt):
        stopped.wait()
    running.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
