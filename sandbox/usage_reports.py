"""What the fake Anthropic Admin API reports, derived from the world's usage rows.

The usage report groups the world's `UsageRow`s by the requested dimensions. The cost report is priced from
the same rows at list prices (Batch tier at half price, as Anthropic bills it), one item per workspace, day
and description, with amounts as exact decimal strings in cents, so that a collector's reconciliation against
usage is meaningful. Claude Code records are rendered from the world's `ClaudeCodeDay`s.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sandbox.world_usage import MODEL_PRICES, WEB_SEARCH_USD_PER_REQUEST, ClaudeCodeDay, UsageRow

USAGE_GROUPS = ("api_key_id", "workspace_id", "model", "service_tier", "context_window")
COST_GROUPS = ("workspace_id", "description")
TIER_FACTOR = {"standard": Decimal(1), "batch": Decimal("0.5"), "priority": Decimal(1)}
# (token_type, UsageRow attribute, description label, index into MODEL_PRICES' tuple)
TOKEN_TYPES = (
    ("uncached_input_tokens", "uncached_input_tokens", "Input Tokens", 0),
    ("output_tokens", "output_tokens", "Output Tokens", 1),
    ("cache_creation.ephemeral_5m_input_tokens", "cache_creation_5m_tokens", "Cache Write (5m)", 2),
    ("cache_creation.ephemeral_1h_input_tokens", "cache_creation_1h_tokens", "Cache Write (1h)", 3),
    ("cache_read_input_tokens", "cache_read_input_tokens", "Cache Read", 4),
)
_MODEL_NAME = re.compile(r"^claude-([a-z]+)-(\d+)(?:-(\d))?(?:-\d{8})?$")


def model_label(model: str) -> str:
    """`claude-sonnet-4-5-20250929` → `Claude Sonnet 4.5`, the way cost descriptions name models."""
    match = _MODEL_NAME.match(model)
    if not match:
        return model
    family, major, minor = match.groups()
    return f"Claude {family.title()} {major}{'.' + minor if minor else ''}"


def usage_result(rows: Iterable[UsageRow], group_by: tuple[str, ...]) -> list[dict[str, Any]]:
    """One bucket's results: token sums per combination of the grouped dimensions (others null)."""
    sums: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0] * 6)
    for row in rows:
        totals = sums[tuple(getattr(row, name) if name in group_by else None for name in USAGE_GROUPS)]
        for index, value in enumerate((row.uncached_input_tokens, row.cache_creation_1h_tokens,
                                       row.cache_creation_5m_tokens, row.cache_read_input_tokens,
                                       row.output_tokens, row.web_search_requests)):
            totals[index] += value
    return [{
        "uncached_input_tokens": t[0],
        "cache_creation": {"ephemeral_1h_input_tokens": t[1], "ephemeral_5m_input_tokens": t[2]},
        "cache_read_input_tokens": t[3], "output_tokens": t[4], "server_tool_use": {"web_search_requests": t[5]},
        **dict(zip(USAGE_GROUPS, dims, strict=True)),
    } for dims, t in sorted(sums.items(), key=lambda item: tuple(str(v) for v in item[0]))]


def _priced_items(row: UsageRow) -> Iterable[tuple[dict[str, Any], Decimal]]:
    """(cost item dimensions, USD) for every token type and web search of one usage row."""
    prices = MODEL_PRICES[row.model]
    factor = TIER_FACTOR.get(row.service_tier, Decimal(1))
    batch = " (Batch)" if row.service_tier == "batch" else ""
    for token_type, attribute, label, index in TOKEN_TYPES:
        tokens = getattr(row, attribute)
        if tokens:
            usd = Decimal(tokens) * Decimal(str(prices[index])) * factor / Decimal(1_000_000)
            yield {"description": f"{model_label(row.model)} Usage - {label}{batch}", "model": row.model,
                   "service_tier": row.service_tier, "cost_type": "tokens", "token_type": token_type}, usd
    if row.web_search_requests:
        yield {"description": "Web Search", "model": None, "service_tier": None, "cost_type": "web_search",
               "token_type": None}, Decimal(row.web_search_requests) * Decimal(str(WEB_SEARCH_USD_PER_REQUEST))


def cents(usd: Decimal) -> str:
    """An exact amount in cents as the decimal string the API sends (`"123.45"` is $1.23)."""
    text = format((usd * 100).normalize(), "f")
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def cost_result(rows: Iterable[UsageRow], group_by: tuple[str, ...]) -> list[dict[str, Any]]:
    """One bucket's cost items, grouped by workspace and/or description (detail fields null otherwise)."""
    by_description = "description" in group_by
    sums: dict[tuple[Any, ...], Decimal] = defaultdict(Decimal)
    details: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        for item, usd in _priced_items(row):
            workspace = row.workspace_id if "workspace_id" in group_by else None
            key = (workspace, item["description"] if by_description else None)
            sums[key] += usd
            details[key] = item if by_description else dict.fromkeys(item)
    return [{
        "currency": "USD", "amount": cents(usd), "workspace_id": key[0], "context_window": None,
        **details[key],
    } for key, usd in sorted(sums.items(), key=lambda item: tuple(str(v) for v in item[0]))]


def claude_code_record(day: ClaudeCodeDay, organization_id: str) -> dict[str, Any]:
    """One actor-day of the Claude Code usage report, remote or local use (a subscription seat: its cost is an
    estimate)."""
    edits, writes = day.tool_accepts // 2, day.tool_accepts // 4
    return {
        "actor": {"type": "user_actor", "email_address": day.email},
        "core_metrics": {
            "commits_by_claude_code": day.commits, "num_sessions": day.sessions,
            "lines_of_code": {"added": day.lines_added, "removed": day.lines_removed},
            "pull_requests_by_claude_code": day.pull_requests,
        },
        "customer_type": "subscription", "subscription_type": "team", "terminal_type": "vscode",
        "date": f"{day.day.isoformat()}T00:00:00Z", "is_remote": day.is_remote, "organization_id": organization_id,
        "model_breakdown": [{
            "model": day.model, "estimated_cost": {"amount": day.estimated_cost_cents, "currency": "USD"},
            "tokens": {"input": day.input_tokens, "output": day.output_tokens, "cache_read": day.cache_read_tokens,
                       "cache_creation": 0},
        }],
        "tool_actions": {
            "edit_tool": {"accepted": edits, "rejected": day.tool_rejects // 2},
            "multi_edit_tool": {"accepted": day.tool_accepts - edits - writes, "rejected": 0},
            "notebook_edit_tool": {"accepted": 0, "rejected": 0},
            "write_tool": {"accepted": writes, "rejected": day.tool_rejects - day.tool_rejects // 2},
        },
    }
