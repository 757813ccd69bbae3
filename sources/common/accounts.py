"""Account lists as configuration gives them: TOML tables, or JSON text from the environment."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any


def account_entries(
    raw: Any, key: str, error: Callable[[str], Exception] = ValueError
) -> list[dict[str, Any]]:
    """The entries of `key` (`sources.sp_api.accounts`): a list of tables, a table of tables
    keyed by account name, or either as the JSON text an environment variable carries
    (`SOURCES__SP_API__ACCOUNTS='[...]'`, which dlt hands over as a string)."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as bad:
            where = f"line {bad.lineno}, column {bad.colno}"
            raise error(f"{key} is not a JSON list or object: {bad.msg} at {where}") from None
    if isinstance(raw, Mapping):
        if all(isinstance(value, Mapping) for value in raw.values()):
            return [{"name": name, **dict(value)} for name, value in raw.items()]
    elif isinstance(raw, list | tuple) and all(isinstance(value, Mapping) for value in raw):
        return [dict(value) for value in raw]
    raise error(f"{key} must be a list or table of accounts")
