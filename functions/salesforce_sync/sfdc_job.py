"""salesforce-sync: Salesforce objects → sf_* tables, incremental by SystemModstamp, deletes kept as flags.

`run` is what the HTTP entry point calls; `sync_objects` takes its client, warehouse and ledger explicitly, so
any caller (a test, a backfill script) can hand it its own.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from sfdc_auth import TokenSource
from sfdc_client import SalesforceClient
from sfdc_settings import SalesforceSettings
from sfdc_streams import STREAM_BY_OBJECT, STREAMS, Stream
from sfdc_sync import JOB, LISTING_SUFFIX, SKIPPED, ObjectSync, SyncOptions, full_sync_unfinished

from shared.budget import TimeBudget, unlimited
from shared.entrypoint import JobContext, JobParams, JobSpec
from shared.http import HttpPolicy, make_session
from shared.ledger import JobResult, Run, RunLedger
from shared.warehouse import Warehouse

ObjectType = Literal["Account", "Contact", "Lead", "Opportunity", "Task", "Event", "EmailMessage", "User", "Profile",
                     "UserRole", "all"]


class SyncParams(JobParams):
    object_type: ObjectType = "all"
    sync_type: Literal["incremental", "full"] = "incremental"

    @property
    def streams(self) -> tuple[Stream, ...]:
        return STREAMS if self.object_type == "all" else (STREAM_BY_OBJECT[self.object_type],)


def options(params: SyncParams, settings: SalesforceSettings) -> SyncOptions:
    return SyncOptions(
        full=params.sync_type == "full", lookback=dt.timedelta(seconds=settings.salesforce_lookback_seconds),
        bulk_threshold=settings.salesforce_bulk_threshold, batch_size=settings.salesforce_batch_size,
        region=settings.salesforce_default_region.upper(), bulk_poll_seconds=settings.salesforce_bulk_poll_seconds,
        bulk_timeout_seconds=settings.salesforce_bulk_timeout_seconds,
    )


def sync_objects(streams: tuple[Stream, ...], client: SalesforceClient, warehouse: Warehouse, ledger: RunLedger,
                 run: Run, opts: SyncOptions, budget: TimeBudget | None = None) -> JobResult:
    """Each object is its own scope: one failing leaves the others loaded and the run `partial`; one that stops at
    the time budget (between batches, its checkpoint saved) is `pending` and resumes next run."""
    budget = budget or unlimited()
    result = JobResult()
    saved: dict[str, str | None] = {}
    if opts.full:  # a repeated full request continues an unfinished full sync rather than restarting it
        saved = {s.object_type: ledger.get_cursor(JOB, s.object_type + LISTING_SUFFIX) for s in streams}
    continuing = full_sync_unfinished(saved)
    result.add(SKIPPED, 0)
    for stream in streams:
        with result.scope(stream.object_type) as outcome:
            def committed(rows: int, table: str = stream.table) -> None:
                outcome.rows += rows
                result.add(table, rows)

            result.add(stream.table, 0)
            ObjectSync(stream, client, warehouse, ledger, run, opts, budget, continuing,
                       saved.get(stream.object_type), stream.object_type in saved,
                       skipped=lambda n: result.add(SKIPPED, n)).execute(committed)
    return result


def run(params: SyncParams, ctx: JobContext[SalesforceSettings]) -> JobResult:
    return sync_objects(params.streams, ctx.clients, ctx.warehouse, ctx.ledger, ctx.run, options(params, ctx.settings),
                        ctx.budget)


def make_clients(settings: SalesforceSettings) -> SalesforceClient:
    """One session for the process, shared by every object's stream."""
    rate = settings.salesforce_rate_per_second
    policy = HttpPolicy.from_settings(settings, source="salesforce", rate_per_second=rate)
    http = make_session(policy)
    return SalesforceClient(TokenSource(settings, http), http, settings.salesforce_api_version,
                            settings.query_page_size)


SPEC = JobSpec("salesforce-sync", "salesforce", SyncParams, SalesforceSettings, run, make_clients,
               count_keys=(*(stream.table for stream in STREAMS), SKIPPED))
