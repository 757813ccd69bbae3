"""Flat-file text built from Arrow columns: amounts, times, picks and codes, and the
tab-separated lines Amazon's report files are made of (no quoting, one header row)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def tsv(columns: dict[str, Any]) -> bytes:
    """Rows of equal-length string columns as tab-separated lines (nulls are empty)."""
    arrays = [
        pc.fill_null(values if isinstance(values, pa.Array) else pa.array(values, pa.string()), "")
        for values in columns.values()
    ]
    if not len(arrays[0]):
        return b""
    rows = pc.binary_join_element_wise(*arrays, "\t")
    rows = pc.binary_join_element_wise(rows, pa.scalar(""), "\n")
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32)[rows.offset :]
    return rows.buffers()[2].to_pybytes()[offsets[0] : offsets[len(rows)]]


def header(names: tuple[str, ...]) -> bytes:
    return ("\t".join(names) + "\n").encode()


def amounts(minor: np.ndarray, digits: np.ndarray | int) -> pa.Array:
    """Minor units as decimal text ("12.34", "-0.50", "1234" for yen)."""
    minor = np.asarray(minor, dtype=np.int64)
    digits = np.broadcast_to(np.asarray(digits), minor.shape)
    whole = pa.array(np.abs(minor) // 100).cast(pa.string())
    cents = pc.utf8_lpad(pa.array(np.abs(minor) % 100).cast(pa.string()), 2, "0")
    decimal = pc.binary_join_element_wise(whole, cents, ".")
    sign = pa.array(np.where(minor < 0, "-", ""))
    text = pc.if_else(pa.array(digits == 0), pa.array(np.abs(minor)).cast(pa.string()), decimal)
    return pc.binary_join_element_wise(sign, text, "")


def iso_times(epochs: np.ndarray, separator: str = "T", suffix: str = "+00:00") -> pa.Array:
    """`2026-10-03T10:11:12+00:00` (or another separator and zone suffix), vectorized: Arrow's
    cast to text is 15x faster than strftime."""
    seconds = pa.array(np.floor(np.asarray(epochs)).astype(np.int64), pa.timestamp("s"))
    text = seconds.cast(pa.string())
    if separator != " ":
        text = pc.utf8_replace_slice(text, 10, 11, separator)
    return pc.binary_join_element_wise(text, suffix, "")


def iso_dates(epochs: np.ndarray) -> pa.Array:
    return pc.utf8_slice_codeunits(iso_times(epochs, " ", ""), 0, 10)


def blank(length: int) -> pa.Array:
    return pa.nulls(length, pa.string())


def pick(options: tuple[str, ...] | list[str], codes: np.ndarray) -> pa.Array:
    """`options[code]` for every code."""
    return pa.array(list(options), pa.string()).take(pa.array(np.asarray(codes, dtype=np.int64)))


def unit(*parts: object) -> float:
    """A fixed pseudo-random number in [0, 1) for anything nameable."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def code(prefix: str, length: int, *parts: object) -> str:
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=16).hexdigest()
    return prefix + digest[:length].upper()


def rows_tsv(names: tuple[str, ...], rows: list[dict[str, str]]) -> Iterator[bytes]:
    yield header(names)
    if rows:
        yield tsv({name: [row.get(name) for row in rows] for name in names})
