"""Vector arithmetic: BigQuery SQL spells a dot product as a correlated subquery over one array's elements; DuckDB
decorrelates that into a join of every element of every pair (384 rows per pair of embeddings, memory bound on
large tables), while a list lambda computes the same in place. (DuckDB's list_dot_product is faster still, but
fails on a vector holding a NULL list even inside a CASE that never reaches it.)"""

from __future__ import annotations

import sqlglot
from sqlglot import exp


def _position(bracket: exp.Expr, offset: str) -> exp.Expr | None:
    """The array `b` of `b[OFFSET(offset)]`, else None."""
    if not isinstance(bracket, exp.Bracket) or bracket.args.get("safe") or bracket.args.get("offset") != 0:
        return None
    index = bracket.expressions
    if len(index) != 1 or not isinstance(index[0], exp.Column) or index[0].table or index[0].name != offset:
        return None
    return bracket.this


def dot_product(node: exp.Expr) -> exp.Expr:
    """`(SELECT SUM(x * b[OFFSET(i)]) FROM UNNEST(a) AS x WITH OFFSET AS i)` → DuckDB
    `list_sum(list_transform(range(len(a)), lambda i: a[i + 1] * b[i + 1]))`: NULL for an empty or NULL `a`, as
    BigQuery's SUM over no rows. Where `b` is shorter, BigQuery raises and DuckDB skips the missing terms."""
    select = node.this if isinstance(node, exp.Subquery) else None
    if not isinstance(select, exp.Select) or len(select.expressions) != 1 or node.args.get("alias") is not None:
        return node
    if any(select.args.get(k) for k in ("joins", "where", "group", "having", "order", "limit", "qualify")):
        return node
    source = select.args.get("from_") or select.args.get("from")
    unnest = source.this if isinstance(source, exp.From) else None
    if not isinstance(unnest, exp.Unnest) or len(unnest.expressions) != 1:
        return node
    alias, offset = unnest.args.get("alias"), unnest.args.get("offset")
    if not isinstance(offset, exp.Identifier) or alias is None or len(alias.columns) != 1:
        return node
    total = select.expressions[0]
    product = total.this if isinstance(total, exp.Sum) else None
    if not isinstance(product, exp.Mul):
        return node
    element, name = alias.columns[0].name, offset.name
    for left, right in ((product.this, product.expression), (product.expression, product.this)):
        other = _position(right, name)
        if isinstance(left, exp.Column) and not left.table and left.name == element and other is not None:
            first = unnest.expressions[0]
            values = {"_a": first, "_b": other}
            template = sqlglot.parse_one(
                "list_sum(list_transform(range(len(_a)), lambda _i: _a[_i + 1] * _b[_i + 1]))", read="duckdb")
            return template.transform(lambda n, values=values: _substitute(n, values))
    return node


def _substitute(node: exp.Expr, values: dict[str, exp.Expr]) -> exp.Expr:
    if isinstance(node, exp.Column) and not node.table and node.name in values:
        return values[node.name].copy()
    return node
