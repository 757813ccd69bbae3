"""Dagster code location: each seller's dlt assets as a static partition, dbt's models
downstream, a daily schedule, retries per partition.

    dagster dev -f orchestration/definitions.py

Where it loads from: `AMAZON_ELT_SANDBOX_URL` (a running sandbox, `python -m sandbox`), else
the live accounts in `.dlt/secrets.toml`; into the warehouse `run.py` would choose
(`AMAZON_ELT_DESTINATION` as its `--destination`, `AMAZON_ELT_DUCKDB` as its `--duckdb`),
dlt's pipelines in `AMAZON_ELT_PIPELINES_DIR` (default: dlt's own folder). A partition is one
unit of `pipelines/units.py` (the same pipeline `run.py --accounts NAME` runs), so both keep
the same state. A partition holds the warehouse for its run as `pipelines/locking.py` holds it
for one unit: a DuckDB file whole (partitions take turns on it), a server warehouse shared
with other sellers' partitions (they load side by side) and never with a `run.py` run.
"""

# no `from __future__ import annotations`: Dagster reads a `context` annotation as a type
import os
import shutil
import sys
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `dagster dev -f` imports this file alone
os.environ.setdefault("DLT_PROJECT_DIR", str(ROOT))
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

import dagster as dg  # noqa: E402
import requests  # noqa: E402
from dagster import AssetExecutionContext  # noqa: E402
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets  # noqa: E402
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets  # noqa: E402
from dagster_dlt.translator import DltResourceTranslatorData  # noqa: E402

from pipelines import callbacks, locking, naming, pool, units  # noqa: E402
from pipelines.builders import BUILDERS, RunContext  # noqa: E402
from pipelines.run import known_pipelines, world_now  # noqa: E402
from pipelines.transform import SQL_DIR  # noqa: E402
from pipelines.warehouse import Warehouse, choose  # noqa: E402
from sources.common.clock import SYSTEM_CLOCK  # noqa: E402

SOURCE = "sp_api"  # the per-seller source whose partitions are the sellers
RETRIES = dg.RetryPolicy(max_retries=2, delay=60, backoff=dg.Backoff.EXPONENTIAL)
LOCK_WAIT_SECONDS = 6 * 3600.0  # a partition waits this long for another's turn on DuckDB


class RunFailures(Exception):
    """A partition whose run recorded failures (a report, a revoked token): Dagster retries it."""


@cache
def sandbox() -> dict[str, Any] | None:
    """The running sandbox's accounts document, when `AMAZON_ELT_SANDBOX_URL` names one."""
    url = os.environ.get("AMAZON_ELT_SANDBOX_URL")
    if not url:
        return None
    response = requests.get(f"{url.rstrip('/')}/_sandbox/accounts", timeout=30)
    response.raise_for_status()
    return response.json()


def mode() -> str:
    return "live" if sandbox() is None else "sandbox"


def pipelines_dir() -> Path:
    found = os.environ.get("AMAZON_ELT_PIPELINES_DIR")
    return Path(found).resolve() if found else naming.pipelines_dir()


@cache
def warehouse() -> Warehouse:
    """The warehouse `run.py` chooses, given these variables as its options."""
    duckdb_file = os.environ.get("AMAZON_ELT_DUCKDB")
    return choose(
        os.environ.get("AMAZON_ELT_DESTINATION"),
        Path(duckdb_file) if duckdb_file else None,
        pipelines_dir(),
    )


def seller_units() -> dict[str, units.Unit]:
    """The configured sellers' units of `SOURCE`, by account name (the partition key)."""
    found = warehouse()
    known = {SOURCE: known_pipelines(found, mode(), SOURCE)}
    return {
        units.account_name(unit.account): unit
        for unit in units.plan([SOURCE], mode(), found.where, sandbox(), known=known)
        if unit.account is not None
    }


class Translator(DagsterDltTranslator):
    """dlt's tables as `<dataset>/<table>`, the keys dbt's sources (`sp_api.orders`) have."""

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        spec = super().get_asset_spec(data)
        return spec.replace_attributes(key=dg.AssetKey([SOURCE, data.resource.table_name]), deps=[])


def runner(context: RunContext) -> pool.Runner:
    """One partition's runner: the same warehouse, folder and options `run.py` uses."""
    found = warehouse()
    return pool.Runner(
        context=context,
        mode=mode(),
        warehouse=found,
        pipelines_dir=pipelines_dir(),
        arguments=lambda name: callbacks.source_arguments(name, sandbox(), found),
        now=lambda: world_now(sandbox()),
    )


def run_context() -> RunContext:
    return RunContext(
        mode=mode(), sandbox=sandbox(), start_date=os.environ.get("AMAZON_ELT_START_DATE")
    )


def summary(context: RunContext) -> dict[str, Any]:
    """The run's summary as metadata: API calls and throttles per operation, failures."""
    operations = context.stats.snapshot()
    return {
        "api_calls": sum(op.calls for op in operations.values()),
        "api_throttled": sum(op.throttled for op in operations.values()),
        "api_calls_by_operation": {name: op.calls for name, op in operations.items()},
        "failures": [str(failure) for failure in context.failures],
    }


sellers = seller_units()
partitions = dg.StaticPartitionsDefinition(sorted(sellers))
# the asset specs come from one seller's source; each partition builds its own
template = next(iter(sellers.values()), None)
definition_context = run_context()
template_source = (
    BUILDERS[SOURCE](RunContext(mode(), sandbox(), None, accounts=template.accounts))
    if template is not None
    else None
)


def seller_assets() -> list[dg.AssetsDefinition]:
    """`SOURCE`'s tables, partitioned by seller (none when no seller is configured)."""
    if template_source is None or template is None:
        return []

    @dlt_assets(
        dlt_source=template_source,
        dlt_pipeline=runner(definition_context).pipeline(template),
        name=f"{SOURCE}_sellers",
        group_name=SOURCE,
        partitions_def=partitions,
        dagster_dlt_translator=Translator(),
    )
    def load(context: AssetExecutionContext, dlt: DagsterDltResource) -> Iterator[Any]:
        unit = sellers[context.partition_key]
        collected = run_context()
        partition = runner(collected)
        with locking.hold(warehouse(), LOCK_WAIT_SECONDS, SYSTEM_CLOCK, unit.pipeline_name):
            pipeline, _ = partition.prepare(unit)
            with partition.source(unit) as source:
                events = list(
                    dlt.run(
                        context=context,
                        dlt_source=source,
                        dlt_pipeline=pipeline,
                        dagster_dlt_translator=Translator(),
                        loader_file_format=warehouse().loader_file_format,
                    )
                )
            partition.purge(pipeline)
            # dagster-dlt's run leaves the pipeline on the source's own schema object, whose
            # tables hold bare hints; the pipeline as saved holds the schema whole
            partition.made(SOURCE, partition.pipeline(unit))
            partition.store_schemas()  # with the tables partitions beside it made
        metadata = summary(collected)
        for event in events:
            yield event._replace(metadata={**(event.metadata or {}), **metadata})  # a NamedTuple
        if collected.failures:
            raise RunFailures("; ".join(metadata["failures"]))

    return [load]


# dbt's target sits beside the warehouse (`amazon.dbt/`), as `run.py`'s builds have it
dbt_target, dbt_variables = warehouse().dbt_target()
dbt_project = DbtProject(
    project_dir=SQL_DIR,
    profiles_dir=SQL_DIR,
    target=dbt_target,
    target_path=warehouse().beside(".dbt") / "target",
)
# the dbt installed beside this interpreter, else PATH's: a venv's python run without
# activating the venv (`.venv/bin/dagster dev`) has no `dbt` on PATH
dbt_cli = DbtCliResource(
    project_dir=dbt_project,
    dbt_executable=shutil.which("dbt", path=str(Path(sys.executable).parent)) or "dbt",
)
if not dbt_project.manifest_path.exists():
    os.environ.update(dbt_variables)  # the profile's (secrets as DBT_ENV_SECRET_*)
    dbt_cli.cli(["--quiet", "parse"], target_path=dbt_project.target_path).wait()


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project)
def dbt_models(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """Staging views and marts, once the sellers' loads have landed."""
    found = warehouse()
    os.environ.update(found.dbt_target()[1])
    with locking.hold(found, LOCK_WAIT_SECONDS, SYSTEM_CLOCK):
        yield from dbt.cli(["build"], context=context).stream()


sellers_job = dg.define_asset_job(
    "sellers",
    selection=dg.AssetSelection.groups(SOURCE),
    op_retry_policy=RETRIES,
)
models_job = dg.define_asset_job("models", selection=dg.AssetSelection.assets(dbt_models))


@dg.schedule(cron_schedule="0 5 * * *", job=sellers_job, execution_timezone="UTC")
def daily(context: dg.ScheduleEvaluationContext) -> Iterator[dg.RunRequest]:
    """Every seller's partition each morning; the marts follow (`marts_after_sellers`)."""
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    for key in partitions.get_partition_keys():
        yield dg.RunRequest(run_key=f"{day}-{key}", partition_key=key)


@dg.schedule(cron_schedule="0 7 * * *", job=models_job, execution_timezone="UTC")
def marts_after_sellers(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """The marts, two hours after the sellers' loads start."""
    return dg.RunRequest(run_key=context.scheduled_execution_time.strftime("%Y-%m-%d"))


def resources() -> Mapping[str, Any]:
    return {"dlt": DagsterDltResource(), "dbt": dbt_cli}


defs = dg.Definitions(
    assets=[*seller_assets(), dbt_models],
    jobs=[sellers_job, models_job],
    schedules=[daily, marts_after_sellers],
    resources=resources(),
)
