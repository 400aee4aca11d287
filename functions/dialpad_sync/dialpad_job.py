"""dialpad-sync: Dialpad calls (+ transcripts) → `dialpad_calls`, `dialpad_transcript_lines`.

Calls are listed in windows of `started_after` / `started_before` (epoch ms), oldest window first, each window
page by page (newest first) in batches of about DIALPAD_BATCH_SIZE calls. The cursor (`sync_state`, job
dialpad-sync, scope calls) is the latest `date_started` committed. An incremental run starts at cursor minus
DIALPAD_LOOKBACK_MINUTES, because Dialpad lists a call only once it has ended; a full run (or the first run)
starts at `started_after` or DIALPAD_BACKFILL_DAYS ago.

Time budget: the budget is checked between batches (never before a scope's first batch). When it is spent, or
when the listing fails, the position is saved in the cursor as a checkpoint (see dialpad_progress): the window
in progress, Dialpad's cursor of its next page and the latest call committed. The next run, whatever its body,
first finishes that listing (up to its own start time) and then does what it was asked unless the finished
listing already covered it; a listing that finished while transcripts are still pending stays in the cursor (at
its end) until a run leaves nothing pending, so a repeated request converges. Batches that changed rows save the
position too, so a crash loses at most a batch.

Scopes: `calls` (listing and loading) and `transcripts` (present when transcripts were fetched or retried).
A failed transcript fails only the `transcripts` scope (run `partial`): its call row is stored with
`has_transcript` NULL and the transcript is fetched again by the next run. Transcripts are fetched in pooled
batches; those left when the budget is spent are stored the same way and the `transcripts` scope is pending.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from dialpad_client import DialpadClient, DialpadError
from dialpad_load import CALLS, LINES, SKIPPED, CallLoader
from dialpad_progress import CallsCursor, CursorSaver, Plan
from dialpad_records import from_epoch_ms, to_epoch_ms
from dialpad_settings import DialpadParams, DialpadSettings
from dialpad_transcripts import TranscriptFetcher

from shared.budget import OutOfTime, TimeBudget, unlimited
from shared.entrypoint import JobContext, JobSpec
from shared.ledger import JobResult, RunLedger
from shared.log import get_logger
from shared.warehouse import Warehouse

log = get_logger(__name__)
JOB, CURSOR_SCOPE = "dialpad-sync", "calls"
_DAY_MS = 86_400_000
STALE_CURSOR_STATUSES = (400, 404, 410)
"""How Dialpad may answer a saved page cursor it no longer accepts (its lifetime is not documented)."""
CURSOR_REPEATS = 1
"""Times a page may hand out a cursor already followed in its batch: a replayed answer (the same page again, with
the cursor just sent) is read once more, since its calls merge by call_id; beyond that Dialpad is looping."""


@dataclass
class SyncDeps:
    client: DialpadClient
    warehouse: Warehouse
    ledger: RunLedger
    settings: DialpadSettings
    run_id: str
    now: dt.datetime
    budget: TimeBudget = field(default_factory=unlimited)


def window_before(after_ms: int, end_ms: int, days: int) -> int:
    """The exclusive upper bound of the window that starts after `after_ms`, cut at `end_ms` (inclusive)."""
    return min(after_ms + days * _DAY_MS, end_ms) + 1


def windows(start: dt.datetime, end: dt.datetime, days: int) -> Iterator[tuple[int, int]]:
    """(started_after, started_before) epoch-ms pairs, oldest first, covering start < date_started <= end
    (both parameters are exclusive, so each window's upper edge is its last millisecond + 1)."""
    after, end_ms = to_epoch_ms(start), to_epoch_ms(end)
    while after < end_ms:
        before = window_before(after, end_ms, days)
        yield after, before
        after = before - 1


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
                                    dt.timedelta(minutes=settings.dialpad_transcript_grace_minutes),
                                    deps.budget, settings.dialpad_transcript_batch_size)
        loader = CallLoader(deps.warehouse, settings, fetcher, result, deps.run_id, deps.now, deps.budget)
        try:
            loader.retry_missing_transcripts()
        except Exception:  # OutOfTime included: the scope records it as pending
            with result.scope("transcripts"):
                raise
        listing = Listing(deps, loader)
        with result.scope("calls") as outcome:
            try:
                listing.run(params)
            finally:
                outcome.rows = result.counts.get(CALLS, 0)
    tally = fetcher.tally
    if tally.attempted or tally.deferred or "transcripts" in result.scopes:
        with result.scope("transcripts") as outcome:
            outcome.rows = tally.fetched
            tally.raise_if_failed()
            if tally.deferred:
                raise OutOfTime(f"time budget of {deps.budget.seconds:g} s spent: {tally.deferred} transcripts "
                                "left for the next run (their calls are stored)")
    if listing.finished:
        with result.scope("calls"):
            listing.close(keep_plan=bool(result.pending))
    return result


class Listing:
    """Lists and loads calls batch by batch, saving where it stands in the `calls` cursor."""

    def __init__(self, deps: SyncDeps, loader: CallLoader) -> None:
        self.deps, self.loader, self.settings = deps, loader, deps.settings
        stored = deps.ledger.get_cursor(JOB, CURSOR_SCOPE)
        self.state = CallsCursor.decode(stored)
        self.saver = CursorSaver(deps.ledger, JOB, CURSOR_SCOPE, deps.run_id, stored)
        self.end_ms = to_epoch_ms(deps.now)
        self.first_batch = True
        self.unsaved = False
        """Rows were written since the position was last saved."""
        self.finished = False
        """The listing reached this run's start time (its cursor is written by `close`)."""

    def run(self, params: DialpadParams) -> None:
        resumed = self.state.plan
        if resumed is not None:
            log.info("resuming an unfinished listing", extra={"scope": CURSOR_SCOPE, "plan": vars(resumed)})
            self._list(resumed)
        start = to_epoch_ms(start_of_sync(params, self.state.latest, self.settings, self.deps.now))
        if resumed is not None and start >= resumed.start:
            return  # the finished listing already covered this request (it ran up to this run's start)
        self._list(Plan.starting_at(start))

    def _list(self, plan: Plan) -> None:
        self.state.plan, self.finished = plan, False
        saved_page = plan.page
        try:
            while True:
                if plan.before is None and plan.after >= self.end_ms:
                    break
                self._between_batches()
                if plan.before is None:  # cut only now, so that a saved next window reaches the resuming run's start
                    plan.before = window_before(plan.after, self.end_ms, self.settings.dialpad_window_days)
                items, next_page = self._read_batch(plan, saved_page)
                saved_page = None
                oldest, newest, written = self.loader.load_batch(items)
                plan.committed(None if oldest is None else to_epoch_ms(oldest),
                               None if newest is None else to_epoch_ms(newest), next_page)
                self.unsaved = self.unsaved or written > 0
                if next_page is None:
                    log.info("window loaded", extra={"scope": CURSOR_SCOPE, "started_after": plan.after,
                                                     "started_before": plan.before, "newest": plan.newest})
                    self.state.saw(from_epoch_ms(plan.newest))
                    plan.next_window()
        except OutOfTime:
            raise
        except Exception:
            if self.unsaved:
                self._save_quietly()
            raise
        self.finished = True
        self.unsaved = True  # the position moved: saved by `close`, or before a following listing's next batch

    def close(self, keep_plan: bool) -> None:
        """Save the finished listing: the plain latest call time, or, while the run leaves other work pending
        (transcripts), the plan at its end, so that the runs that finish that work resume it (listing only what
        started since) instead of starting the request's listing over."""
        if not keep_plan:
            self.state.plan = None
        self.saver.save(self.state.encode())
        self.unsaved = False

    def _between_batches(self) -> None:
        """Before every batch but the scope's first: save the position if needed, then check the budget."""
        if self.first_batch:
            self.first_batch = False
            return
        budget = self.deps.budget
        if self.unsaved or budget.exhausted:
            self.saver.save(self.state.encode())
            self.unsaved = False
        budget.checkpoint("a batch of calls")

    def _read_batch(self, plan: Plan, saved_page: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """Pages of the current window from `plan.page` until about a batch of calls or the window's end; returns
        the calls and the cursor of the window's next page (None: the window is complete)."""
        items: list[dict[str, Any]] = []
        page, seen = plan.page, Counter([plan.page])
        while True:
            try:
                got, page = self.deps.client.call_page(plan.after, plan.listed_before, page)
            except DialpadError as exc:
                status = exc.response.status_code if exc.response is not None else None
                if page is None or page != saved_page or status not in STALE_CURSOR_STATUSES:
                    raise
                # Dialpad no longer takes the saved cursor: list what is left of the window without it.
                log.warning("saved list cursor refused (HTTP %s): re-listing the rest of the window", status,
                            extra={"scope": CURSOR_SCOPE})
                if plan.oldest is not None:
                    plan.until = plan.oldest + 1
                plan.page = page = saved_page = None
                continue
            items.extend(got)
            if page is None:
                return items, None
            seen[page] += 1
            if seen[page] > 1 + CURSOR_REPEATS:
                raise RuntimeError(f"Dialpad returned the same list cursor {seen[page]} times")
            if len(items) >= self.settings.dialpad_batch_size:
                return items, page

    def _save_quietly(self) -> None:
        try:
            self.saver.save(self.state.encode())
        except Exception:
            log.exception("could not save the listing position", extra={"scope": CURSOR_SCOPE})


def run(params: DialpadParams, ctx: JobContext[DialpadSettings]) -> JobResult:
    deps = SyncDeps(ctx.clients, ctx.warehouse, ctx.ledger, ctx.settings, ctx.run_id, ctx.run.started_at,
                    ctx.budget)
    return sync(params, deps)


SPEC = JobSpec("dialpad-sync", "dialpad", DialpadParams, DialpadSettings, run, DialpadClient,
               count_keys=(CALLS, LINES, SKIPPED))
