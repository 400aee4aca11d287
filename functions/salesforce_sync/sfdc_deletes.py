"""Deletes queryAll cannot show: a record deleted for good (recycle bin emptied, ~15 days) vanishes from it.

Two ways catch them, one per kind of listing:

- A **full listing** appends the ids of each committed batch to `sf_listing_seen` under its `sync_id`. When it
  completes, one UPDATE per table (`jobs/sfdc_reconcile_<table>.sql`) flags the live rows it did not return
  `is_deleted = true, deleted_at = <that run's time>`, then its ids are dropped. Split over several invocations,
  the ids of every batch are still there at the end, so nothing read by an earlier invocation is flagged.
- An **incremental run** asks getDeleted for the window since the last one: one request per object (at most 30
  days; the start is the checkpoint in sync_state `<Object>#deleted`, `{"covered": "<latestDateCovered>"}`, so
  nothing is asked twice or skipped). A completed full listing sets `covered` to the listing's start (when
  the checkpoint is missing, has a gap or is more than a day older than that).
  When the window starts before what getDeleted still holds (`earliestDateAvailable`, or more than 30 days ago),
  the deletes in between cannot be listed: the checkpoint keeps `"gap": "<start>"` and every incremental run
  fails the object with `DeletesNotCoveredError` until a full sync (`sync_type = full`) reconciles it.

User is not deletable (deactivated instead) and takes no part in either.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sfdc_client import SalesforceApiError, SalesforceClient
from sfdc_listing import JOB, Listing, Record
from sfdc_streams import Stream
from sfdc_values import cursor_text, parse_datetime

from shared.ledger import Run, RunLedger
from shared.log import get_logger
from shared.warehouse import Warehouse, merge_sql

log = get_logger(__name__)
DELETED_SUFFIX = "#deleted"
SEEN_TABLE = "sf_listing_seen"
MAX_WINDOW = dt.timedelta(days=30)
"""getDeleted answers for at most the last 30 days; a request never spans more."""
REACH = MAX_WINDOW - dt.timedelta(hours=1)
"""How far back a request may start, with a margin for clock skew against Salesforce's own clock."""
STALE = dt.timedelta(days=1)
"""A completed full listing moves the checkpoint to its start only when the checkpoint is older than this (or
missing, or has a gap): re-asking a day of deletes already reconciled is harmless, and a repeated full sync
leaves sync_state as it was."""
SEEN_MAX_AGE = dt.timedelta(days=30)
"""A full listing older than this is not reconciled: sf_listing_seen partitions expire after 60 days."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class DeletesNotCoveredError(Exception):
    """getDeleted can no longer list the deletes of a past window; only a full sync can reconcile them."""


@dataclass
class DeleteCheckpoint:
    covered: str
    """Deletes up to this moment are applied (getDeleted's latestDateCovered, or a full listing's start)."""
    gap: str | None = None
    """Deletes from this moment on could not all be listed; set until a full listing completes."""

    def dump(self) -> str:
        return json.dumps({k: v for k, v in (("covered", self.covered), ("gap", self.gap)) if v}, sort_keys=True)

    @classmethod
    def load(cls, text: str | None) -> DeleteCheckpoint | None:
        try:
            found = json.loads(text) if text else None
            return cls(str(found["covered"]), found.get("gap")) if isinstance(found, dict) else None
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring an unreadable deletes checkpoint", extra={"checkpoint": str(text)[:200]})
            return None


def _minute(value: dt.datetime) -> dt.datetime:
    """getDeleted ignores seconds."""
    return value.astimezone(dt.UTC).replace(second=0, microsecond=0)


@dataclass
class DeleteTracker:
    stream: Stream
    client: SalesforceClient
    warehouse: Warehouse
    ledger: RunLedger
    run: Run
    now: Callable[[], dt.datetime] = lambda: utcnow()

    @property
    def scope(self) -> str:
        return self.stream.object_type + DELETED_SUFFIX

    @property
    def table(self) -> str:
        return self.stream.table

    def start_listing(self, listing: Listing) -> None:
        """A new full listing: the ids it returns are kept under this run's id."""
        if listing.full:
            listing.sync_id, listing.started = self.run.run_id, cursor_text(self.now())

    def seen(self, listing: Listing, records: list[Record]) -> None:
        if not (self.stream.deletable and listing.full and listing.sync_id):
            return
        at = self.now()
        self.warehouse.append(SEEN_TABLE, [{"listing_id": listing.sync_id, "object_type": self.stream.object_type,
                                            "record_id": str(r["Id"]), "seen_at": at, "_run_id": self.run.run_id}
                                           for r in records])

    def reconcile(self, listing: Listing) -> int:
        """The full listing is complete: flag the live rows it did not return; returns how many."""
        if not (self.stream.deletable and listing.sync_id and listing.started):
            if self.stream.deletable:
                log.warning("full listing of %s has no record of the ids it returned (checkpoint from an older "
                            "version); deletes are not reconciled this time", self.stream.object_type)
            return 0
        if parse_datetime(listing.started) < self.now() - SEEN_MAX_AGE:
            log.warning("full listing of %s started %s, too long ago to reconcile deletes",
                        self.stream.object_type, listing.started)
            return 0
        at = self.now()
        params = {"listing_id": listing.sync_id, "deleted_at": at, "synced_at": self.run.started_at,
                  "run_id": self.run.run_id}
        if self.stream.custom:
            self.warehouse.query(merge_sql.reconcile_deleted(self.table, self.stream.key, self.stream.object_type),
                                 params)
            found = self.warehouse.query(merge_sql.reconciled_count(self.table),
                                         {"run_id": self.run.run_id, "deleted_at": at})
        else:
            self.warehouse.query(f"jobs/sfdc_reconcile_{self.table}.sql", params)
            found = self.warehouse.query("jobs/sfdc_reconciled_count.sql", {
                "object_type": self.stream.object_type, "run_id": self.run.run_id, "deleted_at": at})
        flagged = int(found[0]["flagged"]) if found else 0
        log.info("full listing of %s reconciled: %d rows no longer at the source flagged deleted",
                 self.stream.object_type, flagged, extra={"scope": self.stream.object_type, "flagged": flagged})
        saved = DeleteCheckpoint.load(self.ledger.get_cursor(JOB, self.scope))
        if saved is None or saved.gap or parse_datetime(saved.covered) < parse_datetime(listing.started) - STALE:
            self.save(DeleteCheckpoint(listing.started))
        return flagged

    def forget_seen(self, listing: Listing) -> None:
        """After the done marker is saved (never before: a resumed listing would reconcile without its ids)."""
        if self.stream.deletable and listing.sync_id:
            self.warehouse.query("jobs/sfdc_listing_seen_clear.sql",
                                 {"listing_id": listing.sync_id, "object_type": self.stream.object_type})

    def catch_up(self, listed_from: dt.datetime, synced_before: dt.datetime | None,
                 committed: Callable[[int], None]) -> None:
        """After a completed incremental listing: apply what getDeleted lists since the checkpoint (one request),
        `committed(n)` with the rows flagged. `listed_from`: when this run's listing started; `synced_before`:
        the object's cursor before this run (None when this run listed every record: no earlier delete is
        missing). Raises DeletesNotCoveredError, after committing, while the checkpoint has a gap."""
        if not self.stream.deletable:
            return
        saved = DeleteCheckpoint.load(self.ledger.get_cursor(JOB, self.scope))
        if saved is None:
            if synced_before is None:
                self.save(DeleteCheckpoint(cursor_text(listed_from)))
                return
            saved = DeleteCheckpoint(cursor_text(synced_before))
        now, start, gap = self.now(), parse_datetime(saved.covered), saved.gap
        if start < now - REACH:
            gap, start = gap or saved.covered, now - REACH
        if _minute(now) - _minute(start) < dt.timedelta(minutes=1):  # nothing new to ask yet
            if gap:
                self.not_covered(gap)
            return
        end = min(now, start + MAX_WINDOW)
        covered = end
        try:
            reply = self.client.get_deleted(self.stream.object_type, start, end)
        except SalesforceApiError as failure:
            if failure.code != "INVALID_REPLICATION_DATE":
                raise
            gap = gap or cursor_text(start)
        else:
            if parse_datetime(str(reply["earliestDateAvailable"])) > start:
                gap = gap or cursor_text(start)
            committed(self.flag(reply.get("deletedRecords") or []))
            covered = parse_datetime(str(reply["latestDateCovered"])) if reply.get("latestDateCovered") else end
        self.save(DeleteCheckpoint(cursor_text(covered), gap))
        if gap:
            self.not_covered(gap)

    def flag(self, deleted: list[dict[str, Any]]) -> int:
        """Flag the stored live rows of the ids getDeleted listed, each with its deletedDate."""
        when = {str(d["id"]): parse_datetime(str(d["deletedDate"])) for d in deleted}
        if not when:
            return 0
        ids = sorted(when)
        live = self.warehouse.query(merge_sql.live_ids(self.table, self.stream.key), {"record_ids": ids}) \
            if self.stream.custom else \
            self.warehouse.query("jobs/sfdc_live_ids.sql", {"object_type": self.stream.object_type, "record_ids": ids})
        rows = [{self.stream.key: r["record_id"], "is_deleted": True, "deleted_at": when[r["record_id"]],
                 "_synced_at": self.run.started_at, "_run_id": self.run.run_id} for r in live]
        return self.warehouse.merge(self.table, rows, key=(self.stream.key,),
                                    volatile=("_synced_at", "_run_id")) if rows else 0

    def not_covered(self, gap: str) -> None:
        message = (f"getDeleted no longer lists {self.stream.object_type} deletes since {gap}: rows deleted at the "
                   "source since then may still look live; run a full sync (sync_type=full) to reconcile them")
        log.error(message, extra={"scope": self.stream.object_type, "gap_since": gap})
        raise DeletesNotCoveredError(message)

    def save(self, checkpoint: DeleteCheckpoint) -> None:
        self.ledger.set_cursor(JOB, self.scope, checkpoint.dump(), self.run.run_id)

