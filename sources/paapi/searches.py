"""ItemSearch: the configured searches, ten items a page, two pages a request."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sources.paapi import documents
from sources.paapi.client import EcsClient
from sources.paapi.exceptions import ConfigurationError
from sources.paapi.settings import BATCH_SETS, RESPONSE_GROUP

# config keys -> ECS parameters, in the order the `search` lineage column names them
FIELDS = {
    "search_index": "SearchIndex",
    "keywords": "Keywords",
    "title": "Title",
    "brand": "Brand",
    "sort": "Sort",
}


@dataclass(frozen=True)
class Search:
    params: tuple[tuple[str, str], ...]  # ECS parameters
    max_pages: int
    locales: tuple[str, ...]

    @property
    def label(self) -> str:
        """The `search` lineage column: the search's ECS parameters as a query."""
        return "&".join(f"{name}={value}" for name, value in self.params)


def parse_searches(value: Any, locales: Sequence[str], page_limit: int) -> list[Search]:
    """`sources.paapi.searches`: tables of {search_index, keywords | title | brand, sort?,
    max_pages? (default and most: the version's page limit), locales? (default: all)}."""
    entries = list(value.values()) if isinstance(value, Mapping) else list(value or [])
    searches = []
    for number, entry in enumerate(entries):
        key = f"sources.paapi.searches[{number}]"
        if not isinstance(entry, Mapping):
            raise ConfigurationError(f"{key} must be a table")
        unknown = sorted(set(entry) - {*FIELDS, "max_pages", "locales"})
        if unknown:
            raise ConfigurationError(f"{key}: unknown keys {unknown}")
        if not entry.get("search_index") or not any(
            entry.get(k) for k in ("keywords", "title", "brand")
        ):
            raise ConfigurationError(f"{key} needs search_index and keywords, title or brand")
        max_pages = entry.get("max_pages", page_limit)
        if not isinstance(max_pages, int) or not 1 <= max_pages <= page_limit:
            raise ConfigurationError(
                f"{key}.max_pages must be 1 to {page_limit}, the ItemPage limit of this version"
            )
        wanted = entry.get("locales") or list(locales)
        wanted = [wanted] if isinstance(wanted, str) else list(wanted)
        if set(wanted) - set(locales):
            raise ConfigurationError(f"{key}.locales must be among sources.paapi.locales")
        params = tuple((FIELDS[k], str(entry[k])) for k in FIELDS if entry.get(k))
        searches.append(Search(params, max_pages, tuple(wanted)))
    return searches


def batch_params(search: Search, pages: Sequence[int]) -> dict[str, str]:
    """A batch request: the search as `ItemSearch.Shared.*`, one set per page."""
    params = {f"ItemSearch.Shared.{name}": value for name, value in search.params}
    params["ItemSearch.Shared.ResponseGroup"] = RESPONSE_GROUP
    for number, page in enumerate(pages, 1):
        params[f"ItemSearch.{number}.ItemPage"] = str(page)
    return params


def pages(client: EcsClient, search: Search) -> Iterator[documents.Parsed]:
    """The search's answers up to `max_pages` or the answer's TotalPages, whichever is less;
    pages come in pairs: batch requests are allowed for every operation but the Cart ones,
    so two parameter sets halve the calls (one request a second is the account's rate)."""
    first, last = 1, search.max_pages
    while first <= last:
        asked = list(range(first, min(first + BATCH_SETS, last + 1)))
        root = client.call("ItemSearch", batch_params(search, asked))
        lineage = [{"search": search.label, "item_page": page} for page in asked]
        parsed = documents.parse(root, sets=lineage)
        yield parsed
        last = min(last, max((t for t in parsed.total_pages if t is not None), default=0))
        first += BATCH_SETS
