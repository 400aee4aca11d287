"""Rewrites for dates, times, strings and arrays: DuckDB computes BigQuery's answer."""

from __future__ import annotations

from sqlglot import exp

from shared.warehouse.bigquery_types import type_of, typed
from shared.warehouse.duckdb_exprs import cast_to, fill, number_literal, part_name, string_literal

_MICROS = {"MICROSECOND": 1, "MILLISECOND": 1_000, "SECOND": 1_000_000, "MINUTE": 60_000_000,
           "HOUR": 3_600_000_000, "DAY": 86_400_000_000}


_WEEKDAYS = ("SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY")


_WHITESPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
              "\u2028\u2029\u202f\u205f\u3000"


_WEEK_NUMBER = "(DAYOFYEAR(_v) - (DAYOFWEEK(_v) + 7 - _start) % 7 + 6) // 7"


_ELAPSED = "(EPOCH_US(_a) - EPOCH_US(_b)) // _per"


_SUBSTR_START = "CASE WHEN _p = 0 OR _p < -LENGTH(_s) THEN 1 ELSE _p END"


def timestamp_diff(node: exp.Expr) -> exp.Expr:
    """TIMESTAMP_DIFF counts whole units elapsed (23:59:59 is 0 days), truncating toward zero; DuckDB's DATE_DIFF
    counts unit boundaries crossed. DATE_DIFF on TIMESTAMPs follows TIMESTAMP_DIFF; on DATEs both count boundaries."""
    unit = part_name(node.args.get("unit"))
    if unit not in _MICROS:
        return node
    if isinstance(node, exp.DateDiff) and {type_of(node.this), type_of(node.expression)} != {"TIMESTAMP"}:
        return node
    end, start = (_as_timestamp(value) for value in (node.this, node.expression))
    return typed(exp.Paren(this=fill(_ELAPSED, _a=end, _b=start, _per=number_literal(_MICROS[unit]))), "INT64")


def _as_timestamp(node: exp.Expr) -> exp.Expr:
    return node if type_of(node) == "TIMESTAMP" else cast_to(node, "TIMESTAMPTZ")


def extract_part(node: exp.Expr) -> exp.Expr:
    """EXTRACT(DAYOFWEEK) counts 1 = Sunday (DuckDB 0); WEEK counts weeks starting Sunday (or the named day), days
    before the first one being week 0 (DuckDB's WEEK is ISOWEEK); EXTRACT(DATE FROM ts) is DATE(ts)."""
    part, value = part_name(node.this), node.expression
    if part == "DAYOFWEEK":
        return typed(exp.Paren(this=exp.Add(this=node, expression=number_literal(1))), "INT64")
    if part == "WEEK" or part.startswith("WEEK("):
        start = _WEEKDAYS.index(part[5:-1]) if part.startswith("WEEK(") else 0
        return typed(exp.Paren(this=fill(_WEEK_NUMBER, _v=value, _start=number_literal(start))), "INT64")
    if part == "ISOWEEK":
        return typed(exp.Extract(this=exp.var("WEEK"), expression=value), "INT64")
    if part == "DATE":
        return typed(cast_to(value, "DATE"), "DATE")
    return node


def date_trunc(node: exp.Expr) -> exp.Expr:
    """DATE_TRUNC keeps its argument's type (DATE stays DATE; DuckDB's DATE_TRUNC returns TIMESTAMP); WEEK starts
    on Sunday, WEEK(day) on that day, ISOWEEK on Monday. TIME_BUCKET keeps the type and takes the week's origin;
    ISOYEAR, which no bucket fits, is DuckDB's DATE_TRUNC cast back to DATE unless the argument is a timestamp."""
    unit, value = part_name(node.args.get("unit")), node.this
    if unit == "ISOYEAR":
        return node if type_of(value) in ("TIMESTAMP", "DATETIME") else typed(cast_to(node, "DATE"), "DATE")
    unit = {"ISOWEEK": "WEEK(MONDAY)", "WEEK": "WEEK(SUNDAY)"}.get(unit, unit)
    origin: list[exp.Expr] = []
    if unit.startswith("WEEK("):
        origin = [cast_to(string_literal(f"2000-01-0{_WEEKDAYS.index(unit[5:-1]) + 2}"), "DATE")]
        width, unit = "7", "DAY"
    elif unit == "QUARTER":
        width, unit = "3", "MONTH"
    elif unit in ("YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"):
        width = "1"
    else:
        return node
    if isinstance(value, exp.Literal) and value.is_string:
        value = cast_to(value, "DATE")
    interval = exp.Interval(this=string_literal(width), unit=exp.var(unit))
    return typed(exp.Anonymous(this="TIME_BUCKET", expressions=[interval, value, *origin]),
                  type_of(node.this) or "DATE")


def date_arithmetic(node: exp.Expr) -> exp.Expr:
    """DATE_ADD / DATE_SUB on a DATE give a DATE (month ends clamp the same way); DuckDB's DATE ± INTERVAL is a
    TIMESTAMP. Left alone when the argument is known to be a TIMESTAMP or DATETIME."""
    if type_of(node.this) in ("TIMESTAMP", "DATETIME"):
        return node
    if isinstance(node.this, exp.Literal) and node.this.is_string:
        node.set("this", cast_to(node.this, "DATE"))
    return typed(cast_to(node, "DATE"), "DATE")


def byte_length(node: exp.Expr) -> exp.Expr:
    """BYTE_LENGTH of a STRING counts its UTF-8 bytes (DuckDB's OCTET_LENGTH takes only BLOB)."""
    function = "OCTET_LENGTH" if type_of(node.this) == "BYTES" else "STRLEN"
    return typed(exp.Anonymous(this=function, expressions=[node.this]), "INT64")


def trim_whitespace(node: exp.Expr) -> exp.Expr:
    """TRIM / LTRIM / RTRIM without characters remove all Unicode white space (tabs, newlines, NBSP…)."""
    if node.expression is None:
        node.set("expression", string_literal(_WHITESPACE))
    return node


def substr_start(node: exp.Expr) -> exp.Expr:
    """SUBSTR position 0 means 1, and a negative position before the start of the string starts at 1 (DuckDB
    counts position 0 as the place before the first character and returns less)."""
    start = node.args.get("start")
    if start is None or (isinstance(start, exp.Literal) and start.is_int and int(start.name) > 0):
        return node
    node.set("start", fill(_SUBSTR_START, _p=start, _s=node.this))
    return node


def unnest_offset(node: exp.Expr) -> exp.Expr:
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
    position = exp.alias_(exp.Sub(this=exp.column("_offset"), expression=number_literal(1)), offset.name)
    name = names[0].name if structs and names else f"_{names[0].name if names else value}_with_offset"
    return exp.Subquery(this=exp.select(element, position).from_(inner),
                        alias=exp.TableAlias(this=exp.to_identifier(name)))


_MARKS = {r"\p{M}", r"\pM", r"[\p{M}]", r"\p{M}+"}


def strip_marks(node: exp.Expr) -> exp.Expr:
    """REGEXP_REPLACE(NORMALIZE(x, NFD|NFKD), r'\\p{M}', '') folds accents ("José" → "Jose"); DuckDB has no
    NORMALIZE but STRIP_ACCENTS does the same. Any other use of NORMALIZE is left as it is (and fails loudly)."""
    inner, pattern, replacement = node.this, node.expression, node.args.get("replacement")
    if not (isinstance(inner, exp.Normalize) and isinstance(pattern, exp.Literal | exp.RawString)
            and isinstance(replacement, exp.Literal) and replacement.name == ""
            and pattern.name in _MARKS and inner.args.get("form") is not None
            and inner.args["form"].name.upper() in {"NFD", "NFKD"}):
        return node
    return exp.Anonymous(this="STRIP_ACCENTS", expressions=[inner.this.copy()])
