"""The slice of SOQL a sync sends: SELECT fields|COUNT() FROM object [WHERE …] [ORDER BY f [DESC], …] [LIMIT n].

A WHERE clause is comparisons joined by AND or by OR, with parentheses for nesting; as in Salesforce, AND and OR
cannot be mixed at one level without parentheses (`a AND b OR c` is MALFORMED_QUERY). A resumable listing sends
the keyset form `SystemModstamp > X OR (SystemModstamp = X AND Id > 'I')`.

Parsing gives a `Query` of raw names; `bind` checks them against a schema and restores their canonical case
(SOQL names are case-insensitive). `soql_run` executes a bound query over records.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

_SPACE = re.compile(r"\s*")
_TOKEN = re.compile(r"""(?:
    (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),])
  | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
)""", re.VERBOSE)
_KEYWORDS = {"select", "from", "where", "and", "or", "not", "in", "order", "by", "asc", "desc", "nulls",
             "first", "last", "limit", "true", "false", "null"}


Schema = Mapping[str, Iterable[str]]
"""Object (or relationship) name → field names (or target objects)."""


class SoqlError(Exception):
    """A query Salesforce refuses; `code` is its errorCode: MALFORMED_QUERY, INVALID_FIELD or INVALID_TYPE."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    op: str
    value: Any
    """A literal, or a tuple of literals for IN."""


@dataclass(frozen=True, slots=True)
class AnyOf:
    """A parenthesised or top-level disjunction: `a OR b OR …`."""

    terms: tuple[Predicate, ...]


@dataclass(frozen=True, slots=True)
class AllOf:
    """A parenthesised conjunction: `(a AND b AND …)` (top-level AND terms are `Query.where` itself)."""

    terms: tuple[Predicate, ...]


Predicate = Condition | AnyOf | AllOf


@dataclass(frozen=True, slots=True)
class OrderKey:
    field: str
    descending: bool = False
    nulls_last: bool = False


@dataclass(frozen=True, slots=True)
class Query:
    object_type: str
    fields: tuple[str, ...]
    where: tuple[Predicate, ...] = ()
    """ANDed: a plain `a AND b` is `(Condition a, Condition b)`; `a OR b` is `(AnyOf((a, b)),)`."""
    order_by: tuple[OrderKey, ...] = ()
    limit: int | None = None
    count: bool = False
    """`SELECT COUNT() FROM …`: the answer is only totalSize."""


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str
    column: int

    def is_word(self, *words: str) -> bool:
        return self.kind == "name" and self.text.lower() in words


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = _SPACE.match(text).end()  # type: ignore[union-attr]
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.lastgroup is None:
            raise _malformed(text, position)
        tokens.append(_Token(match.lastgroup, match.group(), position))
        position = _SPACE.match(text, match.end()).end()  # type: ignore[union-attr]
    return tokens


def _malformed(text: str, column: int, what: str | None = None) -> SoqlError:
    found = what or (text[column:].split() or ["<EOF>"])[0]
    pointer = " " * column + "^"
    return SoqlError("MALFORMED_QUERY", f"\n{text}\n{pointer}\nERROR at Row:1:Column:{column + 1}\n"
                                        f"unexpected token: '{found}'")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text, self.tokens, self.at = text, _tokenize(text), 0

    def peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def next(self) -> _Token:
        token = self.peek()
        if token is None:
            raise _malformed(self.text, len(self.text), "<EOF>")
        self.at += 1
        return token

    def expect(self, kind: str, *words: str) -> _Token:
        token = self.next()
        if token.kind != kind or (words and not token.is_word(*words)):
            raise _malformed(self.text, token.column, token.text)
        return token

    def expect_text(self, text: str) -> None:
        token = self.next()
        if token.text != text:
            raise _malformed(self.text, token.column, token.text)

    def at_comma(self) -> bool:
        token = self.peek()
        return token is not None and token.text == ","

    def accept(self, *words: str) -> bool:
        token = self.peek()
        if token is not None and token.is_word(*words):
            self.at += 1
            return True
        return False

    def name(self) -> str:
        token = self.expect("name")
        if token.text.lower() in _KEYWORDS:
            raise _malformed(self.text, token.column, token.text)
        return token.text

    def query(self) -> Query:
        self.expect("name", "select")
        fields, count = self.select_list()
        self.expect("name", "from")
        object_type = self.name()
        where = self.conditions() if self.accept("where") else ()
        order = self.order_keys() if self.accept("order") else ()
        limit = int(self.expect("number").text) if self.accept("limit") else None
        if (extra := self.peek()) is not None:
            raise _malformed(self.text, extra.column, extra.text)
        return Query(object_type, fields, where, order, limit, count)

    def select_list(self) -> tuple[tuple[str, ...], bool]:
        token = self.peek()
        following = self.tokens[self.at + 1] if self.at + 1 < len(self.tokens) else None
        if token is not None and token.is_word("count") and following is not None and following.text == "(":
            self.at += 2
            self.expect_text(")")
            return (), True
        fields = [self.name()]
        while self.at_comma():
            self.next()
            fields.append(self.name())
        return tuple(fields), False

    def conditions(self) -> tuple[Predicate, ...]:
        terms, joiner = self.expression()
        return (AnyOf(terms),) if joiner == "or" else terms

    def expression(self) -> tuple[tuple[Predicate, ...], str | None]:
        """Terms joined by one of AND / OR (mixing them needs parentheses), and which joined them."""
        found = [self.term()]
        joiner: str | None = None
        while (token := self.peek()) is not None and token.is_word("and", "or"):
            word = token.text.lower()
            if joiner is not None and word != joiner:
                raise _malformed(self.text, token.column, token.text)
            joiner = word
            self.next()
            found.append(self.term())
        return tuple(found), joiner

    def term(self) -> Predicate:
        token = self.peek()
        if token is None or token.text != "(":
            return self.condition()
        self.next()
        terms, joiner = self.expression()
        self.expect_text(")")
        if len(terms) == 1:
            return terms[0]
        return AnyOf(terms) if joiner == "or" else AllOf(terms)

    def condition(self) -> Condition:
        field = self.name()
        if self.accept("in"):
            self.expect_text("(")
            values = [self.literal()]
            while self.at_comma():
                self.next()
                values.append(self.literal())
            self.expect_text(")")
            return Condition(field, "in", tuple(values))
        op = self.expect("op").text
        return Condition(field, "!=" if op == "<>" else op, self.literal())

    def literal(self) -> Any:
        token = self.next()
        if token.kind == "string":
            return re.sub(r"\\(.)", r"\1", token.text[1:-1])
        if token.kind == "datetime":
            return datetime.fromisoformat(token.text.replace("Z", "+00:00")).astimezone(UTC)
        if token.kind == "date":
            return date.fromisoformat(token.text)
        if token.kind == "number":
            return float(token.text)
        if token.is_word("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[token.text.lower()]
        raise _malformed(self.text, token.column, token.text)

    def order_keys(self) -> tuple[OrderKey, ...]:
        self.expect("name", "by")
        keys = [self.order_key()]
        while self.at_comma():
            self.next()
            keys.append(self.order_key())
        return tuple(keys)

    def order_key(self) -> OrderKey:
        field = self.name()
        descending = self.accept("desc")
        if not descending:
            self.accept("asc")
        nulls_last = descending
        if self.accept("nulls"):
            nulls_last = self.expect("name", "first", "last").text.lower() == "last"
        return OrderKey(field, descending, nulls_last)


def parse(text: str) -> Query:
    return _Parser(text).query()


def bind(query: Query, schema: Schema, relationships: Schema) -> Query:
    """Canonical object and field names, or INVALID_TYPE / INVALID_FIELD as Salesforce answers them."""
    objects = {name.lower(): name for name in schema}
    object_type = objects.get(query.object_type.lower())
    if object_type is None:
        raise SoqlError("INVALID_TYPE", f"sObject type '{query.object_type}' is not supported.")

    def canonical(name: str) -> str:
        return _field(name, object_type, schema, relationships)

    def predicate(term: Predicate) -> Predicate:
        if isinstance(term, Condition):
            return replace(term, field=canonical(term.field))
        return replace(term, terms=tuple(predicate(t) for t in term.terms))

    return replace(
        query, object_type=object_type, fields=tuple(canonical(f) for f in query.fields),
        where=tuple(predicate(term) for term in query.where),
        order_by=tuple(replace(k, field=canonical(k.field)) for k in query.order_by),
    )


def _field(name: str, object_type: str, schema: Schema, relationships: Schema) -> str:
    own = {field.lower(): field for field in schema[object_type]}
    if "." not in name:
        if name.lower() in own:
            return own[name.lower()]
    else:
        relation, _, target_field = name.partition(".")
        relation_names = {rel.lower(): rel for rel in relationships if f"{rel}id".lower() in own}
        canonical_relation = relation_names.get(relation.lower())
        if canonical_relation and "." not in target_field:
            for target in relationships[canonical_relation]:
                target_fields = {field.lower(): field for field in schema[target]}
                if target_field.lower() in target_fields:
                    return f"{canonical_relation}.{target_fields[target_field.lower()]}"
    raise SoqlError("INVALID_FIELD", (
        f"\nSELECT {name} FROM {object_type}\n       ^\nERROR at Row:1:Column:8\n"
        f"No such column '{name}' on entity '{object_type}'. If you are attempting to use a custom field, "
        "be sure to append the '__c' after the custom field name. "
        "Please reference your WSDL or the describe call for the appropriate names."))
