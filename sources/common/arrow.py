"""Nested JSON records to flat Arrow tables, in C++ where possible (pyarrow does the nesting).

Struct fields become `parent__child` columns named as dlt would name them; lists become JSON
text, one stable type however their items vary.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from dlt.common.normalizers.naming.snake_case import NamingConvention

from sources.common.redact import CREDENTIAL_URL, strip_credentials

_NAMING = NamingConvention()
SEPARATOR = "__"
_local = threading.local()


class JsonDatabase:
    """The process's DuckDB for JSON text, a cursor per thread; closed as the last bulk
    extraction ends (`relaxed_gc`), so that dlt's load starts without its memory (100k
    orders: 25 MB), and opened again on use."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.connection: duckdb.DuckDBPyConnection | None = None
        self.queries = 0  # running now: the database is closed only between queries

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self.lock:
            if self.connection is None:
                # one database for every thread: a database each would cost ~30 MB
                self.connection = duckdb.connect()
            cached = getattr(_local, "duckdb", None)
            if cached is None or cached[0] is not self.connection:
                cached = _local.duckdb = (self.connection, self.connection.cursor())
            self.queries += 1
        try:
            yield cached[1]
        finally:
            with self.lock:
                self.queries -= 1

    def close(self) -> None:
        """Let the database go unless a query runs; threads' cursors are replaced on use."""
        with self.lock:
            if self.connection is not None and not self.queries:
                self.connection.close()
                self.connection = None


JSON_DATABASE = JsonDatabase()


@lru_cache(maxsize=8192)
def column_name(path: str) -> str:
    """`salesChannel.marketplaceId` -> `sales_channel__marketplace_id` (dlt's snake_case)."""
    return SEPARATOR.join(_NAMING.normalize_identifier(part) for part in path.split("."))


def text_hints(*names: str) -> dict[str, dict[str, str]]:
    """dlt column hints for text columns that may be null in every row of a load (else dlt
    cannot type them and warns); a dict per column, as dlt writes each one's name into it."""
    return {name: {"data_type": "text"} for name in names}


def struct_array(records: Sequence[Mapping[str, Any]]) -> pa.StructArray:
    """Records as one StructArray; unlike Table.from_pylist, every record's keys count."""
    return pa.array(list(records))


def _json_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Arrow lists as JSON text, serialized by DuckDB (7x faster than Python, GIL released)."""
    values = pa.table({"value": column})  # noqa: F841 - scanned by name below
    with JSON_DATABASE.cursor() as connection:
        result = connection.sql("select to_json(value)::varchar from values")
        return result.to_arrow_table().column(0)


def _without_credentials(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Text with URLs whose query names their caller (ECS's `SubscriptionId`), stripped; found
    in C++, so that columns without such a URL cost one scan."""
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return column
    if not pc.any(pc.match_substring(column, "://")).as_py():  # 20x faster than the regex
        return column
    if not pc.any(pc.match_substring_regex(column, CREDENTIAL_URL)).as_py():
        return column
    values = [None if v is None else strip_credentials(v) for v in column.to_pylist()]
    return pa.chunked_array([pa.array(values, column.type)])


def flat_table(
    records: pa.StructArray,
    columns: Mapping[str, Any] | None = None,
    not_null: Iterable[str] = (),
    drop: Iterable[str] = (),
) -> pa.Table:
    """`records` as a flat table, after the given `columns` (keys the records lack); no URL
    in it keeps a credential (Amazon's links may carry the caller's key id).

    `drop` names top-level fields left out; key columns in `not_null` are declared
    non-nullable, as dlt declares primary keys.
    """
    dropped = set(drop)
    keep = [field.name for field in records.type if field.name not in dropped]
    table = pa.Table.from_arrays([records.field(name) for name in keep], names=keep)
    while any(pa.types.is_struct(field.type) for field in table.schema):
        table = table.flatten()
    table = table.rename_columns([column_name(name) for name in table.column_names])
    table = pa.Table.from_arrays(
        [
            _without_credentials(
                _json_text(column)
                if pa.types.is_list(column.type) or pa.types.is_large_list(column.type)
                else column
            )
            for column in table.columns
        ],
        names=table.column_names,
    )
    for position, (name, values) in enumerate((columns or {}).items()):
        table = table.add_column(
            position,
            name,
            values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(values),
        )
    keys = set(not_null)
    if keys and table.num_rows:
        fields = [f.with_nullable(False) if f.name in keys else f for f in table.schema]
        table = table.cast(pa.schema(fields))
    return table
