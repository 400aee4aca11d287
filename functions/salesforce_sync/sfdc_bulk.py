"""A full listing read by a Bulk API 2.0 queryAll job: one job per listing, resumed by id and result-set locator;
the object's cursor moves once the whole job is loaded (Bulk results are unordered)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from typing import TYPE_CHECKING

from sfdc_client import SalesforceApiError
from sfdc_listing import Batch, Listing
from sfdc_streams import CURSOR_FIELD
from sfdc_values import cursor_text, parse_datetime, typed

from shared.budget import OutOfTime
from shared.log import get_logger

if TYPE_CHECKING:
    from sfdc_sync import ObjectSync

log = get_logger(__name__)


def later(cursor: str | None, stamp: dt.datetime) -> str:
    """The later of a stored cursor and a committed SystemModstamp: a cursor never moves back."""
    if cursor is not None and parse_datetime(cursor) >= stamp:
        return cursor
    return cursor_text(stamp)


def load_bulk(sync: ObjectSync, types: dict[str, str], listing: Listing, stored: str | None,
              committed: Callable[[int], None]) -> tuple[int, str | None]:
    resumed = listing.job is not None
    try:
        return read_bulk_job(sync, types, listing, stored, committed)
    except SalesforceApiError as failure:
        if not (resumed and failure.status == 404):
            raise
    log.warning("Bulk job %s of %s is gone; starting a new one", listing.job, sync.scope,
                extra={"scope": sync.scope, "job_id": listing.job})
    fresh = Listing("bulk", full=listing.full, sync_id=listing.sync_id, started=listing.started)
    return read_bulk_job(sync, types, fresh, stored, committed)


def read_bulk_job(sync: ObjectSync, types: dict[str, str], listing: Listing, stored: str | None,
                  committed: Callable[[int], None]) -> tuple[int, str | None]:
    if listing.job is None:
        listing.job = sync.client.create_bulk_query(sync.scope, f"SELECT {', '.join(types)} FROM {sync.scope}")
        listing.created = cursor_text(sync.now())
        sync.save_listing(listing)
    if not listing.complete:
        wait_for_job(sync, str(listing.job), str(listing.created), sync.clear_listing)
        listing.complete = True
    read = 0
    while True:
        result = sync.client.bulk_result_set(sync.scope, listing.job, listing.locator, sync.options.batch_size)
        batch = Batch(sync.identified({name: typed(raw[name], kind) for name, kind in types.items() if name in raw}
                                      for raw in csv.DictReader(io.StringIO(result.csv))), bool(result.locator))
        if batch.records:
            sync.commit(listing, batch.records, committed)
            read += len(batch.records)
            listing.high = later(listing.high, max(r[CURSOR_FIELD] for r in batch.records))
        if not batch.more:
            break
        listing.locator = result.locator
        sync.save_listing(listing)
        sync.budget.checkpoint(f"{sync.scope} Bulk job {listing.job} result set")
    cursor = sync.save_cursor(later(stored, parse_datetime(listing.high)) if listing.high else stored, stored)
    sync.finish_listing(listing, committed)
    return read, cursor


def wait_for_job(sync: ObjectSync, job: str, created: str, forget: Callable[[], None],
                 what: str = "Bulk job") -> None:
    """Poll until JobComplete, no longer than what is left of the time budget (pending: the job id is saved)
    nor past SALESFORCE_BULK_TIMEOUT_SECONDS from the job's creation (failed: the job is aborted). `forget`
    drops the saved job (a failed, aborted or abandoned one), so that the next run creates another."""
    timeout_at = parse_datetime(created) + dt.timedelta(seconds=sync.options.bulk_timeout_seconds)
    left = max(0.0, (timeout_at - sync.now()).total_seconds())
    wait = sync.budget.bounded(left)
    try:
        state = sync.client.wait_for_bulk_job(sync.scope, job, sync.options.bulk_poll_seconds, wait)
    except SalesforceApiError as failure:
        if failure.code in ("BULK_JOB_FAILED", "BULK_JOB_ABORTED"):
            forget()
        raise
    if state == "JobComplete":
        return
    if wait >= left:  # the Bulk timeout, not the time budget, ended the wait
        abandon_job(sync, job, forget)
        raise SalesforceApiError("BULK_JOB_TIMEOUT", f"{what} {job} still {state} after "
                                                     f"{sync.options.bulk_timeout_seconds:g}s")
    raise OutOfTime(f"time budget of {sync.budget.seconds:g} s spent while {what} {job} is {state}; "
                    "it is resumed by id next run")


def abandon_job(sync: ObjectSync, job: str, forget: Callable[[], None]) -> None:
    """Abort a job that ran past the Bulk timeout (best effort) and forget it: the next run creates another."""
    try:
        sync.client.abort_bulk_job(sync.scope, job)
    except SalesforceApiError as failure:
        log.warning("could not abort Bulk job %s: %s", job, failure, extra={"scope": sync.scope})
    forget()
