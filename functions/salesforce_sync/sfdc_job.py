"""salesforce-sync: Salesforce objects → sf_* tables, incremental by SystemModstamp, deletes kept as flags.

`run` is what the HTTP entry point calls; `sync_objects` takes its client, warehouse and ledger explicitly, so
any caller (a test, a backfill script) can hand it its own.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import field_validator
from sfdc_auth import TokenSource
from sfdc_client import SalesforceClient
from sfdc_settings import SalesforceSettings
from sfdc_streams import OBJECT_TYPES, STREAMS, Stream, custom_stream
from sfdc_sync import JOB, LISTING_SUFFIX, SKIPPED, ObjectSync, SyncOptions, full_sync_unfinished

from shared.budget import TimeBudget, unlimited
from shared.entrypoint import JobContext, JobParams, JobSpec, RequestFieldError
from shared.http import HttpPolicy, make_session
from shared.ledger import JobResult, Run, RunLedger
from shared.warehouse import Warehouse

_CUSTOM_OBJECT = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,76}__c$")
CUSTOM_ROWS = "sf_custom_objects"
"""The counter of rows written to the tables of configured custom objects (each object's own are in its scope)."""


class SyncParams(JobParams):
    object_type: str = "all"
    """A standard object, a configured custom object (SALESFORCE_CUSTOM_OBJECTS), or all of them."""
    sync_type: Literal["incremental", "full"] = "incremental"

    @field_validator("object_type")
    @classmethod
    def _object_name(cls, value: str) -> str:
        if value != "all" and value not in OBJECT_TYPES and not _CUSTOM_OBJECT.match(value):
            names = ", ".join(f"'{name}'" for name in (*OBJECT_TYPES, "all"))
            raise ValueError(f"Input should be {names} or a custom object's name (Name__c)")
        return value

    def streams(self, settings: SalesforceSettings) -> tuple[Stream, ...]:
        every = (*STREAMS, *(custom_stream(name) for name in settings.salesforce_custom_objects))
        if self.object_type == "all":
            return every
        chosen = tuple(stream for stream in every if stream.object_type == self.object_type)
        if not chosen:
            raise RequestFieldError("object_type", f"{self.object_type} is not synced: one of all, "
                                                   f"{', '.join(s.object_type for s in every)}")
        return chosen


def options(params: SyncParams, settings: SalesforceSettings) -> SyncOptions:
    return SyncOptions(
        full=params.sync_type == "full", lookback=dt.timedelta(seconds=settings.salesforce_lookback_seconds),
        bulk_threshold=settings.salesforce_bulk_threshold, batch_size=settings.salesforce_batch_size,
        region=settings.salesforce_default_region.upper(), bulk_poll_seconds=settings.salesforce_bulk_poll_seconds,
        bulk_timeout_seconds=settings.salesforce_bulk_timeout_seconds,
        extra_fields={stream.object_type: settings.extra_fields(stream.object_type)
                      for stream in params.streams(settings)},
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
    result.add(CUSTOM_ROWS, 0)
    for stream in streams:
        with result.scope(stream.object_type) as outcome:
            def committed(rows: int, table: str = CUSTOM_ROWS if stream.custom else stream.table) -> None:
                outcome.rows += rows
                result.add(table, rows)

            result.add(CUSTOM_ROWS if stream.custom else stream.table, 0)
            ObjectSync(stream, client, warehouse, ledger, run, opts, budget, continuing,
                       saved.get(stream.object_type), stream.object_type in saved,
                       skipped=lambda n: result.add(SKIPPED, n)).execute(committed)
    return result


def run(params: SyncParams, ctx: JobContext[SalesforceSettings]) -> JobResult:
    return sync_objects(params.streams(ctx.settings), ctx.clients, ctx.warehouse, ctx.ledger, ctx.run,
                        options(params, ctx.settings), ctx.budget)


def make_clients(settings: SalesforceSettings) -> SalesforceClient:
    """One session for the process, shared by every object's stream."""
    rate = settings.salesforce_rate_per_second
    policy = HttpPolicy.from_settings(settings, source="salesforce", rate_per_second=rate)
    http = make_session(policy)
    return SalesforceClient(TokenSource(settings, http), http, settings.salesforce_api_version,
                            settings.query_page_size)


SPEC = JobSpec("salesforce-sync", "salesforce", SyncParams, SalesforceSettings, run, make_clients,
               count_keys=(*(stream.table for stream in STREAMS), CUSTOM_ROWS, SKIPPED))
