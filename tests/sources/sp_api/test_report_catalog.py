"""The report catalog: the six default types, any type by name, and config overrides."""

from __future__ import annotations

import pytest

from sources.sp_api.exceptions import ConfigurationError
from sources.sp_api.report_catalog import DEFAULT_REPORT_TYPES, RETURNS, resolve


def test_the_default_types_are_the_six_of_the_catalog() -> None:
    specs = resolve(None, None)
    assert [s.report_type for s in specs] == list(DEFAULT_REPORT_TYPES)
    assert {t.name for s in specs for t in s.tables} >= {
        "report_order_items",
        "settlement_lines",
        "report_sales_traffic_by_date",
    }


def test_any_other_type_loads_by_name_with_the_generic_tsv_decoder() -> None:
    (spec,) = resolve(["GET_MERCHANT_LISTINGS_INACTIVE_DATA"], None)
    assert (spec.decoder, spec.kind, spec.span_days) == ("tsv", "window", 30)
    assert spec.tables[0].name == "report_merchant_listings_inactive"
    assert spec.tables[0].keys == ()  # keyed by a hash of the row


def test_config_overrides_a_type_and_validates_it() -> None:
    (spec,) = resolve(
        ["GET_FBA_REIMBURSEMENTS_DATA"],
        {
            "GET_FBA_REIMBURSEMENTS_DATA": {
                "span_days": 60,
                "lookback_days": 5,
                "options": {"custom": True},
                "keys": ["reimbursement-id"],
                "table": "reimbursements",
            }
        },
    )
    assert (spec.span_days, spec.lookback_days, dict(spec.options)) == (60, 5, {"custom": "True"})
    assert spec.tables[0].name == "reimbursements"
    assert spec.tables[0].key_columns() == ("reimbursement_id",)
    assert not spec.reusable  # options getReports cannot show


@pytest.mark.parametrize(
    ("types", "settings", "message"),
    [
        ([RETURNS], {RETURNS: {"span": 3}}, f"sources.sp_api.reports.{RETURNS}: unknown"),
        ([RETURNS], {RETURNS: {"kind": "weekly"}}, "kind must be one of"),
        ([RETURNS], {"GET_X": {}}, "not in sources.sp_api.report_types"),
        ([RETURNS], {RETURNS: {"decoder": "json"}}, "needs a row_path"),
        ([RETURNS, "GET_Y"], {"GET_Y": {"table": "report_fba_returns"}}, "same table"),
    ],
    ids=["unknown-key", "bad-kind", "stray-type", "json-without-path", "table-clash"],
)
def test_bad_settings_name_the_key_at_fault(types, settings, message) -> None:
    with pytest.raises(ConfigurationError, match=message):
        resolve(types, settings)
