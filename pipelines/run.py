"""Load Amazon seller data into a warehouse (amazon.duckdb by default) and build the dbt models.

With no credentials configured, it starts the offline sandbox and loads that:

    python pipelines/run.py                 # sandbox, or live when credentials resolve
    python pipelines/run.py --live --start-date 2025-01-01
    python pipelines/run.py --destination postgres   # any dlt destination, credentials as dlt's

A run first finishes what an interrupted run left (its load packages), then extracts and loads
as usual. `--recover` drops those packages instead and rewinds the state with them, so that
their data is extracted again.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from pathlib import Path

STARTED = time.perf_counter()  # before the imports, which take seconds

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # this checkout's packages, never pipelines/ shadowing them
os.environ.setdefault("DLT_PROJECT_DIR", str(ROOT))
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

import dlt  # noqa: E402
import requests  # noqa: E402
from dlt.common.configuration.providers.toml import TomlProviderReadException  # noqa: E402
from dlt.destinations.exceptions import DatabaseUndefinedRelation  # noqa: E402

from pipelines import callbacks, locking, recovery, retention, summary, transform  # noqa: E402
from pipelines.builders import BUILDERS, OPT_IN, RunContext, has_live_credentials  # noqa: E402
from pipelines.duckdb_file import KEY  # noqa: E402
from pipelines.sandbox_process import SandboxProcess  # noqa: E402
from pipelines.sandbox_time import SandboxTime  # noqa: E402
from pipelines.timing import Timings  # noqa: E402
from pipelines.warehouse import ENCRYPTED_AT_REST, Warehouse, choose  # noqa: E402
from sources.common import redact  # noqa: E402
from sources.common.clock import SYSTEM_CLOCK  # noqa: E402
from sources.common.memory import prefer_system_allocator  # noqa: E402

log = logging.getLogger("pipelines.run")
# one pipeline (state) and one dataset (schema) per source; dlt refuses a dataset named like
# the DuckDB file's catalog, so raw tables live in `sp_api.*`, `mws.*`, ... not `amazon.*`
PIPELINE_PREFIX = {"sandbox": "sandbox_", "live": "amazon_"}


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
    parser.add_argument("--start-date", help="first run starts here (ISO 8601 date)")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--sandbox", action="store_true", help="load the offline sandbox")
    target.add_argument("--live", action="store_true", help="load Amazon with your credentials")
    target.add_argument("--sandbox-url", help="load a sandbox already running at this URL")
    parser.add_argument(
        "--destination",
        help="the warehouse: any dlt destination (duckdb, postgres, motherduck, bigquery, "
        "snowflake) or a [destination.NAME] in .dlt/config.toml, its credentials as dlt "
        "resolves them (default: destination_type in config, else duckdb)",
    )
    parser.add_argument(
        "--duckdb",
        type=Path,
        help="the DuckDB warehouse file (default: amazon.duckdb in the project)",
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
        "--full-refresh",
        action="store_true",
        help="rebuild the incremental marts from all history (after an upgrade, or to check)",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="at the end, print where the time went"
    )
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


def check_personal_data(warehouse: Warehouse, names: list[str]) -> None:
    """Buyers' and recipients' data only goes into a warehouse encrypted at rest."""
    personal = retention.loading_personal_data(names)
    if not personal or warehouse.encrypted:
        return
    fix = (
        f"set {KEY} in .dlt/secrets.toml (or DESTINATION__DUCKDB__CREDENTIALS__ENCRYPTION_KEY)"
        if warehouse.file is not None
        else f"set {ENCRYPTED_AT_REST} = true in .dlt/config.toml once its disks are"
    )
    raise RunError(f"sources.{personal[0]}.include_pii needs an encrypted warehouse: {fix}")


def world_now(target: dict | None):  # type: ignore[no-untyped-def]
    """Now, for retention: the sandbox's world time (it may stand still or jump), else ours."""
    return SandboxTime(target["sp_api"]["endpoint"]).now() if target else SYSTEM_CLOCK.now()


def check_warehouse(warehouse: Warehouse, dataset: str, pipeline_name: str) -> None:
    """Refuse to mix sandbox and live data in one warehouse (read through dlt's SQL client)."""
    if not warehouse.exists:
        return
    try:
        with warehouse.sql_client(dataset) as client:
            state = client.make_qualified_table_name("_dlt_pipeline_state")
            names = {row[0] for row in client.execute_sql(f"select pipeline_name from {state}")}
    except DatabaseUndefinedRelation:
        return
    others = names - {pipeline_name}
    if others:
        fix = (
            f"into another file with --duckdb, or delete {warehouse.label}"
            if warehouse.file is not None
            else f"into another database, or drop the {dataset} schema"
        )
        raise RunError(
            f"{warehouse.label} holds {dataset} data of pipeline {sorted(others)[0]!r}; load "
            f"{pipeline_name!r} {fix}"
        )


def sandbox_target(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """(accounts document, running sandbox or None) for sandbox mode."""
    if args.sandbox_url:
        response = requests.get(f"{args.sandbox_url.rstrip('/')}/_sandbox/accounts", timeout=30)
        response.raise_for_status()
        return response.json(), None
    settings = dlt.config.get("sandbox") or {}
    now = SYSTEM_CLOCK.now()
    running = SandboxProcess(
        seed=args.seed if args.seed is not None else int(settings.get("seed", 42)),
        orders=args.orders or settings.get("orders"),
        time_scale=args.time_scale or settings.get("time_scale"),
        start=now,
        origin=now.start_of("day"),  # one world per day, so runs on a day agree
    )
    log.info("sandbox serving on %s (time scale %s)", running.url, running.time_scale)
    return running.accounts(), running


def run(args: argparse.Namespace, warehouse: Warehouse, timings: Timings) -> int:
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
    check_personal_data(warehouse, names)
    for name in names:
        check_warehouse(warehouse, name, PIPELINE_PREFIX[mode] + name)
    with timings.phase("sandbox start"):
        target, running = sandbox_target(args) if mode == "sandbox" else (None, None)
    loaded: dict[str, list[str]] = {}  # source -> the load ids this run completed
    try:
        context = RunContext(mode=mode, sandbox=target, start_date=args.start_date)
        log.info("loading %s (%s) into %s", ", ".join(names), mode, warehouse.label)
        for name in names:
            pipeline = dlt.pipeline(
                pipeline_name=PIPELINE_PREFIX[mode] + name,
                destination=warehouse.destination(),
                dataset_name=name,
                pipelines_dir=str(args.pipelines_dir.resolve()),
            )
            loaded[name] = []
            if not args.purge_only:
                loaded[name] = recovery.settle(pipeline, drop=args.recover)
                slept = context.clock.slept
                with callbacks.source_arguments(name, target, warehouse) as arguments:
                    context.overrides[name] = arguments
                    info = pipeline.run(
                        BUILDERS[name](context), loader_file_format=warehouse.loader_file_format
                    )
                loaded[name] += info.loads_ids
                timings.steps(name, pipeline.last_trace)
                timings.waits[name] = context.clock.slept - slept
            with timings.phase("personal data purge"):
                retention.purge(pipeline, world_now(target), retention.retention_days())
    finally:
        warehouse.close()
        if running is not None:
            running.stop()
    dbt_summary = None
    if not args.no_dbt:
        log.info("building models (dbt build)")
        with timings.phase("dbt build"):
            dbt_summary = transform.build(warehouse, full_refresh=args.full_refresh)
    print(
        summary.render(warehouse, loaded, context.stats, dbt_summary, time.perf_counter() - started)
    )
    if args.verbose:
        print(timings.render())
    problems = [str(failure) for failure in context.failures]
    if dbt_summary is not None:
        problems += dbt_summary.failures
    for problem in problems:
        print(f"error: {redact.redact_text(problem)}", file=sys.stderr)
    return 1 if problems else 0


def causes(error: BaseException) -> list[BaseException]:
    """`error` and what it wraps, outermost first (dlt's step errors keep theirs in
    `exception`)."""
    chain = [error]
    while True:
        inner = getattr(chain[-1], "exception", None) or chain[-1].__cause__
        if not isinstance(inner, BaseException) or any(inner is seen for seen in chain):
            return chain
        chain.append(inner)


def interruption(error: BaseException) -> int | None:
    """The signal that stopped the run (Ctrl-C is SIGINT), wherever dlt wrapped it: the
    KeyboardInterrupt itself, or dlt's SignalReceivedException from normalize and load."""
    for cause in causes(error):
        if isinstance(cause, KeyboardInterrupt):
            return int(getattr(cause, "signal_code", signal.SIGINT))
    return None


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
    timings = Timings(started=STARTED)
    timings.add("imports", timings.total())
    args = parse_args(argv)
    setup_logging()
    prefer_system_allocator()
    try:
        warehouse = choose(args.destination, args.duckdb, args.pipelines_dir)
        with locking.hold(warehouse, args.wait, SYSTEM_CLOCK):
            return run(args, warehouse, timings)
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
