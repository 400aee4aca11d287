"""Fault hooks: an instance killed between committed batches, and a warehouse write that fails."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from shared.budget import TimeBudget
from shared.warehouse.base import Warehouse, sql_text
from shared.warehouse.duckdb_backend import DuckDBWarehouse

LEDGER_FILES = ("jobs/ledger_", "jobs/sync_state_")
DML_VERBS = ("merge", "insert", "update", "delete", "create or replace table")


class InstanceKilled(BaseException):
    """Raised at a batch boundary to stop the job as a killed instance stops: no scope, no ledger write after."""


class InjectedWarehouseError(RuntimeError):
    """An injected failure of one warehouse write."""


class Trip:
    """Counts calls and fires from the `after`-th one on (thread-safe); `fired` tells whether it ever did."""

    def __init__(self, after: int) -> None:
        self.after, self.calls, self.fired = after, 0, False
        self._lock = threading.Lock()

    def hit(self) -> bool:
        with self._lock:
            self.calls += 1
            if self.calls >= self.after:
                self.fired = True
            return self.fired

    def once(self) -> bool:
        """True at the `after`-th call only."""
        with self._lock:
            self.calls += 1
            hit = self.calls == self.after
            self.fired = self.fired or hit
            return hit


@contextlib.contextmanager
def kill_after_batches(batches: int) -> Iterator[Trip]:
    """`TimeBudget.checkpoint` (called after each committed batch) kills the instance at its `batches`-th call
    and at every call after it, so concurrent workers die at their next boundary too."""
    trip = Trip(batches)
    original = TimeBudget.checkpoint

    def checkpoint(self: TimeBudget, where: str = "") -> None:
        if trip.hit():
            raise InstanceKilled(f"instance killed after {trip.after} committed batch(es), at {where}")
        original(self, where)

    with _patched(TimeBudget, "checkpoint", checkpoint):
        yield trip


def is_data_write(sql: str | Path) -> bool:
    """A DML statement on the job's own tables (not the ledger's or the cursors')."""
    name = str(sql).strip()
    if name.endswith(".sql") and name.startswith(LEDGER_FILES):
        return False
    return sql_text(sql).lstrip().lower().startswith(DML_VERBS) or _first_code_line(sql).startswith(DML_VERBS)


def _first_code_line(sql: str | Path) -> str:
    for line in sql_text(sql).splitlines():
        stripped = line.strip().lower()
        if stripped and not stripped.startswith("--"):
            return stripped
    return ""


@contextlib.contextmanager
def fail_write(number: int) -> Iterator[Trip]:
    """The `number`-th data write (a `Warehouse.merge`, or a DML statement of the job) raises InjectedWarehouseError,
    once; the writes before and after it go through."""
    trip = Trip(number)
    merge, query = Warehouse.merge, DuckDBWarehouse.query

    def failing(kind: str) -> None:
        if trip.once():
            raise InjectedWarehouseError(f"injected warehouse failure in {kind} (data write {number})")

    def patched_merge(self: Warehouse, table: str, rows: Any, key: Any = None, volatile: Any = (),
                      insert: bool = True) -> int:
        listed = list(rows)
        if listed:
            failing(f"merge into {table}")
        return merge(self, table, listed, key, volatile, insert)

    def patched_query(self: Any, sql: str | Path, params: Mapping[str, Any] | None = None) -> Any:
        if is_data_write(sql):
            failing(f"statement {str(sql)[:60]}")
        return query(self, sql, params)

    with _patched(Warehouse, "merge", patched_merge), _patched(DuckDBWarehouse, "query", patched_query):
        yield trip


@contextlib.contextmanager
def _patched(owner: type, name: str, replacement: Any) -> Iterator[None]:
    original = owner.__dict__[name]
    setattr(owner, name, replacement)
    try:
        yield
    finally:
        setattr(owner, name, original)
