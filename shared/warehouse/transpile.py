"""BigQuery SQL → DuckDB SQL, through sqlglot, cached by statement text.

sqlglot translates the syntax; the rewrites here make DuckDB compute BigQuery's answer where the engines' rules
differ (tests/unit/test_transpile_rewrites.py shows each one on both engines). A rewrite that depends on an
operand's type uses the BigQuery type sqlglot's annotation infers on a qualified copy of the statement: from
literals, casts and functions, and from columns of the project's tables (sql/tables) and views (sql/views) and of
the statement's own CTEs and subqueries. Where a type stays unknown (a table this project does not declare), a
rewrite either emits an expression that branches on DuckDB's run-time `typeof`, or, where the result type itself
would have to change, keeps DuckDB's behaviour.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from shared import sqlfiles

logging.getLogger("sqlglot").setLevel(logging.ERROR)

Rule = Callable[[exp.Expr], exp.Expr]

_TYPE_KEY = "bigquery_type"
_NUMERIC = "DECIMAL(38, 9)"
_MICROS = {"MICROSECOND": 1, "MILLISECOND": 1_000, "SECOND": 1_000_000, "MINUTE": 60_000_000,
           "HOUR": 3_600_000_000, "DAY": 86_400_000_000}
_WEEKDAYS = ("SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY")
# Unicode White_Space, which BigQuery's TRIM removes; DuckDB's removes only the space separators.
_WHITESPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
              "\u2028\u2029\u202f\u205f\u3000"
_DATE_PATTERN = r"\d{4}-\d{1,2}-\d{1,2}"
_TIMESTAMP_PATTERN = (_DATE_PATTERN + r"([Tt ]\d{1,2}:\d{1,2}:\d{1,2}(\.\d{1,9})?)?"
                      r"([Zz]|[+-]\d{1,2}(:?\d{2})?| UTC| [A-Za-z]+(/[A-Za-z_+-]+)*)?")
_CANONICAL = {exp.DType.DATE: ("DATE", _DATE_PATTERN, "DATE"),
              exp.DType.TIMESTAMPTZ: ("TIMESTAMPTZ", _TIMESTAMP_PATTERN, "TIMESTAMP"),
              exp.DType.BIGINT: ("BIGINT", r"\s*[+-]?(\d+|0[xX][0-9a-fA-F]+)\s*", "INT64"),
              exp.DType.BOOLEAN: ("BOOLEAN", "(?i)true|false", "BOOL")}
_DTYPE_NAMES: dict[exp.DType, str] = {
    **dict.fromkeys(exp.DataType.INTEGER_TYPES, "INT64"),
    exp.DType.DOUBLE: "FLOAT64", exp.DType.FLOAT: "FLOAT64", exp.DType.DECIMAL: "NUMERIC",
    exp.DType.BIGDECIMAL: "BIGNUMERIC", exp.DType.VARCHAR: "STRING", exp.DType.TEXT: "STRING",
    exp.DType.DATE: "DATE", exp.DType.TIMESTAMPTZ: "TIMESTAMP", exp.DType.TIMESTAMP: "DATETIME",
    exp.DType.DATETIME: "DATETIME", exp.DType.BOOLEAN: "BOOL", exp.DType.BINARY: "BYTES",
    exp.DType.VARBINARY: "BYTES", exp.DType.ARRAY: "ARRAY", exp.DType.STRUCT: "STRUCT", exp.DType.JSON: "JSON",
}

# DuckDB expression templates: a column named `_x` is a placeholder that _fill replaces.
_FLOAT_TEXT = ("CASE WHEN _v = 0 THEN '0' WHEN CAST(PRINTF('%.15g', _v) AS DOUBLE) = _v THEN PRINTF('%.15g', _v) "
               "ELSE PRINTF('%.17g', _v) END")
_NUMERIC_TEXT = "RTRIM(RTRIM(CAST(_v AS VARCHAR), '0'), '.')"
_DECIMAL_TEXT = "CASE WHEN CAST(_v AS VARCHAR) LIKE '%.%' THEN RTRIM(RTRIM(CAST(_v AS VARCHAR), '0'), '.') " \
                "ELSE CAST(_v AS VARCHAR) END"
_TIMESTAMP_TEXT = (
    "STRFTIME(_v, '%Y-%m-%d %H:%M:%S') || CASE WHEN STRFTIME(_v, '%f') = '000000' THEN '' "
    "WHEN STRFTIME(_v, '%f') LIKE '%000' THEN '.' || LEFT(STRFTIME(_v, '%f'), 3) ELSE '.' || STRFTIME(_v, '%f') END "
    "|| '+00'")
_ANY_TEXT = ("CASE TYPEOF(_v) WHEN 'DOUBLE' THEN _float WHEN 'TIMESTAMP WITH TIME ZONE' THEN _timestamp "
             "ELSE CASE WHEN TYPEOF(_v) LIKE 'DECIMAL%' THEN _decimal ELSE CAST(_v AS VARCHAR) END END")
_FLOAT_ROUND = ("CASE WHEN ABS(_v) < 1e{limit} THEN CAST(ROUND(CAST(PRINTF('%.{scale}f', _v) AS DECIMAL(38, {scale})), "
                "{places}) AS DOUBLE) ELSE _v END")
_WEEK_NUMBER = "(DAYOFYEAR(_v) - (DAYOFWEEK(_v) + 7 - _start) % 7 + 6) // 7"
_ELAPSED = "(EPOCH_US(_a) - EPOCH_US(_b)) // _per"
_CANONICAL_CAST = "CASE WHEN REGEXP_FULL_MATCH(_v, _pattern) THEN TRY_CAST(_text AS {type}) END"
_CANONICAL_CAST_ANY = ("CASE WHEN TYPEOF(_v) <> 'VARCHAR' THEN _other "
                       "WHEN REGEXP_FULL_MATCH(CAST(_v AS VARCHAR), _pattern) THEN TRY_CAST(_text AS {type}) END")
_FLOAT_TO_NUMERIC = "{cast}(PRINTF('%.9f', _v) AS DECIMAL(38, 9))"
_FLOAT_TO_NUMERIC_ANY = "CASE WHEN TYPEOF(_v) = 'DOUBLE' THEN _exact ELSE {cast}(_v AS DECIMAL(38, 9)) END"
_TIMESTAMP_SPELLING = r"REGEXP_REPLACE(REGEXP_REPLACE(_v, '^(\d{4}-\d{1,2}-\d{1,2})t', '\1T'), '(\d)z$', '\1Z')"
_FLOAT_TO_INT_ANY = ("CASE WHEN TYPEOF(_v) = 'DOUBLE' THEN {cast}(ROUND(CAST(CAST(_v AS VARCHAR) AS DOUBLE)) "
                     "AS BIGINT) ELSE {cast}(_v AS BIGINT) END")
_NUMERIC_QUOTIENT = ("CAST((2 * ABS(_n) + ABS(_d)) // (2 * ABS(_d)) * SIGN(_n) * SIGN(_d) AS DECIMAL(38, 0)) "
                     "* CAST('0.000000001' AS DECIMAL(38, 9))")
_SCALED_DIVIDEND = "CAST(CAST(_v AS DECIMAL(38, 9)) * 1000000000 AS HUGEINT) * 1000000000"
_SCALED_DIVISOR = "CAST(CAST(_v AS DECIMAL(38, 9)) * 1000000000 AS HUGEINT)"
_NONZERO = "CASE WHEN _d <> 0 THEN _q END"
_SUBSTR_START = "CASE WHEN _p = 0 OR _p < -LENGTH(_s) THEN 1 ELSE _p END"


# ---------------------------------------------------------------------------------------------------------------
# BigQuery types of expressions


def _annotate(tree: exp.Expr) -> None:
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
        typed = _qualified_types(query.copy(), _schema(columns))
    except Exception:  # a view that reads a view not typed yet
        return False
    if not isinstance(typed, exp.Query):
        return False
    types = {select.alias_or_name: select.type or exp.DataType.build("UNKNOWN") for select in typed.selects}
    if complete and any(kind.is_type(exp.DType.UNKNOWN) for kind in types.values()):
        return False
    columns[statement.this.name] = {name: kind.sql("bigquery") for name, kind in types.items()}
    return True


def _typed(node: exp.Expr, bigquery_type: str | None) -> exp.Expr:
    if bigquery_type:
        node.meta[_TYPE_KEY] = bigquery_type
    return node


def _type_of(node: exp.Expr | None) -> str | None:
    """The BigQuery type of an expression ('INT64', 'NUMERIC', ...), or None when it cannot be told."""
    if node is None:
        return None
    known = node.meta_get(_TYPE_KEY)
    if known:
        return str(known)
    if isinstance(node, exp.Literal) and node.is_number:
        return "INT64" if node.is_int else "FLOAT64"
    if isinstance(node, exp.Paren | exp.Neg | exp.Window):
        return _type_of(node.this)
    if isinstance(node, exp.Add | exp.Sub | exp.Mul | exp.Div | exp.SafeDivide):
        return _arithmetic_type(node)
    if isinstance(node, exp.Sum | exp.Avg | exp.Round):
        return _numeric_function_type(node)
    return _DTYPE_NAMES.get(node.type.this) if node.type is not None else None


def _is_float_literal(node: exp.Expr) -> bool:
    while isinstance(node, exp.Paren | exp.Neg):
        node = node.this
    return isinstance(node, exp.Literal) and node.is_number and not node.is_int


def _arithmetic_type(node: exp.Expr) -> str | None:
    """BigQuery's result type: FLOAT64 with any FLOAT64 operand, except that a FLOAT64 literal next to a NUMERIC
    coerces to NUMERIC; NUMERIC with INT64 or NUMERIC; INT64 for INT64 operands, FLOAT64 when dividing them."""
    left, right = node.this, node.expression
    types = {_type_of(left), _type_of(right)}
    if "NUMERIC" in types and (_is_float_literal(left) or _is_float_literal(right)):
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
    argument = _type_of(node.this)
    if argument not in ("INT64", "FLOAT64", "NUMERIC"):
        return None
    if isinstance(node, exp.Sum) or argument == "NUMERIC":
        return argument
    return "FLOAT64"


def _peers(node: exp.Expr) -> Iterator[exp.Expr]:
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


# ---------------------------------------------------------------------------------------------------------------
# Building DuckDB expressions


@functools.cache
def _template(sql: str) -> exp.Expr:
    return sqlglot.parse_one(sql, read="duckdb")


def _fill(template: str, **values: exp.Expr) -> exp.Expr:
    """A DuckDB expression template with its `_name` columns replaced by (copies of) the given expressions."""
    tree = _template(template).copy()
    for column in list(tree.find_all(exp.Column)):
        if column.name in values and not column.table:
            column.replace(values[column.name].copy())
    return tree


def _target(node: exp.Expr) -> exp.DataType:
    """The type a CAST or SAFE_CAST converts to."""
    target: exp.DataType = node.args["to"]
    return target


def _cast(node: exp.Expr, to: str) -> exp.Cast:
    return exp.Cast(this=node, to=exp.DataType.build(to, dialect="duckdb"))


def _text(value: str) -> exp.Literal:
    return exp.Literal.string(value)


def _number(value: int | str) -> exp.Expr:
    return exp.Literal.number(value)


def _name(node: exp.Expr | None) -> str:
    """A date part as BigQuery spells it: DAY, ISOWEEK, WEEK(MONDAY)."""
    if isinstance(node, exp.WeekStart):
        return f"WEEK({node.name.upper()})"
    return node.name.upper() if node is not None else ""


# ---------------------------------------------------------------------------------------------------------------
# Rewrites, one per BigQuery rule


def _widen_numeric(node: exp.Expr) -> exp.Expr:
    """BigQuery NUMERIC is DECIMAL(38, 9); DuckDB's bare DECIMAL would be (18, 3)."""
    if isinstance(node, exp.DataType) and node.this in (exp.DType.DECIMAL, exp.DType.BIGDECIMAL) \
            and not node.expressions:
        return exp.DataType.build(_NUMERIC, dialect="duckdb")
    return node


def _float_literal(node: exp.Expr) -> exp.Expr:
    """A literal like 2.675 is FLOAT64 in BigQuery (DuckDB reads DECIMAL); beside a NUMERIC operand BigQuery
    coerces it to NUMERIC, so there it stays a decimal."""
    if not _is_float_literal(node) or any(_type_of(peer) == "NUMERIC" for peer in _peers(node)):
        return node
    return _typed(_cast(node, "DOUBLE"), "FLOAT64")


def _numeric_arithmetic(node: exp.Expr) -> exp.Expr:
    """NUMERIC * and / stay NUMERIC in BigQuery, rounded half away from zero to 9 places; DuckDB divides decimals
    as DOUBLE and multiplies them to a wider scale. The quotient is computed exactly (see _numeric_quotient)."""
    if _type_of(node) != "NUMERIC":
        return node
    if isinstance(node, exp.Mul):
        if "INT64" in (_type_of(node.this), _type_of(node.expression)):
            return node
        return _typed(_cast(node, _NUMERIC), "NUMERIC")
    quotient = _numeric_quotient(node.this, node.expression)
    if isinstance(node, exp.SafeDivide):
        quotient = _fill(_NONZERO, _d=node.expression, _q=quotient)
    return _typed(quotient, "NUMERIC")


def _numeric_quotient(dividend: exp.Expr, divisor: exp.Expr) -> exp.Expr:
    """dividend / divisor as NUMERIC, exactly: both scaled to integers of nanos in HUGEINT, divided rounding half
    away from zero. Exact for dividends below about 8·10¹⁹ (beyond, DuckDB reports an overflow)."""
    return _fill(_NUMERIC_QUOTIENT, _n=_fill(_SCALED_DIVIDEND, _v=dividend), _d=_fill(_SCALED_DIVISOR, _v=divisor))


def _ieee_divide(node: exp.Expr) -> exp.Expr:
    """IEEE_DIVIDE(x, y) divides as FLOAT64, giving ±inf and NaN for a zero divisor (as DuckDB's DOUBLE `/` does)."""
    if not (isinstance(node, exp.Anonymous) and node.name.upper() == "IEEE_DIVIDE" and len(node.expressions) == 2):
        return node
    dividend, divisor = node.expressions
    return _typed(exp.Paren(this=exp.Div(this=_cast(dividend, "DOUBLE"), expression=_cast(divisor, "DOUBLE"))),
                  "FLOAT64")


def _round(node: exp.Expr) -> exp.Expr:
    """ROUND(FLOAT64, n) rounds the exact binary value half away from zero (2.675 → 2.67, it is 2.67499…; DuckDB
    scales by 10ⁿ first and gets 2.68); ROUND(NUMERIC, n) stays NUMERIC; ROUND(INT64, n) is FLOAT64."""
    argument = _type_of(node.this)
    if argument == "NUMERIC":
        return _typed(_cast(node, _NUMERIC), "NUMERIC")
    if argument == "INT64":
        node.set("this", _cast(node.this, "DOUBLE"))
        return _typed(node, "FLOAT64")
    digits = node.args.get("decimals")
    if argument != "FLOAT64" or not (isinstance(digits, exp.Literal) and digits.is_int and 0 < int(digits.name) <= 15):
        return node
    places = int(digits.name)
    template = _FLOAT_ROUND.format(limit=18 - places, scale=places + 20, places=places)
    return _typed(_fill(template, _v=node.this), "FLOAT64")


def _aggregate_type(node: exp.Expr) -> exp.Expr:
    """SUM(INT64) and COUNTIF are INT64 (DuckDB: HUGEINT); AVG(NUMERIC) is NUMERIC, SUM / COUNT rounded to 9 places
    (DuckDB: DOUBLE). Over a window the cast goes around the window."""
    if isinstance(node.parent, exp.Window) and node.arg_key == "this":
        return node
    aggregate = node.this if isinstance(node, exp.Window) else node
    if isinstance(aggregate, exp.CountIf) or (isinstance(aggregate, exp.Sum) and _type_of(aggregate) == "INT64"):
        return _typed(_cast(node, "BIGINT"), "INT64")
    if isinstance(aggregate, exp.Avg) and _type_of(aggregate) == "NUMERIC":
        total, count = (_over(kind(this=aggregate.this.copy()), node) for kind in (exp.Sum, exp.Count))
        return _typed(_fill(_NONZERO, _d=count, _q=_numeric_quotient(total, count)), "NUMERIC")
    return node


def _over(aggregate: exp.Expr, like: exp.Expr) -> exp.Expr:
    """`aggregate` over the same window as `like`, when `like` is a window function."""
    if not isinstance(like, exp.Window):
        return aggregate
    window = like.copy()
    window.set("this", aggregate)
    return window


def _timestamp_diff(node: exp.Expr) -> exp.Expr:
    """TIMESTAMP_DIFF counts whole units elapsed (23:59:59 is 0 days), truncating toward zero; DuckDB's DATE_DIFF
    counts unit boundaries crossed. DATE_DIFF on TIMESTAMPs follows TIMESTAMP_DIFF; on DATEs both count boundaries."""
    unit = _name(node.args.get("unit"))
    if unit not in _MICROS:
        return node
    if isinstance(node, exp.DateDiff) and {_type_of(node.this), _type_of(node.expression)} != {"TIMESTAMP"}:
        return node
    end, start = (_as_timestamp(value) for value in (node.this, node.expression))
    return _typed(exp.Paren(this=_fill(_ELAPSED, _a=end, _b=start, _per=_number(_MICROS[unit]))), "INT64")


def _as_timestamp(node: exp.Expr) -> exp.Expr:
    return node if _type_of(node) == "TIMESTAMP" else _cast(node, "TIMESTAMPTZ")


def _extract(node: exp.Expr) -> exp.Expr:
    """EXTRACT(DAYOFWEEK) counts 1 = Sunday (DuckDB 0); WEEK counts weeks starting Sunday (or the named day), days
    before the first one being week 0 (DuckDB's WEEK is ISOWEEK); EXTRACT(DATE FROM ts) is DATE(ts)."""
    part, value = _name(node.this), node.expression
    if part == "DAYOFWEEK":
        return _typed(exp.Paren(this=exp.Add(this=node, expression=_number(1))), "INT64")
    if part == "WEEK" or part.startswith("WEEK("):
        start = _WEEKDAYS.index(part[5:-1]) if part.startswith("WEEK(") else 0
        return _typed(exp.Paren(this=_fill(_WEEK_NUMBER, _v=value, _start=_number(start))), "INT64")
    if part == "ISOWEEK":
        return _typed(exp.Extract(this=exp.var("WEEK"), expression=value), "INT64")
    if part == "DATE":
        return _typed(_cast(value, "DATE"), "DATE")
    return node


def _date_trunc(node: exp.Expr) -> exp.Expr:
    """DATE_TRUNC keeps its argument's type (DATE stays DATE; DuckDB's DATE_TRUNC returns TIMESTAMP); WEEK starts
    on Sunday, WEEK(day) on that day, ISOWEEK on Monday. TIME_BUCKET keeps the type and takes the week's origin;
    ISOYEAR, which no bucket fits, is DuckDB's DATE_TRUNC cast back to DATE unless the argument is a timestamp."""
    unit, value = _name(node.args.get("unit")), node.this
    if unit == "ISOYEAR":
        return node if _type_of(value) in ("TIMESTAMP", "DATETIME") else _typed(_cast(node, "DATE"), "DATE")
    unit = {"ISOWEEK": "WEEK(MONDAY)", "WEEK": "WEEK(SUNDAY)"}.get(unit, unit)
    origin: list[exp.Expr] = []
    if unit.startswith("WEEK("):
        origin = [_cast(_text(f"2000-01-0{_WEEKDAYS.index(unit[5:-1]) + 2}"), "DATE")]
        width, unit = "7", "DAY"
    elif unit == "QUARTER":
        width, unit = "3", "MONTH"
    elif unit in ("YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"):
        width = "1"
    else:
        return node
    if isinstance(value, exp.Literal) and value.is_string:
        value = _cast(value, "DATE")
    interval = exp.Interval(this=_text(width), unit=exp.var(unit))
    return _typed(exp.Anonymous(this="TIME_BUCKET", expressions=[interval, value, *origin]),
                  _type_of(node.this) or "DATE")


def _date_arithmetic(node: exp.Expr) -> exp.Expr:
    """DATE_ADD / DATE_SUB on a DATE give a DATE (month ends clamp the same way); DuckDB's DATE ± INTERVAL is a
    TIMESTAMP. Left alone when the argument is known to be a TIMESTAMP or DATETIME."""
    if _type_of(node.this) in ("TIMESTAMP", "DATETIME"):
        return node
    if isinstance(node.this, exp.Literal) and node.this.is_string:
        node.set("this", _cast(node.this, "DATE"))
    return _typed(_cast(node, "DATE"), "DATE")


def _byte_length(node: exp.Expr) -> exp.Expr:
    """BYTE_LENGTH of a STRING counts its UTF-8 bytes (DuckDB's OCTET_LENGTH takes only BLOB)."""
    function = "OCTET_LENGTH" if _type_of(node.this) == "BYTES" else "STRLEN"
    return _typed(exp.Anonymous(this=function, expressions=[node.this]), "INT64")


def _trim_whitespace(node: exp.Expr) -> exp.Expr:
    """TRIM / LTRIM / RTRIM without characters remove all Unicode white space (tabs, newlines, NBSP…)."""
    if node.expression is None:
        node.set("expression", _text(_WHITESPACE))
    return node


def _canonical_cast(node: exp.Expr) -> exp.Expr:
    """SAFE_CAST from STRING reads only BigQuery's canonical text: a DATE is YYYY-[M]M-[D]D; a TIMESTAMP that date
    with an optional [H]H:[M]M:[S]S[.F] after a space or T and an optional zone; an INT64 optionally signed
    decimal or 0x hex digits; a BOOL true or false in any case. DuckDB also reads 2025/01/05, padded dates, 1e3 or
    1.5 as integers and t/1/yes as booleans. BigQuery's lower-case t and z separators are upper-cased for DuckDB."""
    canonical = next((entry for dtype, entry in _CANONICAL.items() if _target(node).is_type(dtype)), None)
    source = _type_of(node.this)
    if canonical is None or source not in ("STRING", None) or isinstance(node.this, exp.Null):
        return node
    target, pattern, bigquery_type = canonical
    text = node.this if source == "STRING" else _cast(node.this, "VARCHAR")
    if target == "TIMESTAMPTZ":
        text = _fill(_TIMESTAMP_SPELLING, _v=text)
    if source == "STRING":
        result = _fill(_CANONICAL_CAST.format(type=target), _v=node.this, _pattern=_text(pattern), _text=text)
    else:
        other = _float_to_int(node.copy()) if target == "BIGINT" else node.copy()
        result = _fill(_CANONICAL_CAST_ANY.format(type=target), _v=node.this, _pattern=_text(pattern), _text=text,
                       _other=other)
    return _typed(result, bigquery_type)


def _float_to_numeric(node: exp.Expr) -> exp.Expr:
    """CAST(FLOAT64 AS NUMERIC) rounds the exact binary value to 9 places; DuckDB multiplies by 10⁹ in DOUBLE
    first, which is off in the last places from about 10⁷ up. PRINTF writes the exact digits."""
    if not _target(node).is_type(exp.DType.DECIMAL) or isinstance(node.this, exp.Null):
        return node
    source = _type_of(node.this)
    function = "TRY_CAST" if isinstance(node, exp.TryCast) else "CAST"
    if source == "FLOAT64":
        return _typed(_fill(_FLOAT_TO_NUMERIC.format(cast=function), _v=node.this), "NUMERIC")
    if source is not None:
        return node
    as_double = _cast(_cast(node.this, "VARCHAR"), "DOUBLE")
    return _typed(_fill(_FLOAT_TO_NUMERIC_ANY.format(cast=function), _v=node.this,
                        _exact=_fill(_FLOAT_TO_NUMERIC.format(cast=function), _v=as_double)), "NUMERIC")


def _bigquery_text(value: exp.Expr) -> exp.Expr:
    """CAST(… AS STRING) as BigQuery writes it: FLOAT64 with 15 significant digits when they read back exactly,
    else 17 (10000, 0.1, 1e+20, 0.33333333333333331); NUMERIC without trailing zeros (1.5); TIMESTAMP with 0, 3
    or 6 fraction digits and +00. A value of unknown type picks the form from DuckDB's TYPEOF at run time."""
    kind = _type_of(value)
    if kind == "FLOAT64":
        return _fill(_FLOAT_TEXT, _v=value)
    if kind == "NUMERIC":
        return _fill(_NUMERIC_TEXT, _v=value)
    if kind == "TIMESTAMP":
        return _fill(_TIMESTAMP_TEXT, _v=value)
    if kind is not None:
        return _cast(value, "VARCHAR")
    as_text = _cast(value, "VARCHAR")
    return _fill(_ANY_TEXT, _v=value, _float=_fill(_FLOAT_TEXT, _v=_cast(as_text, "DOUBLE")),
                 _timestamp=_fill(_TIMESTAMP_TEXT, _v=_cast(as_text, "TIMESTAMPTZ")),
                 _decimal=_fill(_DECIMAL_TEXT, _v=value))


def _string_cast(node: exp.Expr) -> exp.Expr:
    """CAST / SAFE_CAST to STRING write FLOAT64, NUMERIC and TIMESTAMP values as BigQuery does (see _bigquery_text)."""
    if not _target(node).is_type(exp.DType.TEXT, exp.DType.VARCHAR) or _target(node).expressions:
        return node
    if _type_of(node.this) in ("STRING", "INT64", "BOOL", "DATE", "BYTES", "ARRAY", "STRUCT", "JSON"):
        return node
    return _typed(_bigquery_text(node.this), "STRING")


def _float_to_int(node: exp.Expr) -> exp.Expr:
    """CAST(FLOAT64 AS INT64) rounds half away from zero (2.5 → 3); DuckDB's DOUBLE → BIGINT rounds half to even."""
    if not _target(node).is_type(exp.DType.BIGINT) or isinstance(node.this, exp.Null):
        return node
    source = _type_of(node.this)
    if source == "FLOAT64":
        node.set("this", exp.Round(this=node.this))
        return _typed(node, "INT64")
    if source is not None:
        return node
    function = "TRY_CAST" if isinstance(node, exp.TryCast) else "CAST"
    return _typed(_fill(_FLOAT_TO_INT_ANY.format(cast=function), _v=node.this), "INT64")


def _concat_text(node: exp.Expr) -> exp.Expr:
    """CONCAT and || cast non-STRING arguments to STRING the BigQuery way; a NULL argument makes the result NULL
    (sqlglot already writes CONCAT as DuckDB's ||, which does not skip NULLs as DuckDB's CONCAT would). || of
    arrays concatenates them, so || casts only operands known to be FLOAT64, NUMERIC or TIMESTAMP."""
    function = isinstance(node, exp.Concat)
    arguments = node.expressions if function else [node.this, node.expression]
    if not function and "ARRAY" in {_type_of(argument) for argument in arguments}:
        return node
    for argument in arguments:
        kind = _type_of(argument)
        if isinstance(argument, exp.Null):
            argument.replace(_cast(exp.null(), "VARCHAR"))
        elif kind in ("FLOAT64", "NUMERIC", "TIMESTAMP") or (function and kind not in ("STRING", "BYTES")):
            argument.replace(_typed(_bigquery_text(argument.copy()), "STRING"))
    return _typed(node, "STRING")


def _substr_start(node: exp.Expr) -> exp.Expr:
    """SUBSTR position 0 means 1, and a negative position before the start of the string starts at 1 (DuckDB
    counts position 0 as the place before the first character and returns less)."""
    start = node.args.get("start")
    if start is None or (isinstance(start, exp.Literal) and start.is_int and int(start.name) > 0):
        return node
    node.set("start", _fill(_SUBSTR_START, _p=start, _s=node.this))
    return node


def _unnest_offset(node: exp.Expr) -> exp.Expr:
    """UNNEST … WITH OFFSET counts from 0; DuckDB's WITH ORDINALITY counts from 1. The unnest becomes a subquery
    that shifts the position; an array of STRUCTs keeps its fields as the subquery's columns."""
    offset = node.args.get("offset")
    alias = node.args.get("alias")
    names = alias.columns if alias is not None else []
    structs = bool(node.args.get("explode_array"))
    if not isinstance(offset, exp.Identifier) or isinstance(node.parent, exp.In) or len(names) > 1 or \
            not (names or structs):
        return node
    value = "_value" if structs else names[0].name
    inner = node.copy()
    inner.set("explode_array", None)
    inner.set("alias", exp.TableAlias(columns=[exp.to_identifier(value)]))
    inner.set("offset", exp.to_identifier("_offset"))
    element = exp.Unnest(expressions=[exp.column(value)]) if structs else exp.column(value)
    position = exp.alias_(exp.Sub(this=exp.column("_offset"), expression=_number(1)), offset.name)
    name = names[0].name if structs and names else f"_{names[0].name if names else value}_with_offset"
    return exp.Subquery(this=exp.select(element, position).from_(inner),
                        alias=exp.TableAlias(this=exp.to_identifier(name)))


_RULES: dict[type[exp.Expr], tuple[Rule, ...]] = {
    exp.DataType: (_widen_numeric,),
    exp.Literal: (_float_literal,),
    exp.Mul: (_numeric_arithmetic,),
    exp.Div: (_numeric_arithmetic,),
    exp.SafeDivide: (_numeric_arithmetic,),
    exp.Anonymous: (_ieee_divide,),
    exp.Round: (_round,),
    exp.Sum: (_aggregate_type,),
    exp.Avg: (_aggregate_type,),
    exp.CountIf: (_aggregate_type,),
    exp.Window: (_aggregate_type,),
    exp.TimestampDiff: (_timestamp_diff,),
    exp.DateDiff: (_timestamp_diff,),
    exp.Extract: (_extract,),
    exp.DateTrunc: (_date_trunc,),
    exp.DateAdd: (_date_arithmetic,),
    exp.DateSub: (_date_arithmetic,),
    exp.ByteLength: (_byte_length,),
    exp.Trim: (_trim_whitespace,),
    exp.TryCast: (_canonical_cast, _string_cast, _float_to_int, _float_to_numeric),
    exp.Cast: (_string_cast, _float_to_int, _float_to_numeric),
    exp.Concat: (_concat_text,),
    exp.DPipe: (_concat_text,),
    exp.Substring: (_substr_start,),
    exp.Unnest: (_unnest_offset,),
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
    _reparent(tree)
    _annotate(tree)
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
