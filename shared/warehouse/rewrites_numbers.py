"""Rewrites for numbers, casts and text: DuckDB computes BigQuery's NUMERIC, FLOAT64 and STRING answers."""

from __future__ import annotations

from sqlglot import exp

from shared.warehouse.bigquery_types import is_float_literal, peers, type_of, typed
from shared.warehouse.duckdb_exprs import NONZERO, NUMERIC, cast_target, cast_to, fill, string_literal, try_cast_to

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


_DATE_PATTERN = r"\d{4}-\d{1,2}-\d{1,2}"


_TIMESTAMP_PATTERN = (_DATE_PATTERN + r"([Tt ]\d{1,2}:\d{1,2}:\d{1,2}(\.\d{1,9})?)?"
                      r"([Zz]|[+-]\d{1,2}(:?\d{2})?| UTC| [A-Za-z]+(/[A-Za-z_+-]+)*)?")


_CANONICAL = {exp.DType.DATE: ("DATE", _DATE_PATTERN, "DATE"),
              exp.DType.TIMESTAMPTZ: ("TIMESTAMPTZ", _TIMESTAMP_PATTERN, "TIMESTAMP"),
              exp.DType.BIGINT: ("BIGINT", r"\s*[+-]?(\d+|0[xX][0-9a-fA-F]+)\s*", "INT64"),
              exp.DType.BOOLEAN: ("BOOLEAN", "(?i)true|false", "BOOL")}


_CANONICAL_CAST = "CASE WHEN REGEXP_FULL_MATCH(_v, _pattern) THEN TRY_CAST(_text AS {type}) END"


_CANONICAL_CAST_ANY = ("CASE WHEN TYPEOF(_v) <> 'VARCHAR' THEN _other "
                       "WHEN REGEXP_FULL_MATCH(CAST(_v AS VARCHAR), _pattern) THEN TRY_CAST(_text AS {type}) END")


_FLOAT_TO_NUMERIC = "{cast}(PRINTF('%.9f', _v) AS DECIMAL(38, 9))"


_FLOAT_TO_NUMERIC_ANY = "CASE WHEN TYPEOF(_v) = 'DOUBLE' THEN _exact ELSE {cast}(_v AS DECIMAL(38, 9)) END"


_TIMESTAMP_SPELLING = r"REGEXP_REPLACE(REGEXP_REPLACE(_v, '^(\d{4}-\d{1,2}-\d{1,2})t', '\1T'), '(\d)z$', '\1Z')"


_FLOAT_TO_INT_ANY = ("CASE WHEN TYPEOF(_v) = 'DOUBLE' THEN {cast}(ROUND(TRY_CAST(CAST(_v AS VARCHAR) AS DOUBLE)) "
                     "AS BIGINT) ELSE {cast}(_v AS BIGINT) END")


_NUMERIC_QUOTIENT = ("CAST((2 * ABS(_n) + ABS(_d)) // (2 * ABS(_d)) * SIGN(_n) * SIGN(_d) AS DECIMAL(38, 0)) "
                     "* CAST('0.000000001' AS DECIMAL(38, 9))")


_SCALED_DIVIDEND = "CAST(CAST(_v AS DECIMAL(38, 9)) * 1000000000 AS HUGEINT) * 1000000000"


_SCALED_DIVISOR = "CAST(CAST(_v AS DECIMAL(38, 9)) * 1000000000 AS HUGEINT)"


def widen_numeric(node: exp.Expr) -> exp.Expr:
    """BigQuery NUMERIC is DECIMAL(38, 9); DuckDB's bare DECIMAL would be (18, 3)."""
    if isinstance(node, exp.DataType) and node.this in (exp.DType.DECIMAL, exp.DType.BIGDECIMAL) \
            and not node.expressions:
        return exp.DataType.build(NUMERIC, dialect="duckdb")
    return node


def float_literal(node: exp.Expr) -> exp.Expr:
    """A literal like 2.675 is FLOAT64 in BigQuery (DuckDB reads DECIMAL); beside a NUMERIC operand BigQuery
    coerces it to NUMERIC, so there it stays a decimal."""
    if not is_float_literal(node) or any(type_of(peer) == "NUMERIC" for peer in peers(node)):
        return node
    return typed(cast_to(node, "DOUBLE"), "FLOAT64")


def numeric_arithmetic(node: exp.Expr) -> exp.Expr:
    """NUMERIC * and / stay NUMERIC in BigQuery, rounded half away from zero to 9 places; DuckDB divides decimals
    as DOUBLE and multiplies them to a wider scale. The quotient is computed exactly (see _numeric_quotient)."""
    if type_of(node) != "NUMERIC":
        return node
    if isinstance(node, exp.Mul):
        if "INT64" in (type_of(node.this), type_of(node.expression)):
            return node
        return typed(cast_to(node, NUMERIC), "NUMERIC")
    quotient = _numeric_quotient(node.this, node.expression)
    if isinstance(node, exp.SafeDivide):
        quotient = fill(NONZERO, _d=node.expression, _q=quotient)
    return typed(quotient, "NUMERIC")


def _numeric_quotient(dividend: exp.Expr, divisor: exp.Expr) -> exp.Expr:
    """dividend / divisor as NUMERIC, exactly: both scaled to integers of nanos in HUGEINT, divided rounding half
    away from zero. Exact for dividends below about 8·10¹⁹ (beyond, DuckDB reports an overflow)."""
    return fill(_NUMERIC_QUOTIENT, _n=fill(_SCALED_DIVIDEND, _v=dividend), _d=fill(_SCALED_DIVISOR, _v=divisor))


def ieee_divide(node: exp.Expr) -> exp.Expr:
    """IEEE_DIVIDE(x, y) divides as FLOAT64, giving ±inf and NaN for a zero divisor (as DuckDB's DOUBLE `/` does)."""
    if not (isinstance(node, exp.Anonymous) and node.name.upper() == "IEEE_DIVIDE" and len(node.expressions) == 2):
        return node
    dividend, divisor = node.expressions
    return typed(exp.Paren(this=exp.Div(this=cast_to(dividend, "DOUBLE"), expression=cast_to(divisor, "DOUBLE"))),
                  "FLOAT64")


def round_value(node: exp.Expr) -> exp.Expr:
    """ROUND(FLOAT64, n) rounds the exact binary value half away from zero (2.675 → 2.67, it is 2.67499…; DuckDB
    scales by 10ⁿ first and gets 2.68); ROUND(NUMERIC, n) stays NUMERIC; ROUND(INT64, n) is FLOAT64."""
    argument = type_of(node.this)
    if argument == "NUMERIC":
        return typed(cast_to(node, NUMERIC), "NUMERIC")
    if argument == "INT64":
        node.set("this", cast_to(node.this, "DOUBLE"))
        return typed(node, "FLOAT64")
    digits = node.args.get("decimals")
    if argument != "FLOAT64" or not (isinstance(digits, exp.Literal) and digits.is_int and 0 < int(digits.name) <= 15):
        return node
    places = int(digits.name)
    template = _FLOAT_ROUND.format(limit=18 - places, scale=places + 20, places=places)
    return typed(fill(template, _v=node.this), "FLOAT64")


def aggregate_type(node: exp.Expr) -> exp.Expr:
    """SUM(INT64) and COUNTIF are INT64 (DuckDB: HUGEINT); AVG(NUMERIC) is NUMERIC, SUM / COUNT rounded to 9 places
    (DuckDB: DOUBLE). Over a window the cast goes around the window."""
    if isinstance(node.parent, exp.Window) and node.arg_key == "this":
        return node
    aggregate = node.this if isinstance(node, exp.Window) else node
    if isinstance(aggregate, exp.CountIf) or (isinstance(aggregate, exp.Sum) and type_of(aggregate) == "INT64"):
        return typed(cast_to(node, "BIGINT"), "INT64")
    if isinstance(aggregate, exp.Avg) and type_of(aggregate) == "NUMERIC":
        total, count = (_over(kind(this=aggregate.this.copy()), node) for kind in (exp.Sum, exp.Count))
        return typed(fill(NONZERO, _d=count, _q=_numeric_quotient(total, count)), "NUMERIC")
    return node


def _over(aggregate: exp.Expr, like: exp.Expr) -> exp.Expr:
    """`aggregate` over the same window as `like`, when `like` is a window function."""
    if not isinstance(like, exp.Window):
        return aggregate
    window = like.copy()
    window.set("this", aggregate)
    return window


def canonical_cast(node: exp.Expr) -> exp.Expr:
    """SAFE_CAST from STRING reads only BigQuery's canonical text: a DATE is YYYY-[M]M-[D]D; a TIMESTAMP that date
    with an optional [H]H:[M]M:[S]S[.F] after a space or T and an optional zone; an INT64 optionally signed
    decimal or 0x hex digits; a BOOL true or false in any case. DuckDB also reads 2025/01/05, padded dates, 1e3 or
    1.5 as integers and t/1/yes as booleans. BigQuery's lower-case t and z separators are upper-cased for DuckDB."""
    canonical = next((entry for dtype, entry in _CANONICAL.items() if cast_target(node).is_type(dtype)), None)
    source = type_of(node.this)
    if canonical is None or source not in ("STRING", None) or isinstance(node.this, exp.Null):
        return node
    target, pattern, bigquery_type = canonical
    text = node.this if source == "STRING" else cast_to(node.this, "VARCHAR")
    if target == "TIMESTAMPTZ":
        text = fill(_TIMESTAMP_SPELLING, _v=text)
    if source == "STRING":
        result = fill(_CANONICAL_CAST.format(type=target), _v=node.this, _pattern=string_literal(pattern),
                      _text=text)
    else:
        other = float_to_int(node.copy()) if target == "BIGINT" else node.copy()
        result = fill(_CANONICAL_CAST_ANY.format(type=target), _v=node.this, _pattern=string_literal(pattern),
                      _text=text, _other=other)
    return typed(result, bigquery_type)


def float_to_numeric(node: exp.Expr) -> exp.Expr:
    """CAST(FLOAT64 AS NUMERIC) rounds the exact binary value to 9 places; DuckDB multiplies by 10⁹ in DOUBLE
    first, which is off in the last places from about 10⁷ up. PRINTF writes the exact digits."""
    if not cast_target(node).is_type(exp.DType.DECIMAL) or isinstance(node.this, exp.Null):
        return node
    source = type_of(node.this)
    function = "TRY_CAST" if isinstance(node, exp.TryCast) else "CAST"
    if source == "FLOAT64":
        return typed(fill(_FLOAT_TO_NUMERIC.format(cast=function), _v=node.this), "NUMERIC")
    if source is not None:
        return node
    as_double = try_cast_to(cast_to(node.this, "VARCHAR"), "DOUBLE")
    return typed(fill(_FLOAT_TO_NUMERIC_ANY.format(cast=function), _v=node.this,
                        _exact=fill(_FLOAT_TO_NUMERIC.format(cast=function), _v=as_double)), "NUMERIC")


def _bigquery_text(value: exp.Expr) -> exp.Expr:
    """CAST(… AS STRING) as BigQuery writes it: FLOAT64 with 15 significant digits when they read back exactly,
    else 17 (10000, 0.1, 1e+20, 0.33333333333333331); NUMERIC without trailing zeros (1.5); TIMESTAMP with 0, 3
    or 6 fraction digits and +00. A value of unknown type picks the form from DuckDB's TYPEOF at run time."""
    kind = type_of(value)
    if kind == "FLOAT64":
        return fill(_FLOAT_TEXT, _v=value)
    if kind == "NUMERIC":
        return fill(_NUMERIC_TEXT, _v=value)
    if kind == "TIMESTAMP":
        return fill(_TIMESTAMP_TEXT, _v=value)
    if kind is not None:
        return cast_to(value, "VARCHAR")
    as_text = cast_to(value, "VARCHAR")
    return fill(_ANY_TEXT, _v=value, _float=fill(_FLOAT_TEXT, _v=try_cast_to(as_text, "DOUBLE")),
                _timestamp=fill(_TIMESTAMP_TEXT, _v=try_cast_to(as_text, "TIMESTAMPTZ")),
                _decimal=fill(_DECIMAL_TEXT, _v=value))


def string_cast(node: exp.Expr) -> exp.Expr:
    """CAST / SAFE_CAST to STRING write FLOAT64, NUMERIC and TIMESTAMP values as BigQuery does (see _bigquery_text)."""
    if not cast_target(node).is_type(exp.DType.TEXT, exp.DType.VARCHAR) or cast_target(node).expressions:
        return node
    if type_of(node.this) in ("STRING", "INT64", "BOOL", "DATE", "BYTES", "ARRAY", "STRUCT", "JSON"):
        return node
    return typed(_bigquery_text(node.this), "STRING")


def float_to_int(node: exp.Expr) -> exp.Expr:
    """CAST(FLOAT64 AS INT64) rounds half away from zero (2.5 → 3); DuckDB's DOUBLE → BIGINT rounds half to even."""
    if not cast_target(node).is_type(exp.DType.BIGINT) or isinstance(node.this, exp.Null):
        return node
    source = type_of(node.this)
    if source == "FLOAT64":
        node.set("this", exp.Round(this=node.this))
        return typed(node, "INT64")
    if source is not None:
        return node
    function = "TRY_CAST" if isinstance(node, exp.TryCast) else "CAST"
    return typed(fill(_FLOAT_TO_INT_ANY.format(cast=function), _v=node.this), "INT64")


def concat_text(node: exp.Expr) -> exp.Expr:
    """CONCAT and || cast non-STRING arguments to STRING the BigQuery way; a NULL argument makes the result NULL
    (sqlglot already writes CONCAT as DuckDB's ||, which does not skip NULLs as DuckDB's CONCAT would). || of
    arrays concatenates them, so || casts only operands known to be FLOAT64, NUMERIC or TIMESTAMP."""
    function = isinstance(node, exp.Concat)
    arguments = node.expressions if function else [node.this, node.expression]
    if not function and "ARRAY" in {type_of(argument) for argument in arguments}:
        return node
    for argument in arguments:
        kind = type_of(argument)
        if isinstance(argument, exp.Null):
            argument.replace(cast_to(exp.null(), "VARCHAR"))
        elif kind in ("FLOAT64", "NUMERIC", "TIMESTAMP") or (function and kind not in ("STRING", "BYTES")):
            argument.replace(typed(_bigquery_text(argument.copy()), "STRING"))
    return typed(node, "STRING")
