"""BigQuery's INFORMATION_SCHEMA.TABLES / COLUMNS / VIEWS on DuckDB's catalog, with BigQuery's column names and
type spellings, over this warehouse's own tables and views only.

Written bare (`INFORMATION_SCHEMA.COLUMNS`, the default dataset) or dataset-qualified
(`mydataset.INFORMATION_SCHEMA.COLUMNS`, backticked or not): the one local dataset is DuckDB's search path, so
the qualifier selects nothing and names `table_schema` (bare: `main`). Left out: DuckDB's own catalogs, temp
objects (staging tables, analyzer scratch) and names starting with `_`. `creation_time` and `ddl` are NULL
locally; `view_definition` is the view's transpiled DuckDB text.
"""

from __future__ import annotations

import functools

import sqlglot
from sqlglot import exp

_OWN = ("table_catalog = current_database() AND table_schema = current_schema() "
        "AND NOT starts_with(table_name, '_')")

# DuckDB type text → BigQuery's spelling. Field names lose DuckDB's quotes; decimal parameters hide in {} while
# STRUCT(...) becomes STRUCT<...>.
_TYPE_STEPS = (
    (r'"(\w+)"', r"\1"),
    (r"DECIMAL\(38,9\)", "NUMERIC"),
    (r"DECIMAL\((\d+),(\d+)\)", r"NUMERIC{\1, \2}"),
    (r"\bTIMESTAMP WITH TIME ZONE\b", "TIMESTAMP_TZ"),
    (r"\bTIMESTAMP\b", "DATETIME"),
    (r"\bTIMESTAMP_TZ\b", "TIMESTAMP"),
    (r"\bVARCHAR\b", "STRING"),
    (r"\b(BIGINT|INTEGER|SMALLINT|TINYINT|HUGEINT|UBIGINT|UINTEGER|USMALLINT|UTINYINT)\b", "INT64"),
    (r"\b(DOUBLE|FLOAT)\b", "FLOAT64"),
    (r"\bBOOLEAN\b", "BOOL"),
    (r"\bBLOB\b", "BYTES"),
    (r"(\w+(\{[^}]*\})?)\[\]", r"ARRAY<\1>"),
    (r"\(", "<"),
    (r"\)", ">"),
    (r"^(STRUCT<.*>)\[\]$", r"ARRAY<\1>"),
    (r"\{", "("),
    (r"\}", ")"),
)


def _bigquery_type(column: str) -> str:
    text = column
    for pattern, replacement in _TYPE_STEPS:
        text = f"regexp_replace({text}, '{pattern}', '{replacement}', 'g')"
    return text


_VIEWS: dict[str, str] = {
    "tables": "SELECT table_catalog, {schema} AS table_schema, table_name, table_type, "
              "CASE WHEN table_type = 'BASE TABLE' THEN 'YES' ELSE 'NO' END AS is_insertable_into, "
              "'NO' AS is_typed, CAST(NULL AS TIMESTAMPTZ) AS creation_time, CAST(NULL AS VARCHAR) AS ddl "
              f"FROM information_schema.tables WHERE {_OWN}",
    "columns": "SELECT table_catalog, {schema} AS table_schema, table_name, column_name, "
               "CAST(ordinal_position AS BIGINT) AS ordinal_position, is_nullable, "
               f"{_bigquery_type('data_type')} AS data_type, 'NEVER' AS is_generated, "
               "CAST(NULL AS VARCHAR) AS generation_expression, CAST(NULL AS VARCHAR) AS is_stored, "
               "'NO' AS is_hidden, CAST(NULL AS VARCHAR) AS is_updatable, 'NO' AS is_system_defined, "
               "'NO' AS is_partitioning_column, CAST(NULL AS BIGINT) AS clustering_ordinal_position, "
               "'NULL' AS collation_name, 'NULL' AS column_default, CAST(NULL AS VARCHAR) AS rounding_mode "
               f"FROM information_schema.columns WHERE {_OWN}",
    "views": "SELECT table_catalog, {schema} AS table_schema, table_name, "
             r"regexp_replace(regexp_replace(view_definition, '^\s*CREATE\s+(OR\s+REPLACE\s+)?VIEW\s+\S+\s+AS\s+',"
             r" '', 'i'), ';\s*$', '') AS view_definition, "
             "'NONE' AS check_option, 'YES' AS use_standard_sql "
             f"FROM information_schema.views WHERE {_OWN}",
}


@functools.cache
def _view(name: str, dataset: str | None) -> exp.Select:
    schema = "table_schema" if dataset is None else exp.Literal.string(dataset).sql("duckdb")
    select = sqlglot.parse_one(_VIEWS[name].replace("{schema}", schema), read="duckdb")
    assert isinstance(select, exp.Select)
    return select


def _path(table: exp.Table) -> list[str]:
    parts = [table.args.get(k) for k in ("catalog", "db", "this")]
    return [p for part in parts if isinstance(part, exp.Identifier) for p in part.name.split(".")]


def information_schema(node: exp.Expr) -> exp.Expr:
    """`[dataset.]INFORMATION_SCHEMA.{TABLES,COLUMNS,VIEWS}` as a subquery over DuckDB's catalog."""
    if not isinstance(node, exp.Table):
        return node
    path = _path(node)
    if len(path) < 2 or path[-2].lower() != "information_schema":
        return node
    name = path[-1].lower()
    if name not in _VIEWS:
        raise ValueError(f"INFORMATION_SCHEMA.{path[-1].upper()} is not available on the local warehouse "
                         f"(these are: {', '.join(v.upper() for v in _VIEWS)})")
    dataset = path[-3] if len(path) >= 3 and not path[-3].lower().startswith("region-") else None
    alias = node.args.get("alias")
    if not isinstance(alias, exp.TableAlias) or "." in alias.name:
        alias = exp.TableAlias(this=exp.to_identifier(name))
    return exp.Subquery(this=_view(name, dataset).copy(), alias=alias.copy())
