"""Hardened XML for every source: no entities, no network, no DOCTYPE; names by local part.

Legacy documents change namespaces between versions and child order between recordings, so
everything here reads elements by their local name and never by position.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from lxml import etree

CHUNK_BYTES = 64 << 10
HARDENED = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False}


class XmlError(ValueError):
    """A document that is not well-formed XML."""


class UnsafeXmlError(XmlError):
    """A document that declares a DOCTYPE or entities: refused before anything is resolved."""


class _Doctype(Exception):
    pass


class _Root(Exception):
    pass


class _Prologue:
    """A parser target that stops at the root element and tells a DOCTYPE seen before it."""

    def doctype(self, *declared: object) -> None:
        raise _Doctype()

    def start(self, *element: object) -> None:
        raise _Root()

    def end(self, *element: object) -> None:
        pass

    def data(self, text: str) -> None:
        pass

    def close(self) -> None:
        return None


def refuse_doctype(chunks: Iterable[bytes], what: str = "document") -> None:
    """Refuse a document that declares a DOCTYPE, as the parser itself reads its prologue (in
    any encoding, after comments and processing instructions), before the DTD is parsed: no
    entity is declared, let alone expanded, whichever of libxml2's guards would fire later."""
    parser = etree.XMLParser(target=_Prologue(), **HARDENED)
    try:
        for chunk in chunks:
            parser.feed(chunk)
        parser.close()
    except _Root:
        return
    except _Doctype:
        raise UnsafeXmlError(f"{what}: a DOCTYPE is not allowed") from None
    except etree.XMLSyntaxError as error:
        raise XmlError(f"{what}: not well-formed XML ({error.msg})") from None


def parse(data: bytes, what: str = "document") -> etree._Element:
    """The root of `data`; a DOCTYPE is refused first, entities are never expanded."""
    refuse_doctype((data,), what)
    try:
        return etree.fromstring(
            data, etree.XMLParser(**HARDENED, remove_comments=True, remove_pis=True)
        )
    except etree.XMLSyntaxError as error:
        raise XmlError(f"{what}: not well-formed XML ({error.msg})") from None


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


def iter_elements(path: Path, tag: str) -> Iterator[etree._Element]:
    """Every `tag` element of a large document, streamed; each is freed once handed out."""
    with path.open("rb") as stream:
        refuse_doctype(iter(lambda: stream.read(CHUNK_BYTES), b""), path.name)
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
