"""Row 19, charsets: one listings file as Cp1252 (Europe), Windows-31J (Japan) and UTF-8 with a
byte order mark (North America), one of Europe's without a charset in its Content-Type: every
text arrives byte-exact, the BOM stripped; bytes that do not decode in the declared charset
fail their report with the line they are on, never a "?"."""

from __future__ import annotations

import re

from sources.sp_api.exceptions import DocumentError
from sources.sp_api.report_catalog import LISTINGS
from tests.battery.fetching import report_faults
from tests.loading import load_sp_api

OPTIONS = {"resources": ["reports"], "report_types": [LISTINGS]}
HEADER = ("item-name", "listing-id", "seller-sku", "price", "quantity", "status")
TITLES = {
    "eu": {"SKU-PINA": "Piña colada \u2013 Están listos", "SKU-WEISS": "Größe: Weiß, 5 €"},
    "fe": {"SKU-TOKYO": "東京タワー \uff5e ① ｶﾀｶﾅ", "SKU-KYOTO": "京都の抹茶・茶碗"},
    "na": {"SKU-PINA-US": "Piña colada 🍍 — Están", "SKU-ZW": "zero\u200bwidth \u202ertl"},
}


def _document(titles: dict[str, str], bom: bool = False) -> str:
    rows = ["\t".join(HEADER)]
    for n, (sku, title) in enumerate(titles.items(), start=1):
        rows.append("\t".join((title, f"01{n:02}", sku, f"{n}.50", str(n), "Active")))
    return ("\ufeff" if bom else "") + "\n".join(rows) + "\n"


def test_every_charset_arrives_byte_exact_and_the_bom_is_stripped(
    sandbox_server, accounts, tmp_path
) -> None:
    sellers = {region: accounts["accounts"][n] for n, region in enumerate(("na", "eu", "fe"))}
    report_faults(
        sandbox_server.url,
        *(
            {
                "kind": "text",
                "report_type": LISTINGS,
                "seller_id": seller["seller_id"],
                "count": len(seller["marketplace_ids"]),
                "text": _document(TITLES[region], bom=region == "na"),
            }
            for region, seller in sellers.items()
        ),
        {"kind": "no_charset", "report_type": LISTINGS, "seller_id": sellers["eu"]["seller_id"]},
    )
    load = load_sp_api(accounts, tmp_path, **OPTIONS)
    assert not list(load.failures), [str(f) for f in load.failures]
    for region, seller in sellers.items():
        for marketplace in seller["marketplace_ids"]:
            loaded = dict(
                load.query(
                    "select seller_sku, item_name from sp_api.report_listings where "
                    f"seller_id = '{seller['seller_id']}' and marketplace_id = '{marketplace}'"
                )
            )
            assert loaded == TITLES[region], (region, marketplace)
    columns = {r[0] for r in load.query("describe sp_api.report_listings")}
    assert not any("\ufeff" in column or column.startswith("ufeff") for column in columns)


def test_bytes_that_do_not_decode_fail_their_report_naming_the_line(
    sandbox_server, accounts, tmp_path
) -> None:
    na, fe = accounts["accounts"][0], accounts["accounts"][2]
    texts = {"na": _document(TITLES["na"]), "fe": _document(TITLES["fe"])}
    codecs = {"na": "utf-8", "fe": "cp932"}
    # the sandbox slips a byte its charset cannot decode into the middle of the document
    lines = {
        region: (lambda data: data[: len(data) // 2].count(b"\n") + 1)(text.encode(codecs[region]))
        for region, text in texts.items()
    }
    for region, seller in (("na", na), ("fe", fe)):
        report_faults(
            sandbox_server.url,
            {
                "kind": "text",
                "report_type": LISTINGS,
                "seller_id": seller["seller_id"],
                "text": texts[region],
            },
            {"kind": "undecodable", "report_type": LISTINGS, "seller_id": seller["seller_id"]},
        )
    load = load_sp_api(accounts, tmp_path, **OPTIONS)
    failures = {failure.key.split(" GET_")[0]: failure.error for failure in load.failures}
    assert set(failures) == {na["name"], fe["name"]}
    for region, seller in (("na", na), ("fe", fe)):
        error = failures[seller["name"]]
        assert isinstance(error, DocumentError)
        assert re.search(rf"\bline {lines[region]} \(the header is line 1\)", str(error))
    assert "does not decode as cp932" in str(failures[fe["name"]])
    assert "does not decode as utf-8" in str(failures[na["name"]])
    # nothing of a failed document, so not one character replaced: JP has no rows, and North
    # America only those of its other marketplace
    failed = re.search(r"\((A\w+)\): line", str(failures[na["name"]]))[1]  # type: ignore[index]
    loaded = set(
        load.query("select distinct seller_id, marketplace_id from sp_api.report_listings")
    )
    assert {m for s, m in loaded if s == na["seller_id"]} == set(na["marketplace_ids"]) - {failed}
    assert not {m for s, m in loaded if s == fe["seller_id"]}
