"""SigV2 against Amazon's worked examples, and the sandbox's verifier agreeing with the client."""

from __future__ import annotations

import pytest

from sandbox.core.sigv2 import expected_signature
from sources.common.sigv2 import sign, string_to_sign

ECS_ITEM_SEARCH = {
    "Service": "AWSECommerceService",
    "AWSAccessKeyId": "00000000000000000000",
    "Operation": "ItemSearch",
    "Actor": "Johnny Depp",
    "ResponseGroup": "ItemAttributes,Offers,Images,Reviews,Variations",
    "Version": "2009-01-01",
    "SearchIndex": "DVD",
    "Sort": "salesrank",
    "AssociateTag": "mytag-20",
    "Timestamp": "2009-01-01T12:00:00Z",
}
MWS_SUBMIT_FEED = {
    "AWSAccessKeyId": "0PExampleR2",
    "Action": "SubmitFeed",
    "FeedType": "_POST_INVENTORY_AVAILABILITY_DATA_",
    "MWSAuthToken": "amzn.mws.4ea38b7b-f563-7709-4bae-87aeaEXAMPLE",
    "Marketplace": "ATExampleER",
    "SellerId": "A1ExampleE6",
    "SignatureMethod": "HmacSHA256",
    "SignatureVersion": "2",
    "Timestamp": "2009-08-20T01:10:27.607Z",
    "Version": "2009-01-01",
}


def test_ecs_item_search_matches_the_developer_guide_example() -> None:
    text = string_to_sign("GET", "ecs.amazonaws.co.uk", "/onca/xml", ECS_ITEM_SEARCH)
    assert text.endswith(
        "Actor=Johnny%20Depp&AssociateTag=mytag-20&Operation=ItemSearch&ResponseGroup="
        "ItemAttributes%2COffers%2CImages%2CReviews%2CVariations&SearchIndex=DVD&Service="
        "AWSECommerceService&Sort=salesrank&Timestamp=2009-01-01T12%3A00%3A00Z&Version=2009-01-01"
    )
    assert sign("1234567890", text) == "TuM6E5L9u/uNqOX09ET03BXVmHLVFfJIna5cxXuHxiU="


def test_mws_string_to_sign_matches_the_developer_guide_example() -> None:
    text = string_to_sign("POST", "MWS.amazonservices.com", "/Feeds/2009-01-01", MWS_SUBMIT_FEED)
    assert text == (
        "POST\nmws.amazonservices.com\n/Feeds/2009-01-01\n"
        "AWSAccessKeyId=0PExampleR2&Action=SubmitFeed&FeedType=_POST_INVENTORY_AVAILABILITY_DATA_"
        "&MWSAuthToken=amzn.mws.4ea38b7b-f563-7709-4bae-87aeaEXAMPLE&Marketplace=ATExampleER"
        "&SellerId=A1ExampleE6&SignatureMethod=HmacSHA256&SignatureVersion=2"
        "&Timestamp=2009-08-20T01%3A10%3A27.607Z&Version=2009-01-01"
    )


@pytest.mark.parametrize("method", ["HmacSHA256", "HmacSHA1"])
def test_sandbox_verifier_agrees_with_the_client(method: str) -> None:
    params = {**MWS_SUBMIT_FEED, "NextToken": "a+b/c=="}
    client = sign("secret", string_to_sign("POST", "127.0.0.1:8080", "/", params), method)
    server = expected_signature("secret", "POST", "127.0.0.1:8080", "/", params, method)
    assert client == server
    assert expected_signature("other", "POST", "127.0.0.1:8080", "/", params, method) != client
