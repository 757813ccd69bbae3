"""What an interrupted run leaves behind, put right before a run extracts.

A load package holds the pipeline state its extract advanced to, and the local state already
says so. dlt's `run` loads pending packages and returns without extracting; `finish_pending`
loads them first, so that the same run goes on to extract and load as usual. A job that was
killed after DuckDB committed its rows but before dlt recorded it would run again: harmless
for a merge, a second copy for an append, so such an append table's part of the package is
loaded afresh. On the operator's word (`run.py --recover`) `drop_pending` drops the packages
instead, rewinding the state with them so their data is extracted again; without a state to
rewind to it refuses, as the drop would lose that data. Rows that a load which never
completed had appended (a dropped package's, or one lost with its pipelines folder) would be
appended twice by the re-extract: `drop_unfinished_rows` removes them.

dlt keeps packages in storages that its public API lists but does not change; where this
module changes them it goes through the pipeline's own storage objects.
"""

from __future__ import annotations

import logging

from dlt import Pipeline
from dlt.common.schema.utils import get_write_disposition
from dlt.destinations.sql_client import SqlClientBase

log = logging.getLogger("pipelines.run")
STATE_TABLE = "_dlt_pipeline_state"
LOADS_TABLE = "_dlt_loads"
PENDING_HINT = (
    "the load package stays: the next run loads it first; if it never can, "
    "`python pipelines/run.py --recover` drops it and rewinds the state, so that its data is "
    "extracted again"
)


class RecoveryError(Exception):
    """Pending packages that cannot be dropped without losing their data."""


def settle(pipeline: Pipeline, drop: bool) -> list[str]:
    """Before this run extracts: finish what an interrupted run left, or `drop` it (rewinding
    the state), then remove what loads that never completed appended; the load ids this
    completed."""
    if drop:
        drop_pending(pipeline)
    completed = finish_pending(pipeline)
    drop_unfinished_rows(pipeline)
    return completed


def finish_pending(pipeline: Pipeline) -> list[str]:
    """Sync with the warehouse, then normalize and load what an interrupted run left; the
    load ids this completed."""
    _drop_normalized_twins(pipeline)
    _redo_interrupted_appends(pipeline)
    pending = pipeline.list_extracted_load_packages() + pipeline.list_normalized_load_packages()
    if pending:
        log.info(
            "%s: finishing %d load package(s) an interrupted run left (%s)",
            pipeline.pipeline_name,
            len(pending),
            ", ".join(pending),
        )
    # with no data, dlt's run syncs state and schemas with the warehouse (once per pipeline
    # object), then loads what is pending; a warehouse deleted meanwhile makes it start over
    info = pipeline.run()
    return list(info.loads_ids) if info is not None else []


def drop_pending(pipeline: Pipeline) -> list[str]:
    """Drop every pending package and rewind the pipeline's state to before the oldest, so
    that this run extracts their data again; refuse when the state cannot be rewound."""
    _drop_normalized_twins(pipeline)
    plan = pipeline.abort_packages(dry_run=True)
    if plan is None:
        log.info("%s: no load package to drop", pipeline.pipeline_name)
        return []
    restore_point = plan["restore_from_load_id"]
    if not _can_rewind(pipeline, restore_point):
        raise RecoveryError(
            f"{pipeline.pipeline_name}: load package {restore_point} carries no state to rewind "
            "to, so dropping it would lose its data; run without --recover to load it"
        )
    pipeline.abort_packages()
    loading = plan["package_to_abort"]
    dropped = [
        *([loading["load_id"]] if loading else []),
        *plan["packages_to_delete"],
        *plan["extracted_packages_to_delete"],
    ]
    log.warning(
        "%s: dropped load package(s) %s and rewound the state to before them; their data is "
        "extracted again",
        pipeline.pipeline_name,
        ", ".join(dropped),
    )
    return dropped


def drop_unfinished_rows(pipeline: Pipeline) -> None:
    """Delete what loads that never completed appended (merged rows need nothing: the
    re-extract reads their range again and replaces them). Call with nothing pending."""
    if pipeline.default_schema_name is None:
        return
    schema = pipeline.default_schema
    appended = {
        name
        for name in [*schema.data_table_names(), STATE_TABLE]
        if get_write_disposition(schema.tables, name) == "append"
    }
    with pipeline.sql_client() as client:
        if not client.has_dataset() or LOADS_TABLE not in _tables_with(client, "load_id"):
            return
        done = f"select load_id from {client.make_qualified_table_name(LOADS_TABLE)}"
        gone = _delete_loads(client, appended, f"not in ({done} where status = 0)")
    for table, load_id, rows in gone:
        log.warning(
            "%s: removed %s row(s) of %s that load %s appended but never completed; they "
            "are extracted again",
            pipeline.pipeline_name,
            rows,
            table,
            load_id,
        )


def _redo_interrupted_appends(pipeline: Pipeline) -> None:
    """A job killed after DuckDB committed its rows, before dlt recorded it, runs again when
    its package resumes: a merge replaces what it merged, an append doubles it (dlt#3023).
    So of each append table with such a job, the package's rows go and its jobs all rerun."""
    for load_id in pipeline.list_normalized_load_packages():
        packages = pipeline._get_load_storage().normalized_packages
        jobs = packages.list_all_jobs_with_states(load_id)
        schema = packages.load_schema(load_id)
        tables = {
            job.table_name
            for state, job in jobs
            if state == "started_jobs"
            and packages.load_pending_transition(load_id, job.file_name()) is None
            and get_write_disposition(schema.tables, job.table_name) == "append"
        }
        if not tables:
            continue
        with pipeline.sql_client() as client:
            if client.has_dataset():
                _delete_loads(client, tables, "= %s", load_id)
        for state, job in jobs:
            if state == "completed_jobs" and job.table_name in tables:
                packages._move_job(load_id, "completed_jobs", "new_jobs", job.file_name())
        log.info(
            "%s: %s of package %s load again (a job of theirs was interrupted)",
            pipeline.pipeline_name,
            ", ".join(sorted(tables)),
            load_id,
        )


def _delete_loads(
    client: SqlClientBase, tables: set[str], picks: str, *args: str
) -> list[tuple[str, str, int]]:
    """Delete the rows of `tables` whose `_dlt_load_id` `picks` (a SQL condition's end);
    (table, load id, rows) of what went."""
    gone = []
    for table in sorted(tables & _tables_with(client, "_dlt_load_id")):
        qualified = client.make_qualified_table_name(table)
        where = f"where _dlt_load_id {picks}"
        counts = client.execute_sql(
            f"select _dlt_load_id, count(*) from {qualified} {where} group by 1", *args
        )
        if counts:
            client.execute_sql(f"delete from {qualified} {where}", *args)
            gone += [(table, load_id, rows) for load_id, rows in counts]
    return gone


def _tables_with(client: SqlClientBase, column: str) -> set[str]:
    """The dataset's tables that have `column`."""
    rows = client.execute_sql(
        "select table_name from information_schema.columns "
        "where table_schema = %s and column_name = %s",
        client.dataset_name,
        column,
    )
    return {name for (name,) in rows or []}


def _drop_normalized_twins(pipeline: Pipeline) -> None:
    """A run killed between normalize's commit and its clean-up leaves a package both
    normalized and extracted, and normalizing it again fails ("Directory not empty") on every
    later run. The normalized copy is whole (its commit is one rename): finish the clean-up."""
    normalized = set(pipeline.list_normalized_load_packages())
    extracted = pipeline._get_normalize_storage().extracted_packages
    for load_id in pipeline.list_extracted_load_packages():
        if load_id in normalized:
            extracted.delete_package(load_id)
            log.info("%s: package %s was normalized already", pipeline.pipeline_name, load_id)


def _can_rewind(pipeline: Pipeline, load_id: str) -> bool:
    """Whether the package holds the snapshot of the state its extract started from."""
    if load_id in pipeline.list_normalized_load_packages():
        storage = pipeline._get_load_storage().normalized_packages
    elif load_id in pipeline.list_extracted_load_packages():
        storage = pipeline._get_normalize_storage().extracted_packages
    else:
        return False
    return storage.can_restore_pipeline_state(load_id)
