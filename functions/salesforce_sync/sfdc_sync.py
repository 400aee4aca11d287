"""Syncing one Salesforce object into its table: fields checked against describe, records read by REST (ordered
by SystemModstamp, Id) or by a Bulk API 2.0 job, merged batch by batch, cursor and checkpoint saved after each
commit, the time budget checked between batches.

Two values per object live in sync_state (job `salesforce-sync`):

- scope `<Object>`: the cursor, the newest committed SystemModstamp (ISO 8601, milliseconds). It never moves
  back; an incremental listing starts at it less the lookback.
- scope `<Object>#listing`: the checkpoint of an unfinished listing (JSON, see `Listing`), saved after each
  committed batch that has more after it. The next run, whatever its sync_type, resumes it first (a full request
  does not resume an incremental listing: it starts a full one); a REST listing resumes after its last committed
  (SystemModstamp, Id), a Bulk job is resumed by its id at its saved result-set locator, never created again.
  A completed incremental listing is cleared (saved as ""); a completed full listing leaves `{"done": true}`, so
  that while other objects of the same full sync are still unfinished, a repeated full request resumes those
  and leaves the finished ones alone instead of listing them all over again (see `full_sync_unfinished`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from sfdc_client import SalesforceApiError, SalesforceClient
from sfdc_streams import CURSOR_FIELD, REQUIRED_FIELDS, Stream, build_row
from sfdc_values import cursor_text, parse_datetime, soql_datetime, typed

from shared.budget import OutOfTime, TimeBudget, unlimited
from shared.ledger import Run, RunLedger
from shared.log import get_logger
from shared.warehouse import Warehouse

log = get_logger(__name__)
JOB = "salesforce-sync"
LISTING_SUFFIX = "#listing"
VOLATILE = ("_synced_at", "_run_id")
Record = dict[str, Any]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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


@dataclass
class Listing:
    """The checkpoint of one object's unfinished listing, stored as JSON in sync_state `<Object>#listing`.

    REST: `{"api": "rest", "full": true, "high": "<SystemModstamp>", "after_id": "<Id>"}`, the last committed
    record in (SystemModstamp, Id) order; the listing resumes with `SystemModstamp > high OR (SystemModstamp =
    high AND Id > after_id)`.
    Bulk: `{"api": "bulk", "full": true, "job": "<job id>", "created": "<UTC>", "complete": false,
    "locator": "<next result set>", "high": "<SystemModstamp>"}`: saved as soon as the job is created, then
    after each committed result set; `high` is the newest SystemModstamp of the sets committed so far (Bulk
    results are unordered, so the object's cursor takes it only when the job is fully loaded).
    """

    api: Literal["rest", "bulk"]
    full: bool
    high: str | None = None
    after_id: str | None = None
    job: str | None = None
    created: str | None = None
    complete: bool = False
    locator: str = ""
    done: bool = False
    """A full listing that completed, whichever API read it: `{"done": true, "full": true}`."""

    @property
    def unfinished(self) -> bool:
        return not self.done

    def dump(self) -> str:
        names = ("done", "full") if self.done else ("api", "full", "high", "after_id") \
            if self.api == "rest" else ("api", "full", "job", "created", "complete", "locator", "high")
        kept = {name: getattr(self, name) for name in names if getattr(self, name) is not None}
        return json.dumps(kept, sort_keys=True)

    @classmethod
    def load(cls, text: str | None) -> Listing | None:
        """The saved checkpoint; None when there is none (or it cannot be read, which restarts the listing)."""
        if not text:
            return None
        try:
            found = json.loads(text)
            listing = cls("rest", full=True, done=True) if found == {"done": True, "full": True} else cls(**found)
        except (ValueError, TypeError) as exc:
            log.warning("ignoring an unreadable listing checkpoint: %s", exc, extra={"checkpoint": text[:200]})
            return None
        if listing.api not in ("rest", "bulk") or (not listing.done and (
                (listing.api == "bulk" and not listing.job) or
                (listing.api == "rest" and not (listing.high and listing.after_id)))):
            log.warning("ignoring an incomplete listing checkpoint", extra={"checkpoint": text[:200]})
            return None
        return listing


@dataclass(frozen=True)
class Batch:
    records: list[Record]
    more: bool
    """More records follow in this listing (a page or result set not fetched yet)."""


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
        types = self.field_types()
        stored = self.ledger.get_cursor(JOB, self.scope)
        listing = self.resumable(saved)
        since: dt.datetime | None = None
        if listing is None:
            previous = None if self.options.full else stored
            since = parse_datetime(previous) - self.options.lookback if previous else None
            bulk = since is None and self.client.count(self.scope) > self.options.bulk_threshold
            listing = Listing("bulk" if bulk else "rest", full=since is None)
        else:
            log.info("resuming the unfinished %s listing of %s", listing.api, self.scope,
                     extra={"scope": self.scope, "checkpoint": listing.dump()})
        if listing.api == "bulk":
            read, cursor = self.load_bulk(types, listing, stored, committed)
        else:
            read, cursor = self.load_rest(types, listing, since, stored, committed)
        log.info("synced %s: %d records read", self.scope, read, extra={
            "scope": self.scope, "mode": listing.api, "since": since and since.isoformat(), "cursor": cursor})

    def resumable(self, listing: Listing | None) -> Listing | None:
        if listing is None or listing.done:
            return None
        if self.options.full and not listing.full:
            log.info("a full sync of %s replaces its unfinished incremental listing", self.scope,
                     extra={"scope": self.scope})
            return None
        return listing

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

    # REST: ordered by (SystemModstamp, Id), so a committed batch moves the cursor and the checkpoint forward.

    def load_rest(self, types: dict[str, str], listing: Listing, since: dt.datetime | None, stored: str | None,
                  committed: Callable[[int], None]) -> tuple[int, str | None]:
        cursor, read = stored, 0
        for batch in self.rest_batches(self.rest_soql(types, listing, since), types):
            if batch.records:
                committed(self.merge(batch.records))
                read += len(batch.records)
                last = batch.records[-1]
                listing.high, listing.after_id = cursor_text(last[CURSOR_FIELD]), str(last["Id"])
                if batch.more:
                    self.save_listing(listing)
                cursor = stored = self.save_cursor(_later(cursor, last[CURSOR_FIELD]), stored)
            if batch.more:
                self.budget.checkpoint(f"{self.scope} records up to {listing.high}")
        self.finish_listing(listing)
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
            records.extend({name: typed(raw.get(name), kind) for name, kind in types.items()} for raw in page.records)
            if len(records) >= self.options.batch_size or not page.more:
                yield Batch(records, page.more)
                records = []

    # Bulk API 2.0: one job per listing, resumed by id and locator; the cursor moves when the job is loaded.

    def load_bulk(self, types: dict[str, str], listing: Listing, stored: str | None,
                  committed: Callable[[int], None]) -> tuple[int, str | None]:
        resumed = listing.job is not None
        try:
            return self.read_bulk_job(types, listing, stored, committed)
        except SalesforceApiError as failure:
            if not (resumed and failure.status == 404):
                raise
        log.warning("Bulk job %s of %s is gone; starting a new one", listing.job, self.scope,
                    extra={"scope": self.scope, "job_id": listing.job})
        return self.read_bulk_job(types, Listing("bulk", full=listing.full), stored, committed)

    def read_bulk_job(self, types: dict[str, str], listing: Listing, stored: str | None,
                      committed: Callable[[int], None]) -> tuple[int, str | None]:
        opts = self.options
        if listing.job is None:
            listing.job = self.client.create_bulk_query(self.scope, f"SELECT {', '.join(types)} FROM {self.scope}")
            listing.created = cursor_text(self.now())
            self.save_listing(listing)
        if not listing.complete:
            self.wait_for_job(listing)
            listing.complete = True
        read = 0
        while True:
            result = self.client.bulk_result_set(self.scope, listing.job, listing.locator, opts.batch_size)
            batch = Batch([{name: typed(raw[name], kind) for name, kind in types.items() if name in raw}
                           for raw in csv.DictReader(io.StringIO(result.csv))], bool(result.locator))
            if batch.records:
                committed(self.merge(batch.records))
                read += len(batch.records)
                newest = max(r[CURSOR_FIELD] for r in batch.records)
                listing.high = _later(listing.high, newest)
            if not batch.more:
                break
            listing.locator = result.locator
            self.save_listing(listing)
            self.budget.checkpoint(f"{self.scope} Bulk job {listing.job} result set")
        cursor = self.save_cursor(_later(stored, parse_datetime(listing.high)) if listing.high else stored, stored)
        self.finish_listing(listing)
        return read, cursor

    def wait_for_job(self, listing: Listing) -> None:
        """Poll until JobComplete, no longer than what is left of the time budget (pending: the job id is saved)
        nor past SALESFORCE_BULK_TIMEOUT_SECONDS from the job's creation (failed: the job is aborted)."""
        job = str(listing.job)
        timeout_at = parse_datetime(str(listing.created)) + dt.timedelta(seconds=self.options.bulk_timeout_seconds)
        left = max(0.0, (timeout_at - self.now()).total_seconds())
        wait = self.budget.bounded(left)
        try:
            state = self.client.wait_for_bulk_job(self.scope, job, self.options.bulk_poll_seconds, wait)
        except SalesforceApiError as failure:
            if failure.code in ("BULK_JOB_FAILED", "BULK_JOB_ABORTED"):
                self.clear_listing()
            raise
        if state == "JobComplete":
            return
        if wait >= left:  # the Bulk timeout, not the time budget, ended the wait
            self.abandon_job(job)
            raise SalesforceApiError("BULK_JOB_TIMEOUT", f"job {job} still {state} after "
                                                         f"{self.options.bulk_timeout_seconds:g}s")
        raise OutOfTime(f"time budget of {self.budget.seconds:g} s spent while Bulk job {job} is {state}; "
                        "it is resumed by id next run")

    def abandon_job(self, job: str) -> None:
        """Abort a job that ran past the Bulk timeout (best effort) and forget it: the next run creates another."""
        try:
            self.client.abort_bulk_job(self.scope, job)
        except SalesforceApiError as failure:
            log.warning("could not abort Bulk job %s: %s", job, failure, extra={"scope": self.scope})
        self.clear_listing()

    # Shared by both.

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

    def save_listing(self, listing: Listing) -> None:
        text = listing.dump()
        if text != self.saved_listing:
            self.ledger.set_cursor(JOB, self.listing_scope, text, self.run.run_id)
            self.saved_listing = text

    def finish_listing(self, listing: Listing) -> None:
        """The listing is complete: a full one is marked done, an incremental one cleared."""
        if listing.full:
            self.save_listing(Listing(listing.api, full=True, done=True))
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


def _later(cursor: str | None, stamp: dt.datetime) -> str:
    """The later of a stored cursor and a committed SystemModstamp: a cursor never moves back."""
    if cursor is not None and parse_datetime(cursor) >= stamp:
        return cursor
    return cursor_text(stamp)


def full_sync_unfinished(listings: dict[str, str | None]) -> bool:
    """Some object (of those named, with their `#listing` values) has a full listing that is not done yet."""
    found = (Listing.load(text) for text in listings.values())
    return any(listing is not None and listing.full and listing.unfinished for listing in found)
