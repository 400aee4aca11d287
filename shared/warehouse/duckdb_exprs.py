"""Small builders of DuckDB expressions for the rewrites, and the templates they fill."""

from __future__ import annotations

import functools

import sqlglot
from sqlglot import exp

NUMERIC = "DECIMAL(38, 9)"


NONZERO = "CASE WHEN _d <> 0 THEN _q END"


@functools.cache
def _template(sql: str) -> exp.Expr:
    return sqlglot.parse_one(sql, read="duckdb")


def fill(template: str, **values: exp.Expr) -> exp.Expr:
    """A DuckDB expression template with its `_name` columns replaced by (copies of) the given expressions."""
    tree = _template(template).copy()
    for column in list(tree.find_all(exp.Column)):
        if column.name in values and not column.table:
            column.replace(values[column.name].copy())
    return tree


def cast_target(node: exp.Expr) -> exp.DataType:
    """The type a CAST or SAFE_CAST converts to."""
    target: exp.DataType = node.args["to"]
    return target


def cast_to(node: exp.Expr, to: str) -> exp.Cast:
    return exp.Cast(this=node, to=exp.DataType.build(to, dialect="duckdb"))


def try_cast_to(node: exp.Expr, to: str) -> exp.TryCast:
    """A cast that gives NULL instead of failing: for the branches of a CASE on TYPEOF, which DuckDB may
    evaluate (fold a parameter's value) even when another branch is taken."""
    return exp.TryCast(this=node, to=exp.DataType.build(to, dialect="duckdb"))


def string_literal(value: str) -> exp.Literal:
    return exp.Literal.string(value)


def number_literal(value: int | str) -> exp.Expr:
    return exp.Literal.number(value)


def part_name(node: exp.Expr | None) -> str:
    """A date part as BigQuery spells it: DAY, ISOWEEK, WEEK(MONDAY)."""
    if isinstance(node, exp.WeekStart):
        return f"WEEK({node.name.upper()})"
    return node.name.upper() if node is not None else ""
