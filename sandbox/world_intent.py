"""Each account's hidden buying intent, and the tilts it gives the generator's draws.

The intent is drawn from its own stream, and every tilt either reuses a draw the generator already makes (a
threshold or a weight that depends on the intent) or draws from a stream of its own, so that the intent moves
what an account's people say and do without reshuffling the rest of the world. Only the generator reads it.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sandbox.world_context import GenContext
from sandbox.world_crm import Crm
from sandbox.world_truth import Truth

IN_MARKET_BAND = (0.55, 1.0)
OTHER_BAND = (0.0, 0.45)
MAX_BUYING_CHANCE = 0.9
RECENT_FROM = 0.6
"""Intent from which an account's buying threads lean toward the last weeks (all in the last 30 days at 1.0)."""
_MEETING_TOPICS = ("Pricing review", "Contract walkthrough")


def draw_buying_intent(ctx: GenContext, crm: Crm, truth: Truth) -> None:
    rng = ctx.rng("buying_intent")
    for account in crm.accounts:
        low, high = IN_MARKET_BAND if account["Id"] in truth.in_market_accounts else OTHER_BAND
        truth.buying_intent[account["Id"]] = round(low + (high - low) * rng.random(), 4)


def intent_of(truth: Truth, account_id: str | None) -> float:
    """The account's intent; 0.0 for mail or calls with no account."""
    return truth.buying_intent.get(account_id, 0.0) if account_id else 0.0


def buying_chance(intent: float) -> float:
    """Chance that one thread or call of the account is about budget, pricing, procurement or timeline: about
    0.7 on average for in-market accounts (what it was when it did not depend on intent), 0.13 for the others."""
    return min(1.1 * intent**1.5, MAX_BUYING_CHANCE)


def meeting_weight(intent: float) -> float:
    """The account's weight in the draw of meetings: 0.05 at no intent, 0.46 where in-market begins, 1.05 at 1.0."""
    return 0.05 + intent**1.5


def meeting_subject(rng: random.Random, intent: float, drawn: str) -> str:
    """A high-intent account's meeting is more often a pricing review or a contract walkthrough."""
    if rng.random() < 1.6 * (intent - 0.45):
        return rng.choice(_MEETING_TOPICS)
    return drawn


def lean_recent(at: datetime, anchor: datetime, intent: float, least_days: float) -> datetime:
    """Moves a buying thread's start toward the anchor: unchanged below RECENT_FROM, a third of its age at 1.0."""
    if intent <= RECENT_FROM:
        return at
    least = timedelta(days=least_days)
    keep = 1 - (intent - RECENT_FROM) / (1 - RECENT_FROM) * 2 / 3
    return (anchor - least - (anchor - least - at) * keep).replace(microsecond=0)


def open_stage_index(drawn: int, intent: float, noise: float, lowest: int) -> int:
    """An open opportunity's stage (index into STAGES, 0 to 7): the drawn index pulled toward 7 * intent."""
    index = round(0.3 * drawn + 0.7 * 7 * intent + noise)
    return min(7, max(lowest, index))


def days_to_close(drawn: int, intent: float) -> int:
    """Higher intent, nearer close: the drawn 5 to 149 days shrunk by up to 60%."""
    return 5 + round((drawn - 5) * (1 - 0.6 * intent))
