"""The naive account-scoring baseline of bench_account_scoring.py: a per-account loop in Python.

One query lists the live accounts; then, per account, one query (bench/sql/scoring_naive_activity.sql) returns its
activity rows (emails linked by entity resolution and calls of the last 90 days, meetings within 30 days either
side of the score date, tasks of the last 30 days) and open opportunities, and Python computes its scores; the
scores are written with one `Warehouse.merge` into account_recommendations (model_version `naive-loop`).

The formula is the documented one (functions/account_scoring/README.md, default weights) with counts and recency
only: engagement_score from emails in and out, calls, talk minutes, meetings and tasks of 30 days and the recency
of the last touch; budget_likelihood from its bias, the open stage's probability and the meetings alone; the deal
score without the late-close factor. It omits everything read from the documents' text and vectors (the budget
signal, pricing asks, negative answers and their priority factor, auto-replies left out), the contacts engaged
and their seniority, recommended_action, reasons and evidence.

It scores at most `cap` accounts, every (accounts ÷ cap)-th one so that busy and quiet accounts are both sampled;
`extrapolated` scales seconds and statements to every account at the measured cost per account.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.warehouse import Warehouse
from shared.warehouse.base import observe_statements

SQL = Path(__file__).resolve().parent / "sql"
W_EMAIL_IN, W_EMAIL_OUT, W_CALL, W_TALK_MINUTE, W_MEETING, W_TASK = 1.0, 0.3, 1.0, 0.05, 2.0, 0.2
ENGAGEMENT_SCALE, ENGAGEMENT_HALF_LIFE_DAYS = 10.0, 14.0
B_BIAS, B_STAGE, B_MEETING = -2.5, 1.5, 0.3
P_BUDGET, P_ENGAGEMENT, P_DEAL = 0.5, 0.3, 0.2
DEAL_AMOUNT_FULL = 250_000.0


@dataclass(frozen=True)
class NaiveRun:
    accounts: int
    """Accounts scored (the sample)."""
    live: int
    """Live accounts there are."""
    seconds: float
    statements: int
    activity_rows: int


def scores(rows: list[dict[str, Any]], as_of: dt.datetime) -> dict[str, float]:
    """One account's engagement_score, budget_likelihood and priority_score from its activity rows."""
    def age(row: dict[str, Any]) -> float:
        return (as_of - row["occurred_at"].replace(tzinfo=dt.UTC)).total_seconds() / 86400

    touches = [r for r in rows if r["kind"] != "opportunity"]
    recent = [r for r in touches if age(r) <= 30]

    def count(kind: str, inbound: bool | None = None) -> int:
        return sum(r["kind"] == kind and (inbound is None or r["inbound"] == inbound) for r in recent)

    talk_minutes = sum(r["amount"] or 0.0 for r in recent if r["kind"] == "call") / 60
    meetings = count("meeting")
    raw = (W_EMAIL_IN * count("email", True) + W_EMAIL_OUT * count("email", False) + W_CALL * count("call")
           + W_TALK_MINUTE * talk_minutes + W_MEETING * meetings + W_TASK * count("task"))
    past = [age(r) for r in touches if age(r) >= 0]
    last = min(past) if past else None
    recency = 0.0 if last is None else 1.0 if last <= 7 else 0.5 ** ((last - 7) / ENGAGEMENT_HALF_LIFE_DAYS)
    engagement = 100 * (1 - math.exp(-raw / ENGAGEMENT_SCALE)) * recency
    opportunities = [r for r in rows if r["kind"] == "opportunity"]
    stage = max((r["probability"] or 0.0 for r in opportunities), default=0.0) / 100
    budget = 100 / (1 + math.exp(-(B_BIAS + B_STAGE * stage + B_MEETING * min(meetings, 3))))
    amount = sum(r["amount"] or 0.0 for r in opportunities)
    deal = 100 * min(1.0, math.log10(1 + amount) / math.log10(1 + DEAL_AMOUNT_FULL)) if opportunities else 0.0
    priority = min(100.0, max(0.0, P_BUDGET * budget + P_ENGAGEMENT * engagement + P_DEAL * deal))
    return {"engagement_score": round(engagement, 2), "budget_likelihood": round(budget, 2),
            "priority_score": round(priority, 2)}


def score(warehouse: Warehouse, day: dt.date, cap: int, run_id: str) -> NaiveRun:
    """Score a sample of at most `cap` live accounts one by one and write them; timed and counted."""
    as_of = dt.datetime.combine(day, dt.time(), dt.UTC)
    statements: list[str] = []
    started = time.perf_counter()
    activity = 0
    with observe_statements(lambda sql, params: statements.append(sql)):
        live = [r["account_id"] for r in warehouse.query(SQL / "scoring_naive_accounts.sql")]
        sample = live[::max(1, math.ceil(len(live) / cap))] if cap < len(live) else live
        written = []
        for account_id in sample:
            rows = warehouse.query(SQL / "scoring_naive_activity.sql", {"account_id": account_id, "as_of": as_of})
            activity += len(rows)
            written.append({"account_id": account_id, "score_date": day, **scores(rows, as_of),
                            "model_version": "naive-loop", "scored_at": as_of, "_run_id": run_id})
        if written:
            warehouse.merge("account_recommendations", written)
    return NaiveRun(len(sample), len(live), time.perf_counter() - started, len(statements), activity)


def extrapolated(run: NaiveRun) -> tuple[float, int]:
    """Seconds and statements for every live account at the measured cost per account (the listing query and
    the final merge counted once)."""
    if run.accounts >= run.live or run.accounts == 0:
        return run.seconds, run.statements
    return run.seconds * run.live / run.accounts, run.statements - run.accounts + run.live
