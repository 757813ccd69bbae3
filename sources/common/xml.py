"""XML parsing that cannot be turned against us: no entities, no network, no DTD at all."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ROOT = re.compile(rb"<[A-Za-z_]")
PROLOGUE_BYTES = 64 << 10


class UnsafeXmlError(ValueError):
    """The document declares a DOCTYPE (the door to entity expansion and external fetches)."""


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
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    ):
        yield element
        element.clear(keep_tail=False)
        while element.getprevious() is not None:
            del element.getparent()[0]
