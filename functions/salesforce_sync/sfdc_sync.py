"""Syncing one Salesforce object into its table: fields checked against describe, records read by REST (ordered
by SystemModstamp, Id) or by a Bulk API 2.0 job (`sfdc_bulk`), merged batch by batch, cursor and checkpoint saved
after each commit, the time budget checked between batches, deletes tracked (`sfdc_deletes`).

Three values per object live in sync_state (job `salesforce-sync`):

- scope `<Object>`: the cursor, the newest committed SystemModstamp (ISO 8601, milliseconds). It never moves
  back; an incremental listing starts at it less the lookback.
- scope `<Object>#listing`: the checkpoint of an unfinished listing (JSON, see `sfdc_listing.Listing`), saved
  after each committed batch that has more after it. The next run, whatever its sync_type, resumes it first (a
  full request does not resume an incremental listing: it starts a full one); a REST listing resumes after its
  last committed (SystemModstamp, Id), a Bulk job is resumed by its id at its saved result-set locator, never
  created again.
- scope `<Object>#deleted`: how far getDeleted's deletes are applied (see `sfdc_deletes`).
- scope `<Object>#fields`: the configured extra fields last synced (see `sfdc_schema`), and `<Object>#backfill`
  the checkpoint of an unfinished back-fill of new ones (see `sfdc_backfill`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sfdc_bulk
from sfdc_backfill import FieldBackfill, described_types
from sfdc_client import SalesforceClient
from sfdc_deletes import DeleteTracker
from sfdc_fields import ExtraField
from sfdc_listing import JOB, LISTING_SUFFIX, Batch, Listing, Record, full_sync_unfinished, utcnow
from sfdc_schema import FieldPlan, SchemaEvolution
from sfdc_streams import CURSOR_FIELD, Stream, build_row
from sfdc_values import cursor_text, parse_datetime, soql_datetime, typed

from shared.budget import TimeBudget, unlimited
from shared.ledger import Run, RunLedger
from shared.log import get_logger
from shared.warehouse import Warehouse

log = get_logger(__name__)
VOLATILE = ("_synced_at", "_run_id")
SKIPPED = "sf_records_skipped"
"""The counter of records skipped because they cannot be stored (no Id: nothing to key the row on)."""
__all__ = ["JOB", "LISTING_SUFFIX", "SKIPPED", "ObjectSync", "SyncOptions", "full_sync_unfinished"]


@dataclass(frozen=True)
class SyncOptions:
    full: bool = False
    lookback: dt.timedelta = dt.timedelta(minutes=5)
    bulk_threshold: int = 50_000
    batch_size: int = 2000
    region: str = "US"
    bulk_poll_seconds: float = 2.0
    bulk_timeout_seconds: float = 3600.0
    extra_fields: Mapping[str, Sequence[str] | str] = field(default_factory=dict)
    """Object → its configured extra fields (a list, or "*")."""


class MissingFieldError(Exception):
    """The org hides a field no sync can do without (Id, SystemModstamp and, where the object has it,
    IsDeleted)."""


@dataclass
class ObjectSync:
    stream: Stream
    client: SalesforceClient
    warehouse: Warehouse
    ledger: RunLedger
    run: Run
    options: SyncOptions
    budget: TimeBudget = field(default_factory=unlimited)
    continuing: bool = False
    """This run continues an unfinished full sync: objects whose full listing is done are left alone."""
    saved_listing: str | None = None
    """The `<Object>#listing` value when the caller has read it already (else it is read here)."""
    preloaded: bool = False
    now: Callable[[], dt.datetime] = utcnow
    skipped: Callable[[int], None] = lambda n: None
    """Called with the number of records of a page or result set skipped (see `identified`)."""
    deletes: DeleteTracker = field(init=False)
    extras: list[ExtraField] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.deletes = DeleteTracker(self.stream, self.client, self.warehouse, self.ledger, self.run)

    @property
    def scope(self) -> str:
        return self.stream.object_type

    @property
    def listing_scope(self) -> str:
        return self.scope + LISTING_SUFFIX

    def execute(self, committed: Callable[[int], None]) -> None:
        """Load every record the sync covers; `committed(n)` after each merge (n = rows inserted or changed).
        Raises OutOfTime (the scope is pending) between batches once the time budget is spent."""
        if not self.preloaded:
            self.saved_listing = self.ledger.get_cursor(JOB, self.listing_scope)
        saved = Listing.load(self.saved_listing)
        if saved is not None and saved.done and self.options.full and self.continuing:
            log.info("%s is already loaded by the unfinished full sync; left alone until its other objects finish",
                     self.scope, extra={"scope": self.scope})
            return
        try:
            self.load(saved, committed)
        except Exception:
            if self.options.full:
                self.forget_done_marker()
            raise

    def load(self, saved: Listing | None, committed: Callable[[int], None]) -> None:
        described = self.client.describe(self.scope)
        types = self.field_types(described)
        kinds = described_types(described)
        wanted = self.options.extra_fields.get(self.scope, ())
        evolving = bool(wanted) or self.stream.custom
        plan = SchemaEvolution(self.stream, self.warehouse, self.ledger, self.run).plan(described, wanted) \
            if evolving else FieldPlan()
        self.extras = plan.extras
        types.update(plan.soql_types(kinds))
        stored = self.ledger.get_cursor(JOB, self.scope)
        listing = self.resumable(saved)
        backfill = FieldBackfill(self)
        if evolving:
            backfill.load()
            if listing is None and (self.options.full or stored is None):
                backfill.drop()  # this run lists every record with every field
            else:
                backfill.plan(plan.new, plan.extras)
        since: dt.datetime | None = None
        listed_from = self.deletes.now()
        if listing is None:
            previous = None if self.options.full else stored
            since = parse_datetime(previous) - self.options.lookback if previous else None
            bulk = since is None and self.client.count(self.scope) > self.options.bulk_threshold
            listing = Listing("bulk" if bulk else "rest", full=since is None)
            self.deletes.start_listing(listing)
        else:
            log.info("resuming the unfinished %s listing of %s", listing.api, self.scope,
                     extra={"scope": self.scope, "checkpoint": listing.dump()})
        if listing.api == "bulk":
            read, cursor = sfdc_bulk.load_bulk(self, types, listing, stored, committed)
        else:
            read, cursor = self.load_rest(types, listing, since, stored, committed)
        log.info("synced %s: %d records read", self.scope, read, extra={
            "scope": self.scope, "mode": listing.api, "since": since and since.isoformat(), "cursor": cursor})
        if not listing.full:
            self.deletes.catch_up(listed_from, parse_datetime(stored) if stored else None, committed)
        backfill.run(plan.extras, kinds, committed)
        plan.raise_conflicts()

    def resumable(self, listing: Listing | None) -> Listing | None:
        if listing is None or listing.done:
            return None
        if self.options.full and not listing.full:
            log.info("a full sync of %s replaces its unfinished incremental listing", self.scope,
                     extra={"scope": self.scope})
            return None
        return listing

    def field_types(self, fields: Sequence[Mapping[str, Any]]) -> dict[str, str]:
        """The stream's fields this org has, with their describe types; missing ones are skipped with a warning."""
        described = described_types(fields)
        missing = [name for name in self.stream.fields if name not in described and name not in self.stream.optional]
        if lost := [name for name in missing if name in self.stream.required]:
            raise MissingFieldError(f"{self.scope} has no {', '.join(lost)} field visible to this user")
        if missing:
            log.warning("%s lacks field(s) %s; syncing without them", self.scope, ", ".join(missing),
                        extra={"scope": self.scope, "missing_fields": missing})
        return {name: described[name] for name in self.stream.fields if name in described}

    # REST: ordered by (SystemModstamp, Id), so a committed batch moves the cursor and the checkpoint forward.

    def load_rest(self, types: dict[str, str], listing: Listing, since: dt.datetime | None, stored: str | None,
                  committed: Callable[[int], None]) -> tuple[int, str | None]:
        cursor, read = stored, 0
        for batch in self.rest_batches(self.rest_soql(types, listing, since), types):
            if batch.records:
                self.commit(listing, batch.records, committed)
                read += len(batch.records)
                last = batch.records[-1]
                listing.high, listing.after_id = cursor_text(last[CURSOR_FIELD]), str(last["Id"])
                if batch.more:
                    self.save_listing(listing)
                cursor = stored = self.save_cursor(sfdc_bulk.later(cursor, last[CURSOR_FIELD]), stored)
            if batch.more:
                self.budget.checkpoint(f"{self.scope} records up to {listing.high}")
        self.finish_listing(listing, committed)
        return read, cursor

    def rest_soql(self, types: dict[str, str], listing: Listing, since: dt.datetime | None) -> str:
        if listing.high and listing.after_id:
            high = soql_datetime(parse_datetime(listing.high))
            after = listing.after_id.replace("\\", "\\\\").replace("'", "\\'")
            where = f" WHERE {CURSOR_FIELD} > {high} OR ({CURSOR_FIELD} = {high} AND Id > '{after}')"
        else:
            where = f" WHERE {CURSOR_FIELD} > {soql_datetime(since)}" if since else ""
        return f"SELECT {', '.join(types)} FROM {self.scope}{where} ORDER BY {CURSOR_FIELD} ASC, Id ASC"

    def rest_batches(self, soql: str, types: dict[str, str]) -> Iterator[Batch]:
        """Whole pages, accumulated up to the batch size: a batch never ends inside a page, so stopping between
        batches never leaves a fetched page half committed."""
        records: list[Record] = []
        for page in self.client.query_pages(soql):
            records.extend(self.identified({name: typed(raw.get(name), kind) for name, kind in types.items()}
                                           for raw in page.records))
            if len(records) >= self.options.batch_size or not page.more:
                yield Batch(records, page.more)
                records = []

    # Shared by both.

    def identified(self, records: Iterable[Record]) -> list[Record]:
        """The records that have an Id; each other one is skipped, counted and logged (it has no row to key)."""
        kept, lacking = [], 0
        for record in records:
            if record.get("Id"):
                kept.append(record)
            else:
                lacking += 1
        if lacking:
            log.warning("skipped a record without Id: %d %s record(s) of a page", lacking, self.scope,
                        extra={"scope": self.scope, "reason": "no Id", "skipped": lacking})
            self.skipped(lacking)
        return kept

    def commit(self, listing: Listing, batch: list[Record], committed: Callable[[int], None]) -> None:
        """Merge a batch and, for a full listing, keep its ids for the delete reconciliation at the end."""
        rows = []
        for record in batch:
            row = build_row(self.stream, record, self.options.region, self.extras)
            row.update(_synced_at=self.run.started_at, _run_id=self.run.run_id)
            rows.append(row)
        committed(self.warehouse.merge(self.stream.table, rows, key=(self.stream.key,), volatile=VOLATILE))
        self.deletes.seen(listing, batch)

    def save_cursor(self, cursor: str | None, stored: str | None) -> str | None:
        """Store `cursor` unless it is what sync_state already holds; returns what it holds now."""
        if cursor is not None and cursor != stored:
            self.ledger.set_cursor(JOB, self.scope, cursor, self.run.run_id)
            return cursor
        return stored

    def save_listing(self, listing: Listing) -> None:
        text = listing.dump()
        if text != self.saved_listing:
            self.ledger.set_cursor(JOB, self.listing_scope, text, self.run.run_id)
            self.saved_listing = text

    def finish_listing(self, listing: Listing, committed: Callable[[int], None]) -> None:
        """The listing is complete: a full one reconciles deletes and is marked done (its seen ids are dropped
        only then, so a run that stops in between reconciles again), an incremental one is cleared."""
        if listing.full:
            committed(self.deletes.reconcile(listing))
            self.save_listing(Listing(listing.api, full=True, done=True))
            self.deletes.forget_seen(listing)
        else:
            self.clear_listing()

    def forget_done_marker(self) -> None:
        """A full sync that failed before saving a checkpoint must not leave an earlier full sync's done marker
        standing: a repeated full request would take the object as loaded and leave it alone."""
        saved = Listing.load(self.saved_listing)
        if saved is not None and saved.done:
            try:
                self.ledger.set_cursor(JOB, self.listing_scope, "", self.run.run_id)
                self.saved_listing = ""
            except Exception:
                log.exception("could not clear the done marker of %s", self.scope, extra={"scope": self.scope})

    def clear_listing(self) -> None:
        """Forget an unfinished listing (complete, or abandoned): the next run starts a new one. A done marker
        is kept."""
        saved = Listing.load(self.saved_listing)
        if saved is not None and saved.unfinished:
            self.ledger.set_cursor(JOB, self.listing_scope, "", self.run.run_id)
            self.saved_listing = ""

