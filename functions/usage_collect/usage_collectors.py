"""What each scope collects and where it lands: Anthropic, Cursor and the key-mapping sheet."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from usage_clients import UsageClients
from usage_load import Loader, Prune
from usage_rows import (
    Row,
    api_key_row,
    claude_code_key,
    claude_code_row,
    cost_key,
    cost_rows,
    cursor_member_row,
    cursor_spend_row,
    cursor_usage_key,
    cursor_usage_row,
    mapping_row,
    person_row,
    usage_key,
    usage_rows,
)
from usage_settings import UsageSettings
from usage_sheets import MAPPING_COLUMNS, PEOPLE_COLUMNS, parse_rows
from usage_window import Window

from shared.log import get_logger

log = get_logger(__name__)

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


def collect_anthropic(window: Window, c: Collection) -> int:
    """The keys list, daily usage and cost buckets over the window, and Claude Code day by day. Each table is
    loaded in batches across pages; the re-collected days are pruned once the whole window has arrived."""
    client = c.clients.anthropic()
    rows = c.loader.load("raw_anthropic_api_keys", (api_key_row(k, c.stamp) for k in client.api_keys()))
    usage = (r for page in client.usage_pages(window) for bucket in page for r in usage_rows(bucket, c.stamp))
    rows += c.loader.load("raw_anthropic_usage", usage, USAGE_PRUNE)
    cost = (r for page in client.cost_pages(window) for bucket in page for r in cost_rows(bucket, c.stamp))
    rows += c.loader.load("raw_anthropic_cost", cost, COST_PRUNE)
    claude_code = (claude_code_row(record, c.stamp) for day in window.dates() for record in client.claude_code(day))
    return rows + c.loader.load("raw_anthropic_claude_code", claude_code, CLAUDE_CODE_PRUNE)


def collect_cursor(window: Window, c: Collection) -> int:
    """Members, daily usage in windows the API accepts, and today's snapshot of the cycle's spend."""
    client = c.clients.cursor()
    rows = c.loader.load("raw_cursor_members", (cursor_member_row(m, c.stamp) for m in client.members()))
    daily = (cursor_usage_row(r, c.stamp) for _chunk, records in client.daily_usage(window) for r in records)
    rows += c.loader.load("raw_cursor_usage", daily, CURSOR_PRUNE)
    spend = (cursor_spend_row(cycle, member, c.today, c.stamp) for cycle, member in client.spend())
    return rows + c.loader.load("raw_cursor_spend", spend, SPEND_PRUNE)


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
