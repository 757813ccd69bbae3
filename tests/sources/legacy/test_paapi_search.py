"""ItemSearch: the searches' config, the batch parameters, paging and the recorded answer."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from sources.common import xml
from sources.paapi import documents
from sources.paapi.exceptions import ConfigurationError
from sources.paapi.searches import batch_params, pages, parse_searches
from sources.paapi.settings import item_page_limit

SAMPLE = (
    Path(__file__).resolve().parents[2]
    / "fixtures/legacy-samples/ecs/2011-08-01/ItemSearch-Books-Author-page-1.xml"
)
MUGS = {"keywords": "mug", "search_index": "Kitchen", "sort": "salesrank", "max_pages": 5}


class RecordedEcs:
    """Answers every call with the recorded page (TotalPages 11) and keeps what was asked."""

    locale = "de"

    def __init__(self) -> None:
        self.asked: list[tuple[str, dict[str, str]]] = []

    def call(self, operation: str, params: dict[str, str]) -> etree._Element:
        self.asked.append((operation, params))
        return xml.parse(SAMPLE.read_bytes())


def test_two_pages_a_request_share_the_search() -> None:
    [search] = parse_searches([MUGS], ["us", "de"], item_page_limit("2011-08-01"))
    assert search.locales == ("us", "de") and search.max_pages == 5
    assert search.label == "SearchIndex=Kitchen&Keywords=mug&Sort=salesrank"
    assert batch_params(search, [3, 4]) == {
        "ItemSearch.Shared.SearchIndex": "Kitchen",
        "ItemSearch.Shared.Keywords": "mug",
        "ItemSearch.Shared.Sort": "salesrank",
        "ItemSearch.Shared.ResponseGroup": "Large",
        "ItemSearch.1.ItemPage": "3",
        "ItemSearch.2.ItemPage": "4",
    }


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({**MUGS, "max_pages": 11}, r"max_pages must be 1 to 10"),
        ({"keywords": "mug"}, r"searches\[0\] needs search_index"),
        ({"search_index": "Kitchen"}, r"keywords, title or brand"),
        ({**MUGS, "locales": ["fr"]}, r"searches\[0\]\.locales"),
        ({**MUGS, "page": 2}, r"unknown keys \['page'\]"),
    ],
)
def test_bad_searches_name_the_key(entry: dict, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        parse_searches([entry], ["us", "de"], item_page_limit("2011-08-01"))


def test_the_version_limits_pages() -> None:
    assert item_page_limit("2011-08-01") == 10 and item_page_limit("2009-10-01") == 400


def test_the_recorded_page_parses_with_its_lineage() -> None:
    parsed = documents.parse(
        xml.parse(SAMPLE.read_bytes()), sets=[{"search": "Author=x", "item_page": 1}]
    )
    assert parsed.total_pages == [11] and not parsed.errors
    assert len(parsed.items) == 10 and len({i["asin"] for i in parsed.items}) == 10
    assert parsed.items[0]["asin"] == "3423217332" and parsed.items[0]["sales_rank"] == 187
    assert {(i["search"], i["item_page"], i["marketplace_id"]) for i in parsed.items} == {
        ("Author=x", 1, "A1PA6795UKMFR9")
    }
    assert parsed.offers and all(o["item_page"] == 1 for o in parsed.offers)
    assert {i["observed_at"] for i in parsed.items} == {"2018-07-08T20:12:49Z"}


@pytest.mark.parametrize(
    ("max_pages", "asked"),
    [
        (3, [["1", "2"], ["3"]]),
        # the answer says 11 pages; 2011-08-01 serves ten
        (10, [["1", "2"], ["3", "4"], ["5", "6"], ["7", "8"], ["9", "10"]]),
    ],
)
def test_paging_stops_at_max_pages_two_pages_a_call(max_pages: int, asked: list) -> None:
    [search] = parse_searches(
        [{**MUGS, "max_pages": max_pages}], ["de"], item_page_limit("2011-08-01")
    )
    client = RecordedEcs()
    answers = list(pages(client, search))  # type: ignore[arg-type]
    assert len(answers) == len(asked)
    assert [
        [v for k, v in params.items() if k.endswith(".ItemPage")] for _, params in client.asked
    ] == asked
    assert {operation for operation, _ in client.asked} == {"ItemSearch"}


def test_paging_stops_at_total_pages() -> None:
    class OnePage(RecordedEcs):
        def call(self, operation: str, params: dict[str, str]) -> etree._Element:
            root = super().call(operation, params)
            xml.child(root, "Items", "TotalPages").text = "1"
            return root

    [search] = parse_searches([MUGS], ["de"], item_page_limit("2011-08-01"))
    client = OnePage()
    assert len(list(pages(client, search))) == 1  # type: ignore[arg-type]
    assert len(client.asked) == 1
