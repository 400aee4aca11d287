"""Executes a bound SOQL `Query` over records: filter, sort, limit (projection is the caller's)."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from typing import Any

from sandbox.apis.soql import AnyOf, Condition, OrderKey, Predicate, Query

_ORDERING = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def _compare(value: Any, op: str, literal: Any) -> bool:
    if isinstance(value, str) and isinstance(literal, str):
        value, literal = value.casefold(), literal.casefold()
    if op == "in":
        return any(_compare(value, "=", item) for item in literal)
    if op in ("=", "!="):
        return bool(value == literal) == (op == "=")
    if value is None or literal is None:
        return False
    try:
        return bool(_ORDERING[op](value, literal))
    except TypeError:
        return False


ValueOf = Callable[[dict[str, Any], str], Any]


def field_value(record: dict[str, Any], field: str) -> Any:
    return record.get(field)


def holds(record: dict[str, Any], term: Predicate, value_of: ValueOf = field_value) -> bool:
    if isinstance(term, Condition):
        return _compare(value_of(record, term.field), term.op, term.value)
    if isinstance(term, AnyOf):
        return any(holds(record, t, value_of) for t in term.terms)
    return all(holds(record, t, value_of) for t in term.terms)


def matches(record: dict[str, Any], conditions: Iterable[Predicate],
            value_of: ValueOf = field_value) -> bool:
    """Every (ANDed) term of a WHERE clause holds for the record."""
    return all(holds(record, term, value_of) for term in conditions)


def sort(records: list[dict[str, Any]], keys: tuple[OrderKey, ...],
         value_of: ValueOf = field_value) -> list[dict[str, Any]]:
    """Stable multi-key sort; strings compare case-insensitively; nulls first unless told otherwise."""
    ordered = list(records)
    for key in reversed(keys):
        values = {id(r): value_of(r, key.field) for r in ordered}
        present = [r for r in ordered if values[id(r)] is not None]
        missing = [r for r in ordered if values[id(r)] is None]
        present.sort(key=lambda r: _sort_value(values[id(r)]), reverse=key.descending)
        ordered = present + missing if key.nulls_last else missing + present
    return ordered


def _sort_value(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def run(query: Query, records: Iterable[dict[str, Any]],
        value_of: ValueOf = field_value) -> list[dict[str, Any]]:
    """The records the query selects, in its order, up to its limit (projection is the caller's)."""
    found = [record for record in records if matches(record, query.where, value_of)]
    found = sort(found, query.order_by, value_of) if query.order_by else found
    return found[: query.limit] if query.limit is not None else found
