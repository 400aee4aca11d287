"""Batched, idempotent loads into the raw tables, and replacement of re-collected days.

Rows are merged in batches (only new or changed rows are written). When a unit of collection is complete
(a page of daily buckets, a day, a request window), the days it returned are pruned of rows the source no
longer reports, so re-collecting a day replaces it instead of leaving stale rows behind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from usage_rows import Row

from shared.ledger import JobResult
from shared.warehouse import Typed, Warehouse

VOLATILE = ("collected_at", "_run_id")


@dataclass(frozen=True)
class Prune:
    sql: str
    day_of: Callable[[Row], dt.date]
    key_of: Callable[[Row], str]


class Loader:
    def __init__(self, warehouse: Warehouse, batch_rows: int, result: JobResult) -> None:
        self.warehouse, self.batch_rows, self.result = warehouse, batch_rows, result

    def load(self, table: str, rows: Iterable[Row | None], prune: Prune | None = None) -> int:
        """Merge `rows` into `table` in batches; returns rows inserted or changed (also counted in the result)."""
        changed, batch, days, keys = 0, [], set(), []
        for row in rows:
            if row is None:
                continue
            batch.append(row)
            if prune is not None:
                days.add(prune.day_of(row))
                keys.append(prune.key_of(row))
            if len(batch) >= self.batch_rows:
                changed += self.warehouse.merge(table, batch, volatile=VOLATILE)
                batch = []
        changed += self.warehouse.merge(table, batch, volatile=VOLATILE)
        if prune is not None and days:
            self.replace_days(prune.sql, days, keys)
        self.result.add(table, changed)
        return changed

    def replace_days(self, sql: str, days: Iterable[dt.date], keys: list[str]) -> None:
        """Delete the rows of `days` whose keys are not in `keys` (everything of those days has been loaded)."""
        self.warehouse.query(sql, {"days": Typed(sorted(set(days)), "ARRAY<DATE>"),
                                   "keys": Typed(keys, "ARRAY<STRING>")})
