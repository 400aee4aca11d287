"""What "cursor ahead of data" means per function (see compare.ahead): the scopes whose cursor claims progress,
the rows each covers, and how its position reads. Functions without a cursor are absent ("n/a")."""

from __future__ import annotations

from typing import Any

from tools.reliability.compare import Coverage, CursorRule, json_field

SALESFORCE_TABLES = {"Account": "sf_accounts", "Contact": "sf_contacts", "Lead": "sf_leads",
                     "Opportunity": "sf_opportunities", "Task": "sf_tasks", "Event": "sf_events",
                     "EmailMessage": "sf_email_messages", "User": "sf_users", "Profile": "sf_profiles",
                     "UserRole": "sf_user_roles"}
USAGE_TABLES = {"anthropic": ("raw_anthropic_usage", "raw_anthropic_cost", "raw_anthropic_claude_code"),
                "cursor": ("raw_cursor_usage", "raw_cursor_usage_events", "raw_cursor_spend")}


def _salesforce(scope: str) -> tuple[Coverage, ...]:
    table = SALESFORCE_TABLES.get(scope)
    return ((table, None, None),) if table else ()


def _dialpad(scope: str) -> tuple[Coverage, ...]:
    return (("dialpad_calls", None, None),) if scope == "calls" else ()


def _gmail(scope: str) -> tuple[Coverage, ...]:
    return () if "#" in scope else (("gmail_messages", "mailbox", scope),)


def _usage(scope: str) -> tuple[Coverage, ...]:
    return tuple((table, None, None) for table in USAGE_TABLES.get(scope, ()))


def _history_id(value: str) -> Any:
    return int(value) if value.strip().isdigit() else None


RULES = {
    "salesforce-sync": CursorRule("salesforce-sync", _salesforce, json_field("high")),
    "dialpad-sync": CursorRule("dialpad-sync", _dialpad, json_field("latest")),
    "gmail-sync": CursorRule("gmail-sync", _gmail, _history_id),
    "usage-collect": CursorRule("usage-collect", _usage, json_field("last")),
}
