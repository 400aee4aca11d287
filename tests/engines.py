"""One BigQuery statement on both engines: ZetaSQL (BigQuery's reference semantics) and DuckDB via the transpiler.

Each answer is (types, rows): BigQuery type names per column ('INT64', 'ARRAY<STRING>', ...) and the rows as
lists of the Python values DuckDB returns. DuckDB types are translated to the BigQuery names they stand for;
one with no BigQuery counterpart (HUGEINT, DECIMAL(18,3), TIMESTAMP without time zone) keeps its DuckDB name
behind `duckdb:`, so it never equals a BigQuery type.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Mapping, Sequence
from typing import Any

from shared.warehouse.duckdb_backend import DuckDBWarehouse
from tools.sqlcheck.types import from_value, to_value, type_name
from tools.sqlcheck.zetasql import ZetaSQL, pb

Answer = tuple[list[str], list[list[Any]]]

REL_TOLERANCE = 1e-9
_SCALARS = {"BIGINT": "INT64", "INTEGER": "INT64", "DOUBLE": "FLOAT64", "DECIMAL(38,9)": "NUMERIC",
            "VARCHAR": "STRING", "DATE": "DATE", "TIMESTAMP WITH TIME ZONE": "TIMESTAMP", "BOOLEAN": "BOOL",
            "BLOB": "BYTES"}


def empty_catalog(server: ZetaSQL) -> Any:
    """A catalog with BigQuery's functions and no tables, for self-contained statements."""
    return pb("zetasql.proto.simple_catalog_pb2").SimpleCatalogProto(name="c",
                                                                    builtin_function_options=server.builtins())


def table_content(columns: Sequence[tuple[str, Any]], rows: Sequence[Mapping[str, Any]]) -> Any:
    """A table's rows (dicts by column name) as ZetaSQL table content, typed by the catalog's (name, TypeProto)."""
    service = pb("local_service_pb2")
    return service.TableContent(table_data=service.TableData(row=[
        service.TableData.Row(cell=[to_value(row.get(name), kind) for name, kind in columns]) for row in rows]))


def bigquery_answer(server: ZetaSQL, sql: str, catalog: Any = None,
                    contents: Mapping[str, Any] | None = None) -> Answer:
    """The statement evaluated by ZetaSQL with BigQuery's semantics (UTC), on the given catalog and table contents
    (by default no tables)."""
    response = server.evaluate(sql, catalog if catalog is not None else empty_catalog(server), dict(contents or {}))
    columns = [column.type for column in response.prepared.columns]
    rows = [[from_value(cell, column) for cell, column in zip(row.cell, columns, strict=True)]
            for row in response.content.table_data.row]
    return [type_name(column) for column in columns], rows


def duckdb_answer(sql: str, warehouse: DuckDBWarehouse | None = None) -> Answer:
    """The statement run by the DuckDB backend (transpiled), on a fresh in-memory database unless one is given."""
    own = warehouse is None
    target = warehouse if warehouse is not None else DuckDBWarehouse(":memory:")
    try:
        cursor = target._run(sql, None)
        types = [duckdb_type_to_bigquery(str(column[1])) for column in cursor.description or []]
        return types, [list(row) for row in cursor.fetchall()]
    finally:
        if own:
            target.close()


def duckdb_type_to_bigquery(name: str) -> str:
    """BIGINT → INT64, DECIMAL(38,9) → NUMERIC, VARCHAR[] → ARRAY<STRING>, STRUCT(a INTEGER) → STRUCT<a INT64>."""
    if name.endswith("[]"):
        return f"ARRAY<{duckdb_type_to_bigquery(name[:-2])}>"
    if name.startswith("STRUCT(") and name.endswith(")"):
        fields = [field.split(" ", 1) for field in _top_level_fields(name[7:-1])]
        return "STRUCT<" + ", ".join(f"{field.strip(chr(34))} {duckdb_type_to_bigquery(kind)}"
                                     for field, kind in fields) + ">"
    return _SCALARS.get(name, f"duckdb:{name}")


def _top_level_fields(body: str) -> list[str]:
    fields, depth, start = [], 0, 0
    for index, char in enumerate(body):
        depth += char in "(<"
        depth -= char in ")>"
        if char == "," and depth == 0:
            fields.append(body[start:index].strip())
            start = index + 1
    fields.append(body[start:].strip())
    return fields


def values_equal(a: Any, b: Any) -> bool:
    """Equal as BigQuery values: floats within 1e-9 relative (NaN equals NaN), Decimals exactly, timestamps as
    instants, arrays and structs element by element; a bool never equals a number."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, float) or isinstance(b, float):
        return _floats_equal(a, b)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return rows_equal([list(a)], [list(b)])
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(values_equal(a[key], b[key]) for key in a)
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        return a.tzinfo is not None and b.tzinfo is not None and a == b
    if isinstance(a, decimal.Decimal | int) and isinstance(b, decimal.Decimal | int):
        return decimal.Decimal(a) == decimal.Decimal(b)
    return type(a) is type(b) and a == b


def _floats_equal(a: Any, b: Any) -> bool:
    if not isinstance(a, int | float | decimal.Decimal) or not isinstance(b, int | float | decimal.Decimal):
        return False
    x, y = float(a), float(b)
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return x == y or math.isclose(x, y, rel_tol=REL_TOLERANCE, abs_tol=0.0)


def rows_equal(a: Sequence[Sequence[Any]], b: Sequence[Sequence[Any]]) -> bool:
    """Same number of rows, in the same order, each with equal values (see values_equal)."""
    return len(a) == len(b) and all(
        len(x) == len(y) and all(values_equal(u, v) for u, v in zip(x, y, strict=True)) for x, y in zip(a, b,
                                                                                                        strict=True))


def describe(answer: Answer) -> str:
    """An answer on one line, for assertion messages."""
    types, rows = answer
    return f"{types} {rows!r}"
