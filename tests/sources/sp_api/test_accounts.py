"""Account configuration: validation that names keys, legacy AWS keys accepted once."""

from __future__ import annotations

import logging

import pytest

from sources.sp_api import client as client_module
from sources.sp_api.client import parse_accounts
from sources.sp_api.exceptions import ConfigurationError


def test_table_of_accounts_keyed_by_name() -> None:
    accounts = parse_accounts(
        {
            "us": {
                "seller_id": "A1",
                "refresh_token": "Atzr|x",
                "marketplace_ids": "ATVPDKIKX0DER,A2EUQ1WTGCTBG2",
            }
        }
    )
    assert accounts[0].name == "us"
    assert accounts[0].marketplace_ids == ("ATVPDKIKX0DER", "A2EUQ1WTGCTBG2")
    assert "Atzr" not in repr(accounts[0])


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([{"seller_id": "A1"}], "accounts[A1].refresh_token is required"),
        ([{"refresh_token": "Atzr|secret-value"}], "accounts[0].seller_id is required"),
        ([{"seller_id": "A1", "refresh_token": "t", "region": "mars"}], "region must be one of"),
        ([{"seller_id": "A1", "refresh_token": "t", "colour": "red"}], "unknown key(s) ['colour']"),
        ([], "accounts is empty"),
        ("A1", "not a JSON list or object: Expecting value at line 1, column 1"),
        ('{"us": "A1"}', "must be a list or table"),
    ],
    ids=[
        "no-refresh-token",
        "no-seller-id",
        "bad-region",
        "typo",
        "empty",
        "not-json",
        "not-tables",
    ],
)
def test_bad_accounts_name_the_key(raw, message) -> None:
    with pytest.raises(ConfigurationError) as raised:
        parse_accounts(raw)
    assert message in str(raised.value)
    assert "secret-value" not in str(raised.value)


def test_legacy_aws_keys_are_accepted_and_warned_about_once(monkeypatch, caplog) -> None:
    monkeypatch.setattr(client_module, "_warned_legacy", False)
    legacy = {
        "seller_id": "A1",
        "refresh_token": "t",
        "aws_access_key": "AKIAOLD",
        "aws_secret_key": "old-secret",
        "role_arn": "arn:aws:iam::1:role/x",
        "role_session_name": "s",
    }
    with caplog.at_level(logging.WARNING, logger="sources.sp_api"):
        parse_accounts([legacy, {**legacy, "seller_id": "A2"}])
    warnings = [r for r in caplog.records if "October 2, 2023" in r.getMessage()]
    assert len(warnings) == 1
    assert "AKIAOLD" not in caplog.text and "old-secret" not in caplog.text


def test_source_level_legacy_aws_settings_are_accepted_ignored_and_masked(
    monkeypatch, caplog
) -> None:
    from sources.common.redact import redact_text
    from sources.sp_api import sp_api_source

    monkeypatch.setattr(client_module, "_warned_legacy", False)
    legacy = {
        "aws_access_key": "AKIAOLDSOURCEKEY",
        "aws_secret_key": "old-source-secret-value",
        "role_arn": "arn:aws:iam::123456789012:role/old-sp-api-role",
        "role_session_name": "old-session",
    }
    with caplog.at_level(logging.WARNING, logger="sources.sp_api"):
        for _ in range(2):
            source = sp_api_source(
                accounts=[{"seller_id": "A1", "refresh_token": "Atzr|x"}],
                client_id="client",
                client_secret="secret",
                resources=["orders"],
                **legacy,
            )
    assert list(source.selected_resources) == ["orders"]
    warnings = [r for r in caplog.records if "October 2, 2023" in r.getMessage()]
    assert len(warnings) == 1
    assert not any(value in caplog.text for value in legacy.values())
    assert redact_text(f"signed with {legacy['aws_secret_key']}") == "signed with ***"
