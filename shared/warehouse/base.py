"""The warehouse contract shared by the BigQuery and DuckDB backends.

SQL is BigQuery Standard SQL with unqualified table names and named `@params`. A query argument ending in
`.sql` is a path under `sql/`. Loads go through `merge`: rows are staged by a bulk load (never streaming
inserts), then one MERGE on the table's key upserts them.
"""

from __future__ import annotations

import abc
import contextlib
import datetime as dt
import decimal
import hashlib
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared import sqlfiles
from shared.log import get_logger
from shared.warehouse import ddl_text, merge_sql

log = get_logger(__name__)
Row = dict[str, Any]
_LOCKS_GUARD = threading.Lock()
StatementObserver = Callable[[str, Mapping[str, Any]], None]
_OBSERVERS: list[StatementObserver] = []


@contextlib.contextmanager
def observe_statements(observer: StatementObserver) -> Iterator[None]:
    """Call `observer(bigquery_sql, params)` for every statement any warehouse in this process sends
    (before transpiling), while the block runs: how the analyzer check sees the SQL the code composes."""
    _OBSERVERS.append(observer)
    try:
        yield
    finally:
        _OBSERVERS.remove(observer)


def notify_statement(sql: str, params: Mapping[str, Any] | None) -> None:
    for observer in list(_OBSERVERS):
        observer(sql, params or {})


@dataclass(frozen=True)
class Typed:
    """A query parameter with an explicit BigQuery type (needed for NULLs and empty arrays)."""

    value: Any
    type: str


def sql_text(sql: str | Path) -> str:
    if isinstance(sql, Path):
        return sql.read_text()
    if sql.strip().endswith(".sql") and "\n" not in sql.strip():
        return sqlfiles.read_sql(sql.strip())
    return sql


_SURROGATES = re.compile("[\ud800-\udfff]")


def valid_text(value: Any) -> Any:
    """`value` with every lone surrogate (a JSON `\\udc80` escape decodes to one) replaced by U+FFFD, inside
    lists and structs too: a STRING must be valid UTF-8 in BigQuery and in DuckDB, and such a value would fail
    the whole batch's load."""
    if isinstance(value, str):
        return _SURROGATES.sub("\ufffd", value) if _SURROGATES.search(value) else value
    if isinstance(value, list | tuple):
        if value and isinstance(value[0], int | float):
            return value  # a vector or a list of numbers: nothing to check, and embeddings are long
        return [valid_text(v) for v in value]
    if isinstance(value, Mapping):
        return {k: valid_text(v) for k, v in value.items()}
    return value


def rows_with_columns(rows: Iterable[Mapping[str, Any]], key: Sequence[str]) -> tuple[list[str], list[Row]]:
    """Columns (union, first-seen order) and rows deduplicated on key, last one wins; text made valid UTF-8."""
    columns: dict[str, None] = {}
    unique: dict[tuple[Any, ...], Row] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
        try:
            unique[tuple(row[k] for k in key)] = {k: valid_text(v) for k, v in row.items()}
        except KeyError as exc:
            raise ValueError(f"row lacks key column {exc}") from None
    names = list(columns)
    return names, [{c: r.get(c) for c in names} for r in unique.values()]


class Warehouse(abc.ABC):
    """Query, schema and load operations on one dataset."""

    dialect_note = "BigQuery Standard SQL"

    @abc.abstractmethod
    def query(self, sql: str | Path, params: Mapping[str, Any] | None = None) -> list[Row]:
        """Run one statement (BigQuery SQL text or a path under sql/) and return its rows as dicts."""

    @abc.abstractmethod
    def execute_script(self, sql: str | Path, params: Mapping[str, Any] | None = None) -> None:
        """Run every statement of a multi-statement file, in order."""

    @abc.abstractmethod
    def column_types(self, table: str) -> dict[str, str]:
        """Column name → type name for an existing table ({} when it does not exist)."""

    @abc.abstractmethod
    def _stage(self, table: str, columns: list[str], rows: list[Row]) -> str:
        """Bulk-load rows into a fresh staging table shaped like `table`; return its name."""

    @abc.abstractmethod
    def _drop_stage(self, stage: str) -> None: ...

    @abc.abstractmethod
    def _run_dml(self, sql: str) -> int:
        """Run one DML statement; return the number of rows it affected."""

    @abc.abstractmethod
    def _apply_view(self, ddl: str) -> None: ...

    @abc.abstractmethod
    def vector_search(self, table: str, column: str, query_vector: Sequence[float], top_k: int,
                      select: Sequence[str], where: str | None = None,
                      params: Mapping[str, Any] | None = None) -> list[Row]:
        """Nearest rows to `query_vector` by cosine distance: the `select` columns plus `distance`
        (0 = same direction), closest first. `where` filters the base rows before the search."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def merge(self, table: str, rows: Iterable[Mapping[str, Any]], key: Sequence[str] | None = None,
              volatile: Sequence[str] = (), insert: bool = True) -> int:
        """Upsert rows on `key` (default: the table file's declared key); returns rows inserted or changed.

        Only the columns present in the rows are written, so other columns (embeddings, resolution
        results) survive a re-sync. A matched row is updated only when a non-`volatile` column differs,
        so re-loading unchanged data changes nothing. With `insert` false, rows the table lacks are left out
        (a back-fill of some columns)."""
        key = tuple(key or sqlfiles.table_key(table))
        columns, unique = rows_with_columns(rows, key)
        if not unique:
            return 0
        types = self._known_columns(table)
        unknown = [c for c in columns if c not in types]
        if unknown:
            raise ValueError(f"{table} has no column(s) {unknown}")
        with self._table_lock(table):  # concurrent MERGEs into one BigQuery table conflict; take turns
            stage = self._stage(table, columns, unique)
            try:
                statement = merge_sql.build(table, stage, columns, key, types, volatile, insert)
                return self._run_dml(statement)
            finally:
                self._drop_stage(stage)

    def append(self, table: str, rows: Iterable[Mapping[str, Any]]) -> int:
        """Insert rows as they are, by a bulk load (no DML: appends never conflict with concurrent writers).
        For rows written exactly once, such as the ledger's; returns the number of rows."""
        listed = [{k: valid_text(v) for k, v in row.items()} for row in rows]
        if not listed:
            return 0
        columns = list(dict.fromkeys(c for row in listed for c in row))
        unknown = [c for c in columns if c not in self._known_columns(table)]
        if unknown:
            raise ValueError(f"{table} has no column(s) {unknown}")
        self._append(table, columns, [{c: row.get(c) for c in columns} for row in listed])
        return len(listed)

    @abc.abstractmethod
    def _append(self, table: str, columns: list[str], rows: list[Row]) -> None:
        """Bulk-load rows into `table` itself (WRITE_APPEND)."""

    def _known_columns(self, table: str) -> dict[str, str]:
        """Column types, looked up once per table per process (ensure_schema forgets them)."""
        cache: dict[str, dict[str, str]] = self.__dict__.setdefault("_column_cache", {})
        if not cache.get(table):
            cache[table] = self.column_types(table)
        return cache[table]

    def _forget_columns(self, table: str) -> None:
        self.__dict__.get("_column_cache", {}).pop(table, None)

    def bigquery_column_types(self, table: str) -> dict[str, str]:
        """Column name → BigQuery type name (`INT64`, `ARRAY<STRING>`), whichever engine holds the table; looked
        up once per table per process, like the columns `merge` checks (a schema change made here forgets it)."""
        return dict(self._known_columns(table))

    def add_column(self, table: str, column: str, ddl_type: str) -> None:
        """Add a nullable column now (a field configured after the table was created)."""
        self.query(merge_sql.add_column(merge_sql.identifier(table), merge_sql.identifier(column), ddl_type))
        self._forget_columns(table)

    def widen_column(self, table: str, column: str, ddl_type: str) -> None:
        """Change a column to a type that holds every value it has (INT64 → NUMERIC → FLOAT64)."""
        self.query(merge_sql.set_column_type(table, column, ddl_type))
        self._forget_columns(table)

    def create_table(self, table: str, columns: Mapping[str, str], key: str, description: str) -> None:
        """Create a table whose columns are known only at run time, unless it exists."""
        self.query(merge_sql.create_table(table, columns, key, description))
        self._forget_columns(table)

    def _table_lock(self, table: str) -> threading.Lock:
        with _LOCKS_GUARD:
            locks: dict[str, threading.Lock] = self.__dict__.setdefault("_merge_locks", {})
            return locks.setdefault(table, threading.Lock())

    def ensure_schema(self) -> list[str]:
        """Create missing tables, add missing columns, create missing views and replace those whose SQL changed.
        Idempotent; returns what changed (nothing when the warehouse already matches sql/)."""
        changed: list[str] = []
        self.__dict__.pop("_column_cache", None)
        for spec in sqlfiles.table_files().values():
            existing = self.column_types(spec.name)
            if not existing:
                self.execute_script(spec.ddl)
                changed.append(f"created table {spec.name}")
                continue
            for column, ddl_type in ddl_text.declared_columns(spec.ddl).items():
                if column not in existing:
                    self.query(merge_sql.add_column(spec.name, column, ddl_type))
                    changed.append(f"added {spec.name}.{column}")
        self._apply_views(changed)
        return changed

    @abc.abstractmethod
    def _stored_views(self) -> dict[str, str]:
        """View name → its marker as stored in the warehouse, for every existing view."""

    @abc.abstractmethod
    def _view_marker(self, ddl: str) -> str:
        """What `_stored_views` holds for a view once `ddl` has been applied."""

    def _apply_views(self, changed: list[str]) -> None:
        stored = self._stored_views()
        pending: list[tuple[str, str]] = []
        for path in sqlfiles.view_files():
            ddl = path.read_text()
            name = ddl_text.view_name(ddl)
            if name not in stored:
                pending.append((ddl, f"created view {name}"))
            elif stored[name] != self._view_marker(ddl):
                pending.append((ddl, f"replaced view {name} (its SQL changed)"))
        for _ in range(len(pending) + 1):
            failed: list[tuple[tuple[str, str], Exception]] = []
            for ddl, change in pending:
                try:
                    self._apply_view(ddl)
                    changed.append(change)
                except Exception as exc:  # a view may depend on one applied later in this pass
                    failed.append(((ddl, change), exc))
            if not failed:
                return
            if len(failed) == len(pending):
                raise failed[0][1]
            pending = [view for view, _ in failed]


def view_fingerprint(ddl: str) -> str:
    """A short digest of a view's SQL, kept beside the view where the warehouse has no readable definition."""
    return "sql-sha256:" + hashlib.sha256(ddl.encode()).hexdigest()[:32]


def json_ready(value: Any) -> Any:
    """A Python value as the JSON a BigQuery load job accepts."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    return value
