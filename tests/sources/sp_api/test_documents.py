"""Report documents: capped gunzip, decoding by charset, and parsing into keyed rows, on real
gzip streams, real files and a real DuckDB."""

from __future__ import annotations

import codecs
import gzip
import zlib
from pathlib import Path

import numpy as np
import pytest
import requests

from sources.common.ratelimit import Pacer
from sources.common.stats import ApiStats
from sources.sp_api import documents
from sources.sp_api.exceptions import DocumentError, DocumentUrlExpiredError
from sources.sp_api.presigned import DocumentSession
from sources.sp_api.report_catalog import (
    CATALOG,
    LISTINGS,
    SETTLEMENTS,
    ReportSpec,
    TableSpec,
)

REF = documents.ReportRef("50311019412", "GET_TEST_REPORT", ("ATVPDKIKX0DER",), "", "")


def _inflate(data: bytes, cap: int = 1 << 30, step: int = 1000) -> bytes:
    inflater = documents._Inflater(cap, REF)
    out = b"".join(
        piece for lo in range(0, len(data), step) for piece in inflater.feed(data[lo : lo + step])
    )
    inflater.finish()
    return out


def test_gunzip_joins_members_and_reassembles_chunks() -> None:
    text = b"a\tb\n" * 5000
    assert _inflate(gzip.compress(text) + gzip.compress(b"tail\n")) == text + b"tail\n"


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (lambda data: data[: len(data) // 2], "truncated gzip"),
        (lambda data: data[:20] + bytes(b ^ 0x5A for b in data[20:40]) + data[40:], "corrupt gzip"),
        (lambda data: data + gzip.compress(b"x")[:10], "truncated gzip"),
    ],
    ids=["cut-short", "flipped-bytes", "half-a-second-member"],
)
def test_a_spoiled_gzip_is_refused_naming_the_report(spoil, reason) -> None:
    data = gzip.compress(bytes(range(256)) * 400)
    with pytest.raises(DocumentError, match=reason) as caught:
        _inflate(spoil(data))
    assert "GET_TEST_REPORT 50311019412" in str(caught.value)


def test_a_decompression_bomb_stops_at_the_cap_without_inflating_it() -> None:
    bomb = zlib.compressobj(9, zlib.DEFLATED, 31)
    data = bomb.compress(bytes(256 << 20)) + bomb.flush()  # 256 MB of zeros in ~250 KB
    inflater = documents._Inflater(8 << 20, REF)
    seen = 0
    with pytest.raises(DocumentError, match="decompression bomb") as caught:
        for piece in inflater.feed(data):
            seen += len(piece)
    assert seen <= 8 << 20 and "max_document_bytes" in str(caught.value)


@pytest.mark.parametrize(
    ("content_type", "marketplaces", "codec"),
    [
        ("text/plain; charset=UTF-8", ("A1VC38T7YXB528",), "utf-8"),
        ("text/plain;charset=Cp1252", ("ATVPDKIKX0DER",), "cp1252"),
        ('text/plain; charset="Windows-31J"', ("ATVPDKIKX0DER",), "cp932"),
        ("text/plain; charset=Shift_JIS", ("ATVPDKIKX0DER",), "cp932"),
        ("text/plain", ("A1VC38T7YXB528",), "cp932"),
        ("text/plain", ("A1PA6795UKMFR9",), "cp1252"),
        (None, ("ATVPDKIKX0DER",), "utf-8"),
    ],
    ids=["utf8-for-jp", "cp1252", "windows-31j", "shift-jis", "jp-default", "de-default", "none"],
)
def test_the_header_names_the_charset_and_only_its_absence_falls_back(
    content_type, marketplaces, codec
) -> None:
    assert documents.codec_for(content_type, marketplaces, REF) == codec


def test_an_unknown_charset_is_refused() -> None:
    with pytest.raises(DocumentError, match="unknown charset 'x-klingon'"):
        documents.codec_for("text/plain; charset=x-klingon", ("ATVPDKIKX0DER",), REF)


@pytest.mark.parametrize(
    ("codec", "text"),
    [
        ("utf-8", "Größe \u2013 東京都"),
        ("cp1252", "Größe passt nicht \u2013 schade"),  # the en dash is cp1252's, not Latin-1's
        ("cp932", "東京都 渋谷区 \uff5e\u2460"),  # cp932-only: fullwidth tilde, circled one
    ],
)
def test_transcoding_round_trips_across_chunk_boundaries(codec, text) -> None:
    data = (text * 50).encode(codec)
    transcoder = documents._Transcoder(codec, REF)
    out = b"".join(transcoder.convert(data[i : i + 7]) for i in range(0, len(data), 7))
    out += transcoder.convert(b"", final=True)
    assert out.decode("utf-8") == text * 50


@pytest.mark.parametrize(("codec", "bad"), [("cp1252", b"\x81"), ("cp932", b"\x85\x40")])
def test_bytes_that_do_not_decode_are_refused_with_their_line_and_offset(codec, bad) -> None:
    data = "a\tb\n".encode(codec) * 10 + bad + b"def"
    transcoder = documents._Transcoder(codec, REF)
    with pytest.raises(DocumentError, match=f"line 11 .*offset 40, does not decode as {codec}"):
        transcoder.convert(data[:17])
        transcoder.convert(data[17:])
        transcoder.convert(b"", final=True)


def _parse(tmp_path: Path, text: str, spec: ReportSpec, decoder_suffix: str = "txt") -> dict:
    path = tmp_path / f"doc.{decoder_suffix}"
    path.write_text(text, encoding="utf-8")
    constants = documents.engine_columns(spec, REF, "A1SELLER", "2026-11-01")
    tables: dict[str, list[dict]] = {}
    with documents.database("64MB", tmp_path) as shared:
        for table, batch in documents.parse(
            documents.Document(path, "utf-8", "text/plain"), spec, constants, REF, shared
        ):
            tables.setdefault(table.name, []).extend(batch.to_pylist())
    return tables


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b"seller-sku\tprice\nA\t1.00\nB\xff\t2.00\n", 3),
        (b"seller-sku\tpr\xffice\nA\t1.00\n", 1),
        (b'{"salesAndTrafficByDate": [{"date": "2026-10-01\xe2\x82"}]}', 1),
        ("naïve\n".encode() * 5 + b"\xc3", 6),  # a character cut off at the end
    ],
    ids=["in-a-row", "in-the-header", "in-json", "at-the-end"],
)
def test_utf8_that_does_not_decode_is_refused_with_its_line(data, line) -> None:
    """UTF-8 is checked as it arrives: DuckDB's first pass would not see every column."""
    transcoder = documents._Transcoder("utf-8", REF)
    with pytest.raises(DocumentError, match=f"line {line} .*does not decode as utf-8"):
        for start in range(0, len(data), 7):
            transcoder.convert(data[start : start + 7])
        transcoder.convert(b"", final=True)


def test_ascii_and_a_utf8_bom_pass_unchanged_less_the_bom() -> None:
    transcoder = documents._Transcoder("utf-8", REF)
    data = codecs.BOM_UTF8 + "a\tÜber\n".encode() * 3
    out = b"".join(transcoder.convert(data[i : i + 5]) for i in range(0, len(data), 5))
    assert out + transcoder.convert(b"", final=True) == "a\tÜber\n".encode() * 3


def test_flat_files_keep_quotes_and_hashes_and_key_rows_by_ordinal(tmp_path) -> None:
    text = (
        "settlement-id\ttotal-amount\ttransaction-type\tamount\tsku\n"
        "111\t12.00\t\t\t\n"
        '111\t\tOrder\t10.00\t#1 "Best" mug\n'
        '111\t\tOrder\t2.00\t#1 "Best" mug\n'
    )
    rows = _parse(tmp_path, text, CATALOG[SETTLEMENTS])["settlement_lines"]
    assert [r["key_ordinal"] for r in rows] == [0, 1, 2]  # document order within the settlement
    assert rows[1]["sku"] == '#1 "Best" mug' and rows[0]["sku"] is None
    assert rows[0]["seller_id"] == "A1SELLER" and rows[0]["report_id"] == "50311019412"
    assert "posted_date_time" in rows[0]  # documented, absent here: loaded as null


def test_key_codes_fetched_in_batches_number_rows_across_them(tmp_path, monkeypatch) -> None:
    """The codes come from DuckDB a batch at a time (bounded by its memory limit); a key's
    rows in different batches are still counted in document order."""
    monkeypatch.setattr(documents, "HASH_ROWS", 2)
    text = "settlement-id\tamount\n" + "".join(f"{n % 2}\t{n}.00\n" for n in range(7))
    rows = _parse(tmp_path, text, CATALOG[SETTLEMENTS])["settlement_lines"]
    assert [(r["settlement_id"], r["key_ordinal"]) for r in rows] == [
        ("0", 0),
        ("1", 0),
        ("0", 1),
        ("1", 1),
        ("0", 2),
        ("1", 2),
        ("0", 3),
    ]


def test_a_row_of_the_wrong_width_rejects_the_document(tmp_path) -> None:
    text = "seller-sku\tprice\nA\t1.00\nB\n"
    with pytest.raises(DocumentError, match="malformed tsv document") as caught:
        _parse(tmp_path, text, CATALOG[LISTINGS])
    assert "50311019412" in str(caught.value)


def test_a_type_without_natural_key_is_keyed_by_row_hash_and_ordinal(tmp_path) -> None:
    spec = ReportSpec("GET_ANY", "window", "tsv", (TableSpec("report_any"),))
    rows = _parse(tmp_path, "a\tb\n1\tx\n1\tx\n2\tx\n", spec)["report_any"]
    keys = {(r["row_hash"], r["key_ordinal"]) for r in rows}
    ordinals = sorted(o for h, o in keys if sum(1 for k, _ in keys if k == h) == 2)
    assert len(keys) == 3 and ordinals == [0, 1]  # the two identical rows: ordinals 0 and 1
    again = _parse(tmp_path, "a\tb\n2\tx\n1\tx\n1\tx\n", spec)["report_any"]
    assert {(r["row_hash"], r["key_ordinal"]) for r in again} == keys


def test_a_header_only_flat_file_has_no_rows(tmp_path) -> None:
    assert _parse(tmp_path, "seller-sku\tprice\n", CATALOG[LISTINGS]) == {}


def test_json_reports_fill_their_tables_and_malformed_ones_are_refused(tmp_path) -> None:
    spec = CATALOG["GET_SALES_AND_TRAFFIC_REPORT"]
    sample = Path(__file__).parents[3] / "tests" / "cases" / "sales_and_traffic.json"
    tables = _parse(tmp_path, sample.read_text(), spec, "json")
    by_date, by_asin = (
        tables["report_sales_traffic_by_date"],
        tables["report_sales_traffic_by_asin"],
    )
    assert [r["date"] for r in by_date] == ["2021-06-11"]
    assert by_date[0]["sales_by_date__ordered_product_sales__amount"] == 238.44
    assert {r["sku"] for r in by_asin} == {"AB-1C2D-EFGH", "CD-2E3F-GHIJ"}
    with pytest.raises(DocumentError, match="malformed json"):
        _parse(tmp_path, '{"salesAndTrafficByDate": [', spec, "json")


def test_xml_rows_flatten_leaves_and_repeated_paths(tmp_path) -> None:
    spec = CATALOG["GET_XML_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"]
    text = (
        "<?xml version='1.0' encoding='UTF-8'?><AmazonEnvelope><Message><Order>"
        "<AmazonOrderID>111-1</AmazonOrderID><OrderItem><SKU>A</SKU>"
        "<ItemPrice><Component><Amount currency='USD'>1.00</Amount></Component></ItemPrice>"
        "</OrderItem><OrderItem><SKU>B</SKU></OrderItem></Order></Message></AmazonEnvelope>"
    )
    (row,) = _parse(tmp_path, text, spec, "xml")["report_xml_orders"]
    assert row["amazon_order_id"] == "111-1" and row["key_ordinal"] == 0
    assert row["order_item__sku"] == '["A","B"]'
    assert row["order_item__item_price__component__amount__currency"] == "USD"


@pytest.mark.parametrize(
    "attack",
    [
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
        "<AmazonEnvelope><Order><AmazonOrderID>&lol2;</AmazonOrderID></Order></AmazonEnvelope>",
        '<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://127.0.0.1:9/evil.dtd">'
        "<AmazonEnvelope><Order><AmazonOrderID>1</AmazonOrderID></Order></AmazonEnvelope>",
    ],
    ids=["billion-laughs", "external-dtd"],
)
def test_xml_with_a_doctype_is_refused(tmp_path, attack) -> None:
    spec = CATALOG["GET_XML_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"]
    with pytest.raises(DocumentError, match="DOCTYPE"):
        _parse(tmp_path, attack, spec, "xml")


def test_an_expired_document_url_is_reported_without_its_signature(fake_clock) -> None:
    session = DocumentSession(
        Pacer(lambda key: (1.0, 1), fake_clock),
        lambda r: "documents.download",
        fake_clock,
        ApiStats(),
    )
    response = requests.Response()
    response.status_code = 403
    response.url = (
        "https://tortuga-prod-na.s3.amazonaws.com/doc?X-Amz-Credential=AKIA123%2Fus-east-1"
        "&X-Amz-Security-Token=FwoGZXIvYXdzEB&X-Amz-Signature=0123456789abcdef&X-Amz-Expires=300"
    )
    error = session.error_for(response, "documents.download")
    assert isinstance(error, DocumentUrlExpiredError)
    text = str(error)
    assert "X-Amz-Signature=***" in text and "0123456789abcdef" not in text
    assert "FwoGZXIvYXdzEB" not in text and "AKIA123" not in text


def test_key_ordinals_count_earlier_rows_of_each_key_in_document_order() -> None:
    codes = np.array([7, 3, 7, 7, 9, 3, 7], dtype=np.uint64)
    naive = [list(codes[:n]).count(code) for n, code in enumerate(codes)]
    assert documents.key_ordinals(codes).tolist() == naive == [0, 0, 1, 2, 0, 1, 3]
    assert documents.key_ordinals(np.array([], dtype=np.uint64)).tolist() == []


def test_key_ordinals_match_a_count_of_earlier_rows_on_many_keys() -> None:
    codes = np.random.default_rng(7).integers(0, 50, 5_000).astype(np.uint64)
    seen: dict[int, int] = {}
    naive = []
    for code in codes.tolist():
        naive.append(seen.get(code, 0))
        seen[code] = seen.get(code, 0) + 1
    assert documents.key_ordinals(codes.copy()).tolist() == naive
