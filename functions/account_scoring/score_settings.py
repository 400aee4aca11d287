"""account-scoring's settings (environment: weights and thresholds of the documented formulas) and request body."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, field_validator
from score_narrative import NarrativeSettings

from shared.entrypoint import JobParams
from shared.params import IsoDate


def _weight(default: float, description: str) -> float:
    return Field(default, ge=0, le=1000, description=description)


class ScoringSettings(NarrativeSettings):
    # per-document strength (0-1) from prototype similarity and explicit words
    scoring_similarity_floor: float = Field(
        0.30, ge=-1, lt=1, description="cosine similarity to a prototype at which a document's strength starts (0)")
    scoring_similarity_full: float = Field(
        0.60, gt=-1, le=1, description="similarity at which a document's strength is full (1)")
    scoring_phrase_strength: float = Field(
        0.8, ge=0, le=1, description="strength of a document with explicit budget or pricing words")
    scoring_strong_signal: float = Field(
        0.5, ge=0, le=1, description="strength from which a document counts as budget or pricing talk (actions)")
    scoring_budget_half_life_days: float = Field(
        14.0, gt=0, le=365, description="age at which a budget document's weight in the budget signal halves")
    scoring_budget_recent_days: int = Field(
        14, ge=1, le=90, description="budget talk this recent can trigger 'call now'")
    # engagement_score = 100 (1 - exp(-raw / scale)) * recency
    scoring_w_email_in: float = _weight(1.0, "engagement weight of an email from them (30 days)")
    scoring_w_email_out: float = _weight(0.3, "engagement weight of an email from us (30 days)")
    scoring_w_call: float = _weight(1.0, "engagement weight of a call (30 days)")
    scoring_w_talk_minute: float = _weight(0.05, "engagement weight of a talk minute (30 days)")
    scoring_w_meeting: float = _weight(2.0, "engagement weight of a meeting held (30 days) or booked (next 30)")
    scoring_w_task: float = _weight(0.2, "engagement weight of a Salesforce task (30 days)")
    scoring_w_contact: float = _weight(0.5, "engagement weight of a distinct contact engaged (90 days)")
    scoring_w_seniority: float = _weight(0.5, "engagement weight per seniority level of the most senior contact")
    scoring_engagement_scale: float = Field(10.0, gt=0, description="raw engagement that gives 63 points")
    scoring_engagement_half_life_days: float = Field(
        14.0, gt=0, description="after a week without touch, engagement halves every this many days")
    # budget_likelihood = 100 / (1 + exp(-z))
    scoring_b_bias: float = Field(-2.5, ge=-20, le=20, description="budget logit intercept")
    scoring_b_signal: float = _weight(1.5, "budget logit weight of the recency-weighted budget signal")
    scoring_b_pricing: float = _weight(1.0, "budget logit weight of a pricing question (30 days)")
    scoring_b_stage: float = _weight(1.5, "budget logit weight of the open stage probability (0-1)")
    scoring_b_meeting: float = _weight(0.3, "budget logit weight per meeting held or booked (at most 3)")
    scoring_b_senior: float = _weight(0.5, "budget logit weight of a VP or C-level contact engaged")
    scoring_b_negative: float = _weight(3.0, "budget logit penalty of a negative signal (60 days)")
    # priority_score = (p_budget * budget + p_engagement * engagement + p_deal * deal) * negative factor
    scoring_p_budget: float = Field(0.5, ge=0, le=1, description="priority weight of budget_likelihood")
    scoring_p_engagement: float = Field(0.3, ge=0, le=1, description="priority weight of engagement_score")
    scoring_p_deal: float = Field(0.2, ge=0, le=1, description="priority weight of the open deal score")
    scoring_p_negative_factor: float = Field(
        0.3, ge=0, le=1, description="priority multiplier after a negative signal")
    scoring_deal_amount_full: float = Field(
        250_000.0, gt=0, description="open amount whose deal score is full (log scale)")
    scoring_deal_close_days: int = Field(90, ge=1, description="open deals closing within this many days count fully")
    scoring_deal_late_factor: float = Field(0.6, ge=0, le=1, description="deal score factor of later closes")
    # action rules
    scoring_call_now_days: int = Field(3, ge=0, le=60, description="'call now': no email or call from us this long")
    scoring_quiet_days: int = Field(21, ge=1, le=365, description="'re-engage': no touch this long, deal open")

    @field_validator("scoring_similarity_full")
    @classmethod
    def _above_floor(cls, value: float, info: object) -> float:
        floor = getattr(info, "data", {}).get("scoring_similarity_floor")
        if floor is not None and value <= floor:
            raise ValueError("SCORING_SIMILARITY_FULL must be above SCORING_SIMILARITY_FLOOR")
        return value


class ScoringParams(JobParams):
    """Request body: the day scored (activity strictly before it counts), optionally only some accounts, or only
    the `limit` most recently active ones."""

    score_date: IsoDate | None = None
    account_ids: list[str] | None = Field(None, min_length=1, max_length=1000)
    limit: int | None = Field(None, ge=1, le=1_000_000)

    @field_validator("account_ids")
    @classmethod
    def _ids(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(not (1 <= len(v.strip()) <= 64) or v != v.strip() for v in value):
            raise ValueError("each account id must be 1-64 characters without surrounding spaces")
        return value

    def day(self, now: dt.datetime) -> dt.date:
        return self.score_date or now.astimezone(dt.UTC).date()
