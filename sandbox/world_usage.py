"""Daily AI usage for recent weeks: Anthropic API per key and model, Claude Code and Cursor per person."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sandbox.world_context import GenContext
from sandbox.world_eng import ApiKey, Org

USAGE_DAYS = 45
MODEL_PRICES: dict[str, tuple[float, float, float, float, float]] = {
    # USD per million tokens: input, output, cache write 5m, cache write 1h, cache read
    "claude-sonnet-4-5-20250929": (3.0, 15.0, 3.75, 6.0, 0.30),
    "claude-sonnet-4-20250514": (3.0, 15.0, 3.75, 6.0, 0.30),
    "claude-opus-4-1-20250805": (15.0, 75.0, 18.75, 30.0, 1.50),
    "claude-haiku-4-5-20251001": (1.0, 5.0, 1.25, 2.0, 0.10),
}
WEB_SEARCH_USD_PER_REQUEST = 0.01
_CLAUDE_CODE_MODELS = ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5-20250929", "claude-opus-4-1-20250805")
_CURSOR_MODELS = ("claude-4.5-sonnet", "gpt-5", "claude-4.1-opus", "auto", "claude-4.5-sonnet-thinking")
CURSOR_CHARGED_KIND = "Usage-based"
CURSOR_INCLUDED_KIND = "Included in Business"
_DAY_MS = 86_400_000


@dataclass(slots=True)
class UsageRow:
    """One row of the Anthropic usage report grouped by day, key and model (other dimensions unset)."""

    day: date
    api_key_id: str | None
    workspace_id: str | None
    model: str
    service_tier: str
    context_window: str
    uncached_input_tokens: int
    cache_read_input_tokens: int
    cache_creation_5m_tokens: int
    cache_creation_1h_tokens: int
    output_tokens: int
    web_search_requests: int

    def cost_usd(self) -> float:
        price_in, price_out, price_5m, price_1h, price_read = MODEL_PRICES[self.model]
        tokens = (self.uncached_input_tokens * price_in + self.output_tokens * price_out
                  + self.cache_creation_5m_tokens * price_5m + self.cache_creation_1h_tokens * price_1h
                  + self.cache_read_input_tokens * price_read)
        return tokens / 1e6 + self.web_search_requests * WEB_SEARCH_USD_PER_REQUEST


@dataclass(slots=True)
class ClaudeCodeDay:
    day: date
    email: str
    sessions: int
    lines_added: int
    lines_removed: int
    commits: int
    pull_requests: int
    tool_accepts: int
    tool_rejects: int
    model: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    estimated_cost_cents: int
    is_remote: bool = False
    """The report keeps remote (web/cloud) and local use of an actor-day as two records."""


@dataclass(slots=True)
class CursorMember:
    id: str
    name: str
    email: str
    role: str
    is_removed: bool
    spend_cents: int = 0
    fast_premium_requests: int = 0
    hard_limit_override_dollars: int = 0


@dataclass
class Usage:
    anthropic: list[UsageRow] = field(default_factory=list)
    claude_code: list[ClaudeCodeDay] = field(default_factory=list)
    cursor_members: list[CursorMember] = field(default_factory=list)
    cursor_daily: list[dict[str, Any]] = field(default_factory=list)
    """Rows shaped as the Cursor daily-usage-data reply (camelCase keys, `date` in epoch ms)."""
    cursor_events: list[dict[str, Any]] = field(default_factory=list)
    """Usage events shaped as the filtered-usage-events reply (`timestamp` a string of epoch ms)."""
    cursor_cycle_start: datetime = datetime(1970, 1, 1, tzinfo=UTC)


def cursor_event_cents(event: dict[str, Any]) -> Decimal:
    """What an event charged: its token cost when usage-based and not a free Bugbot run, else nothing."""
    if event["kind"] != CURSOR_CHARGED_KIND or event["isFreeBugbot"] or not event["isTokenBasedCall"]:
        return Decimal(0)
    return Decimal(str(event["tokenUsage"]["totalCents"]))


def usage_days(anchor: datetime) -> list[date]:
    return [anchor.date() - timedelta(days=n) for n in range(USAGE_DAYS, 0, -1)]


def _key_rows(rng: random.Random, key: ApiKey, days: list[date]) -> Iterator[UsageRow]:
    """A key has a size, a growth trend, a model mix and caching habits; people rest at weekends."""
    service = key.owner_email is None and key.previous_owner_email is None
    base = 10 ** rng.uniform(6.0, 7.2) if service else 10 ** rng.uniform(4.3, 6.3)
    growth, read_ratio = rng.uniform(-0.1, 0.9), rng.uniform(0.5, 8.0)
    one_hour, web = rng.random() < 0.2, rng.random() < 0.25
    models = rng.sample(list(MODEL_PRICES), k=rng.choice((1, 1, 2, 3)))
    shares = [rng.random() + 0.2 for _ in models]
    tier = "batch" if key.name.startswith("eval-harness") else "standard"
    for index, day in enumerate(days):
        weekend = day.weekday() >= 5
        if day < key.created_at.date() or (key.active_until and day > key.active_until):
            continue
        if rng.random() > (0.95 if service else 0.12 if weekend else 0.85):
            continue
        volume = base * (1 + growth * index / len(days)) * (0.3 if weekend else 1.0) * rng.uniform(0.6, 1.4)
        for model, share in zip(models, shares, strict=True):
            tokens = volume * share / sum(shares)
            yield UsageRow(
                day, key.id, key.workspace_id, model, tier, "200k-1M" if rng.random() < 0.04 else "0-200k",
                int(tokens), int(tokens * read_ratio * rng.uniform(0.7, 1.3)),
                int(tokens * rng.uniform(0.05, 0.4)), int(tokens * rng.uniform(0.05, 0.2)) if one_hour else 0,
                int(tokens * rng.uniform(0.1, 0.4)), rng.randrange(25) if web else 0,
            )


def _workbench_rows(rng: random.Random, days: list[date]) -> Iterator[UsageRow]:
    """Console/Workbench use: no API key and the default workspace, so both ids are null."""
    for day in days:
        if day.weekday() < 5 and rng.random() < 0.4:
            tokens = rng.randrange(2_000, 60_000)
            yield UsageRow(day, None, None, "claude-sonnet-4-5-20250929", "standard", "0-200k", tokens, 0,
                           tokens // 5, 0, tokens // 3, 0)


def _claude_code_day(rng: random.Random, email: str, day: date, trend: float) -> ClaudeCodeDay:
    sessions = max(1, int(rng.randint(1, 10) * trend))
    added = int(10 ** rng.uniform(1.3, 3.3) * trend)
    accepts = rng.randint(5, 150)
    model = rng.choice(_CLAUDE_CODE_MODELS)
    input_tokens = sessions * rng.randint(20_000, 400_000)
    output_tokens = int(input_tokens * rng.uniform(0.05, 0.15))
    cache_read = int(input_tokens * rng.uniform(3, 10))
    price_in, price_out, _, _, price_read = MODEL_PRICES[model]
    cost = (input_tokens * price_in + output_tokens * price_out + cache_read * price_read) / 1e6
    removed, rejects = int(added * rng.uniform(0.1, 0.6)), int(accepts * rng.uniform(0.02, 0.25))
    return ClaudeCodeDay(day, email, sessions, added, removed, rng.randrange(6), rng.randrange(3), accepts,
                         rejects, model, input_tokens, output_tokens, cache_read, round(cost * 100))


def _claude_code(rng: random.Random, remote: random.Random, org: Org, days: list[date]) -> Iterator[ClaudeCodeDay]:
    """Local use on most working days; some people also use it remotely, some days both (`remote` draws those,
    so the rest of the world stays as it was)."""
    for engineer in org.engineers:
        if not engineer.uses_claude_code:
            continue
        growth = rng.uniform(0.0, 1.0)
        remote_share = remote.choice((0.0, 0.0, 0.3, 0.6))
        for index, day in enumerate(days):
            trend = 1 + growth * index / len(days)
            if rng.random() < (0.1 if day.weekday() >= 5 else 0.8):
                yield _claude_code_day(rng, engineer.email, day, trend)
            if remote.random() < remote_share:
                away = _claude_code_day(remote, engineer.email, day, trend)
                away.is_remote = True
                yield away


def _cursor_row(rng: random.Random, member: CursorMember, day: date, heavy: bool) -> dict[str, Any]:
    active = rng.random() < (0.1 if day.weekday() >= 5 else 0.8)
    shown, applies, added = rng.randint(50, 800), rng.randint(2, 60), rng.randint(20, 2000)
    deleted = int(added * rng.uniform(0.1, 0.5))
    requests = [rng.randint(0, n) for n in (20, 30, 40, 25)]
    usage_based = int(sum(requests) * rng.uniform(0.1, 0.5)) if heavy else 0
    accepts = int(applies * rng.uniform(0.5, 0.9))
    values = {
        "isActive": active, "totalLinesAdded": added, "totalLinesDeleted": deleted,
        "acceptedLinesAdded": int(added * rng.uniform(0.3, 0.8)), "acceptedLinesDeleted": int(deleted * 0.6),
        "totalApplies": applies, "totalAccepts": accepts, "totalRejects": applies - accepts,
        "totalTabsShown": shown, "totalTabsAccepted": int(shown * rng.uniform(0.2, 0.5)),
        "composerRequests": requests[0], "chatRequests": requests[1], "agentRequests": requests[2],
        "cmdkUsages": requests[3], "subscriptionIncludedReqs": sum(requests) - usage_based, "apiKeyReqs": 0,
        "usageBasedReqs": usage_based, "bugbotUsages": rng.randrange(3),
    }
    if not active:
        values = {name: False if name == "isActive" else 0 for name in values}
    epoch_ms = int(datetime.combine(day, time(), UTC).timestamp() * 1000)
    return {"date": epoch_ms, "day": day.isoformat(), "userId": member.id, "email": member.email, **values,
            "mostUsedModel": rng.choice(_CURSOR_MODELS) if active else None,
            "applyMostUsedExtension": ".py" if active else None,
            "tabMostUsedExtension": ".ts" if active else None, "clientVersion": "1.7.44" if active else None}


def _event(rng: random.Random, row: dict[str, Any], taken: set[int], kind: str, bugbot: bool = False) -> dict[str, Any]:
    """One usage event at a moment of the row's day that no other event of the member has."""
    moment = row["date"] + rng.randrange(_DAY_MS)
    while moment in taken:
        moment += 1
    taken.add(moment)
    tokens = rng.randint(2_000, 60_000)
    event: dict[str, Any] = {
        "timestamp": str(moment), "model": rng.choice(_CURSOR_MODELS), "kind": kind, "maxMode": rng.random() < 0.2,
        "requestsCosts": 1, "isTokenBasedCall": True, "isFreeBugbot": bugbot, "userEmail": row["email"],
        "tokenUsage": {"inputTokens": tokens, "outputTokens": tokens // rng.randint(3, 12),
                       "cacheWriteTokens": rng.randrange(tokens), "cacheReadTokens": rng.randrange(4 * tokens),
                       "totalCents": float(Decimal(rng.randint(20, 1500)) / 100)},
    }
    if kind == CURSOR_INCLUDED_KIND and rng.random() < 0.1:
        event["isTokenBasedCall"] = False
        del event["tokenUsage"]
    return event


def _cursor_events(rng: random.Random, row: dict[str, Any], taken: set[int]) -> Iterator[dict[str, Any]]:
    """The events behind one member-day: one charged event per usage-based request, a few included ones and
    now and then a free Bugbot run (the fake's spend is summed from the same events)."""
    if not row["isActive"]:
        return
    for _ in range(row["usageBasedReqs"]):
        yield _event(rng, row, taken, CURSOR_CHARGED_KIND)
    for _ in range(min(row["subscriptionIncludedReqs"], rng.randint(0, 2))):
        yield _event(rng, row, taken, CURSOR_INCLUDED_KIND)
    if row["bugbotUsages"] and rng.random() < 0.3:
        yield _event(rng, row, taken, CURSOR_CHARGED_KIND, bugbot=True)


def _cursor(ctx: GenContext, rng: random.Random, org: Org, days: list[date], usage: Usage) -> None:
    usage.cursor_cycle_start = ctx.anchor.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    events_rng = ctx.rng("cursor-events")
    users = [e for e in org.engineers if e.uses_cursor]
    removed = set(rng.sample(range(len(users)), k=min(ctx.scale, len(users))))
    for index, engineer in enumerate(users):
        email = engineer.email if rng.random() < 0.9 else engineer.email.title()
        role = "owner" if index == 0 else "member"
        member = CursorMember(f"user_{ctx.ids.token(24)}", engineer.name, email, role, index in removed,
                              hard_limit_override_dollars=rng.choice((0, 0, 0, 100, 250)))
        heavy = rng.random() < 0.25
        last_day = days[-1] - timedelta(days=20) if member.is_removed else days[-1]
        cycle_cents, taken = Decimal(0), set[int]()
        for day in days:
            if day > last_day:
                break
            row = _cursor_row(rng, member, day, heavy)
            usage.cursor_daily.append(row)
            events = list(_cursor_events(events_rng, row, taken))
            usage.cursor_events.extend(events)
            if day >= usage.cursor_cycle_start.date():
                cycle_cents += sum((cursor_event_cents(e) for e in events), Decimal(0))
                member.fast_premium_requests += row["subscriptionIncludedReqs"]
        member.spend_cents = int(cycle_cents.quantize(Decimal(1), ROUND_HALF_UP))
        usage.cursor_members.append(member)


def build_usage(ctx: GenContext, org: Org) -> Usage:
    rng = ctx.rng("usage")
    days = usage_days(ctx.anchor)
    usage = Usage()
    for key in org.api_keys:
        usage.anthropic.extend(_key_rows(rng, key, days))
    usage.anthropic.extend(_workbench_rows(rng, days))
    usage.claude_code = list(_claude_code(rng, ctx.rng("claude-code-remote"), org, days))
    _cursor(ctx, rng, org, days, usage)
    return usage
