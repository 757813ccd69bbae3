"""Battery row 28's sweep: every credential the sandbox issues (unique strings derived from its
seed) is a canary, and so is any signed URL parameter left unmasked; `sweep` looks for them in
every file under a folder, reading what raw bytes hide: DuckDB's compressed columns (every
VARCHAR value, the decompressed `_dlt_pipeline_state`, `_dlt_version`), Parquet and gzip."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from dlt.common.versioned_state import decompress_state

from sources.common.redact import SENSITIVE_NAMES

# LWA access tokens and restricted data tokens by their prefixes: the sandbox issues them
# during a run, so their values are not known up front
TOKEN_PREFIXES = (b"Atza|", b"Atz.sprdt|")
_NEEDLES = [n.lower().encode() + sep for n in SENSITIVE_NAMES for sep in (b"=", b"%3d")]
_VALUE = re.compile(rb"[^&\s\"'<>;,]{4,}")
_MASKED = (b"***", b"%2a%2a%2a")


def _signed(data: bytes) -> set[str]:
    """Sensitive names given a value in a URL or form (`Signature=abc`) that is not masked;
    found with `bytes.find`, which a case-insensitive regex over megabytes is 50x slower than."""
    lowered = data.lower()
    found = set()
    for needle in _NEEDLES:
        at = lowered.find(needle)
        while at != -1:
            start = at + len(needle)
            before = lowered[at - 1 : at]
            value = _VALUE.match(data, start)
            named = not (before.isalpha() or before == b"_")
            if value and named and not lowered.startswith(_MASKED, start):
                found.add(data[at : start + 4].decode("utf-8", "replace") + "...")
            at = lowered.find(needle, start)
    return found


def canaries(accounts: Mapping[str, Any], *extra: str) -> list[str]:
    """Every credential in the sandbox's accounts document, and `extra`."""
    found = [accounts["lwa"]["client_id"], accounts["lwa"]["client_secret"]]
    found += [a["refresh_token"] for a in accounts["accounts"]]
    mws, paapi = accounts["mws"], accounts["paapi"]
    found += [mws["access_key_id"], mws["secret_key"], paapi["access_key_id"]]
    found += [paapi["secret_key"], paapi["subscription_id"]]
    found += [a["mws_auth_token"] for a in mws["accounts"]]
    found += [a["password"] for a in accounts["aim"]["accounts"]]
    found += [accounts["amzpecty"]["secret_key"], *extra]
    return found


def leaks(data: bytes, values: Iterable[str]) -> list[str]:
    """What of `values`, token prefixes and unmasked signed parameters `data` holds (each
    shortened, so that a report of a leak is not one)."""
    found = [v[:6] + "..." for v in values if v.encode() in data]
    found += [p.decode() for p in TOKEN_PREFIXES if p in data]
    found += sorted(_signed(data))
    return found


def _text_bytes(table: pa.Table) -> bytes:
    """The UTF-8 bytes of every string value of `table`, straight from Arrow's buffers."""
    found = []
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            found += [chunk.buffers()[2] for chunk in column.chunks if chunk.buffers()[2]]
    return b"\n".join(buffer.to_pybytes() for buffer in found)


def _duckdb_texts(path: Path) -> Iterator[tuple[str, bytes]]:
    """Every VARCHAR value of every table, and each dataset's pipeline states decompressed."""
    with duckdb.connect(str(path), read_only=True) as connection:
        columns = connection.execute(
            "select table_schema, table_name, list(column_name) from information_schema.columns "
            "where data_type = 'VARCHAR' group by all order by all"
        ).fetchall()
        for schema, table, names in columns:
            quoted = ", ".join(f'"{name}"' for name in names)
            values = connection.sql(f'select {quoted} from "{schema}"."{table}"').to_arrow_table()
            yield f"{schema}.{table}", _text_bytes(values)
            if table == "_dlt_pipeline_state":
                for state in values.column("state").to_pylist():
                    yield f"{schema}.{table} (decompressed)", str(decompress_state(state)).encode()


def _readable(path: Path) -> Iterator[tuple[str, bytes]]:
    """A file's raw bytes, and what its format compresses or encodes."""
    data = path.read_bytes()
    yield str(path), data
    if path.suffix == ".duckdb":
        for where, text in _duckdb_texts(path):
            yield f"{path}:{where}", text
    elif data[:4] == b"PAR1":
        yield f"{path} (parquet)", _text_bytes(pq.read_table(path))
    elif data[:2] == b"\x1f\x8b":
        yield f"{path} (gunzipped)", gzip.decompress(data)


def sweep(folder: Path, values: Iterable[str]) -> dict[str, list[str]]:
    """Where under `folder` a canary shows, and which; empty when nothing leaked."""
    wanted = list(values)
    found = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if ".dlt" in path.relative_to(folder).parts:
            continue  # the project's own configuration: where secrets belong
        for where, data in _readable(path):
            hits = leaks(data, wanted)
            if hits:
                found[where] = hits
    return found
