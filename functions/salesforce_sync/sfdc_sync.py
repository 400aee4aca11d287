"""Syncing one Salesforce object into its table: fields checked against describe, records read by REST (ordered
by SystemModstamp) or by a Bulk API 2.0 job, merged batch by batch, cursor advanced after each commit."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sfdc_client import SalesforceClient
from sfdc_streams import CURSOR_FIELD, REQUIRED_FIELDS, Stream, build_row
from sfdc_values import cursor_text, parse_datetime, soql_datetime, typed

from shared.ledger import Run, RunLedger
from shared.log import get_logger
from shared.warehouse import Warehouse

log = get_logger(__name__)
JOB = "salesforce-sync"
VOLATILE = ("_synced_at", "_run_id")
Record = dict[str, Any]


@dataclass(frozen=True)
class SyncOptions:
    full: bool = False
    lookback: dt.timedelta = dt.timedelta(minutes=5)
    bulk_threshold: int = 50_000
    batch_size: int = 2000
    region: str = "US"
    bulk_poll_seconds: float = 2.0
    bulk_timeout_seconds: float = 3600.0


class MissingFieldError(Exception):
    """The org hides a field no sync can do without (Id, SystemModstamp, IsDeleted)."""


def batched(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    iterator = iter(records)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


@dataclass
class ObjectSync:
    stream: Stream
    client: SalesforceClient
    warehouse: Warehouse
    ledger: RunLedger
    run: Run
    options: SyncOptions

    @property
    def scope(self) -> str:
        return self.stream.object_type

    def execute(self, committed: Callable[[int], None]) -> None:
        """Load every record the sync covers; `committed(n)` after each merge (n = rows inserted or changed)."""
        types = self.field_types()
        stored = self.ledger.get_cursor(JOB, self.scope)
        previous = None if self.options.full else stored
        since = parse_datetime(previous) - self.options.lookback if previous else None
        bulk = since is None and self.client.count(self.scope) > self.options.bulk_threshold
        records = self.bulk_records(types) if bulk else self.rest_records(types, since)
        cursor, read = previous, 0
        for batch in batched(records, self.options.batch_size):
            committed(self.merge(batch))
            read += len(batch)
            cursor = _later(cursor, max(r[CURSOR_FIELD] for r in batch))
            if not bulk:
                stored = self.save_cursor(cursor, stored)
        self.save_cursor(cursor, stored)
        log.info("synced %s: %d records read", self.scope, read, extra={
            "scope": self.scope, "mode": "bulk" if bulk else "rest", "since": since and since.isoformat(),
            "cursor": cursor})

    def field_types(self) -> dict[str, str]:
        """The stream's fields this org has, with their describe types; missing ones are skipped with a warning."""
        described = self.client.describe(self.scope)
        missing = [name for name in self.stream.fields if name not in described]
        if lost := [name for name in missing if name in REQUIRED_FIELDS]:
            raise MissingFieldError(f"{self.scope} has no {', '.join(lost)} field visible to this user")
        if missing:
            log.warning("%s lacks field(s) %s; syncing without them", self.scope, ", ".join(missing),
                        extra={"scope": self.scope, "missing_fields": missing})
        return {name: described[name] for name in self.stream.fields if name in described}

    def rest_records(self, types: dict[str, str], since: dt.datetime | None) -> Iterator[Record]:
        where = f" WHERE {CURSOR_FIELD} > {soql_datetime(since)}" if since else ""
        soql = f"SELECT {', '.join(types)} FROM {self.scope}{where} ORDER BY {CURSOR_FIELD} ASC"
        for page in self.client.query_pages(soql):
            for raw in page:
                yield {name: typed(raw.get(name), kind) for name, kind in types.items()}

    def bulk_records(self, types: dict[str, str]) -> Iterator[Record]:
        """Bulk API 2.0 results are unordered: the cursor is saved once the whole job is loaded."""
        soql = f"SELECT {', '.join(types)} FROM {self.scope}"
        opts = self.options
        for text in self.client.bulk_pages(self.scope, soql, opts.batch_size, opts.bulk_poll_seconds,
                                           opts.bulk_timeout_seconds):
            for raw in csv.DictReader(io.StringIO(text)):
                yield {name: typed(raw.get(name), kind) for name, kind in types.items()}

    def merge(self, batch: list[Record]) -> int:
        rows = []
        for record in batch:
            row = build_row(self.stream, record, self.options.region)
            row.update(_synced_at=self.run.started_at, _run_id=self.run.run_id)
            rows.append(row)
        return self.warehouse.merge(self.stream.table, rows, volatile=VOLATILE)

    def save_cursor(self, cursor: str | None, stored: str | None) -> str | None:
        """Store `cursor` unless it is what sync_state already holds; returns what it holds now."""
        if cursor is not None and cursor != stored:
            self.ledger.set_cursor(JOB, self.scope, cursor, self.run.run_id)
            return cursor
        return stored


def _later(cursor: str | None, stamp: dt.datetime) -> str:
    """The later of a stored cursor and a committed SystemModstamp: a cursor never moves back."""
    if cursor is not None and parse_datetime(cursor) >= stamp:
        return cursor
    return cursor_text(stamp)
