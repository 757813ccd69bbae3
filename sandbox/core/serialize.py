"""Wire encoders: handlers return data, these render it (escaping correct by construction)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
from lxml import etree
from lxml.builder import ElementMaker

from sandbox.core.routing import Response


def to_json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(status=status, body=orjson.dumps(data), headers=dict(headers or {}))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(maker: ElementMaker, element: etree._Element, data: Any) -> None:
    if not isinstance(data, Mapping):
        element.text = _text(data)
        return
    for key, value in data.items():
        if value is None:
            continue
        if key.startswith("@"):
            element.set(key[1:], _text(value))
        elif key == "#text":
            element.text = _text(value)
        else:
            for item in value if isinstance(value, list) else [value]:
                sub = maker(key)
                _fill(maker, sub, item)
                element.append(sub)


def xml_bytes(root: str, data: Mapping[str, Any], namespace: str | None = None) -> bytes:
    """`data` under `root`: keys are elements (a list repeats its key), `@name` keys are
    attributes and `#text` is text; None leaves an element out."""
    maker = ElementMaker(namespace=namespace, nsmap={None: namespace} if namespace else None)
    element = maker(root)
    _fill(maker, element, data)
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8")


def to_xml(
    root: str,
    data: Mapping[str, Any],
    namespace: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    return Response(
        status=status,
        body=xml_bytes(root, data, namespace),
        headers=dict(headers or {}),
        content_type="text/xml",
    )


def tsv_bytes(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    encoding: str = "utf-8",
    line_end: str = "\n",
    preamble: Sequence[str] = (),
) -> bytes:
    """Tab-separated lines (None is empty) in `encoding`; `preamble` lines come first."""
    lines = [*preamble, "\t".join(header)]
    lines += ["\t".join("" if v is None else _text(v) for v in row) for row in rows]
    return (line_end.join(lines) + line_end).encode(encoding, errors="replace")


def to_tsv(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    encoding: str = "utf-8",
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    return Response(
        status=status,
        body=tsv_bytes(header, rows, encoding),
        headers=dict(headers or {}),
        content_type=f"text/plain;charset={encoding}",
    )
