"""account-scoring: each morning, every account's engagement, budget likelihood, priority and next action, with
the reasons and the feature values behind them.

Three set-based statements, whatever the number of accounts: the signals of documents new since the last run
(jobs/score_signals.sql), the features of every account on the score date from activity strictly before it
(jobs/score_features.sql), then the scores, action and reasons (jobs/score_accounts.sql), each a MERGE keyed by
account and date, so rerunning a day replaces it. The optional narrative (SCORING_NARRATIVE) adds a Gemini summary
to the top accounts afterwards; it never changes a score or the template reasons. The time budget is checked
between statements; a run cut short is pending and simply runs again (every step recomputes from the tables).
"""

from __future__ import annotations

import datetime as dt
import json

from score_narrative import narrate
from score_rules import feature_params, score_params, signal_params
from score_settings import ScoringParams, ScoringSettings

from shared.entrypoint import JobContext, JobSpec
from shared.ledger import JobResult
from shared.log import get_logger
from shared.warehouse import Typed

log = get_logger(__name__)
JOB = "account-scoring"
SIGNALS, RECOMMENDATIONS = "activity_signals", "account_recommendations"
NARRATIVES, NARRATIVE_FAILURES = "narratives", "narrative_failures"


def add_narratives(ctx: JobContext[ScoringSettings], day: dt.date, result: JobResult) -> None:
    """The optional Gemini narrative of this run's top accounts: written beside the scores, never instead of them;
    a failed account keeps its template reasons and no narrative (counted, logged by score_narrative)."""
    rows = ctx.warehouse.query("jobs/score_narrative_rows.sql", {
        "score_date": day, "run_id": ctx.run.run_id, "limit": ctx.settings.scoring_narrative_accounts})
    facts = [{**row, "reasons": list(row["reasons"] or []), "features": json.loads(row["features"] or "{}")}
             for row in rows]
    outcome = narrate(facts, ctx.settings, budget=ctx.budget)
    ctx.warehouse.merge(RECOMMENDATIONS, [
        {"account_id": account_id, "score_date": day, "narrative": text,
         "narrative_model": ctx.settings.scoring_narrative_model}
        for account_id, text in sorted(outcome.narratives.items())])
    result.add(NARRATIVES, len(outcome.narratives))
    result.add(NARRATIVE_FAILURES, len(outcome.failures))


def written(ctx: JobContext[ScoringSettings], day: dt.date, accounts: list[str]) -> dict[str, int]:
    """Signals this run (re)computed and the recommendations it wrote for the day."""
    row = ctx.warehouse.query("jobs/score_count.sql", {"now": ctx.run.started_at, "run_id": ctx.run.run_id,
                                                       "score_date": day,
                                                       "account_ids": Typed(accounts, "ARRAY<STRING>")})[0]
    return {SIGNALS: int(row[SIGNALS]), RECOMMENDATIONS: int(row[RECOMMENDATIONS])}


def run(params: ScoringParams, ctx: JobContext[ScoringSettings]) -> JobResult:
    result = JobResult()
    now, run_id = ctx.run.started_at, ctx.run.run_id
    day = params.day(now)
    accounts = list(params.account_ids or [])
    with result.scope("signals") as outcome:
        ctx.warehouse.query("jobs/score_signals.sql", signal_params(now))
        outcome.rows = written(ctx, day, accounts)[SIGNALS]
        result.add(SIGNALS, outcome.rows)
    with result.scope(day.isoformat()) as outcome:
        ctx.budget.checkpoint("the features statement")
        ctx.warehouse.query("jobs/score_features.sql",
                            feature_params(ctx.settings, day, accounts, params.limit or 0, now, run_id))
        ctx.budget.checkpoint("the scoring statement")
        ctx.warehouse.query("jobs/score_accounts.sql", score_params(ctx.settings, day, accounts, now, run_id))
        outcome.rows = written(ctx, day, accounts)[RECOMMENDATIONS]
        result.add(RECOMMENDATIONS, outcome.rows)
        log.info("scored %d accounts for %s", outcome.rows, day, extra={"scope": day.isoformat()})
    if ctx.settings.scoring_narrative:
        with result.scope("narrative"):
            ctx.budget.checkpoint("the narrative")
            add_narratives(ctx, day, result)
    return result


SPEC = JobSpec(JOB, "warehouse", ScoringParams, ScoringSettings, run,
               count_keys=(SIGNALS, RECOMMENDATIONS, NARRATIVES, NARRATIVE_FAILURES))
