"""Hardened XML for every source: no entities, no network, no DOCTYPE; names by local part.

Legacy documents change namespaces between versions and child order between recordings, so
everything here reads elements by their local name and never by position.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from lxml import etree

_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ROOT = re.compile(rb"<[A-Za-z_]")
PROLOGUE_BYTES = 64 << 10
HARDENED = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False}


class XmlError(ValueError):
    """A document that is not well-formed XML."""


class UnsafeXmlError(XmlError):
    """A document that declares a DOCTYPE or entities: refused before anything is resolved."""


def parse(data: bytes, what: str = "document") -> etree._Element:
    """The root of `data`; DTDs are refused at the first element, entities never expanded."""
    events = etree.iterparse(
        io.BytesIO(data),
        events=("start",),
        **HARDENED,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        for _, element in events:
            docinfo = element.getroottree().docinfo
            if docinfo.doctype or docinfo.internalDTD is not None:
                raise UnsafeXmlError(f"{what}: a DOCTYPE is not allowed")
            break
        for _ in events:
            pass
    except etree.XMLSyntaxError as error:
        raise XmlError(f"{what}: not well-formed XML ({error.msg})") from None
    return events.root


def local(element: etree._Element) -> str:
    """`{namespace}Name` -> `Name`."""
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def children(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element if local(child) == name]


def child(element: etree._Element | None, *path: str) -> etree._Element | None:
    """The first element down `path` of local names, or None."""
    for name in path:
        if element is None:
            return None
        element = next((c for c in element if local(c) == name), None)
    return element


def text(element: etree._Element | None, *path: str) -> str | None:
    """Stripped text down `path`, or None."""
    found = child(element, *path)
    if found is None or found.text is None:
        return None
    return found.text.strip()


def descendants(element: etree._Element, name: str) -> Iterator[etree._Element]:
    return (e for e in element.iter() if local(e) == name)


def _repeated(element: etree._Element, path: tuple[str, ...], found: set[tuple[str, ...]]):
    seen: set[str] = set()
    for sub in element:
        name = local(sub)
        if name in seen:
            found.add((*path, name))
        seen.add(name)
        _repeated(sub, (*path, name), found)


def _record(element: etree._Element, path: tuple[str, ...], lists: set[tuple[str, ...]]) -> Any:
    if len(element) == 0:
        return text(element)
    record: dict[str, Any] = {}
    for sub in element:
        name = local(sub)
        value = _record(sub, (*path, name), lists)
        if (*path, name) in lists:
            record.setdefault(name, []).append(value)
        else:
            record[name] = value
    return record


def records(elements: Iterable[etree._Element]) -> list[dict[str, Any]]:
    """Elements as nested dicts by local name; a child that repeats in any element is a list
    in every element, so that the records of one batch share one shape."""
    items = list(elements)
    lists: set[tuple[str, ...]] = set()
    for element in items:
        _repeated(element, (), lists)
    return [_record(element, (), lists) or {} for element in items]


def reject_doctype(path: Path) -> None:
    """Refuse a document whose prologue declares a DOCTYPE, before any parser reads it."""
    with path.open("rb") as stream:
        head = stream.read(PROLOGUE_BYTES)
    root = _ROOT.search(head)
    if _DOCTYPE.search(head if root is None else head[: root.start()]):
        raise UnsafeXmlError("the document declares a DOCTYPE, which is refused")


def iter_elements(path: Path, tag: str) -> Iterator[etree._Element]:
    """Every `tag` element of a large document, streamed; each is freed once handed out."""
    reject_doctype(path)
    for _, element in etree.iterparse(
        str(path),
        events=("end",),
        tag=tag,
        **HARDENED,
    ):
        yield element
        element.clear(keep_tail=False)
        while element.getprevious() is not None:
            del element.getparent()[0]
