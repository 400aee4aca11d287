"""API payloads → raw table rows: typed columns plus the record as returned (canonical JSON).

Key columns hold '' where the API's dimension is null (the console's usage has no key, the default workspace
no id), because a MERGE cannot match NULL keys. Money stays exact: cents arrive as decimal strings and become
Decimal dollars without passing through floats.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from usage_sheets import SheetRow

Row = dict[str, Any]
NUMERIC_STEP = Decimal("1e-9")
"""BigQuery NUMERIC keeps 9 decimal places."""


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def cents_to_usd(amount: Any) -> Decimal:
    """`"123.45"` (cents) → `Decimal("1.2345")` exactly; digits beyond NUMERIC's 9 places round half-even."""
    if isinstance(amount, bool) or amount is None:
        raise ValueError(f"not an amount: {amount!r}")
    return (Decimal(str(amount)) / 100).quantize(NUMERIC_STEP, ROUND_HALF_EVEN)


def exact(amount: Any) -> Decimal:
    return Decimal(str(amount)).quantize(NUMERIC_STEP, ROUND_HALF_EVEN)


def instant(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def from_epoch_ms(value: Any) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(value) / 1000, dt.UTC)


def email(value: Any) -> str | None:
    text = str(value or "").strip().lower()
    return text or None


def _int(value: Any) -> int:
    return int(value or 0)


def usage_rows(bucket: dict[str, Any], stamp: Row) -> Iterator[Row]:
    """One row per result of a usage-report bucket, every token class kept."""
    start, end = instant(bucket["starting_at"]), instant(bucket["ending_at"])
    for result in bucket.get("results") or []:
        cache = result.get("cache_creation") or {}
        tools = result.get("server_tool_use") or {}
        yield {
            "bucket_start": start, "bucket_end": end,
            "api_key_id": result.get("api_key_id") or "", "workspace_id": result.get("workspace_id") or "",
            "model": result.get("model") or "", "service_tier": result.get("service_tier") or "",
            "uncached_input_tokens": _int(result.get("uncached_input_tokens")),
            "cache_read_input_tokens": _int(result.get("cache_read_input_tokens")),
            "cache_creation_5m_input_tokens": _int(cache.get("ephemeral_5m_input_tokens")),
            "cache_creation_1h_input_tokens": _int(cache.get("ephemeral_1h_input_tokens")),
            "output_tokens": _int(result.get("output_tokens")),
            "web_search_requests": _int(tools.get("web_search_requests")),
            "raw_json": canonical_json(result), **stamp,
        }


def usage_key(row: Row) -> str:
    """The row's key as the prune job spells it."""
    return "|".join((row["bucket_start"].date().isoformat(), row["api_key_id"], row["workspace_id"], row["model"],
                     row["service_tier"]))


def cost_rows(bucket: dict[str, Any], stamp: Row) -> Iterator[Row]:
    start, end = instant(bucket["starting_at"]), instant(bucket["ending_at"])
    for result in bucket.get("results") or []:
        yield {
            "bucket_start": start, "bucket_end": end, "workspace_id": result.get("workspace_id") or "",
            "description": result.get("description") or "", "model": result.get("model"),
            "service_tier": result.get("service_tier"), "context_window": result.get("context_window"),
            "cost_type": result.get("cost_type"), "token_type": result.get("token_type"),
            "currency": result.get("currency") or "USD", "amount_cents": exact(result["amount"]),
            "amount_usd": cents_to_usd(result["amount"]), "raw_json": canonical_json(result), **stamp,
        }


def cost_key(row: Row) -> str:
    return "|".join((row["bucket_start"].date().isoformat(), row["workspace_id"], row["description"]))


def _model_cost(entry: dict[str, Any]) -> Row:
    tokens, cost = entry.get("tokens") or {}, entry.get("estimated_cost") or {}
    amount = cost.get("amount")
    return {
        "model": entry.get("model") or "", "input_tokens": _int(tokens.get("input")),
        "output_tokens": _int(tokens.get("output")), "cache_read_tokens": _int(tokens.get("cache_read")),
        "cache_creation_tokens": _int(tokens.get("cache_creation")),
        "estimated_cost_cents": None if amount is None else exact(amount),
        "estimated_cost_usd": None if amount is None else cents_to_usd(amount),
    }


def _tools(record: dict[str, Any], outcome: str) -> int:
    return sum(_int(tool.get(outcome)) for tool in (record.get("tool_actions") or {}).values()
               if isinstance(tool, dict))


def claude_code_row(record: dict[str, Any], stamp: Row) -> Row:
    """One actor-day of the Claude Code report, remote or local use (the report keeps them apart); the per-model
    tokens and cost stay nested."""
    actor, core = record.get("actor") or {}, record.get("core_metrics") or {}
    lines = core.get("lines_of_code") or {}
    user = email(actor.get("email_address"))
    return {
        "usage_date": instant(record["date"]).date() if "T" in record["date"] else dt.date.fromisoformat(
            record["date"]),
        "actor_type": actor.get("type") or ("user_actor" if user else "api_actor"),
        "actor_id": user or actor.get("api_key_name") or "", "is_remote": bool(record.get("is_remote")),
        "user_email": user,
        "api_key_name": actor.get("api_key_name"), "customer_type": record.get("customer_type"),
        "subscription_type": record.get("subscription_type"), "terminal_type": record.get("terminal_type"),
        "num_sessions": _int(core.get("num_sessions")), "lines_added": _int(lines.get("added")),
        "lines_removed": _int(lines.get("removed")), "commits": _int(core.get("commits_by_claude_code")),
        "pull_requests": _int(core.get("pull_requests_by_claude_code")),
        "tool_accepted": _tools(record, "accepted"), "tool_rejected": _tools(record, "rejected"),
        "model_breakdown": [_model_cost(entry) for entry in record.get("model_breakdown") or []],
        "raw_json": canonical_json(record), **stamp,
    }


def claude_code_key(row: Row) -> str:
    return "|".join((row["usage_date"].isoformat(), row["actor_type"], row["actor_id"],
                     "true" if row["is_remote"] else "false"))


_CURSOR_FIELDS = {
    "isActive": "is_active", "totalLinesAdded": "total_lines_added", "totalLinesDeleted": "total_lines_deleted",
    "acceptedLinesAdded": "accepted_lines_added", "acceptedLinesDeleted": "accepted_lines_deleted",
    "totalApplies": "total_applies", "totalAccepts": "total_accepts", "totalRejects": "total_rejects",
    "totalTabsShown": "total_tabs_shown", "totalTabsAccepted": "total_tabs_accepted",
    "composerRequests": "composer_requests", "chatRequests": "chat_requests", "agentRequests": "agent_requests",
    "cmdkUsages": "cmdk_usages", "subscriptionIncludedReqs": "subscription_included_reqs",
    "apiKeyReqs": "api_key_reqs", "usageBasedReqs": "usage_based_reqs", "bugbotUsages": "bugbot_usages",
    "mostUsedModel": "most_used_model", "clientVersion": "client_version", "userId": "user_id",
}


def cursor_usage_row(record: dict[str, Any], stamp: Row) -> Row | None:
    """One member-day; None for a row without an email (nothing to key it on)."""
    user = email(record.get("email"))
    if user is None:
        return None
    day = dt.date.fromisoformat(record["day"]) if record.get("day") else from_epoch_ms(record["date"]).date()
    typed = {column: record.get(field) for field, column in _CURSOR_FIELDS.items()}
    return {"usage_date": day, "user_email": user, "email": record.get("email"), **typed,
            "raw_json": canonical_json(record), **stamp}


def cursor_usage_key(row: Row) -> str:
    return f"{row['usage_date'].isoformat()}|{row['user_email']}"


def cursor_spend_row(cycle_ms: int, record: dict[str, Any], snapshot: dt.date, stamp: Row) -> Row | None:
    user = email(record.get("email"))
    if user is None:
        return None
    spend = record.get("spendCents")
    return {
        "cycle_start": from_epoch_ms(cycle_ms), "snapshot_date": snapshot, "user_email": user,
        "email": record.get("email"), "name": record.get("name"), "role": record.get("role"),
        "spend_cents": None if spend is None else _int(spend),
        "spend_usd": None if spend is None else cents_to_usd(spend),
        "fast_premium_requests": record.get("fastPremiumRequests"),
        "hard_limit_override_dollars": None if record.get("hardLimitOverrideDollars") is None
        else exact(record["hardLimitOverrideDollars"]),
        "raw_json": canonical_json(record), **stamp,
    }


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
CHARGED_KINDS = ("usagebased", "usageeventkindusagebased")
"""An event's `kind` (newer replies: `kindLabel`) with case and punctuation removed, when it is charged:
"Usage-based", "USAGE_EVENT_KIND_USAGE_BASED". Included, errored and aborted events are not."""


def _charged_cents(record: dict[str, Any], kind: str | None, tokens: dict[str, Any]) -> Decimal | None:
    """What the event added to the cycle's spend: its token cost when usage-based (not a free Bugbot run),
    0 when not charged, None when charged without a token cost (nothing to price it by)."""
    if "".join(ch for ch in (kind or "").lower() if ch.isalnum()) not in CHARGED_KINDS or record.get("isFreeBugbot"):
        return Decimal(0)
    return exact(tokens["totalCents"]) if tokens.get("totalCents") is not None else None


def cursor_event_row(record: dict[str, Any], stamp: Row) -> Row | None:
    """One usage event; None without a user email (nothing to key it on)."""
    user = email(record.get("userEmail"))
    if user is None:
        return None
    at = EPOCH + dt.timedelta(milliseconds=int(record["timestamp"]))
    kind = record.get("kind") or record.get("kindLabel")
    tokens = (record.get("tokenUsage") or {}) if record.get("isTokenBasedCall") else {}
    charged = _charged_cents(record, kind, tokens)
    count = {column: None if field not in tokens else _int(tokens[field]) for field, column in (
        ("inputTokens", "input_tokens"), ("outputTokens", "output_tokens"),
        ("cacheWriteTokens", "cache_write_tokens"), ("cacheReadTokens", "cache_read_tokens"))}
    return {
        "event_at": at, "usage_date": at.date(), "user_email": user, "model": record.get("model") or "",
        "email": record.get("userEmail"), "kind": kind, "max_mode": record.get("maxMode"),
        "requests_costs": None if record.get("requestsCosts") is None else exact(record["requestsCosts"]),
        "is_token_based": bool(record.get("isTokenBasedCall")), **count,
        "total_cents": None if tokens.get("totalCents") is None else exact(tokens["totalCents"]),
        "is_free_bugbot": bool(record.get("isFreeBugbot")), "charged_cents": charged,
        "charged_usd": None if charged is None else cents_to_usd(charged),
        "raw_json": canonical_json(record), **stamp,
    }


def cursor_event_key(row: Row) -> str:
    millis = (row["event_at"] - EPOCH) // dt.timedelta(milliseconds=1)
    return f"{millis}|{row['user_email']}|{row['model']}"


def cursor_member_row(record: dict[str, Any], stamp: Row) -> Row | None:
    user = email(record.get("email"))
    if user is None:
        return None
    return {"user_email": user, "email": record.get("email"), "name": record.get("name"),
            "role": record.get("role"), "member_id": record.get("id"), "is_removed": bool(record.get("isRemoved")),
            "raw_json": canonical_json(record), **stamp}


def api_key_row(record: dict[str, Any], stamp: Row) -> Row:
    created_by = record.get("created_by") or {}
    return {
        "api_key_id": record["id"], "api_key_name": record.get("name"), "workspace_id": record.get("workspace_id"),
        "status": record.get("status"),
        "created_at": instant(record["created_at"]) if record.get("created_at") else None,
        "created_by_user_id": created_by.get("id"), "partial_key_hint": record.get("partial_key_hint"),
        "raw_json": canonical_json(record), **stamp,
    }


def mapping_row(row: SheetRow, snapshot: dt.date, stamp: Row) -> Row:
    cells = row.cells
    return {
        "snapshot_date": snapshot, "row_number": row.row_number, "api_key_name": cells["api_key_name"],
        "user_email_text": cells["user_email"], "description": cells["description"] or None,
        "platform": cells["platform"] or None, "valid_from_text": cells["valid_from"] or None,
        "raw_json": canonical_json(row.raw), **stamp,
    }


def person_row(row: SheetRow, stamp: Row) -> Row | None:
    user = email(row.cells["user_email"])
    if user is None:
        return None
    return {"user_email": user, "user_name": row.cells["name"] or None, "team": row.cells["team"] or None,
            "row_number": row.row_number, **stamp}
