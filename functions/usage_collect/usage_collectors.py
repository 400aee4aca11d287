"""What each scope collects and where it lands: Anthropic, Cursor and the key-mapping sheet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from usage_anthropic import SourceError
from usage_clients import UsageClients
from usage_load import Loader, Prune
from usage_progress import DONE, Checkpoints, Plan
from usage_rows import (
    Row,
    api_key_row,
    claude_code_key,
    claude_code_row,
    cost_key,
    cost_rows,
    cursor_event_key,
    cursor_event_row,
    cursor_member_row,
    cursor_spend_row,
    cursor_usage_key,
    cursor_usage_row,
    instant,
    mapping_row,
    person_row,
    usage_key,
    usage_rows,
)
from usage_settings import UsageSettings
from usage_sheets import MAPPING_COLUMNS, PEOPLE_COLUMNS, parse_rows
from usage_window import DAY, Window

from shared.log import get_logger

log = get_logger(__name__)
PAGE_REPEATS = 1
"""Times in a row a report page may name the token it was asked with: a replayed answer (the page before, again)
is merged once more, harmlessly, and the token followed again; beyond that Anthropic is looping."""

USAGE_PRUNE = Prune("jobs/usage_prune_anthropic_usage.sql", lambda r: r["bucket_start"].date(), usage_key)
COST_PRUNE = Prune("jobs/usage_prune_anthropic_cost.sql", lambda r: r["bucket_start"].date(), cost_key)
CLAUDE_CODE_PRUNE = Prune("jobs/usage_prune_claude_code.sql", lambda r: r["usage_date"], claude_code_key)
CURSOR_PRUNE = Prune("jobs/usage_prune_cursor_usage.sql", lambda r: r["usage_date"], cursor_usage_key)
SPEND_PRUNE = Prune("jobs/usage_prune_cursor_spend.sql", lambda r: r["snapshot_date"],
                    lambda r: f"{r['snapshot_date'].isoformat()}|{r['user_email']}")
MAPPING_PRUNE = Prune("jobs/usage_prune_key_mapping.sql", lambda r: r["snapshot_date"],
                      lambda r: f"{r['snapshot_date'].isoformat()}|{r['row_number']}")


@dataclass(frozen=True)
class Collection:
    clients: UsageClients
    loader: Loader
    stamp: Row
    """collected_at and _run_id of every row this run writes."""
    today: dt.date


ANTHROPIC_STEPS = ("api_keys", "usage", "cost", "claude_code")
CURSOR_STEPS = ("members", "daily", "events", "spend")
EVENTS_PRUNE = "jobs/usage_prune_cursor_events.sql"
CLAUDE_CODE_DAYS_PER_UNIT = 31
"""Claude Code is asked for day by day; this many days (as many as a report page holds), or fewer once they
hold USAGE_BATCH_ROWS rows, are committed together."""
REFUSED_PAGE_STATUSES = (400, 404, 410)
"""How a source may answer a saved page token it no longer accepts (token lifetimes are not documented)."""

BucketPage = Callable[[Window, str | None], tuple[list[dict[str, Any]], str | None]]


def collect_anthropic(plan: Plan, c: Collection, run: Checkpoints) -> int:
    """The keys list, daily usage and cost buckets page by page over the window, and Claude Code up to 31 days at
    a time, from where `plan` stands; `plan` follows every committed unit."""
    client = c.clients.anthropic()
    rows = 0
    if plan.step == "api_keys":
        if run.once_per_run("api_keys"):
            run.between("the API keys")
            keys = (api_key_row(k, c.stamp) for k in client.api_keys())
            rows += run.committed(c.loader.load("raw_anthropic_api_keys", keys))
        plan.next_step("usage")
    if plan.step == "usage":
        rows += _report(plan, client.usage_page, "raw_anthropic_usage", usage_rows, USAGE_PRUNE, c, run)
        plan.next_step("cost")
    if plan.step == "cost":
        rows += _report(plan, client.cost_page, "raw_anthropic_cost", cost_rows, COST_PRUNE, c, run)
        plan.next_step("claude_code")
    if plan.step == "claude_code":
        rows += _claude_code(plan, c, run)
        plan.next_step(DONE)
    return rows


def _report(plan: Plan, fetch: BucketPage, table: str, to_rows: Callable[[dict[str, Any], Row], Iterator[Row]],
            prune: Prune, c: Collection, run: Checkpoints) -> int:
    """A report's pages over the rest of the window; each page (whole daily buckets) is merged and pruned over its
    own days before the next is asked for."""
    rows, saved_page, repeats = 0, plan.page, 0
    while plan.remaining.days > 0:
        run.between(f"a page of {table}")
        try:
            buckets, next_page = fetch(Window(plan.since or plan.start, plan.end), plan.page)
        except SourceError as exc:
            if plan.page is None or plan.page != saved_page or exc.status not in REFUSED_PAGE_STATUSES:
                raise
            log.warning("%s refused the saved page token (HTTP %s): asking for the rest of the window afresh",
                        table, exc.status, extra={"scope": run.source})
            plan.since, plan.page = plan.remaining.start, None
            buckets, next_page = fetch(Window(plan.since, plan.end), None)
        saved_page = None
        loaded = (row for bucket in buckets for row in to_rows(bucket, c.stamp))
        rows += run.committed(c.loader.load(table, loaded, prune))
        last = max((instant(b["starting_at"]).date() for b in buckets), default=None)
        repeats = repeats + 1 if next_page is not None and next_page == plan.page else 0
        if next_page is None:
            plan.committed_through(plan.end)
        elif repeats > PAGE_REPEATS:
            raise SourceError(f"anthropic {table}: the same page token {repeats + 1} times in a row")
        elif last is None:
            plan.page = next_page
        else:
            plan.committed_through(last, next_page)
    return rows


def _claude_code(plan: Plan, c: Collection, run: Checkpoints) -> int:
    client, rows = c.clients.anthropic(), 0
    while plan.remaining.days > 0:
        run.between("Claude Code days")
        unit: list[Row] = []
        days = plan.remaining.dates()[:CLAUDE_CODE_DAYS_PER_UNIT]
        for number, day in enumerate(days):
            unit.extend(claude_code_row(record, c.stamp) for record in client.claude_code(day))
            if len(unit) >= c.loader.batch_rows:
                days = days[:number + 1]
                break
        rows += run.committed(c.loader.load("raw_anthropic_claude_code", unit, CLAUDE_CODE_PRUNE))
        plan.committed_through(days[-1])
    return rows


def collect_cursor(plan: Plan, c: Collection, run: Checkpoints) -> int:
    """Members, daily usage and usage events in request windows the API accepts, and today's snapshot of the
    cycle's spend."""
    client = c.clients.cursor()
    rows = 0
    if plan.step == "members":
        if run.once_per_run("members"):
            run.between("the members")
            members = (cursor_member_row(m, c.stamp) for m in client.members())
            rows += run.committed(c.loader.load("raw_cursor_members", members))
        plan.next_step("daily")
    if plan.step == "daily":
        for chunk in list(plan.remaining.chunks(client.max_range_days)):
            run.between("a window of daily usage")
            daily = (cursor_usage_row(r, c.stamp) for r in client.daily_usage(chunk))
            rows += run.committed(c.loader.load("raw_cursor_usage", daily, CURSOR_PRUNE))
            plan.committed_through(chunk.end)
        plan.next_step("events")
    if plan.step == "events":
        rows += _cursor_events(plan, c, run)
        plan.next_step("spend")
    if plan.step == "spend":
        if run.once_per_run("spend"):
            run.between("the spend snapshot")
            spend = (cursor_spend_row(cycle, member, c.today, c.stamp) for cycle, member in client.spend())
            rows += run.committed(c.loader.load("raw_cursor_spend", spend, SPEND_PRUNE))
        plan.next_step(DONE)
    return rows


def _cursor_events(plan: Plan, c: Collection, run: Checkpoints) -> int:
    """Usage events window by window, each page committed before the next is asked for (the plan's `page` is
    the next page of the window starting at `next_day`). A window read whole in this run then has its days
    replaced: events the API no longer returns are deleted. A window resumed mid-way is not pruned (the pages
    before the checkpoint were read by another run); its days are pruned when next collected whole."""
    client, rows = c.clients.cursor(), 0
    for chunk in list(plan.remaining.chunks(client.max_range_days)):
        first = int(plan.page or 1)
        keys: list[str] = []
        run.between("a page of usage events")
        for page in client.usage_events(chunk, first):
            loaded = [row for row in (cursor_event_row(e, c.stamp) for e in page.events) if row is not None]
            keys.extend(cursor_event_key(row) for row in loaded)
            rows += run.committed(c.loader.load("raw_cursor_usage_events", loaded))
            if page.has_next:
                plan.committed_through(chunk.start - DAY, str(page.number + 1))
                run.between("a page of usage events")
        if first == 1:
            c.loader.replace_days(EVENTS_PRUNE, chunk.dates(), keys)
        else:
            log.info("usage events of %s to %s resumed at page %s: not pruned this time", chunk.start, chunk.end,
                     first, extra={"scope": run.source})
        plan.committed_through(chunk.end)
    return rows


def collect_mapping(settings: UsageSettings, c: Collection) -> int:
    """Today's snapshot of the key-mapping sheet (and the people tab when configured)."""
    reader = c.clients.sheets()
    values, first_row = reader.read(settings.usage_sheet_id, settings.usage_sheet_range)
    sheet = parse_rows(values, first_row, MAPPING_COLUMNS, ("api_key_name", "user_email"))
    rows = c.loader.load("raw_key_mapping_sheet", (mapping_row(r, c.today, c.stamp) for r in sheet), MAPPING_PRUNE)
    if settings.usage_people_range:
        values, first_row = reader.read(settings.usage_sheet_id, settings.usage_people_range)
        people = parse_rows(values, first_row, PEOPLE_COLUMNS, ("user_email",))
        rows += c.loader.load("raw_people_sheet", (person_row(r, c.stamp) for r in people))
    return rows
