"""The sliver of GraphQL the sandbox's Data Kiosk reads: one query of nested fields with
arguments (strings, numbers, enum names, lists); no variables, fragments or aliases."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

_TOKENS = re.compile(
    r"(?P<skip>[\s,]+|#[^\n]*)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r'|(?P<string>"(?:[^"\\]|\\.)*")'
    r"|(?P<number>-?\d+(?:\.\d+)?)"
    r"|(?P<punct>[{}()\[\]:])"
    r"|(?P<other>.)"
)


class GraphQLError(ValueError):
    """A query the sandbox cannot read; the message says where."""


@dataclass
class Field:
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    selection: list[Field] = field(default_factory=list)


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        for match in _TOKENS.finditer(text):
            kind = match.lastgroup or "other"
            if kind == "other":
                raise GraphQLError(f"Unexpected character {match.group()!r}.")
            if kind != "skip":
                self.tokens.append((kind, match.group()))
        self.position = 0

    def peek(self) -> str | None:
        return self.tokens[self.position][1] if self.position < len(self.tokens) else None

    def take(self, expected: str | None = None, kind: str | None = None) -> str:
        if self.position >= len(self.tokens):
            raise GraphQLError("Unexpected end of query.")
        token_kind, value = self.tokens[self.position]
        if (expected is not None and value != expected) or (
            kind is not None and token_kind != kind
        ):
            raise GraphQLError(f"Expected {expected or kind}, found {value!r}.")
        self.position += 1
        return value

    def document(self) -> list[Field]:
        if self.peek() == "query":
            self.take("query")
            if self.peek() not in ("{", None):
                self.take(kind="name")
        selection = self.selection()
        if self.peek() is not None:
            raise GraphQLError(f"Unexpected {self.peek()!r} after the query.")
        return selection

    def selection(self) -> list[Field]:
        self.take("{")
        fields = []
        while self.peek() != "}":
            fields.append(self.field())
        self.take("}")
        if not fields:
            raise GraphQLError("A selection set must name at least one field.")
        return fields

    def field(self) -> Field:
        found = Field(self.take(kind="name"))
        if self.peek() == ":":
            raise GraphQLError("Aliases are not supported by the sandbox.")
        if self.peek() == "(":
            self.take("(")
            while self.peek() != ")":
                name = self.take(kind="name")
                self.take(":")
                found.arguments[name] = self.value()
            self.take(")")
        if self.peek() == "{":
            found.selection = self.selection()
        return found

    def value(self) -> Any:
        kind, text = self.tokens[self.position] if self.position < len(self.tokens) else ("", "")
        if text == "[":
            self.take("[")
            values = []
            while self.peek() != "]":
                values.append(self.value())
            self.take("]")
            return values
        self.take()
        if kind == "string":
            return json.loads(text)
        if kind == "number":
            return float(text) if "." in text else int(text)
        if kind == "name":
            return {"true": True, "false": False, "null": None}.get(text, text)
        raise GraphQLError(f"Unexpected {text!r} where a value belongs.")


def parse(text: str) -> list[Field]:
    """The query's top-level selection."""
    return _Parser(text).document()
