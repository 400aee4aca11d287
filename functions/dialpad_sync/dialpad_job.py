"""dialpad-sync: Dialpad calls (+ transcripts) → `dialpad_calls`, `dialpad_transcript_lines`.

Calls are listed in windows of `started_after` / `started_before` (epoch ms), oldest window first. The cursor
(`sync_state`, job dialpad-sync, scope calls) is the latest `date_started` committed, advanced after each
window. An incremental run starts at cursor minus DIALPAD_LOOKBACK_MINUTES, because Dialpad lists a call only
once it has ended; a full run (or the first run) starts at `started_after` or DIALPAD_BACKFILL_DAYS ago.

Scopes: `calls` (listing and loading) and `transcripts` (present when transcripts were fetched or retried).
A failed transcript fails only the `transcripts` scope (run `partial`): its call row is stored with
`has_transcript` NULL and the transcript is fetched again by the next run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from dialpad_client import DialpadClient
from dialpad_load import CALLS, CallLoader
from dialpad_records import to_epoch_ms
from dialpad_settings import DialpadParams, DialpadSettings
from dialpad_transcripts import TranscriptFetcher

from shared.entrypoint import JobContext, JobSpec
from shared.ledger import JobResult, RunLedger
from shared.log import get_logger
from shared.warehouse import Warehouse

log = get_logger(__name__)
JOB, CURSOR_SCOPE = "dialpad-sync", "calls"
_DAY_MS = 86_400_000


@dataclass
class SyncDeps:
    client: DialpadClient
    warehouse: Warehouse
    ledger: RunLedger
    settings: DialpadSettings
    run_id: str
    now: dt.datetime


def windows(start: dt.datetime, end: dt.datetime, days: int) -> Iterator[tuple[int, int]]:
    """(started_after, started_before) epoch-ms pairs, oldest first, covering start < date_started <= end
    (both parameters are exclusive, so each window's upper edge is its last millisecond + 1)."""
    after, end_ms = to_epoch_ms(start), to_epoch_ms(end)
    while after < end_ms:
        upper = min(after + days * _DAY_MS, end_ms)
        yield after, upper + 1
        after = upper


def start_of_sync(params: DialpadParams, cursor: dt.datetime | None, settings: DialpadSettings,
                  now: dt.datetime) -> dt.datetime:
    if params.sync_type == "full" and params.started_after is not None:
        return params.started_after
    if params.sync_type == "incremental" and cursor is not None:
        return cursor - dt.timedelta(minutes=settings.dialpad_lookback_minutes)
    return now - dt.timedelta(days=settings.dialpad_backfill_days)


def sync(params: DialpadParams, deps: SyncDeps) -> JobResult:
    result = JobResult()
    settings = deps.settings
    with ThreadPoolExecutor(settings.dialpad_transcript_workers, thread_name_prefix="dialpad") as pool:
        fetcher = TranscriptFetcher(deps.client, pool, deps.now,
                                    dt.timedelta(minutes=settings.dialpad_transcript_grace_minutes))
        loader = CallLoader(deps.client, deps.warehouse, settings, fetcher, result, deps.run_id, deps.now)
        try:
            loader.retry_missing_transcripts()
        except Exception:
            with result.scope("transcripts"):
                raise
        with result.scope("calls") as outcome:
            try:
                _list_and_load(params, deps, loader)
            finally:
                outcome.rows = result.counts.get(CALLS, 0)
    if fetcher.tally.attempted or "transcripts" in result.scopes:
        with result.scope("transcripts") as outcome:
            outcome.rows = fetcher.tally.fetched
            fetcher.tally.raise_if_failed()
    return result


def _list_and_load(params: DialpadParams, deps: SyncDeps, loader: CallLoader) -> None:
    stored = deps.ledger.get_cursor(JOB, CURSOR_SCOPE)
    cursor = dt.datetime.fromisoformat(stored) if stored else None
    start = start_of_sync(params, cursor, deps.settings, deps.now)
    for after, before in windows(start, deps.now, deps.settings.dialpad_window_days):
        latest = loader.load_window(after, before)
        log.info("window loaded", extra={"scope": CURSOR_SCOPE, "started_after": after,
                                         "started_before": before, "latest": latest and latest.isoformat()})
        if latest is not None and (cursor is None or latest > cursor):
            deps.ledger.set_cursor(JOB, CURSOR_SCOPE, latest.isoformat(timespec="milliseconds"), deps.run_id)
            cursor = latest


def run(params: DialpadParams, ctx: JobContext[DialpadSettings]) -> JobResult:
    deps = SyncDeps(ctx.clients, ctx.warehouse, ctx.ledger, ctx.settings, ctx.run_id, ctx.run.started_at)
    return sync(params, deps)


SPEC = JobSpec("dialpad-sync", "dialpad", DialpadParams, DialpadSettings, run, DialpadClient)
