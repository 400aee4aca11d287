"""The embedded warehouse: one DuckDB file, BigQuery SQL transpiled by sqlglot."""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb

from shared.warehouse import ddl_text
from shared.warehouse.base import Row, Typed, Warehouse, notify_statement, sql_text, view_fingerprint
from shared.warehouse.transpile import to_duckdb
from shared.warehouse.type_names import bigquery_type_name

_LOCK_HOLDER = re.compile(r"Could not set lock on file(?:.*?\(PID (\d+)\))?", re.DOTALL)


class WarehouseLockedError(RuntimeError):
    """Another process holds the DuckDB file (DuckDB allows one writer process per file)."""

    def __init__(self, path: str, pid: str | None) -> None:
        holder = f" (pid {pid})" if pid else ""
        super().__init__(f"warehouse {path} is locked by another process{holder}: stop `make serve` first, "
                         "or use another WAREHOUSE file")


class MultipleStatementsError(ValueError):
    def __init__(self, count: int) -> None:
        super().__init__(f"one statement per query: this text holds {count}; run them one at a time")


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Typed) else value


def _open(path: str) -> duckdb.DuckDBPyConnection:
    """DuckDB draws a progress bar on stdout during long queries: only where stdout is a terminal, never into
    piped output (`make sql FORMAT=json | jq`) or a function's JSON log stream."""
    try:
        con = duckdb.connect(path)
    except duckdb.IOException as exc:
        held = _LOCK_HOLDER.search(str(exc))
        if held is None:
            raise
        raise WarehouseLockedError(path, held.group(1)) from None
    con.execute(f"set enable_progress_bar = {'true' if sys.stdout.isatty() else 'false'}")
    return con


class DuckDBWarehouse(Warehouse):
    dialect_note = "BigQuery SQL transpiled to DuckDB"

    def __init__(self, path: str) -> None:
        self.path = path
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._con = _open(path)
        self._con.execute("set TimeZone = 'UTC'")
        self._lock = threading.RLock()

    def _run(self, sql: str, params: Mapping[str, Any] | None) -> duckdb.DuckDBPyConnection:
        notify_statement(sql, params)
        statements = to_duckdb(sql)
        if len(statements) != 1:
            raise MultipleStatementsError(len(statements))
        text, names = statements[0]
        missing = [n for n in names if n not in (params or {})]
        if missing:
            raise ValueError(f"missing query parameter(s): {missing}")
        bound = {n: _plain((params or {})[n]) for n in names}
        return self._con.execute(text, bound) if bound else self._con.execute(text)

    def query(self, sql: str | Path, params: Mapping[str, Any] | None = None) -> list[Row]:
        return self.query_typed(sql, params)[1]

    def query_typed(self, sql: str | Path,
                    params: Mapping[str, Any] | None = None) -> tuple[list[tuple[str, str]], list[Row]]:
        """The rows and each result column's DuckDB type (the differential check compares types too)."""
        with self._lock:
            cursor = self._run(sql_text(sql), params)
            if cursor.description is None:
                return [], []
            columns = [(d[0], str(d[1])) for d in cursor.description]
            names = [name for name, _ in columns]
            return columns, [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def execute_script(self, sql: str | Path, params: Mapping[str, Any] | None = None) -> None:
        with self._lock:
            script = sql_text(sql)
            notify_statement(script, params)
            for text, names in to_duckdb(script):
                bound = {n: _plain((params or {})[n]) for n in names}
                self._con.execute(text, bound) if bound else self._con.execute(text)

    def column_types(self, table: str) -> dict[str, str]:
        with self._lock:  # catalog lookup in DuckDB's own dialect
            rows = self._con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_name = $t and table_schema = 'main' order by ordinal_position", {"t": table},
            ).fetchall()
        return dict(rows)

    def merge(self, table: str, rows: Any, key: Sequence[str] | None = None,
              volatile: Sequence[str] = (), insert: bool = True) -> int:
        with self._lock:  # staging lives on this connection; keep stage + merge together
            return super().merge(table, rows, key, volatile, insert)

    def bigquery_column_types(self, table: str) -> dict[str, str]:
        return {name: bigquery_type_name(kind) for name, kind in self._known_columns(table).items()}

    def _stage(self, table: str, columns: list[str], rows: list[Row]) -> str:

        # Temp tables are per connection and merges hold the lock, so one name per table will do: the MERGE
        # text then repeats and its transpiled form is cached. `or replace` clears a stage a failed load left.
        stage = f"_stage_{table}"
        cols = ", ".join(columns)
        self._con.execute(f"create or replace temp table {stage} as select {cols} from {table} limit 0")
        self._insert(stage, columns, rows)
        return stage

    def _append(self, table: str, columns: list[str], rows: list[Row]) -> None:
        with self._lock:
            self._insert(table, columns, rows)

    def _insert(self, target: str, columns: list[str], rows: list[Row]) -> None:
        import pyarrow as pa

        self._con.register("_incoming", pa.table({c: _arrow_column([r[c] for r in rows]) for c in columns}))
        try:
            self._con.execute(f"insert into {target} by name select * from _incoming")
        finally:
            self._con.unregister("_incoming")

    def _drop_stage(self, stage: str) -> None:
        self._con.execute(f"drop table if exists {stage}")

    def _run_dml(self, sql: str) -> int:
        result = self._run(sql, None).fetchone()
        return int(result[0]) if result else 0

    def _apply_view(self, ddl: str) -> None:
        with self._lock:
            self.execute_script(ddl)
            marker = self._view_marker(ddl).replace("'", "''")
            self._con.execute(f"comment on view {ddl_text.view_name(ddl)} is '{marker}'")

    def _stored_views(self) -> dict[str, str]:
        """Each view's comment holds the fingerprint of the DuckDB SQL it was created from."""
        with self._lock:
            rows = self._con.execute("select view_name, coalesce(comment, '') from duckdb_views() "
                                     "where not internal and schema_name = 'main'").fetchall()
        return dict(rows)

    def _view_marker(self, ddl: str) -> str:
        return view_fingerprint(";\n".join(text for text, _ in to_duckdb(ddl)))

    def vector_search(self, table: str, column: str, query_vector: Sequence[float], top_k: int,
                      select: Sequence[str], where: str | None = None,
                      params: Mapping[str, Any] | None = None) -> list[Row]:
        cols = ", ".join(select)
        filters = f"array_length({column}) > 0" + (f" and ({where})" if where else "")
        sql = (f"select {cols}, 1 - list_cosine_similarity({column}, @_query_vector) as distance "
               f"from {table} where {filters} order by distance limit {int(top_k)}")
        return self.query(sql, {**(params or {}), "_query_vector": [float(v) for v in query_vector]})

    def close(self) -> None:
        with self._lock:
            self._con.close()


def _arrow_column(values: list[Any]) -> Any:
    """An Arrow array for one column; values of mixed types fall back to text (DuckDB casts on insert)."""
    import pyarrow as pa

    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())
