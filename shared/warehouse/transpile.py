"""BigQuery SQL → DuckDB SQL, through sqlglot, cached by statement text.

sqlglot translates the syntax; the rewrites (rewrites_numbers, rewrites_time_text) make DuckDB compute BigQuery's
answer where the engines' rules differ (tests/unit/test_transpile_rewrites.py shows each one on both engines). A
rewrite that depends on an operand's type reads the BigQuery type bigquery_types infers. Where a type stays
unknown (a table this project does not declare), a rewrite either emits an expression that branches on DuckDB's
run-time `typeof`, or, where the result type itself would have to change, keeps DuckDB's behaviour.
rewrites_catalog maps BigQuery's INFORMATION_SCHEMA views onto DuckDB's catalog; rewrites_vectors turns a dot product
written as a subquery over an array into DuckDB's list_dot_product (applied first, on the statement as written).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

from shared.warehouse.bigquery_types import annotate
from shared.warehouse.rewrites_catalog import information_schema
from shared.warehouse.rewrites_numbers import (
    aggregate_type,
    canonical_cast,
    concat_text,
    float_literal,
    float_to_int,
    float_to_numeric,
    ieee_divide,
    numeric_arithmetic,
    round_value,
    string_cast,
    widen_numeric,
)
from shared.warehouse.rewrites_time_text import (
    byte_length,
    date_arithmetic,
    date_trunc,
    extract_part,
    strip_marks,
    substr_start,
    timestamp_diff,
    trim_whitespace,
    unnest_offset,
)
from shared.warehouse.rewrites_vectors import dot_product

logging.getLogger("sqlglot").setLevel(logging.ERROR)

Rule = Callable[[exp.Expr], exp.Expr]


_RULES: dict[type[exp.Expr], tuple[Rule, ...]] = {
    exp.DataType: (widen_numeric,),
    exp.Literal: (float_literal,),
    exp.Mul: (numeric_arithmetic,),
    exp.Div: (numeric_arithmetic,),
    exp.SafeDivide: (numeric_arithmetic,),
    exp.Anonymous: (ieee_divide,),
    exp.Round: (round_value,),
    exp.Sum: (aggregate_type,),
    exp.Avg: (aggregate_type,),
    exp.CountIf: (aggregate_type,),
    exp.Window: (aggregate_type,),
    exp.TimestampDiff: (timestamp_diff,),
    exp.DateDiff: (timestamp_diff,),
    exp.Extract: (extract_part,),
    exp.DateTrunc: (date_trunc,),
    exp.DateAdd: (date_arithmetic,),
    exp.DateSub: (date_arithmetic,),
    exp.ByteLength: (byte_length,),
    exp.Trim: (trim_whitespace,),
    exp.TryCast: (canonical_cast, string_cast, float_to_int, float_to_numeric),
    exp.Cast: (string_cast, float_to_int, float_to_numeric),
    exp.Concat: (concat_text,),
    exp.DPipe: (concat_text,),
    exp.Substring: (substr_start,),
    exp.RegexpReplace: (strip_marks,),
    exp.Unnest: (unnest_offset,),
    exp.Table: (information_schema,),
}


def _reparent(tree: exp.Expr) -> None:
    """Point every node at the node that holds it. The parser's own typing of STRUCT literals adopts the DataType
    of a CAST inside into the struct's type, leaving the cast's `to` with a parent outside the tree."""
    for node in list(tree.dfs()):
        for key, value in node.args.items():
            children = value if isinstance(value, list) else [value]
            for index, child in enumerate(children):
                if isinstance(child, exp.Expr):
                    child.parent, child.arg_key = node, key
                    child.index = index if isinstance(value, list) else None


def _rewrite(tree: exp.Expr) -> exp.Expr:
    """Apply the rules bottom-up (children first), so each rule sees its operands already rewritten and typed."""
    tree = tree.transform(dot_product)
    _reparent(tree)
    annotate(tree)
    root = tree
    for node in reversed(list(tree.dfs())):
        rules = _RULES.get(type(node), ())
        if not rules:
            continue
        parent, arg_key, index = node.parent, node.arg_key, node.index
        new = node
        for rule in rules:
            new = rule(node)
            if new is not node:
                break
        if new is node:
            continue
        if parent is None or arg_key is None:
            root = new
        else:
            parent.set(arg_key, new, index)
    return root


@functools.lru_cache(maxsize=2048)
def to_duckdb(sql: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each statement of `sql` in DuckDB dialect, with the names of the parameters it uses."""
    statements = []
    for tree in sqlglot.parse(sql, read="bigquery"):
        if tree is None:
            continue
        tree = _rewrite(tree)
        names = tuple(dict.fromkeys(p.name for p in tree.find_all(exp.Placeholder) if p.name))
        names += tuple(dict.fromkeys(p.name for p in tree.find_all(exp.Parameter) if p.name))
        text = tree.sql(dialect="duckdb", unsupported_level=ErrorLevel.IGNORE)
        statements.append((text, names))
    return tuple(statements)
