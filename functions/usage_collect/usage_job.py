"""usage-collect: Anthropic and Cursor usage and spend, the key-mapping sheet → raw_*, dim_*, fct_*, alerts.

Scopes: `anthropic` and `cursor` (each requested source), `key_mapping` (when USAGE_SHEET_ID is set) and
`model` (dimensions, facts and alerts, rebuilt from whatever is in the raw tables). Every run re-collects a
trailing window because usage data settles late; re-collected days replace what was stored. The cursor
(`sync_state`, job usage-collect, scope = source) is the last day collected: without one, the first run
backfills USAGE_BACKFILL_DAYS; after an outage the default window reaches back to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from usage_clients import UsageClients, make_clients
from usage_collectors import Collection, collect_anthropic, collect_cursor, collect_mapping
from usage_load import Loader
from usage_model import build_model, log_mapping_issues, raise_alerts
from usage_settings import UsageParams, UsageSettings
from usage_window import Window, collection_window

from shared.entrypoint import JobContext, JobSpec
from shared.ledger import JobResult, RunLedger
from shared.log import get_logger
from shared.warehouse import Warehouse

JOB = "usage-collect"
log = get_logger(__name__)
COLLECTORS: dict[str, Callable[[Window, Collection], int]] = {
    "anthropic": collect_anthropic,
    "cursor": collect_cursor,
}


def utcnow() -> dt.datetime:
    """The run's clock (tests replace it to play a run on a given day)."""
    return dt.datetime.now(dt.UTC)


def source_window(params: UsageParams, settings: UsageSettings, ledger: RunLedger, source: str,
                  today: dt.date) -> Window:
    cursor = ledger.get_cursor(JOB, source)
    return collection_window(params.start_date, params.end_date, today, settings.usage_trailing_days,
                             dt.date.fromisoformat(cursor) if cursor else None, settings.usage_backfill_days)


def advance_cursor(ledger: RunLedger, source: str, window: Window, run_id: str) -> None:
    """Move the cursor forward only: a backfill of older days leaves it where it is."""
    current = ledger.get_cursor(JOB, source)
    if current is None or dt.date.fromisoformat(current) < window.end:
        ledger.set_cursor(JOB, source, window.end.isoformat(), run_id)


def collect(params: UsageParams, clients: UsageClients, warehouse: Warehouse, ledger: RunLedger,
            settings: UsageSettings, run_id: str, now: dt.datetime) -> JobResult:
    result = JobResult()
    c = Collection(clients, Loader(warehouse, settings.usage_batch_rows, result),
                   {"collected_at": now, "_run_id": run_id}, now.date())
    for source in params.sources:
        with result.scope(source) as outcome:
            window = source_window(params, settings, ledger, source, c.today)
            log.info("collecting %s from %s to %s", source, window.start, window.end, extra={"scope": source})
            outcome.rows = COLLECTORS[source](window, c)
            advance_cursor(ledger, source, window, run_id)
    if settings.usage_sheet_id:
        with result.scope("key_mapping") as outcome:
            outcome.rows = collect_mapping(settings, c)
    else:
        log.warning("USAGE_SHEET_ID is not set: the key mapping is not refreshed", extra={"scope": "key_mapping"})
    with result.scope("model") as outcome:
        build_model(warehouse, now)
        log_mapping_issues(warehouse)
        outcome.rows = len(raise_alerts(warehouse, settings, run_id, now))
        result.add("alerts", outcome.rows)
    return result


def run(params: UsageParams, ctx: JobContext[UsageSettings]) -> JobResult:
    return collect(params, ctx.clients, ctx.warehouse, ctx.ledger, ctx.settings, ctx.run_id, utcnow())


SPEC = JobSpec(JOB, "anthropic,cursor,sheets", UsageParams, UsageSettings, run, make_clients)
