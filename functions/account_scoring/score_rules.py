"""The scorer's fixed vocabulary (phrase patterns, RE2 syntax as BigQuery and DuckDB read it), the SQL parameters of
its three steps, and the model version that names the exact formula a score came from."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from typing import Any

from score_settings import ScoringSettings

from shared import intent_prototypes
from shared.warehouse import Typed

RULES_VERSION = "rules-v1"
PATTERNS: dict[str, str] = {
    # everything from the first quoted-history marker on (a reply's quoted original is not what this mail says)
    "quoted_pattern": r"(?s)(\n[^\n]*\bwrote:\s*\n|\n-{2,}\s*original message\s*-{2,}|\n>|\nfrom: [^\n]+\nsent: ).*$",
    "budget_pattern": (r"\b(budget|budgets|budgeted|funding|funded|fiscal year|spend approval|sign-off|"
                       r"purchase order|procurement|purchasing|vendor (form|forms|registration|onboarding)|"
                       r"security questionnaire|msa|redlines?|order form|contract)\b"),
    "pricing_pattern": (r"\b(price|prices|pricing|priced|quote|quotes|quotation|discount|discounts|"
                        r"per seat|per user|license fee|licence fee|cost per|how much)\b"),
    "not_interested_pattern": (r"\b(not interested|no longer interested|not a priority|not moving forward|"
                               r"decided not to|put this on hold|pass on this|not the right fit)\b"),
    "competitor_pattern": (r"\b(went with|gone with|going with|decided to go with|chose|chosen|selected|"
                           r"signed with) (another|a different|an other|other) "
                           r"(vendor|provider|solution|tool|platform|supplier)\b"
                           r"|\b(went|gone|going) with (looker|tableau|sigma|thoughtspot|domo|power bi)\b"),
    "unsubscribe_pattern": (r"\b(unsubscribe me|please unsubscribe|remove me from (your|this|the|all)|"
                            r"stop (emailing|contacting|sending) (me|us)|opt me out|take me off)\b"),
    "auto_reply_pattern": (r"^(automatic reply|auto(matic)?[- ]?reply|out of (the )?office|autoreply)"
                           r"|\bi am (currently )?out of (the )?office\b|\bi will be out of (the )?office\b"),
}
"""Matched against lower-cased text: subject + body up to the quoted history (emails), the transcript (calls)."""


def _weights(settings: ScoringSettings) -> dict[str, float | int]:
    return {name.removeprefix("scoring_"): value for name, value in settings.model_dump().items()
            if name.startswith("scoring_") and not name.startswith("scoring_narrative")}


def model_version(settings: ScoringSettings) -> str:
    """rules-v1-<12 hex>: a hash of every weight, threshold, pattern and prototype; equal only for equal formulas."""
    basis = json.dumps({"weights": _weights(settings), "patterns": PATTERNS,
                        "prototypes": intent_prototypes.fingerprint()}, sort_keys=True)
    return f"{RULES_VERSION}-{hashlib.sha256(basis.encode()).hexdigest()[:12]}"


def signal_params(now: dt.datetime) -> dict[str, Any]:
    return {"now": now, **PATTERNS}


def feature_params(settings: ScoringSettings, score_date: dt.date, account_ids: Sequence[str], limit: int,
                   now: dt.datetime, run_id: str) -> dict[str, Any]:
    return {
        "score_date": score_date, "account_ids": Typed(list(account_ids), "ARRAY<STRING>"), "limit": limit,
        "now": now, "run_id": run_id,
        "similarity_floor": settings.scoring_similarity_floor,
        "similarity_full": settings.scoring_similarity_full,
        "phrase_strength": settings.scoring_phrase_strength,
        "strong_signal": settings.scoring_strong_signal,
        "budget_half_life_days": settings.scoring_budget_half_life_days,
        "budget_recent_days": settings.scoring_budget_recent_days,
    }


def score_params(settings: ScoringSettings, score_date: dt.date, account_ids: Sequence[str], now: dt.datetime,
                 run_id: str) -> dict[str, Any]:
    names = ("w_email_in", "w_email_out", "w_call", "w_talk_minute", "w_meeting", "w_task", "w_contact",
             "w_seniority", "engagement_scale", "engagement_half_life_days", "b_bias", "b_signal", "b_pricing",
             "b_stage", "b_meeting", "b_senior", "b_negative", "p_budget", "p_engagement", "p_deal",
             "p_negative_factor", "deal_amount_full", "deal_close_days", "deal_late_factor", "call_now_days",
             "quiet_days")
    weights = _weights(settings)
    return {
        "score_date": score_date, "account_ids": Typed(list(account_ids), "ARRAY<STRING>"), "now": now,
        "run_id": run_id, "model_version": model_version(settings),
        **{name: weights[name] for name in names},
    }
