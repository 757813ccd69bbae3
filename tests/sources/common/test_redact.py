"""Scrubbing: sensitive query names, headers, registered secret values, log records."""

from __future__ import annotations

import io
import logging

from sources.common.redact import (
    MASK,
    redact_headers,
    redact_text,
    redact_url,
    register_secret,
)


def test_names_dlt_misses_are_masked_in_urls() -> None:
    url = (
        "https://x/onca/xml?AWSAccessKeyId=AKIAEXAMPLE&Signature=abc%2B%3D&MWSAuthToken=amzn"
        "&secretKey=s3cr3t&Operation=ItemLookup"
    )
    scrubbed = redact_url(url)
    for leaked in ("AKIAEXAMPLE", "abc", "amzn", "s3cr3t"):
        assert leaked not in scrubbed
    assert "Operation=ItemLookup" in scrubbed


def test_headers_and_free_text_are_masked() -> None:
    headers = redact_headers(
        {"x-amz-access-token": "Atza|abc", "AMZPECTY-API-SECRET-KEY": "k", "Accept": "json"}
    )
    assert headers == {
        "x-amz-access-token": MASK,
        "AMZPECTY-API-SECRET-KEY": MASK,
        "Accept": "json",
    }
    text = redact_text('{"client_secret": "zzz", refresh_token=Atzr|yyy&x=1}')
    assert "zzz" not in text and "Atzr|yyy" not in text


def test_registered_values_are_masked_wherever_they_appear() -> None:
    register_secret("canary-7f3e9a1b")
    assert "canary" not in redact_text("token canary-7f3e9a1b in a traceback")


def test_every_record_is_scrubbed_whichever_logger_and_handler(caplog) -> None:
    register_secret("canary-in-args-42")  # installs the scrubbing record factory
    logger = logging.getLogger("tests.redact.child")  # no filter on it or its parents
    late = io.StringIO()
    handler = logging.StreamHandler(late)  # added after the secret was registered
    logger.addHandler(handler)
    try:
        with caplog.at_level(logging.INFO, logger="tests.redact.child"):
            logger.info("calling %s", "https://x/?X-Amz-Signature=topsecret&a=1")
            try:
                raise ValueError("boom canary-in-args-42")
            except ValueError:
                logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    for text in (caplog.text, late.getvalue()):
        assert "topsecret" not in text and "canary-in-args-42" not in text
        assert "boom" in text and "calling" in text
