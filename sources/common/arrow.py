"""Records to Arrow: nested objects flattened to `a__b` columns named as dlt would name them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import pyarrow as pa
from dlt.common.normalizers.naming.snake_case import NamingConvention

_NAMING = NamingConvention()
SEPARATOR = "__"


@lru_cache(maxsize=8192)
def column_name(key: str) -> str:
    """`lastUpdatedTime` -> `last_updated_time`, `SellerSKU` -> `seller_sku` (dlt's snake_case)."""
    return _NAMING.normalize_identifier(key)


def flatten(record: Mapping[str, Any], prefix: str = "", out: dict[str, Any] | None = None):
    """Nested objects become `parent__child` columns; lists become JSON text (one stable type)."""
    if out is None:
        out = {}
    for key, value in record.items():
        name = prefix + column_name(key)
        if isinstance(value, Mapping):
            if value:
                flatten(value, name + SEPARATOR, out)
        elif isinstance(value, list):
            out[name] = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        else:
            out[name] = value
    return out


def to_table(rows: Iterable[Mapping[str, Any]], not_null: Iterable[str] = ()) -> pa.Table:
    """An Arrow table whose key columns are declared non-null, as dlt declares primary keys."""
    table = pa.Table.from_pylist(list(rows))
    keys = set(not_null)
    if not keys or table.num_rows == 0:
        return table
    fields = [f.with_nullable(False) if f.name in keys else f for f in table.schema]
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))
