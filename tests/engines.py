"""One BigQuery statement on both engines: ZetaSQL (BigQuery's reference semantics) and DuckDB via the transpiler.

Each answer is (types, rows): BigQuery type names per column ('INT64', 'ARRAY<STRING>', ...) and the rows as
lists of the Python values DuckDB returns. Types and values compare by the differential check's own rules
(tools/sqlcheck/compare.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.warehouse.duckdb_backend import DuckDBWarehouse
from tools.sqlcheck.compare import duckdb_type, rows_equal
from tools.sqlcheck.types import answer, table_content
from tools.sqlcheck.zetasql import ZetaSQL, pb

Answer = tuple[list[str], list[list[Any]]]

__all__ = ["Answer", "bigquery_answer", "describe", "duckdb_answer", "rows_equal", "table_content"]


def empty_catalog(server: ZetaSQL) -> Any:
    """A catalog with BigQuery's functions and no tables, for self-contained statements."""
    return pb("zetasql.proto.simple_catalog_pb2").SimpleCatalogProto(name="c",
                                                                    builtin_function_options=server.builtins())


def bigquery_answer(server: ZetaSQL, sql: str, catalog: Any = None,
                    contents: Mapping[str, Any] | None = None) -> Answer:
    """The statement evaluated by ZetaSQL with BigQuery's semantics (UTC), on the given catalog and table contents
    (by default no tables)."""
    response = server.evaluate(sql, catalog if catalog is not None else empty_catalog(server), dict(contents or {}))
    columns, rows = answer(response)
    return [kind for _, kind in columns], [list(row) for row in rows]


def duckdb_answer(sql: str, warehouse: DuckDBWarehouse | None = None) -> Answer:
    """The statement run by the DuckDB backend (transpiled), on a fresh in-memory database unless one is given."""
    own = warehouse is None
    target = warehouse if warehouse is not None else DuckDBWarehouse(":memory:")
    try:
        cursor = target._run(sql, None)
        types = [duckdb_type(str(column[1])) for column in cursor.description or []]
        return types, [list(row) for row in cursor.fetchall()]
    finally:
        if own:
            target.close()


def describe(answer: Answer) -> str:
    """An answer on one line, for assertion messages."""
    types, rows = answer
    return f"{types} {rows!r}"
