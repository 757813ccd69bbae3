"""SP-API paging rules, one class each."""

from __future__ import annotations

from typing import Any

from dlt.common import jsonpath
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator
from requests import Request, Response


class EchoCursorPaginator(JSONResponseCursorPaginator):
    """A cursor paginator that also keeps a value the server echoes (`lastUpdatedBefore`).

    Orders searches echo the upper time bound they used; it is the high-water mark.
    """

    def __init__(self, cursor_path: str, cursor_param: str, echo_path: str) -> None:
        super().__init__(cursor_path=cursor_path, cursor_param=cursor_param)
        self.echo_path = jsonpath.compile_path(echo_path)
        self.echo: Any = None

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        super().update_state(response, data)
        values = jsonpath.find_values(self.echo_path, response.json())
        if values:
            self.echo = values[0]


class TokenOnlyPaginator(JSONResponseCursorPaginator):
    """A cursor sent as the only parameter of the next request: getReports' rule, "Specifying
    nextToken with any other parameters will cause the request to fail"."""

    def __init__(self, cursor_path: str = "nextToken", cursor_param: str = "nextToken") -> None:
        super().__init__(cursor_path=cursor_path, cursor_param=cursor_param)

    def update_request(self, request: Request) -> None:
        request.params = {self.cursor_param: self._next_reference}
