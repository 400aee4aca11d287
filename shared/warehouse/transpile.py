"""BigQuery SQL → DuckDB SQL, through sqlglot, cached by statement text."""

from __future__ import annotations

import functools
import logging

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

logging.getLogger("sqlglot").setLevel(logging.ERROR)


def _widen_numeric(node: exp.Expression) -> exp.Expression:
    """BigQuery NUMERIC is DECIMAL(38, 9); DuckDB's bare DECIMAL would be (18, 3)."""
    if isinstance(node, exp.DataType) and node.this in (exp.DataType.Type.DECIMAL,
                                                         exp.DataType.Type.BIGDECIMAL) \
            and not node.expressions:
        return exp.DataType.build("DECIMAL(38, 9)", dialect="duckdb")
    return node


@functools.lru_cache(maxsize=2048)
def to_duckdb(sql: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each statement of `sql` in DuckDB dialect, with the names of the parameters it uses."""
    statements = []
    for tree in sqlglot.parse(sql, read="bigquery"):
        if tree is None:
            continue
        tree = tree.transform(_widen_numeric)
        names = tuple(dict.fromkeys(p.name for p in tree.find_all(exp.Placeholder) if p.name))
        names += tuple(dict.fromkeys(p.name for p in tree.find_all(exp.Parameter) if p.name))
        text = tree.sql(dialect="duckdb", unsupported_level=ErrorLevel.IGNORE)
        statements.append((text, names))
    return tuple(statements)
