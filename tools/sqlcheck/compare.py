"""Result equality across the two engines: rows as multisets, column types as BigQuery names.

Floats are equal within 1e-9 relative, NUMERIC exactly, timestamps to the microsecond; a JSON object or array
text (TO_JSON_STRING) equals another that parses to equal values, since the engines spell a FLOAT64 differently
(BigQuery `309500`, DuckDB `309500.0`) while every JSON reader reads the same number. DuckDB's result types
are mapped to the BigQuery type they stand for; one with no BigQuery counterpart (HUGEINT, a DECIMAL other
than NUMERIC's (38, 9), a TIMESTAMP without time zone) is a divergence in itself.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from collections.abc import Sequence
from typing import Any

from shared.warehouse.type_names import bigquery_type_name

Row = tuple[Any, ...]
duckdb_type = bigquery_type_name
"""The BigQuery type a DuckDB result type stands for, or `duckdb:<name>` when there is none."""


def types_equal(bigquery: str, duckdb: str) -> bool:
    """NULL-typed DuckDB columns (an all-NULL literal) match anything; otherwise the names must agree."""
    return duckdb == "NULL" or bigquery == duckdb


def values_equal(a: Any, b: Any) -> bool:
    """Equal as BigQuery values: floats within 1e-9 relative (NaN equals NaN), Decimals exactly, timestamps as
    instants (both with a zone), arrays and structs element by element; a bool never equals a number."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, float) or isinstance(b, float):
        return _floats_equal(a, b)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(values_equal(a[k], b[k]) for k in a)
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        return a.tzinfo is not None and b.tzinfo is not None and a == b
    if isinstance(a, decimal.Decimal | int) and isinstance(b, decimal.Decimal | int):
        return decimal.Decimal(a) == decimal.Decimal(b)
    if isinstance(a, str) and isinstance(b, str) and a != b:
        return _json_equal(a, b)
    return type(a) is type(b) and bool(a == b)


def _json_equal(a: str, b: str) -> bool:
    """Two JSON object or array texts with equal values (numbers by value: 1 equals 1.0)."""
    if not (a.startswith(("{", "[")) and b.startswith(("{", "["))):
        return False
    try:
        left, right = json.loads(a), json.loads(b)
    except ValueError:
        return False
    return _json_values_equal(left, right)


def _json_values_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None or isinstance(a, str):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return _floats_equal(a, b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_values_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_json_values_equal(a[k], b[k]) for k in a)
    return False


def _floats_equal(a: Any, b: Any) -> bool:
    if not isinstance(a, int | float | decimal.Decimal) or not isinstance(b, int | float | decimal.Decimal):
        return False
    x, y = float(a), float(b)
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return x == y or math.isclose(x, y, rel_tol=1e-9, abs_tol=0.0)


def rows_equal(a: Sequence[Sequence[Any]], b: Sequence[Sequence[Any]]) -> bool:
    """Same rows in the same order, each with equal values (see values_equal)."""
    return len(a) == len(b) and all(len(x) == len(y) and all(values_equal(u, v) for u, v in zip(x, y, strict=True))
                                    for x, y in zip(a, b, strict=True))


def _sort_key(value: Any) -> Any:
    if value is None:
        return (0, "")
    if isinstance(value, float):
        return (1, f"{value:.9g}")
    if isinstance(value, bool | int | decimal.Decimal):
        return (1, f"{float(value):.9g}")
    if isinstance(value, dt.datetime):
        return (2, value.isoformat())
    if isinstance(value, list | tuple):
        return (3, tuple(_sort_key(v) for v in value))
    if isinstance(value, dict):
        return (4, tuple((k, _sort_key(v)) for k, v in value.items()))
    return (5, str(value))


def first_difference(bigquery: Sequence[Row], duckdb: Sequence[Row]) -> tuple[Row | None, Row | None] | None:
    """None when the two row multisets are equal; else the first pair of rows that differ (or lack a twin)."""
    left = sorted(bigquery, key=lambda r: tuple(_sort_key(v) for v in r))
    right = sorted(duckdb, key=lambda r: tuple(_sort_key(v) for v in r))
    for a, b in zip(left, right, strict=False):
        if not rows_equal([a], [b]):
            return a, b
    if len(left) != len(right):
        longer = left if len(left) > len(right) else right
        extra = longer[min(len(left), len(right))]
        return (extra, None) if longer is left else (None, extra)
    return None
