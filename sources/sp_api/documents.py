"""Report documents: a streamed download, gunzip under a size cap, decoding by the charset the
server names, and parsing into keyed Arrow batches (TSV by DuckDB, JSON by orjson, XML by a
hardened lxml).

A document is decompressed, decoded and parsed whole before its first row is handed on, so a
truncated or corrupt gzip, undecodable bytes or a malformed row load nothing of it. A download
that breaks off, or a gzip that arrives truncated or corrupt, is downloaded again (within the
retry policy) before the report fails.
"""

from __future__ import annotations

import codecs
import contextlib
import logging
import re
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import orjson
import pyarrow as pa
import requests
from lxml import etree
from zlib_ng import zlib_ng

from sources.common.arrow import column_name, flat_table, struct_array
from sources.common.session import PacedSession
from sources.common.xml import UnsafeXmlError, iter_elements
from sources.sp_api.exceptions import DocumentError, InvalidRequestError, ServerError
from sources.sp_api.presigned import with_fresh_url
from sources.sp_api.report_catalog import ENGINE_COLUMNS, ReportSpec, TableSpec

log = logging.getLogger("sources.sp_api")

READ_CHUNK = 1 << 20
INFLATE_CHUNK = 4 << 20  # a decompression step never yields more than this at once
BATCH_ROWS = 8_192  # rows a batch: 16,384 held ~25-40 MB more in flight (1M/4M-row report)
HASH_ROWS = 1 << 20  # key codes fetched at once (8 MB)
# DuckDB's CSV reader holds buffers of this size per thread (its default, 32 MB, is a quarter
# of the parser's memory limit each); at least its longest line, 2 MB
CSV_BUFFER_BYTES = 8 << 20
# Python's codec names; IANA's Windows-31J is cp932, and Shift_JIS labels are decoded as cp932,
# its superset, since Japanese files routinely carry cp932-only characters
CHARSET_ALIASES = {"windows-31j": "cp932", "shift_jis": "cp932", "shift-jis": "cp932"}
# only for a document whose Content-Type names no charset; the reference cannot confirm these
DEFAULT_CHARSETS = {"A1VC38T7YXB528": "cp932"} | dict.fromkeys(
    (
        "A1F83G8C2ARO7P",
        "A1PA6795UKMFR9",
        "A13V1IB3VIYZZH",
        "APJ6JRA9NG5V4",
        "A1RKKUPIHCS9HS",
        "A1805IZSGTT6HS",
        "A2NODRKZP88ZB9",
        "A1C3SOZRARQ6R3",
        "AMEN7PMS3EDWL",
        "A28R8C7NBKEWEA",
    ),
    "cp1252",
)


@dataclass(frozen=True)
class ReportRef:
    """What names a report in errors and rows: its id, type, window and marketplaces."""

    report_id: str
    report_type: str
    marketplace_ids: tuple[str, ...]
    data_start: str
    data_end: str

    def __str__(self) -> str:
        window = f" {self.data_start}..{self.data_end}" if self.data_start else ""
        return f"{self.report_type} {self.report_id}{window} ({','.join(self.marketplace_ids)})"


@dataclass(frozen=True)
class Document:
    """A document decompressed and decoded to UTF-8 on disk."""

    path: Path
    charset: str  # the codec it was decoded with
    media_type: str


def codec_for(content_type: str | None, marketplace_ids: tuple[str, ...], report: ReportRef) -> str:
    """The Python codec for the charset the server names, else the marketplace's default."""
    message = Message()
    message["content-type"] = content_type or "application/octet-stream"
    label = message.get_param("charset")
    if not isinstance(label, str) or not label:
        label = next((DEFAULT_CHARSETS[m] for m in marketplace_ids if m in DEFAULT_CHARSETS), None)
        label = label or "utf-8"
    name = CHARSET_ALIASES.get(label.lower(), label)
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise DocumentError(f"report {report}: unknown charset {label!r}") from None


class DamagedDocumentError(DocumentError):
    """A truncated or corrupt gzip: the transfer may have damaged it, so it is asked again."""


class _Inflater:
    """gunzip in bounded steps, refusing to grow past `cap` bytes (a decompression bomb); by
    zlib-ng, which inflates a report 40% faster than zlib (measured)."""

    def __init__(self, cap: int, report: ReportRef) -> None:
        self.cap, self.report = cap, report
        self.total = 0
        self._inflate = zlib_ng.decompressobj(zlib_ng.MAX_WBITS | 16)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            if self._inflate.eof:  # a gzip file may hold several members
                self._inflate = zlib_ng.decompressobj(zlib_ng.MAX_WBITS | 16)
            try:
                out = self._inflate.decompress(data, INFLATE_CHUNK)
            except zlib_ng.error as error:
                raise DamagedDocumentError(
                    f"report {self.report}: corrupt gzip ({error})"
                ) from None
            self.total += len(out)
            if self.total > self.cap:
                raise DocumentError(
                    f"report {self.report}: the document grows past {self.cap:,} bytes when "
                    "decompressed (max_document_bytes); refused as a possible decompression bomb"
                )
            if out:
                yield out
            inflate = self._inflate
            data = inflate.unused_data if inflate.eof else inflate.unconsumed_tail

    def finish(self) -> None:
        if not self._inflate.eof:
            raise DamagedDocumentError(
                f"report {self.report}: truncated gzip (the stream ended early)"
            )


class _Transcoder:
    """Converts text in any charset to UTF-8, failing at the first byte that does not decode,
    with its line. UTF-8 is checked, not converted (less a BOM), and a chunk of ASCII not even
    checked: DuckDB's first pass reads a flat file's key columns only, so it would meet a bad
    byte in another column in the second pass, after rows were handed on."""

    def __init__(self, codec: str, report: ReportRef) -> None:
        self.codec, self.report = codec, report
        self._decoder = codecs.getincrementaldecoder(codec)()
        self.offset = 0
        self.lines = 0  # line breaks converted so far (a line break is one in every charset)

    def convert(self, data: bytes, final: bool = False) -> bytes:
        size = len(data)
        if self.codec == "utf-8":
            if self.offset == 0 and data.startswith(codecs.BOM_UTF8):
                data = data[len(codecs.BOM_UTF8) :]
            if final or not data.isascii() or self._decoder.getstate()[0]:
                self._decode(data, final)
            converted = data
        else:
            converted = self._decode(data, final).encode("utf-8")
        self.offset += size
        self.lines += data.count(b"\n")
        return converted

    def _decode(self, data: bytes, final: bool) -> str:
        try:
            return self._decoder.decode(data, final)
        except UnicodeDecodeError as error:
            line = self.lines + error.object[: error.start].count(b"\n") + 1
            raise DocumentError(
                f"report {self.report}: line {line:,} (the header is line 1), bytes at offset "
                f"{self.offset + error.start:,}, does not decode as {self.codec}"
            ) from None


def download(client: Any, document_id: str, report: ReportRef, workdir: Path, cap: int) -> Document:
    """getReportDocument, then the document itself; an expired URL is asked for again."""
    return with_fresh_url(
        lambda: client.rest.get(f"/reports/2021-06-30/documents/{document_id}").json(),
        lambda info: _fetch(client.downloads, info, report, workdir, cap),
        f"report {report}",
    )


def _fetch(
    session: PacedSession, info: Mapping[str, Any], report: ReportRef, workdir: Path, cap: int
) -> Document:
    """The document at its presigned URL (a plain GET without SP-API headers), downloaded
    again from its start when the transfer breaks off or damages it."""
    gzipped = str(info.get("compressionAlgorithm", "")).upper() == "GZIP"
    path = workdir / f"{report.report_id}.txt"

    def read(response: requests.Response) -> Document:
        codec = codec_for(response.headers.get("Content-Type"), report.marketplace_ids, report)
        inflater = _Inflater(cap, report) if gzipped else None
        transcoder = _Transcoder(codec, report)
        size = 0
        with path.open("wb") as out:
            for chunk in response.raw.stream(READ_CHUNK, decode_content=False):
                pieces = inflater.feed(chunk) if inflater else (chunk,)
                for piece in pieces:
                    size += len(piece)
                    if size > cap:
                        raise DocumentError(
                            f"report {report}: the document is larger than {cap:,} bytes"
                        )
                    out.write(transcoder.convert(piece))
            if inflater:
                inflater.finish()
            out.write(transcoder.convert(b"", final=True))
        media = (response.headers.get("Content-Type") or "").split(";")[0].strip()
        return Document(path, codec, media)

    try:
        return session.consume("GET", info["url"], read, damaged=(DamagedDocumentError,))
    except (ServerError, InvalidRequestError) as error:
        raise DocumentError(f"report {report}: the download failed ({error})") from None


def engine_columns(
    spec: ReportSpec, report: ReportRef, seller_id: str, snapshot_date: str
) -> dict[str, str | None]:
    """Constants every row of a report carries."""
    return {
        "seller_id": seller_id,
        "marketplace_id": report.marketplace_ids[0] if spec.scope == "marketplace" else None,
        "report_id": report.report_id,
        "data_start_time": report.data_start,
        "data_end_time": report.data_end,
        "snapshot_date": snapshot_date,
    }


def primary_key(spec: ReportSpec, table: TableSpec) -> tuple[str, ...]:
    scope = ("marketplace_id",) if spec.scope == "marketplace" else ()
    return ("seller_id", *scope, *(table.key_columns() or ("row_hash",)), "key_ordinal")


def merge_key(table: TableSpec) -> tuple[str, ...] | None:
    if not table.merge_key:
        return None
    return ("seller_id", *(column_name(key) for key in table.merge_key))


def database(memory_limit: str, workdir: Path) -> duckdb.DuckDBPyConnection:
    """A DuckDB that parses documents, one cursor each: its memory limit holds for all of them
    together, and it spills to `workdir` beyond it."""
    config = {
        "memory_limit": memory_limit,
        "temp_directory": str(workdir),
        "preserve_insertion_order": True,  # rows come out in document order
    }
    connection = duckdb.connect(config=config)
    connection.execute("set enable_progress_bar = false")
    return connection


class SharedDatabase:
    """One parsing DuckDB for the whole process, open while any run uses it: sellers' runs in
    threads then share its memory limit (the first user's) and its threads, where a database
    each would cost a buffer pool each."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._connection: duckdb.DuckDBPyConnection | None = None

    @contextlib.contextmanager
    def use(self, memory_limit: str) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._lock:
            if self._connection is None:
                self._folder = tempfile.TemporaryDirectory(prefix="amazon-elt-reports-")
                self._connection = database(memory_limit, Path(self._folder.name))
            self._users += 1
            connection = self._connection
        try:
            yield connection
        finally:
            with self._lock:
                self._users -= 1
                if not self._users and self._folder is not None:
                    connection.close()
                    self._folder.cleanup()
                    self._connection = self._folder = None


SHARED = SharedDatabase()


def parse(
    document: Document,
    spec: ReportSpec,
    constants: Mapping[str, str | None],
    report: ReportRef,
    shared: duckdb.DuckDBPyConnection,
) -> Iterator[tuple[TableSpec, pa.Table]]:
    """Every table the document fills, in keyed Arrow batches."""
    with shared.cursor() as connection:
        for table in spec.tables:
            found = _relation(connection, document, spec, table, report)
            if found is None:
                continue
            relation, names = found
            batches = _keyed(connection, spec, table, constants, relation, names, report)
            yield from ((table, batch) for batch in batches)


def _relation(
    connection: duckdb.DuckDBPyConnection,
    document: Document,
    spec: ReportSpec,
    table: TableSpec,
    report: ReportRef,
) -> tuple[str, list[str]] | None:
    """SQL that reads one table's rows in document order, and its column names; None when
    the document has none."""
    if spec.decoder == "tsv":
        names = _header(document.path)
        if not names:
            return None
        # Amazon's flat files: tab-separated, one header row, no quoting, no comments; no
        # sniffing either (it takes '#' for a comment), and a row of the wrong width fails
        columns = ", ".join(f"{_literal(name)}: 'VARCHAR'" for name in names)
        relation = (
            f"read_csv({_literal(str(document.path))}, delim = '\t', header = true, "
            "quote = '', escape = '', comment = '', auto_detect = false, "
            f"buffer_size = {CSV_BUFFER_BYTES}, "
            f"columns = {{{columns}}}, strict_mode = true, null_padding = false)"
        )
        return relation, names
    try:
        rows = _json_rows(document, table) if spec.decoder == "json" else _xml_rows(document, table)
    except (orjson.JSONDecodeError, etree.XMLSyntaxError, UnsafeXmlError) as error:
        raise _malformed(report, spec, error) from None
    if rows is None or not rows.num_rows:
        return None
    connection.register("doc_arrow", rows)
    return "doc_arrow", rows.column_names


def _malformed(report: ReportRef, spec: ReportSpec, error: Exception) -> DocumentError:
    """The parser's first line, and for DuckDB's CSV errors the line's fault (never the line
    itself: a row's text stays out of errors and logs)."""
    lines = [line.strip() for line in str(error).strip().splitlines()] or [type(error).__name__]
    text = lines[0].removeprefix("Invalid Input Error: ")
    found = re.search(r"CSV Error on Line: (\d+)", text)
    if found:
        after = [n + 1 for n, line in enumerate(lines) if line.startswith("Original Line")]
        fault = lines[after[0]] if after and after[0] < len(lines) else ""
        text = f"line {int(found[1]):,} (the header is line 1): {fault}".rstrip(": ")
    return DocumentError(f"report {report}: malformed {spec.decoder} document ({text})")


def _header(path: Path) -> list[str]:
    """The header row's names (UTF-8, as the transcoder wrote it), made unique (some reports
    repeat one)."""
    with path.open("rb") as stream:
        line = stream.readline().decode("utf-8").rstrip("\r\n")
    if not line:
        return []
    names: list[str] = []
    for position, raw in enumerate(line.split("\t")):
        name, n = raw or f"column_{position + 1}", 1
        while name in names:
            n += 1
            name = f"{raw}_{n}"
        names.append(name)
    return names


def _json_rows(document: Document, table: TableSpec) -> pa.Table | None:
    data: Any = orjson.loads(document.path.read_bytes())
    for part in (table.path or "").split("."):
        data = data.get(part) if isinstance(data, dict) else None
    if not isinstance(data, list):
        raise orjson.JSONDecodeError(f"no list at {table.path!r}", "", 0)
    return flat_table(struct_array(data)) if data else None


def _xml_rows(document: Document, table: TableSpec) -> pa.Table | None:
    """Each row element's leaves (and their attributes) as columns named by their path; a
    path that repeats within a row holds a JSON list."""
    rows: list[dict[str, list[str]]] = []
    for element in iter_elements(document.path, table.path or ""):
        row: dict[str, list[str]] = {}
        for leaf in element.iter():
            if not isinstance(leaf.tag, str) or len(leaf) or leaf is element:
                continue
            path = element.getroottree().getpath(leaf)[
                len(element.getroottree().getpath(element)) :
            ]
            name = ".".join(part.split("[")[0] for part in path.strip("/").split("/"))
            row.setdefault(name, []).append(leaf.text or "")
            for attribute, value in leaf.attrib.items():
                row.setdefault(f"{name}.{attribute}", []).append(value)
        rows.append(row)
    if not rows:
        return None
    names = list(dict.fromkeys(name for row in rows for name in row))
    repeated = {name for name in names if any(len(row.get(name, ())) > 1 for row in rows)}
    columns = {}
    for name in names:
        values = [row.get(name) for row in rows]
        columns[column_name(name)] = pa.array(
            [
                None
                if value is None
                else (orjson.dumps(value).decode() if name in repeated else value[0])
                for value in values
            ],
            pa.string(),
        )
    return pa.table(columns)


def _keyed(
    connection: duckdb.DuckDBPyConnection,
    spec: ReportSpec,
    table: TableSpec,
    constants: Mapping[str, str | None],
    relation: str,
    names: list[str],
    report: ReportRef,
) -> Iterator[pa.Table]:
    """The rows with the engine's columns, the documented ones (nulls where absent) and their
    key: the natural key (or a hash of the row) plus the row's ordinal among the rows sharing
    it, counted in document order.

    A first, narrow pass reads the whole document (so a malformed row fails it before any row
    is handed on) and numbers the rows of each key; the second streams the rows themselves.
    """
    # the constants are added to each batch as one-value dictionaries, not repeated per row
    select: dict[str, str] = dict.fromkeys(constants, "")
    for name in table.columns:
        select.setdefault(column_name(name), "null::varchar")
    document_columns: list[str] = []
    for name in names:
        # flat files name columns `amazon-order-id`; JSON and XML tables are named already
        target = column_name(name) if spec.decoder == "tsv" else name
        if target in ENGINE_COLUMNS:
            target += "_document"
        while target in document_columns:
            target += "_"
        select[target] = f'"{_quoted(name)}"'
        document_columns.append(target)
    keys = table.key_columns()
    for key in keys:
        if key not in constants:
            select[key] = f"coalesce({select.get(key, 'null')}::varchar, '')"
    grouped = [select[key] for key in keys if key not in constants]
    if not keys:
        whole = ", ".join(f"coalesce({select[c]}::varchar, '')" for c in document_columns)
        select["row_hash"] = f"md5(concat_ws(chr(31), {whole}))"
        grouped = [select["row_hash"]]
    codes = ", ".join(grouped) or "0"
    try:
        hashed = connection.sql(f"select hash({codes}) as code from {relation}")
        # in batches: every row's code at once is one block of DuckDB's memory (30 MB at 4M
        # rows), more than its limit may have free
        chunks = [batch.column(0).to_numpy() for batch in hashed.to_arrow_reader(HASH_ROWS)]
    except (duckdb.InvalidInputException, duckdb.ConversionException) as error:
        raise _malformed(report, spec, error) from None
    ordinals = key_ordinals(_joined(chunks))  # the codes are not held while the rows stream
    listed = ", ".join(
        f'{expression} as "{_quoted(name)}"'
        for name, expression in select.items()
        if name not in constants
    )
    not_null = set(primary_key(spec, table))
    offset = 0
    for batch in connection.sql(f"select {listed} from {relation}").to_arrow_reader(BATCH_ROWS):
        count = batch.num_rows
        columns = {name: _repeated(value, count) for name, value in constants.items()}
        columns |= dict(zip(batch.schema.names, batch.columns, strict=True))
        columns["key_ordinal"] = pa.array(ordinals[offset : offset + count])
        offset += count
        rows = pa.table(columns)
        fields = [f.with_nullable(False) if f.name in not_null else f for f in rows.schema]
        yield rows.cast(pa.schema(fields))


def key_ordinals(codes: np.ndarray) -> np.ndarray:
    """Each row's count of the rows before it with its key's code, vectorised: a stable sort
    keeps the rows of one code in document order (3x faster than DuckDB's window and sort).

    `codes` is consumed: handed over without another reference, it is freed midway, and the
    numbering peaks at 20 bytes a row instead of 37 (148 MB at 4M rows)."""
    count = len(codes)
    order = np.argsort(codes, kind="stable").astype(np.int32)
    ranked = codes[order]
    del codes
    first = np.empty(count, dtype=bool)
    first[:1] = True
    np.not_equal(ranked[1:], ranked[:-1], out=first[1:])
    del ranked
    sorted_ordinals = np.arange(count, dtype=np.int32)
    starts = np.where(first, sorted_ordinals, np.int32(0))
    del first
    np.maximum.accumulate(starts, out=starts)
    np.subtract(sorted_ordinals, starts, out=sorted_ordinals)
    del starts
    ordinals = np.empty(count, dtype=np.int32)
    ordinals[order] = sorted_ordinals
    return ordinals


def _joined(chunks: list[np.ndarray]) -> np.ndarray:
    """The chunks as one array, the list emptied: the array's only reference is the caller's."""
    joined = np.concatenate(chunks) if chunks else np.empty(0, np.uint64)
    chunks.clear()
    return joined


def _repeated(value: str | None, count: int) -> pa.Array:
    """`value` on `count` rows, stored once."""
    if value is None:
        return pa.nulls(count, pa.string())
    return pa.DictionaryArray.from_arrays(pa.nulls(count, pa.int32()).fill_null(0), [value])


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _quoted(name: str) -> str:
    return name.replace('"', '""')
