"""Building a source leaves the modules' resources as they were: sellers' sources are built at
once in the pool's threads, and a module's transformer piped in place (`pages | orders`) would
take whichever seller's parent was piped last (dlt: "Resource with pipe ... could not be found
in source")."""

from __future__ import annotations

import sys
from typing import Any

from dlt.extract.resource import DltResource

from sources.mws import mws_source
from sources.sp_api import sp_api_source
from tests.loading import sp_api_kwargs


def module_resources() -> dict[str, DltResource]:
    """Every resource a module of `sources` holds, by its dotted name."""
    return {
        f"{name}.{attr}": value
        for name, module in list(sys.modules.items())
        if name.startswith("sources.")
        for attr, value in vars(module).items()
        if isinstance(value, DltResource)
    }


def parents(resources: dict[str, DltResource]) -> dict[str, Any]:
    return {name: (r._pipe.parent, r._parent, dict(r._hints)) for name, r in resources.items()}


def test_building_sources_pipes_clones_not_the_modules_transformers(accounts) -> None:
    resources = module_resources()
    assert {"sources.sp_api.orders.orders", "sources.mws.orders.orders"} <= set(resources)
    before = parents(resources)
    target = accounts["mws"]

    sp_api_source(**sp_api_kwargs(accounts, finances=True, include_pii=True))
    mws_source(
        accounts=target["accounts"],
        access_key_id=target["access_key_id"],
        secret_key=target["secret_key"],
        endpoint=target["endpoint"],
        include_pii=True,
    )

    assert parents(resources) == before
