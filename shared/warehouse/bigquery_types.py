"""The BigQuery type of each expression of a statement, for the rewrites that depend on an operand's type.

sqlglot's annotation infers types on a qualified copy of the statement: from literals, casts and functions, and
from columns of the project's tables (sql/tables) and views (sql/views) and of the statement's own CTEs and
subqueries. A rewrite records the type of the expression it builds (`typed`), so the rules above it see it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from shared import sqlfiles

_TYPE_KEY = "bigquery_type"


_DTYPE_NAMES: dict[exp.DType, str] = {
    **dict.fromkeys(exp.DataType.INTEGER_TYPES, "INT64"),
    exp.DType.DOUBLE: "FLOAT64", exp.DType.FLOAT: "FLOAT64", exp.DType.DECIMAL: "NUMERIC",
    exp.DType.BIGDECIMAL: "BIGNUMERIC", exp.DType.VARCHAR: "STRING", exp.DType.TEXT: "STRING",
    exp.DType.DATE: "DATE", exp.DType.TIMESTAMPTZ: "TIMESTAMP", exp.DType.TIMESTAMP: "DATETIME",
    exp.DType.DATETIME: "DATETIME", exp.DType.BOOLEAN: "BOOL", exp.DType.BINARY: "BYTES",
    exp.DType.VARBINARY: "BYTES", exp.DType.ARRAY: "ARRAY", exp.DType.STRUCT: "STRUCT", exp.DType.JSON: "JSON",
}


def annotate(tree: exp.Expr) -> None:
    """Give every node the type sqlglot infers for it: on a qualified copy when the statement qualifies (so
    columns of CTEs and subqueries resolve), carried back to the original nodes through their meta."""
    nodes = list(tree.walk())
    for index, node in enumerate(nodes):
        node.meta["_node"] = index
    annotated = _annotated_copy(tree)
    for node in annotated.walk():
        index = node.meta_get("_node")
        if index is not None and node.type is not None:
            nodes[index].type = node.type
    for node in nodes:
        node.meta.pop("_node", None)


def _annotated_copy(tree: exp.Expr) -> exp.Expr:
    """Typed against the project's schema; failing that (a table it does not declare), on its own; failing that
    too, without qualifying (so only what the statement spells out is typed)."""
    for schema in (_project_schema(), None):
        try:
            return _qualified_types(tree.copy(), schema)
        except Exception:  # noqa: S112 - a statement sqlglot cannot qualify is typed less precisely
            continue
    return annotate_types(tree.copy(), dialect="bigquery")


def _qualified_types(tree: exp.Expr, schema: MappingSchema | None) -> exp.Expr:
    qualified = qualify(tree, dialect="bigquery", schema=schema, validate_qualify_columns=False,
                        quote_identifiers=False, identify=False)
    return annotate_types(qualified, dialect="bigquery", schema=schema)


@functools.cache
def _project_schema() -> MappingSchema:
    """Column types of the tables sql/tables creates, then of the views sql/views defines (in as many passes as
    views reading views need)."""
    columns: dict[str, dict[str, str]] = {}
    for spec in sqlfiles.table_files().values():
        columns.update(_table_columns(spec.ddl))
    pending = [path.read_text() for path in sqlfiles.view_files()]
    while pending:
        left = [ddl for ddl in pending if not _add_view_columns(ddl, columns, complete=True)]
        if len(left) == len(pending):
            break
        pending = left
    for ddl in pending:
        _add_view_columns(ddl, columns, complete=False)
    return _schema(columns)


def _schema(columns: dict[str, dict[str, str]]) -> MappingSchema:
    tables: dict[str, object] = dict(columns)
    return MappingSchema(tables, dialect="bigquery")


def _table_columns(ddl: str) -> dict[str, dict[str, str]]:
    tables: dict[str, dict[str, str]] = {}
    for statement in sqlglot.parse(ddl, read="bigquery"):
        schema = statement.this if isinstance(statement, exp.Create) else None
        if isinstance(schema, exp.Schema) and isinstance(schema.this, exp.Table):
            tables[schema.this.name] = {column.name: column.args["kind"].sql("bigquery")
                                        for column in schema.expressions
                                        if isinstance(column, exp.ColumnDef) and column.args.get("kind")}
    return tables


def _add_view_columns(ddl: str, columns: dict[str, dict[str, str]], complete: bool) -> bool:
    """Add a view's output columns and their types; False when its query does not resolve yet, or (`complete`)
    when a column's type is still unknown because it reads a view not typed yet."""
    statement = sqlglot.parse_one(ddl, read="bigquery")
    query = statement.expression if isinstance(statement, exp.Create) else None
    if not isinstance(query, exp.Query):
        return True
    try:
        resolved = _qualified_types(query.copy(), _schema(columns))
    except Exception:  # a view that reads a view not typed yet
        return False
    if not isinstance(resolved, exp.Query):
        return False
    types = {select.alias_or_name: select.type or exp.DataType.build("UNKNOWN") for select in resolved.selects}
    if complete and any(kind.is_type(exp.DType.UNKNOWN) for kind in types.values()):
        return False
    columns[statement.this.name] = {name: kind.sql("bigquery") for name, kind in types.items()}
    return True


def typed(node: exp.Expr, bigquery_type: str | None) -> exp.Expr:
    if bigquery_type:
        node.meta[_TYPE_KEY] = bigquery_type
    return node


def type_of(node: exp.Expr | None) -> str | None:
    """The BigQuery type of an expression ('INT64', 'NUMERIC', ...), or None when it cannot be told."""
    if node is None:
        return None
    known = node.meta_get(_TYPE_KEY)
    if known:
        return str(known)
    if isinstance(node, exp.Literal) and node.is_number:
        return "INT64" if node.is_int else "FLOAT64"
    if isinstance(node, exp.Paren | exp.Neg | exp.Window):
        return type_of(node.this)
    if isinstance(node, exp.Add | exp.Sub | exp.Mul | exp.Div | exp.SafeDivide):
        return _arithmetic_type(node)
    if isinstance(node, exp.Sum | exp.Avg | exp.Round):
        return _numeric_function_type(node)
    return _DTYPE_NAMES.get(node.type.this) if node.type is not None else None


def is_float_literal(node: exp.Expr) -> bool:
    while isinstance(node, exp.Paren | exp.Neg):
        node = node.this
    return isinstance(node, exp.Literal) and node.is_number and not node.is_int


def _arithmetic_type(node: exp.Expr) -> str | None:
    """BigQuery's result type: FLOAT64 with any FLOAT64 operand, except that a FLOAT64 literal next to a NUMERIC
    coerces to NUMERIC; NUMERIC with INT64 or NUMERIC; INT64 for INT64 operands, FLOAT64 when dividing them."""
    left, right = node.this, node.expression
    types = {type_of(left), type_of(right)}
    if "NUMERIC" in types and (is_float_literal(left) or is_float_literal(right)):
        return "NUMERIC"
    if "FLOAT64" in types:
        return "FLOAT64"
    if types == {"INT64"}:
        return "FLOAT64" if isinstance(node, exp.Div | exp.SafeDivide) else "INT64"
    if types <= {"INT64", "NUMERIC"}:
        return "NUMERIC"
    return None


def _numeric_function_type(node: exp.Expr) -> str | None:
    """SUM keeps its argument's type; AVG and ROUND give FLOAT64 for INT64 (and FLOAT64), NUMERIC for NUMERIC."""
    argument = type_of(node.this)
    if argument not in ("INT64", "FLOAT64", "NUMERIC"):
        return None
    if isinstance(node, exp.Sum) or argument == "NUMERIC":
        return argument
    return "FLOAT64"


def peers(node: exp.Expr) -> Iterator[exp.Expr]:
    """The operands that share an operator or a supertype with `node` (BigQuery coerces a literal to them)."""
    child = node
    parent = node.parent
    while isinstance(parent, exp.Paren | exp.Neg):
        child, parent = parent, parent.parent
    if isinstance(parent, exp.If) and isinstance(parent.parent, exp.Case):
        case = parent.parent
        yield from (branch.args["true"] for branch in case.args.get("ifs", []) if branch.args.get("true") is not child)
        if case.args.get("default") is not None:
            yield case.args["default"]
        return
    if isinstance(parent, exp.Binary) and not isinstance(parent, exp.Connector | exp.DPipe):
        yield parent.expression if parent.this is child else parent.this
    elif isinstance(parent, exp.Coalesce | exp.Greatest | exp.Least | exp.In | exp.Between | exp.If):
        yield from (value for value in parent.iter_expressions() if value is not child)
