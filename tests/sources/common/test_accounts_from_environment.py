"""Accounts from environment variables, exactly as README shows them."""

from __future__ import annotations

import re
import shlex

import dlt
import pytest

from sources.mws.client import parse_accounts as mws_accounts
from sources.sp_api.client import parse_accounts as sp_api_accounts
from tests.conftest import ROOT


def _readme_exports() -> dict[str, str]:
    """The `export NAME=value` lines of README's environment-variable example."""
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```sh\n(export SOURCES__SP_API__CLIENT_ID.*?)```", text, re.DOTALL)
    assert block, "README lost its environment-variable example"
    exports = {}
    for command in block.group(1).split("export ")[1:]:
        name, _, value = command.partition("=")
        exports[name] = shlex.split(value)[0]
    return exports


def test_readme_environment_accounts_resolve_through_dlt(monkeypatch) -> None:
    exports = _readme_exports()
    assert set(exports) == {
        "SOURCES__SP_API__CLIENT_ID",
        "SOURCES__SP_API__CLIENT_SECRET",
        "SOURCES__SP_API__ACCOUNTS",
    }
    for name, value in exports.items():
        monkeypatch.setenv(name, value)
    accounts = sp_api_accounts(dlt.secrets.get("sources.sp_api.accounts"))
    assert [(a.name, a.seller_id, a.region) for a in accounts] == [
        ("us-store", "A1EXAMPLESELLER", "na"),
        ("eu-store", "A2EXAMPLESELLER", "eu"),
    ]
    assert accounts[1].marketplace_ids == ("A1F83G8C2ARO7P", "A1PA6795UKMFR9")


@pytest.mark.parametrize(
    "text",
    [
        '[{"name": "us", "seller_id": "A1", "mws_auth_token": "amzn.mws.x", '
        '"marketplace_ids": ["ATVPDKIKX0DER"]}]',
        '{"us": {"seller_id": "A1", "mws_auth_token": "amzn.mws.x", '
        '"marketplace_ids": ["ATVPDKIKX0DER"]}}',
    ],
    ids=["list", "table"],
)
def test_mws_accounts_from_the_environment_as_a_list_or_a_table(monkeypatch, text) -> None:
    monkeypatch.setenv("SOURCES__MWS__ACCOUNTS", text)
    accounts = mws_accounts(dlt.secrets.get("sources.mws.accounts"))
    assert [(a.name, a.seller_id) for a in accounts] == [("us", "A1")]
