"""Load Amazon seller data into a warehouse (amazon.duckdb by default) and build the dbt models.

With no credentials configured, it starts the offline sandbox and loads that:

    python pipelines/run.py                 # sandbox, or live when credentials resolve
    python pipelines/run.py --live --start-date 2025-01-01
    python pipelines/run.py --destination postgres   # any dlt destination, credentials as dlt's
    python pipelines/run.py --resources orders,reports
    python pipelines/run.py --accounts "Shop One" --workers 4   # sellers are units of work
    python pipelines/run.py check           # configuration and credentials; loads nothing

A run first finishes what an interrupted run left (its load packages), then extracts and loads
as usual. `--recover` drops those packages instead and rewinds the state with them, so that
their data is extracted again.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

STARTED = time.perf_counter()  # before the imports, which take seconds

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # this checkout's packages, never pipelines/ shadowing them
os.environ.setdefault("DLT_PROJECT_DIR", str(ROOT))
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

import dlt  # noqa: E402
import pendulum  # noqa: E402
import requests  # noqa: E402
from dlt.destinations.exceptions import DatabaseUndefinedRelation  # noqa: E402

from pipelines import (  # noqa: E402
    callbacks,
    check,
    locking,
    naming,
    pool,
    recovery,
    retention,
    summary,
    transform,
)
from pipelines import units as work  # noqa: E402
from pipelines.builders import BUILDERS, OPT_IN, RunContext, has_live_credentials  # noqa: E402
from pipelines.dbt_process import DbtProcess  # noqa: E402
from pipelines.duckdb_file import KEY  # noqa: E402
from pipelines.errors import RunError, causes, interruption, one_line  # noqa: E402
from pipelines.progress import Progress  # noqa: E402
from pipelines.sandbox_process import SandboxProcess  # noqa: E402
from pipelines.sandbox_time import SandboxTime  # noqa: E402
from pipelines.timing import Timings  # noqa: E402
from pipelines.warehouse import ENCRYPTED_AT_REST, Warehouse, choose  # noqa: E402
from sources.common import redact  # noqa: E402
from sources.common.clock import SYSTEM_CLOCK  # noqa: E402
from sources.common.memory import lean_process_memory  # noqa: E402
from sources.sp_api.settings import NAMED_RESOURCES, RESOURCE_GROUPS  # noqa: E402

log = logging.getLogger("pipelines.run")
# one dataset (schema) per source, one pipeline (state) per unit of work (pipelines/units.py);
# dlt refuses a dataset named like the DuckDB file's catalog, so raw tables live in `sp_api.*`,
# `mws.*`, ... not `amazon.*`
RESOURCE_CHOICES = NAMED_RESOURCES + RESOURCE_GROUPS
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ArgumentParser(argparse.ArgumentParser):
    """argparse, whose refusal is one line (its usage is a screenful)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (--help lists the options)\n")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The arguments, each checked before anything starts."""
    parser = ArgumentParser(
        prog="python pipelines/run.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "command",
        nargs="?",
        choices=("run", "check"),
        default="run",
        help="run (the default) loads and builds; check validates configuration and "
        "credentials with one cheap call per account and source, and loads nothing",
    )
    parser.add_argument("--check", action="store_true", help="the same as the check command")
    parser.add_argument(
        "--sources",
        help=f"comma-separated, from: {', '.join(BUILDERS)} (default: all in the sandbox; live "
        f"runs load the legacy archives {', '.join(sorted(OPT_IN))} only when named, and "
        "amzpecty only when sources.amzpecty.secret_key is set)",
    )
    parser.add_argument(
        "--resources",
        type=_names(RESOURCE_CHOICES),
        help=f"comma-separated SP-API resources, from: {', '.join(RESOURCE_CHOICES)} (default: "
        "sources.sp_api.resources, else all); without --sources, only sp_api loads",
    )
    parser.add_argument(
        "--accounts",
        type=_names(),
        help="comma-separated account names (or seller ids): load only these sellers, leaving "
        "every other seller's data and positions as they are",
    )
    parser.add_argument(
        "--workers",
        type=_positive(int),
        default=4,
        help="sellers (units of work) at work at a time (default 4; a seller waiting on "
        "Amazon lets another work); into DuckDB their loads take turns",
    )
    parser.add_argument(
        "--start-date", type=_start_date, help="first run starts here (ISO 8601 date)"
    )
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
        help="where dlt keeps state and load packages (default: dlt's own, ~/.dlt/pipelines or "
        "$DLT_DATA_DIR/pipelines, where `dlt pipeline` looks)",
    )
    parser.add_argument(
        "--orders", type=_positive(int), help="sandbox size (orders over two years)"
    )
    parser.add_argument("--seed", type=int, help="sandbox seed")
    parser.add_argument(
        "--time-scale", type=_positive(float), help="sandbox virtual seconds per second"
    )
    parser.add_argument("--no-dbt", action="store_true", help="load only; skip dbt build")
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the incremental marts from all history (after an upgrade, or to check)",
    )
    parser.add_argument(
        "--purge-only",
        action="store_true",
        help="only purge personal data past its retention (pii.retention_days), then build",
    )
    parser.add_argument(
        "--wait",
        type=_positive(float, zero=True),
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
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also print a line per report and step, and at the end where the time went",
    )
    verbosity.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print only errors; the exit status says the rest",
    )
    verbosity.add_argument(
        "--log-level",
        type=str.upper,
        choices=LOG_LEVELS,
        help="log level (default: dlt's runtime.log_level, e.g. RUNTIME__LOG_LEVEL, else WARNING)",
    )
    args = parser.parse_args(argv)
    args.check = args.check or args.command == "check"
    sources = {n.strip() for n in (args.sources or "").split(",") if n.strip()}
    unknown = sorted(sources - set(BUILDERS))
    if unknown:
        parser.error(f"--sources: unknown {', '.join(unknown)}; choose from {', '.join(BUILDERS)}")
    if args.resources and not args.sources:
        args.sources = "sp_api"
    elif args.resources and "sp_api" not in sources:
        parser.error("--resources names SP-API resources: add sp_api to --sources")
    return args


def _names(choices: tuple[str, ...] | None = None):  # type: ignore[no-untyped-def]
    """An argparse type: a comma-separated list of names (from `choices`, when given)."""

    def parse(text: str) -> list[str]:
        names = [n.strip() for n in text.split(",") if n.strip()]
        if not names:
            raise argparse.ArgumentTypeError("expects at least one name")
        unknown = sorted(set(names) - set(choices or names))
        if unknown:
            raise argparse.ArgumentTypeError(
                f"unknown {', '.join(unknown)}; choose from {', '.join(choices)}"
            )
        return names

    return parse


def _positive(kind: type[int] | type[float], zero: bool = False):  # type: ignore[no-untyped-def]
    """An argparse type: a number above zero (or zero, with `zero`)."""

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value < 0 or (value == 0 and not zero):
            raise argparse.ArgumentTypeError(
                f"{text}: must be {'zero or more' if zero else 'above zero'}"
            )
        return value

    return parse


def _start_date(text: str) -> str:
    """An argparse type: an ISO 8601 date or date-time."""
    try:
        parsed = pendulum.parse(text)
    except (ValueError, TypeError):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 date (e.g. 2025-01-01)"
        ) from None
    if not isinstance(parsed, pendulum.Date):
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (e.g. 2025-01-01)")
    return text


def log_level(args: argparse.Namespace) -> int:
    """--log-level, else -v (INFO) or -q (ERROR), else dlt's runtime.log_level."""
    if args.log_level:
        return logging.getLevelName(args.log_level)  # type: ignore[no-any-return]
    if args.verbose:
        return logging.INFO
    if args.quiet:
        return logging.ERROR
    configured = str(dlt.config.get("runtime.log_level") or "WARNING").upper()
    return logging.getLevelName(configured) if configured in LOG_LEVELS else logging.WARNING  # type: ignore[no-any-return]


def setup_logging(level: int) -> None:
    """Our loggers and dlt's at `level`; HTTP and sandbox internals only when debugging."""
    logging.basicConfig(
        level=level,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )
    logging.getLogger("dlt").setLevel(level)
    for noisy in ("urllib3", "sandbox"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
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


def known_pipelines(warehouse: Warehouse, mode: str, dataset: str) -> set[str]:
    """The pipelines whose state `dataset` holds (read through dlt's SQL client); refuse to
    mix sandbox and live data in one warehouse."""
    names: set[str] = set()
    if warehouse.exists:
        with (
            contextlib.suppress(DatabaseUndefinedRelation),
            warehouse.sql_client(dataset) as client,
        ):
            state = client.make_qualified_table_name("_dlt_pipeline_state")
            names = {row[0] for row in client.execute_sql(f"select pipeline_name from {state}")}
    others = sorted(name for name in names if not naming.belongs(name, mode, dataset))
    if others:
        fix = (
            f"into another file with --duckdb, or delete {warehouse.label}"
            if warehouse.file is not None
            else f"into another database, or drop the {dataset} schema"
        )
        raise RunError(
            f"{warehouse.label} holds {dataset} data of pipeline {others[0]!r}; load {mode} "
            f"data {fix}"
        )
    return names


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


@dataclasses.dataclass
class Plan:
    """What a run (or a check) works on, settled before anything is extracted."""

    args: argparse.Namespace
    names: list[str]  # the sources, in the order they load
    warehouse: Warehouse
    units: list[work.Unit]  # a pipeline each: per seller, or the whole source
    target: dict | None  # the sandbox's accounts document
    running: Any  # the embedded sandbox, when this run started one
    context: RunContext
    timings: Timings

    def runner(self, progress: Progress | None = None) -> pool.Runner:
        """What runs the units: pipelines in dlt's folder (one that run.py kept in the
        project before is moved there first)."""
        options = {"progress": progress} if progress is not None else {}
        return pool.Runner(
            context=self.context,
            mode=self.context.mode,
            warehouse=self.warehouse,
            pipelines_dir=pipelines_dir(self.args).resolve(),
            arguments=lambda name: callbacks.source_arguments(name, self.target, self.warehouse),
            now=lambda: world_now(self.target),
            recover=self.args.recover,
            purge_only=self.args.purge_only,
            adopt_old_folders=self.args.pipelines_dir is None,
            timings=self.timings,
            **options,
        )

    def stop(self, wait: bool = True) -> None:
        """Stop the embedded sandbox; without waiting for it, it winds down meanwhile."""
        if self.running is not None:
            self.running.stop(wait)


def pipelines_dir(args: argparse.Namespace) -> Path:
    """--pipelines-dir, else dlt's own folder (where `dlt pipeline` looks)."""
    return args.pipelines_dir or naming.pipelines_dir()


def plan(args: argparse.Namespace, warehouse: Warehouse, timings: Timings) -> Plan:
    """The sources, units and target of a run: the sandbox starts here."""
    mode = choose_mode(args)
    names = chosen_sources(args, mode)
    check_personal_data(warehouse, names)
    known = {name: known_pipelines(warehouse, mode, name) for name in names}
    with timings.phase("sandbox start"):
        target, running = sandbox_target(args) if mode == "sandbox" else (None, None)
    try:
        units = work.plan(names, mode, warehouse.where, target, args.accounts, known)
    except BaseException:
        if running is not None:
            running.stop()
        raise
    context = RunContext(
        mode=mode, sandbox=target, start_date=args.start_date, resources=args.resources
    )
    return Plan(args, names, warehouse, units, target, running, context, timings)


def chosen_sources(args: argparse.Namespace, mode: str) -> list[str]:
    """The sources this run loads, in the order it loads them."""
    default = ",".join(name for name in BUILDERS if mode == "sandbox" or name not in OPT_IN)
    names = [n.strip() for n in (args.sources or default).split(",") if n.strip()]
    if mode == "live" and not args.sources and not dlt.secrets.get("sources.amzpecty.secret_key"):
        names.remove("amzpecty")
    names.sort(key=lambda name: name == "amzpecty")  # it asks for the ASINs the others loaded
    return names


def check_run(args: argparse.Namespace, warehouse: Warehouse) -> int:
    """Configuration, credentials and a cheap call per unit (a seller's source, or a whole
    source); what a run would load; nothing loaded (the warehouse is only read)."""
    planned = plan(args, warehouse, Timings(started=STARTED))
    context, runner = planned.context, planned.runner()
    checked = []
    try:
        for unit in planned.units:
            pipeline = runner.pipeline(unit)
            if warehouse.exists:
                pipeline.sync_destination()
            start = args.start_date or dlt.config.get(f"sources.{unit.source}.start_date")
            with contextlib.ExitStack() as built:
                checked.append(
                    check.check_source(
                        unit.label,
                        unit.source,
                        lambda only, unit=unit: built.enter_context(
                            runner.source(unit, resources=only)
                        ),
                        pipeline,
                        context.failures,
                        context.stats,
                        str(start or "the source's default"),
                    )
                )
    finally:
        planned.stop()
    accounts = check.sp_api_accounts(planned.target) if "sp_api" in planned.names else []
    if not args.quiet:
        print(check.render(checked, accounts))
    for failure in context.failures:
        print(f"error: {redact.redact_text(str(failure))}", file=sys.stderr)
    return 1 if len(context.failures) else 0


def run(args: argparse.Namespace, warehouse: Warehouse, timings: Timings) -> int:
    """Load and build; dbt's process starts first, to parse while the sandbox and the sources
    start and load, and stops with the run however it ends."""
    dbt = None if args.no_dbt else DbtProcess(transform.Target.of(warehouse))
    try:
        return load_and_build(args, warehouse, timings, dbt)
    finally:
        if dbt is not None:
            dbt.stop()


def load_and_build(
    args: argparse.Namespace, warehouse: Warehouse, timings: Timings, dbt: DbtProcess | None
) -> int:
    planned = plan(args, warehouse, timings)
    context, warehouse = planned.context, planned.warehouse
    progress = Progress(sys.stderr, live=sys.stderr.isatty(), quiet=args.quiet)
    with progress:
        try:
            log.info(
                "loading %s (%s, %d units, %d at a time) into %s",
                ", ".join(planned.names),
                context.mode,
                len(planned.units),
                args.workers,
                warehouse.label,
            )
            runner = planned.runner(progress)
            with warehouse.kept_open():
                before = {
                    name: summary.row_counts(warehouse.dataset(name)) if warehouse.exists else {}
                    for name in planned.names
                }
            outcomes = pool.run_units(planned.units, runner, args.workers)
            with warehouse.kept_open():
                runs = {
                    name: summary.SourceRun(
                        summary.table_rows(
                            warehouse.dataset(name),
                            before[name],
                            [i for o in outcomes if o.unit.source == name for i in o.loads],
                        ),
                        runner.stats(name).snapshot(),
                    )
                    for name in planned.names
                }
        finally:
            warehouse.close()
            planned.stop(wait=False)  # it winds down while dbt builds
        dbt_summary = None
        try:
            if dbt is not None:
                log.info("building models (dbt build)")
                line = progress.dbt()
                with timings.phase("dbt build"):
                    dbt_summary = dbt.build(args.full_refresh, line.on_event, timings)
                line.finish(dbt_summary.success)
        finally:
            planned.stop()
    if not args.quiet:
        label = f"{warehouse.where}{' (encrypted)' if warehouse.encrypted else ''}"
        seconds = timings.total()
        operations = context.stats.snapshot()
        detail = log_level(args) <= logging.INFO
        print(summary.render(label, runs, operations, dbt_summary, seconds, detail))
    if args.verbose:
        print(timings.render())
    problems = [redact.redact_text(str(failure)) for failure in context.failures]
    problems += unit_errors(outcomes)
    if dbt_summary is not None:
        problems += [redact.redact_text(failure) for failure in dbt_summary.failures]
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if any(pending(outcome.error) for outcome in outcomes if outcome.error is not None):
        print(f"hint: {recovery.PENDING_HINT}", file=sys.stderr)
    return 1 if problems else 0


def pending(error: BaseException) -> bool:
    """Whether `error` left a load package the next run loads first (dlt says so)."""
    return any(getattr(cause, "has_pending_data", False) for cause in causes(error))


def unit_errors(outcomes: list[pool.Outcome]) -> list[str]:
    """A line per unit that failed, naming it; one line for units that failed alike (a setting
    every seller's unit needs)."""
    found: dict[str, list[str]] = {}
    for outcome in outcomes:
        if outcome.error is not None:
            found.setdefault(one_line(outcome.error), []).append(outcome.unit.label)
    return [text if len(units) > 1 else f"{units[0]}: {text}" for text, units in found.items()]


def main(argv: list[str] | None = None) -> int:
    timings = Timings(started=STARTED)
    timings.add("imports", timings.total())
    args = parse_args(argv)
    lean_process_memory()
    try:
        setup_logging(log_level(args))
        warehouse = choose(args.destination, args.duckdb, pipelines_dir(args))
        if args.check:
            return check_run(args, warehouse)
        with locking.hold(warehouse, args.wait, SYSTEM_CLOCK):
            return run(args, warehouse, timings)
    except BaseException as error:
        signal_number = interruption(error)
        if signal_number is not None:
            print("error: interrupted; the next run finishes what this one left", file=sys.stderr)
            return 128 + signal_number
        if not isinstance(error, Exception):
            raise
        log.debug("run failed", exc_info=True)
        print(f"error: {one_line(error)}", file=sys.stderr)
        if pending(error):
            print(f"hint: {recovery.PENDING_HINT}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
