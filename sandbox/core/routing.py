"""Requests, responses and the path router that maps them to service handlers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

Handler = Callable[["Request"], "Response"]
ANY = "*"  # a route's method that matches every method


@dataclass
class Request:
    """One HTTP request as a service handler sees it."""

    method: str
    path: str
    query_string: str
    headers: dict[str, str]  # keys lower-cased
    body: bytes = b""
    path_params: dict[str, str] = field(default_factory=dict)
    operation: str = ""
    service: str = ""
    seller_id: str | None = None

    @property
    def query_pairs(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query_string, keep_blank_values=True)

    @property
    def query(self) -> dict[str, str]:
        """Last value per query parameter."""
        return dict(self.query_pairs)

    def query_list(self, name: str) -> list[str] | None:
        """A Swagger `csv` array: comma-separated, and repeated keys are accepted too."""
        values = [v for k, v in self.query_pairs if k == name]
        if not values:
            return None
        return [part for value in values for part in value.split(",") if part != ""]

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


@dataclass
class Response:
    """What a handler returns; `body` may be bytes or an iterable of byte chunks (streamed)."""

    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    cut: tuple[str, float] | None = None  # a fault: how the body breaks off, and where


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    operation: str
    service: str
    accepts: Callable[[Request], bool] | None = None  # None: every request on the path


class Router:
    """Routes by method and path regex; every route names its service and operation."""

    def __init__(self) -> None:
        self._routes: list[Route] = []

    def add(
        self,
        method: str,
        path: str,
        handler: Handler,
        operation: str,
        service: str,
        accepts: Callable[[Request], bool] | None = None,
    ) -> None:
        """Register `path` (a regex with named groups, anchored at both ends) for `method` (or
        `ANY`); `accepts` lets services share a path by what else a request carries."""
        self._routes.append(
            Route(method.upper(), re.compile(f"^{path}$"), handler, operation, service, accepts)
        )

    def match(self, request: Request) -> tuple[Route, dict[str, str]] | None:
        for route in self._routes:
            if route.method not in (ANY, request.method.upper()):
                continue
            found = route.pattern.match(request.path)
            if found is not None and (route.accepts is None or route.accepts(request)):
                return route, found.groupdict()
        return None

    def routes(self) -> list[Route]:
        return list(self._routes)
