"""Hostile XML is refused before any entity is resolved, any file read or any host called."""

from __future__ import annotations

from pathlib import Path

import pytest

from sources.common import xml


def test_external_entity_is_refused_without_reading_the_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CANARY")
    document = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>'
        "<ListOrdersResponse><Orders>&x;</Orders></ListOrdersResponse>"
    ).encode()
    with pytest.raises(xml.UnsafeXmlError) as raised:
        xml.parse(document, "answer")
    assert "TOP-SECRET-CANARY" not in str(raised.value)


def test_billion_laughs_is_refused() -> None:
    entities = '<!ENTITY a0 "lol">' + "".join(
        f'<!ENTITY a{n} "{("&a" + str(n - 1) + ";") * 10}">' for n in range(1, 10)
    )
    document = f"<!DOCTYPE r [{entities}]><r>&a9;</r>".encode()
    with pytest.raises(xml.UnsafeXmlError):
        xml.parse(document)


def test_network_dtd_is_refused() -> None:
    document = b'<!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd"><r/>'
    with pytest.raises(xml.UnsafeXmlError):
        xml.parse(document)


def test_malformed_and_undefined_entities_are_clear_errors() -> None:
    with pytest.raises(xml.XmlError, match="not well-formed"):
        xml.parse(b"<r><unclosed></r>", "saved.xml")
    with pytest.raises(xml.XmlError):
        xml.parse(b"<r>&undefined;</r>")


UTF16 = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY a "b">]><r><i/></r>'
HIDDEN_DOCTYPES = {
    "after-a-comment": b"<!-- <x --><!DOCTYPE r SYSTEM 'http://127.0.0.1:9/x.dtd'><r><i/></r>",
    "after-a-pi": b"<?pi <x?><!DOCTYPE r><r><i/></r>",
    "utf-16": UTF16.encode("utf-16"),
}


@pytest.mark.parametrize("document", HIDDEN_DOCTYPES.values(), ids=HIDDEN_DOCTYPES.keys())
def test_a_doctype_is_refused_wherever_the_prologue_hides_it(tmp_path: Path, document) -> None:
    with pytest.raises(xml.UnsafeXmlError):
        xml.parse(document)
    path = tmp_path / "saved.xml"
    path.write_bytes(document)
    with pytest.raises(xml.UnsafeXmlError):
        list(xml.iter_elements(path, "i"))


def test_a_document_without_doctype_streams_in_any_encoding(tmp_path: Path) -> None:
    path = tmp_path / "saved.xml"
    path.write_bytes(
        '<?xml version="1.0" encoding="UTF-16"?><!-- c --><r><i>é</i></r>'.encode("utf-16")
    )
    assert [element.text for element in xml.iter_elements(path, "i")] == ["é"]
