"""usage-collect: Anthropic and Cursor usage and spend, the key-mapping sheet → raw_*, dim_*, fct_*, alerts.

Scopes: `anthropic` and `cursor` (each requested source), `key_mapping` (when USAGE_SHEET_ID is set) and
`model` (dimensions, facts and alerts, rebuilt from whatever is in the raw tables). Every run re-collects a
trailing window because usage data settles late; re-collected days replace what was stored. The cursor
(`sync_state`, job usage-collect, scope = source) is the last day collected: without one, the first run
backfills USAGE_BACKFILL_DAYS; after an outage the default window reaches back to it.

Time budget: a window is collected in units (a report page, up to 31 days of Claude Code, a Cursor request window,
a page of Cursor usage events) with the budget checked between them, never before a scope's first. A source that
stops there is pending and its cursor holds the position (see usage_progress); the next run, whatever its body,
first finishes that window and then collects its own unless the finished window covered it. A source that finished
while another is pending keeps its finished window in the cursor until no source is pending, so a repeated request
converges. While a source is pending, the mapping sheet and the model wait (scopes `key_mapping` and `model`
pending too), so no alert is raised from half a backfill. A source that failed does not stop the model, but only
stale-source alerts are raised then: cost alerts are written once and must not come from a month missing its days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from usage_clients import UsageClients, make_clients
from usage_collectors import (
    ANTHROPIC_STEPS,
    CURSOR_STEPS,
    Collection,
    collect_anthropic,
    collect_cursor,
    collect_mapping,
)
from usage_load import Loader
from usage_model import build_model, log_mapping_issues, log_spend_reconciliation, raise_alerts
from usage_progress import DONE, Checkpoints, Plan
from usage_settings import UsageParams, UsageSettings
from usage_window import Window, collection_window

from shared.budget import OutOfTime, TimeBudget, unlimited
from shared.entrypoint import JobContext, JobSpec
from shared.ledger import JobResult, RunLedger
from shared.log import get_logger
from shared.warehouse import Warehouse

JOB = "usage-collect"
log = get_logger(__name__)
COLLECTORS: dict[str, tuple[str, Callable[[Plan, Collection, Checkpoints], int]]] = {
    "anthropic": (ANTHROPIC_STEPS[0], collect_anthropic),
    "cursor": (CURSOR_STEPS[0], collect_cursor),
}


def utcnow() -> dt.datetime:
    """The run's clock (tests replace it to play a run on a given day)."""
    return dt.datetime.now(dt.UTC)


def source_window(params: UsageParams, settings: UsageSettings, last_collected: dt.date | None,
                  today: dt.date) -> Window:
    return collection_window(params.start_date, params.end_date, today, settings.usage_trailing_days,
                             last_collected, settings.usage_backfill_days)


def collect_source(source: str, params: UsageParams, c: Collection, run: Checkpoints,
                   settings: UsageSettings) -> int:
    """Finish the window an earlier run left unfinished, then collect this request's window unless that one
    covered it."""
    first_step, collector = COLLECTORS[source]
    rows = 0
    resumed = run.state.plan
    if resumed is not None and resumed.step != DONE:
        log.info("resuming %s from %s to %s at %s", source, resumed.start, resumed.end, resumed.step,
                 extra={"scope": source, "plan": resumed.to_json()})
        rows += _collect_plan(resumed, collector, c, run)
    window = source_window(params, settings, run.state.last, c.today)
    if resumed is not None and resumed.covers(window):
        return rows
    log.info("collecting %s from %s to %s", source, window.start, window.end, extra={"scope": source})
    return rows + _collect_plan(Plan.of(window, first_step), collector, c, run)


def _collect_plan(plan: Plan, collector: Callable[[Plan, Collection, Checkpoints], int], c: Collection,
                  run: Checkpoints) -> int:
    run.state.plan = plan
    try:
        rows = collector(plan, c, run)
    except OutOfTime:
        raise  # the position was saved before the budget was checked
    except Exception:
        if run.unsaved:
            run.save_quietly()
        raise
    run.state.finished(plan)
    run.unsaved = True  # saved by `close`, or before the next unit of a following window
    return rows


def collect(params: UsageParams, clients: UsageClients, warehouse: Warehouse, ledger: RunLedger,
            settings: UsageSettings, run_id: str, now: dt.datetime, budget: TimeBudget | None = None) -> JobResult:
    result = JobResult()
    budget = budget or unlimited()
    c = Collection(clients, Loader(warehouse, settings.usage_batch_rows, result),
                   {"collected_at": now, "_run_id": run_id}, now.date())
    runs = {source: Checkpoints(ledger, JOB, source, run_id, budget) for source in params.sources}
    for source, run in runs.items():
        with result.scope(source) as outcome:
            outcome.rows = collect_source(source, params, c, run, settings)
    unfinished = [source for source in params.sources if source in result.pending]
    for source, run in runs.items():
        if result.scopes[source].status == "success":
            with result.scope(source):
                run.close(keep_plan=bool(unfinished))
    if unfinished:
        wait = OutOfTime(f"waiting for {', '.join(unfinished)} to finish collecting (time budget of "
                         f"{budget.seconds:g} s spent); the model is rebuilt once the raw tables are complete")
        for scope in (["key_mapping"] if settings.usage_sheet_id else []) + ["model"]:
            with result.scope(scope):
                raise wait
        return result
    if settings.usage_sheet_id:
        with result.scope("key_mapping") as outcome:
            outcome.rows = collect_mapping(settings, c)
    else:
        log.warning("USAGE_SHEET_ID is not set: the key mapping is not refreshed", extra={"scope": "key_mapping"})
    failed = [source for source in params.sources if result.scopes[source].error]
    with result.scope("model") as outcome:
        build_model(warehouse, now)
        log_mapping_issues(warehouse)
        log_spend_reconciliation(warehouse)
        if failed:
            log.warning("cost alerts not evaluated: %s failed, so the cost tables may lack its latest days; "
                        "stale-source alerts only, the next complete run evaluates the cost rules",
                        ", ".join(failed), extra={"scope": "model"})
        outcome.rows = len(raise_alerts(warehouse, settings, run_id, now, cost_rules=not failed))
        result.add("alerts", outcome.rows)
    return result


def run(params: UsageParams, ctx: JobContext[UsageSettings]) -> JobResult:
    return collect(params, ctx.clients, ctx.warehouse, ctx.ledger, ctx.settings, ctx.run_id, utcnow(), ctx.budget)


SPEC = JobSpec(JOB, "anthropic,cursor,sheets", UsageParams, UsageSettings, run, make_clients, count_keys=(
    "raw_anthropic_api_keys", "raw_anthropic_usage", "raw_anthropic_cost", "raw_anthropic_claude_code",
    "raw_cursor_members", "raw_cursor_usage", "raw_cursor_usage_events", "raw_cursor_spend", "raw_key_mapping_sheet",
    "raw_people_sheet", "alerts"))
