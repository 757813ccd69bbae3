"""Load Amazon seller data into amazon.duckdb and build the dbt models.

With no credentials configured, it starts the offline sandbox and loads that:

    python pipelines/run.py                 # sandbox, or live when credentials resolve
    python pipelines/run.py --live --start-date 2025-01-01

A run first finishes what an interrupted run left (its load packages), then extracts and loads
as usual. `--recover` drops those packages instead and rewinds the state with them, so that
their data is extracted again.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # this checkout's packages, never pipelines/ shadowing them
os.environ.setdefault("DLT_PROJECT_DIR", str(ROOT))
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

import dlt  # noqa: E402
import duckdb  # noqa: E402
import requests  # noqa: E402
from dlt.common.configuration.providers.toml import TomlProviderReadException  # noqa: E402

from pipelines import callbacks, locking, pool, recovery, retention, summary, transform  # noqa: E402
from pipelines import units as work  # noqa: E402
from pipelines.builders import BUILDERS, OPT_IN, RunContext, has_live_credentials  # noqa: E402
from pipelines.interrupts import causes, interruption  # noqa: E402
from pipelines.naming import belongs  # noqa: E402
from pipelines.sandbox_time import SandboxTime  # noqa: E402
from pipelines.warehouse import KEY, Warehouse  # noqa: E402
from sources.common import redact  # noqa: E402
from sources.common.clock import SYSTEM_CLOCK  # noqa: E402
from sources.common.memory import prefer_system_allocator  # noqa: E402

log = logging.getLogger("pipelines.run")


class RunError(Exception):
    """A run that cannot go on; its message is the one line the user sees."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python pipelines/run.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--sources",
        help=f"comma-separated, from: {', '.join(BUILDERS)} (default: all in the sandbox; live "
        f"runs load the legacy archives {', '.join(sorted(OPT_IN))} only when named, and "
        "amzpecty only when sources.amzpecty.secret_key is set)",
    )
    parser.add_argument(
        "--accounts",
        help="comma-separated account names (or seller ids): load only these sellers, leaving "
        "every other seller's data and positions as they are",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="sellers (units of work) loaded at a time (default 1); into DuckDB their loads "
        "still take turns",
    )
    parser.add_argument("--start-date", help="first run starts here (ISO 8601 date)")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--sandbox", action="store_true", help="load the offline sandbox")
    target.add_argument("--live", action="store_true", help="load Amazon with your credentials")
    target.add_argument("--sandbox-url", help="load a sandbox already running at this URL")
    parser.add_argument(
        "--duckdb",
        type=Path,
        default=ROOT / "amazon.duckdb",
        help="warehouse file (default: amazon.duckdb in the project)",
    )
    parser.add_argument(
        "--pipelines-dir",
        type=Path,
        default=ROOT / ".dlt" / "pipelines",
        help="where dlt keeps state and load packages",
    )
    parser.add_argument("--orders", type=int, help="sandbox size (orders over two years)")
    parser.add_argument("--seed", type=int, help="sandbox seed")
    parser.add_argument("--time-scale", type=float, help="sandbox virtual seconds per second")
    parser.add_argument("--no-dbt", action="store_true", help="load only; skip dbt build")
    parser.add_argument(
        "--purge-only",
        action="store_true",
        help="only purge personal data past its retention (pii.retention_days), then build",
    )
    parser.add_argument(
        "--wait",
        type=float,
        nargs="?",
        const=3600.0,
        default=0.0,
        metavar="SECONDS",
        help="when another run (or program) has the warehouse, wait for it up to SECONDS "
        "(default 3600) instead of failing at once",
    )
    parser.add_argument(
        "--recover",
        action="store_true",
        help="drop the load packages an interrupted run left, instead of loading them, and "
        "rewind the state to before them so that their data is extracted again",
    )
    return parser.parse_args(argv)


def setup_logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    for noisy in ("dlt", "urllib3", "sandbox"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    redact.install()


def choose_mode(args: argparse.Namespace) -> str:
    if args.sandbox or args.sandbox_url:
        return "sandbox"
    if args.live:
        if not has_live_credentials():
            raise RunError(
                "--live needs sources.sp_api.accounts (and client_id, client_secret) in "
                ".dlt/secrets.toml or SOURCES__SP_API__* environment variables"
            )
        return "live"
    return "live" if has_live_credentials() else "sandbox"


def open_warehouse(duckdb_path: Path, names: list[str]) -> Warehouse:
    """The warehouse file; buyers' and recipients' data only goes into an encrypted one."""
    warehouse = Warehouse.from_config(duckdb_path)
    personal = retention.loading_personal_data(names)
    if personal and not warehouse.encrypted:
        raise RunError(
            f"sources.{personal[0]}.include_pii needs an encrypted warehouse: set {KEY} in "
            ".dlt/secrets.toml (or DESTINATION__DUCKDB__CREDENTIALS__ENCRYPTION_KEY)"
        )
    return warehouse


def world_now(target: dict | None):  # type: ignore[no-untyped-def]
    """Now, for retention: the sandbox's world time (it may stand still or jump), else ours."""
    return SandboxTime(target["sp_api"]["endpoint"]).now() if target else SYSTEM_CLOCK.now()


def check_warehouse(warehouse: Warehouse, dataset: str, mode: str) -> None:
    """Refuse to mix sandbox and live data in one warehouse file."""
    connection = warehouse.read()
    if connection is None:
        return
    with connection:
        try:
            names = {
                row[0]
                for row in connection.execute(
                    f'select distinct pipeline_name from "{dataset}"._dlt_pipeline_state'
                ).fetchall()
            }
        except duckdb.CatalogException:
            return
    others = sorted(name for name in names if not belongs(name, mode, dataset))
    if others:
        raise RunError(
            f"{warehouse.path.name} holds {dataset} data of pipeline {others[0]!r}; load "
            f"{mode} data into another file with --duckdb, or delete {warehouse.path.name}"
        )


def sandbox_target(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """(accounts document, running sandbox or None) for sandbox mode."""
    if args.sandbox_url:
        response = requests.get(f"{args.sandbox_url.rstrip('/')}/_sandbox/accounts", timeout=30)
        response.raise_for_status()
        return response.json(), None
    import sandbox

    settings = dlt.config.get("sandbox") or {}
    now = SYSTEM_CLOCK.now()
    running = sandbox.start(
        seed=args.seed if args.seed is not None else int(settings.get("seed", 42)),
        orders=args.orders or int(settings.get("orders", sandbox.DEFAULT_ORDERS)),
        time_scale=args.time_scale or float(settings.get("time_scale", 3600)),
        start=now,
        origin=now.start_of("day"),  # one world per day, so runs on a day agree
    )
    log.info("sandbox serving on %s (time scale %s)", running.url, running.clock.time_scale)
    return running.accounts(), running


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    mode = choose_mode(args)
    default = ",".join(name for name in BUILDERS if mode == "sandbox" or name not in OPT_IN)
    names = [n.strip() for n in (args.sources or default).split(",") if n.strip()]
    unknown = sorted(set(names) - set(BUILDERS))
    if unknown:
        raise RunError(f"unknown source(s) {unknown}; choose from {sorted(BUILDERS)}")
    if mode == "live" and not args.sources and not dlt.secrets.get("sources.amzpecty.secret_key"):
        names.remove("amzpecty")
    names.sort(key=lambda name: name == "amzpecty")  # it asks for the ASINs the others loaded
    warehouse = open_warehouse(args.duckdb, names)
    for name in names:
        check_warehouse(warehouse, name, mode)
    if args.workers < 1:
        raise RunError("--workers must be 1 or more")
    chosen = [a.strip() for a in args.accounts.split(",") if a.strip()] if args.accounts else None
    target, running = sandbox_target(args) if mode == "sandbox" else (None, None)
    try:
        context = RunContext(mode=mode, sandbox=target, start_date=args.start_date)
        planned = work.plan(names, mode, str(warehouse.path.resolve()), target, chosen)
        log.info(
            "loading %s (%s, %d units, %d at a time) into %s",
            ", ".join(names),
            mode,
            len(planned),
            args.workers,
            warehouse.path,
        )
        runner = pool.Runner(
            context=context,
            mode=mode,
            destination=warehouse.destination,
            pipelines_dir=args.pipelines_dir.resolve(),
            single_writer=True,
            arguments=lambda name: callbacks.source_arguments(name, target, warehouse),
            now=lambda: world_now(target),
            recover=args.recover,
            purge_only=args.purge_only,
        )
        outcomes = pool.run_units(planned, runner, args.workers)
    finally:
        warehouse.close()
        if running is not None:
            running.stop()
    loaded: dict[str, list[str]] = {}  # source -> the load ids this run completed
    for outcome in outcomes:
        loaded.setdefault(outcome.unit.source, []).extend(outcome.loads)
    dbt_summary = None
    if not args.no_dbt:
        log.info("building models (dbt build)")
        dbt_summary = transform.build(warehouse)
    print(
        summary.render(warehouse, loaded, context.stats, dbt_summary, time.perf_counter() - started)
    )
    problems = [str(failure) for failure in context.failures]
    failed = [o for o in outcomes if o.error is not None]
    problems += [f"{o.unit.label}: {one_line(o.error)}" for o in failed]  # type: ignore[arg-type]
    if dbt_summary is not None:
        problems += dbt_summary.failures
    for problem in problems:
        print(f"error: {redact.redact_text(problem)}", file=sys.stderr)
    if any(getattr(c, "has_pending_data", False) for o in failed for c in causes(o.error)):  # type: ignore[arg-type]
        print(f"hint: {recovery.PENDING_HINT}", file=sys.stderr)
    return 1 if problems else 0


def one_line(error: BaseException) -> str:
    """The innermost cause, first line, scrubbed; a warehouse in use says who uses it."""
    for cause in causes(error):
        busy = locking.conflict(cause)
        if busy:
            return busy
    error = causes(error)[-1]
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return redact.redact_text(f"{type(error).__name__}: {text}")


def config_file_error(error: TomlProviderReadException) -> str:
    """dlt names the TOML file it could not read but not where in it: the file, line and
    column, and what is wrong there (the parser says so without quoting the value)."""
    cause = error.__cause__ or error.__context__
    where = next((p for p in error.full_paths if Path(p).is_file()), error.file_name)
    line, column = getattr(cause, "line", None), getattr(cause, "col", None)
    what = str(cause).rsplit(" at line ", 1)[0] if cause else "not valid TOML"
    place = f", line {line}, column {column}" if line else ""
    return f"{where}{place}: {what}"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_logging()
    prefer_system_allocator()
    try:
        with locking.hold(args.duckdb.resolve(), args.wait, SYSTEM_CLOCK):
            return run(args)
    except locking.WarehouseBusyError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except TomlProviderReadException as error:
        print(f"error: {config_file_error(error)}", file=sys.stderr)
        return 1
    except BaseException as error:
        signal_number = interruption(error)
        if signal_number is not None:
            print("error: interrupted; the next run finishes what this one left", file=sys.stderr)
            return 128 + signal_number
        if not isinstance(error, Exception):
            raise
        log.debug("run failed", exc_info=True)
        print(f"error: {one_line(error)}", file=sys.stderr)
        if any(getattr(cause, "has_pending_data", False) for cause in causes(error)):
            print(f"hint: {recovery.PENDING_HINT}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
