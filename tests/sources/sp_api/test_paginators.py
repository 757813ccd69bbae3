"""The echoing cursor paginator on responses built in memory."""

from __future__ import annotations

import json

import requests

from sources.sp_api.paginators import EchoCursorPaginator, TokenOnlyPaginator


def _response(body: dict) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response._content = json.dumps(body).encode()
    return response


def test_cursor_and_echo_are_read_and_the_token_is_added_to_params() -> None:
    paginator = EchoCursorPaginator("pagination.nextToken", "paginationToken", "lastUpdatedBefore")
    request = requests.Request("GET", "https://x/orders", params={"lastUpdatedAfter": "a"})
    paginator.init_request(request)
    paginator.update_state(
        _response(
            {
                "orders": [1],
                "pagination": {"nextToken": "T1"},
                "lastUpdatedBefore": "2026-01-01T00:00:00Z",
            }
        )
    )
    paginator.update_request(request)
    assert paginator.has_next_page
    assert request.params == {"lastUpdatedAfter": "a", "paginationToken": "T1"}
    assert paginator.echo == "2026-01-01T00:00:00Z"
    paginator.update_state(_response({"orders": [], "lastUpdatedBefore": "2026-01-01T00:00:00Z"}))
    assert not paginator.has_next_page


def test_v0_payload_paths() -> None:
    paginator = EchoCursorPaginator("payload.NextToken", "NextToken", "payload.LastUpdatedBefore")
    paginator.update_state(_response({"payload": {"Orders": [], "LastUpdatedBefore": "X"}}))
    assert paginator.echo == "X" and not paginator.has_next_page


def test_a_token_only_cursor_replaces_every_other_parameter() -> None:
    paginator = TokenOnlyPaginator(cursor_path="nextToken", cursor_param="nextToken")
    request = requests.Request("GET", "https://x/reports", params={"reportTypes": "A,B"})
    paginator.init_request(request)
    paginator.update_state(_response({"reports": [1], "nextToken": "T2"}))
    paginator.update_request(request)
    assert request.params == {"nextToken": "T2"}
    paginator.update_state(_response({"reports": [2]}))
    assert not paginator.has_next_page
