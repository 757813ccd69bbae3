"""What a run loads, as units of work: one per (source, seller), each with its own pipeline.

A unit's state holds only its seller's positions, so a seller loads alone (`--accounts`), in
parallel with others, and fails and is retried without touching anyone else's. Sources whose
work is not a seller's are one unit each: Amzpecty (one API key, credit balance, callback store
and watch list, made of every seller's ASINs) and PA-API (one associate tag, whose request rate
is shared by all its locales, so splitting by locale would gain nothing). MWS and AIM with an
archive folder configured (files of retired services, read once) stay one unit, as before.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dlt

from pipelines.naming import pipeline_name, slug, staging_layout
from sources.common.accounts import account_entries

PER_SELLER = ("sp_api", "mws", "aim")
SANDBOX_ACCOUNTS = {"sp_api": ("accounts",), "mws": ("mws", "accounts"), "aim": ("aim", "accounts")}


class UnitError(ValueError):
    """A selection of accounts that names none, or one that is not configured."""


@dataclass(frozen=True)
class Unit:
    """One pipeline's work: `source` for one account (its entry is secret: kept out of repr),
    or the whole source (`account` None)."""

    source: str
    pipeline_name: str
    account: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)
    others: frozenset[str] = frozenset()  # the source's other sellers, pruned from its state
    legacy: str | None = None  # the source's one pipeline of earlier versions, a seller's start

    @property
    def label(self) -> str:
        """How messages name it: `sp_api [Sandbox Outfitters NA]`."""
        return f"{self.source} [{account_name(self.account)}]" if self.account else self.source

    @property
    def staging_layout(self) -> str:
        """Where its loads stage merges: its own staging dataset when it is one seller's."""
        return staging_layout(account_name(self.account) if self.account else None)

    @property
    def accounts(self) -> list[Mapping[str, Any]] | None:
        """The accounts its source is built with: its own, or (None) as configured."""
        return None if self.account is None else [self.account]


def account_name(entry: Mapping[str, Any]) -> str:
    """An account's name as its source names it: `name`, else its seller id."""
    return str(entry.get("name") or entry.get("seller_id"))


def configured_accounts(source: str, sandbox: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """`source`'s accounts: the sandbox's, or `sources.<source>.accounts` from secrets."""
    if sandbox is not None:
        found: Any = sandbox
        for key in SANDBOX_ACCOUNTS[source]:
            found = found.get(key) or {}
        return [dict(entry) for entry in found]
    raw = dlt.secrets.get(f"sources.{source}.accounts")
    return account_entries(raw, f"sources.{source}.accounts", UnitError) if raw else []


def plan(
    sources: Sequence[str],
    mode: str,
    warehouse: str,
    sandbox: Mapping[str, Any] | None,
    chosen: Sequence[str] | None = None,
    known: Mapping[str, Collection[str]] | None = None,
) -> list[Unit]:
    """The units of `sources` loading the warehouse at `warehouse` (whose state knows the
    pipelines `known`, per source); `chosen` (account names or seller ids) keeps only those
    sellers' units."""
    units: list[Unit] = []
    matched: set[str] = set()
    for source in sources:
        names = (known or {}).get(source, ())
        whole = pipeline_name(mode, source, warehouse, None, names)
        archive = sandbox is None and dlt.config.get(f"sources.{source}.archive_folder")
        if source not in PER_SELLER or archive:
            if chosen is None:
                units.append(Unit(source, whole))
            continue
        entries = configured_accounts(source, sandbox)
        sellers = {str(e.get("seller_id")) for e in entries}
        slugs: dict[str, str] = {}
        for entry in entries:
            name = account_name(entry)
            if slugs.setdefault(slug(name), name) != name:
                raise UnitError(
                    f"sources.{source}.accounts: {slugs[slug(name)]!r} and {name!r} need "
                    "names that differ in more than case and punctuation"
                )
            keys = {name, str(entry.get("seller_id"))}
            if chosen is not None and not keys & set(chosen):
                continue
            matched |= keys
            others = frozenset(sellers - {str(entry.get("seller_id"))})
            own = pipeline_name(mode, source, warehouse, name, names)
            units.append(Unit(source, own, entry, others, legacy=whole))
    unknown = sorted(set(chosen or ()) - matched)
    if unknown:
        raise UnitError(f"--accounts: no configured account named {unknown}")
    return units
