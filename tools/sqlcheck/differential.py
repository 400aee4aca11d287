"""The differential check: the same views and read-only queries on DuckDB and on BigQuery's reference engine.

The pipeline runs on a small seeded world into a throwaway DuckDB file while every statement it sends is
recorded. Every table's rows are then handed to ZetaSQL as table contents, and each view (in dependency order,
a view's BigQuery answer feeding the views that read it), each read-only job query with the parameters the
pipeline really used, and each demo query is evaluated on both engines at one fixed "now".

ZetaSQL's server takes requests of at most 4 MiB, so a table's columns that a statement never names (message
bodies, transcripts, embeddings, for most of them) are sent as NULL; a statement that reads whole rows (`*`, a
table alias used as a value) gets every column.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import io
import os
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared import sqlfiles
from shared.warehouse import Typed, connect
from shared.warehouse.base import observe_statements
from shared.warehouse.duckdb_backend import DuckDBWarehouse
from tools.sqlcheck.catalog import Catalog
from tools.sqlcheck.compare import duckdb_type, first_difference, types_equal
from tools.sqlcheck.recording import describe_parameters
from tools.sqlcheck.types import answer, scalar_type, table_content, to_value
from tools.sqlcheck.zetasql import AnalysisError, pb

_VIEW_HEAD = re.compile(r"^.*?create\s+or\s+replace\s+view\s+\S+\s+as\s", re.IGNORECASE | re.DOTALL)
_NOW = {re.compile(r"\bcurrent_timestamp\s*\(\s*\)", re.IGNORECASE): "timestamp '{ts}'",
        re.compile(r"\bcurrent_date\s*\(\s*\)", re.IGNORECASE): "date '{d}'"}
PARAMETER_SETS_PER_QUERY = 3
Record = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class Comparison:
    statement: str
    rows: int
    difference: str | None
    seconds: float = 0.0

    @property
    def equal(self) -> bool:
        return self.difference is None


def pin_now(sql: str, now: dt.datetime) -> str:
    """The same fixed "now" on both engines: current_timestamp() / current_date() become literals."""
    for pattern, literal in _NOW.items():
        sql = pattern.sub(literal.format(ts=now.strftime("%Y-%m-%d %H:%M:%S+00"), d=now.date().isoformat()), sql)
    return sql


def run_pipeline(path: Path, seed: int, scale: int) -> list[Record]:
    """Every function of the demo on a fresh DuckDB file; returns the statements sent with their parameters."""
    from sandbox.env import settings_env
    from sandbox.server import Sandbox
    from sandbox.world import build_world
    from shared import entrypoint
    from shared.log import configure_logging
    from tools import demo

    records: list[Record] = []
    saved = dict(os.environ)
    url = demo.fresh_warehouse(path)
    with observe_statements(lambda sql, params: records.append((sql, dict(params)))), \
            Sandbox(build_world(seed, scale)) as sandbox, (path.parent / "pipeline.log").open("w") as log_file:
        configure_logging("INFO", stream=log_file)
        os.environ.update({**settings_env(sandbox), "WAREHOUSE": url, "AUTO_SCHEMA": "false"})
        try:
            with contextlib.redirect_stdout(io.StringIO()) as printed:
                ok = demo.run_pipeline()
        finally:
            entrypoint.reset_runtimes()
            configure_logging(stream=None)
            os.environ.clear()
            os.environ.update(saved)
    if not ok:
        raise RuntimeError(f"the pipeline failed on the differential world:\n{printed.getvalue()}")
    return records


def parameter_types(sql: str, params: Mapping[str, Any]) -> dict[str, str]:
    """The BigQuery type the production backend would give each @param used in `sql`."""
    from shared.warehouse.bigquery_backend import query_parameter

    return describe_parameters([query_parameter(k, v) for k, v in params.items() if f"@{k}" in sql])


def referenced_tables(sql: str) -> set[str]:
    """Names a statement reads (CTE names included, harmlessly): only those tables' rows are sent."""
    import sqlglot
    from sqlglot import exp

    return {t.name for tree in sqlglot.parse(sql, read="bigquery") if tree for t in tree.find_all(exp.Table)}


@dataclass
class StoredTable:
    """A table's rows, turned into ZetaSQL table content with only the columns a statement needs."""

    columns: list[tuple[str, Any]]
    rows: list[dict[str, Any]]
    _whole: Any = None

    def content(self, needed: set[str] | None) -> Any:
        if needed is None:
            if self._whole is None:
                self._whole = table_content(self.columns, self.rows)
            return self._whole
        kept = [name for name, _ in self.columns if name.lower() in needed]
        return table_content(self.columns, [{name: row.get(name) for name in kept} for row in self.rows])


def table_contents(warehouse: DuckDBWarehouse, catalog: Catalog) -> dict[str, Any]:
    return {name: StoredTable(catalog.schemas[name], warehouse.query(f"select * from {name}"))
            for name in sqlfiles.table_files()}


def referenced_columns(sql: str) -> set[str] | None:
    """Every name a statement uses as (part of) a column reference, lower-cased; None when it reads whole rows."""
    import sqlglot
    from sqlglot import exp

    trees = [tree for tree in sqlglot.parse(sql, read="bigquery") if tree]
    ctes = {cte.alias_or_name.lower() for tree in trees for cte in tree.find_all(exp.CTE)}

    def whole_rows(star: exp.Star) -> bool:
        """`*` or `t.*` over a stored table (a star over a CTE only passes on the columns the CTE names)."""
        select = star.find_ancestor(exp.Select)
        if not isinstance(star.parent, (exp.Select, exp.Column)) or select is None:
            return False
        sources = [select.args.get("from_"), *(select.args.get("joins") or [])]
        tables = [source.this for source in sources if source is not None]
        return any(isinstance(t, exp.Table) and t.name.lower() not in ctes for t in tables)

    if any(whole_rows(star) for tree in trees for star in tree.find_all(exp.Star)):
        return None
    columns = [column for tree in trees for column in tree.find_all(exp.Column)]
    relations = {t.alias_or_name.lower() for tree in trees for t in tree.find_all(exp.Table)}
    if any(not column.table and column.name.lower() in relations for column in columns):
        return None
    return {part.name.lower() for column in columns for part in column.parts}


def compare(catalog: Catalog, warehouse: DuckDBWarehouse, label: str, bigquery_sql: str, duckdb_sql: str,
            contents: dict[str, Any], params: Mapping[str, Any] | None = None) -> tuple[Comparison, Any]:
    """Evaluate on both engines; returns the comparison and ZetaSQL's response (to feed dependent views)."""
    started = time.monotonic()
    comparison, response = _compare(catalog, warehouse, label, bigquery_sql, duckdb_sql, contents, params or {})
    return dataclasses.replace(comparison, seconds=round(time.monotonic() - started, 2)), response


def _compare(catalog: Catalog, warehouse: DuckDBWarehouse, label: str, bigquery_sql: str, duckdb_sql: str,
             contents: dict[str, Any], params: Mapping[str, Any]) -> tuple[Comparison, Any]:
    types = parameter_types(bigquery_sql, params)
    plain = {k: v.value if isinstance(v, Typed) else v for k, v in params.items()}
    bq_params = {k: (scalar_type(t), to_value(plain[k], scalar_type(t))) for k, t in types.items()}
    used, needed = referenced_tables(bigquery_sql), referenced_columns(bigquery_sql)
    sent = {k: v.content(needed) if isinstance(v, StoredTable) else v for k, v in contents.items() if k in used}
    try:
        response = catalog.server.evaluate(bigquery_sql, catalog.proto(), sent, bq_params)
    except AnalysisError as exc:
        return Comparison(label, 0, f"ZetaSQL: {exc}"), None
    bq_columns, bq_rows = answer(response)
    duck_columns, duck_dicts = warehouse.query_typed(duckdb_sql, {k: params[k] for k in types})
    duck_rows = [tuple(row.values()) for row in duck_dicts]
    for (name, bq_type), (_, duck_raw) in zip(bq_columns, duck_columns, strict=False):
        if not types_equal(bq_type, duckdb_type(duck_raw)):
            return Comparison(label, len(bq_rows), f"column {name}: BigQuery {bq_type}, DuckDB {duck_raw}"), response
    if [c for c, _ in bq_columns] != [c for c, _ in duck_columns]:
        return Comparison(label, len(bq_rows), f"columns differ: {bq_columns} vs {duck_columns}"), response
    difference = first_difference(bq_rows, duck_rows)
    if difference:
        return Comparison(label, len(bq_rows), f"BigQuery {difference[0]} | DuckDB {difference[1]}"), response
    return Comparison(label, len(bq_rows), None), response


def compare_views(catalog: Catalog, warehouse: DuckDBWarehouse, contents: dict[str, Any],
                  now: dt.datetime) -> Iterator[Comparison]:
    service = pb("local_service_pb2")
    view_names = {path.stem for path in sqlfiles.view_files()}
    views = [name for name in catalog.schemas if name in view_names]  # dependency order
    for name in views:
        ddl = pin_now(sqlfiles.read_sql(f"views/{name}.sql"), now)
        warehouse.execute_script(ddl)
        result, response = compare(catalog, warehouse, f"view {name}", _VIEW_HEAD.sub("", ddl, count=1),
                                   f"select * from {name}", contents)
        yield result
        if response is not None:
            contents[name] = service.TableContent(table_data=response.content.table_data)


def job_queries(records: list[Record]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(label, query, params) for each file under jobs/, demo/ and report/, with the params the pipeline used: a query
    file as it is, a MERGE or INSERT by its source query, an UPDATE or DELETE by the rows it would touch."""
    texts: dict[str, list[dict[str, Any]]] = {}
    for sql, params in records:
        texts.setdefault(sql.strip(), []).append(params)
    for folder in ("jobs", "demo", "report"):
        for path in sorted((sqlfiles.SQL_DIR / folder).glob("*.sql")):
            text = path.read_text()
            query = comparable_query(text)
            if query is None:
                continue
            uses = _distinct(texts.get(text.strip(), []), text)
            if not re.search(r"@\w", text):
                uses = [{}]
            for index, params in enumerate(uses[:PARAMETER_SETS_PER_QUERY]):
                yield f"{folder}/{path.name}" + (f" #{index + 1}" if len(uses) > 1 else ""), query, params


def comparable_query(sql: str) -> str | None:
    """The read-only part of a statement, in BigQuery SQL (None for DDL and the like)."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="bigquery")
    if isinstance(tree, exp.Query):
        return sql
    if isinstance(tree, exp.Merge) and isinstance(tree.args.get("using"), exp.Subquery):
        return str(tree.args["using"].this.sql("bigquery"))
    if isinstance(tree, exp.Insert) and isinstance(tree.expression, exp.Query):
        return _named_like_target(tree)
    if isinstance(tree, exp.Update | exp.Delete):
        columns = "*"
        if isinstance(tree, exp.Update):
            columns = ", ".join(f"{e.expression.sql('bigquery')} as {e.this.name}" for e in tree.expressions)
        where = tree.args.get("where")
        return f"select {columns} from {tree.this.sql('bigquery')}" + (
            f" {where.sql('bigquery')}" if where is not None else "")
    return None


def _distinct(uses: list[dict[str, Any]], sql: str) -> list[dict[str, Any]]:
    seen, distinct = set(), []
    for params in uses:
        used = {k: v for k, v in params.items() if f"@{k}" in sql}
        key = repr(sorted(used.items()))
        if key not in seen:
            seen.add(key)
            distinct.append(used)
    return distinct


def _named_like_target(insert: Any) -> str:
    """An INSERT's source query with each column named after the column it fills (the engines name
    unnamed expressions differently)."""
    from sqlglot import exp

    query = insert.expression.copy()
    target = insert.this
    names = [column.name for column in target.expressions] if isinstance(target, exp.Schema) else []
    if isinstance(query, exp.Select) and len(names) == len(query.selects):
        query.set("expressions", [exp.alias_(e.unalias() if isinstance(e, exp.Alias) else e, name)
                                  for e, name in zip(query.selects, names, strict=True)])
    return str(query.sql("bigquery"))


def unexercised(records: list[Record]) -> list[str]:
    """Job files with parameters that the pipeline never ran: no real parameters to compare them with."""
    ran = {sql.strip() for sql, _ in records}
    texts = {p.name: p.read_text() for p in sorted((sqlfiles.SQL_DIR / "jobs").glob("*.sql"))}
    return [f"jobs/{name}" for name, text in texts.items()
            if re.search(r"@\w", text) and text.strip() not in ran and comparable_query(text)]


def run(catalog: Catalog, workdir: Path, seed: int, scale: int) -> tuple[list[Comparison], list[Record]]:
    workdir.mkdir(parents=True, exist_ok=True)
    records = run_pipeline(workdir / "warehouse.duckdb", seed, scale)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    warehouse = connect(f"duckdb:///{workdir / 'warehouse.duckdb'}")
    assert isinstance(warehouse, DuckDBWarehouse)
    try:
        contents = table_contents(warehouse, catalog)
        results = list(compare_views(catalog, warehouse, contents, now))
        for label, text, params in job_queries(records):
            pinned = pin_now(text, now)
            results.append(compare(catalog, warehouse, label, pinned, pinned, contents, params)[0])
    finally:
        warehouse.close()
    return results, records
