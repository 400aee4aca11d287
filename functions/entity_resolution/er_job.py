"""entity-resolution: links gmail_participants and dialpad_calls rows to Salesforce contacts, leads and accounts.

Every run considers every row: each step is one set-based statement over the whole table (no cursor, no row
cap), so a run costs a fixed number of statements whatever the row count. The default run writes only the rows
whose match changed; `full` rewrites every row. Scopes: `emails` (er_email_keys, then gmail_participants) and
`calls` (dialpad_calls). The time budget is checked between statements; a scope cut short is pending and simply
runs again next time (nothing to resume: a run never depends on an earlier one).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from er_rules import confidence_params, free_mail_domains
from er_settings import ResolutionParams, ResolutionSettings

from shared.entrypoint import JobContext, JobSpec
from shared.ledger import JobResult
from shared.log import get_logger
from shared.warehouse import Typed, Warehouse

log = get_logger(__name__)
JOB = "entity-resolution"
PARTICIPANTS, CALLS = "gmail_participants", "dialpad_calls"
EMAIL_STEPS = ("jobs/er_build_email_keys.sql", "jobs/er_resolve_participants.sql")
CALL_STEPS = ("jobs/er_resolve_calls.sql",)


def step_params(settings: ResolutionSettings, full: bool, now: dt.datetime) -> dict[str, Any]:
    return {
        "now": now,
        "full": full,
        "company_domains": Typed(settings.company_domain_list, "ARRAY<STRING>"),
        "free_mail_domains": Typed(list(free_mail_domains()), "ARRAY<STRING>"),
        **confidence_params(),
    }


def resolved_counts(warehouse: Warehouse, now: dt.datetime) -> dict[str, int]:
    row = warehouse.query("jobs/er_resolved_count.sql", {"now": now})[0]
    return {PARTICIPANTS: int(row[PARTICIPANTS]), CALLS: int(row[CALLS])}


def run(params: ResolutionParams, ctx: JobContext[ResolutionSettings]) -> JobResult:
    result = JobResult()
    now = ctx.run.started_at
    values = step_params(ctx.settings, params.full, now)
    scopes = {"emails": (EMAIL_STEPS, PARTICIPANTS), "calls": (CALL_STEPS, CALLS)}
    first = True
    for scope, (steps, table) in scopes.items():
        if params.scope not in (scope, "all"):
            continue
        with result.scope(scope) as outcome:
            for step in steps:
                if not first:  # like every job: the run's first statement always runs
                    ctx.budget.checkpoint(f"the statement before {step}")
                first = False
                ctx.warehouse.query(step, values)
            outcome.rows = resolved_counts(ctx.warehouse, now)[table]
            result.add(table, outcome.rows)
            log.info("%s resolved: %d rows written", table, outcome.rows, extra={"scope": scope})
    return result


SPEC = JobSpec(JOB, "warehouse", ResolutionParams, ResolutionSettings, run, count_keys=(PARTICIPANTS, CALLS))
