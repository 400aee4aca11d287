"""The suite's functions in pipeline order, with the body `make demo` sends each."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = ROOT / "functions"


@dataclass(frozen=True)
class FunctionEntry:
    cloud_name: str
    folder: str
    demo_body: dict[str, Any] = field(default_factory=dict)
    summary_sql: tuple[tuple[str, str], ...] = ()
    """(title, BigQuery SQL) pairs the demo prints after the run."""

    @property
    def source(self) -> Path:
        return FUNCTIONS_DIR / self.folder / "main.py"

    @property
    def target(self) -> str:
        return self.folder


PIPELINE: tuple[FunctionEntry, ...] = (
    FunctionEntry("salesforce-sync", "salesforce_sync", {"object_type": "all", "sync_type": "full"}, (
        ("Salesforce rows per table", " union all ".join(
            f"select '{t}' as table_name, count(*) as row_count, countif(is_deleted) as deleted, "
            f"max(system_modstamp) as newest from {t}" for t in (
                "sf_accounts", "sf_contacts", "sf_leads", "sf_opportunities", "sf_tasks", "sf_events",
                "sf_email_messages", "sf_users"))),
        ("Salesforce identity normalisation", " union all ".join(
            f"select '{t}' as table_name, countif(email is not null) as emails, countif(email_normalized is not "
            f"null) as normalised, countif(phone is not null) as phones, countif(phone_e164 is not null) as e164 "
            f"from {t}" for t in ("sf_contacts", "sf_leads"))),
    )),
    FunctionEntry("dialpad-sync", "dialpad_sync", {"sync_type": "full"}, (
        ("Dialpad calls by direction", "select direction, count(*) as calls, countif(has_transcript) as "
         "transcribed, round(avg(duration_seconds), 1) as avg_seconds, count(distinct external_number) as "
         "customers from dialpad_calls group by direction order by direction"),
    )),
    FunctionEntry("gmail-sync", "gmail_sync", {"sync_type": "full"}, (
        ("Gmail messages per mailbox", "select mailbox, count(*) as messages, countif(body_source = 'text/html') "
         "as from_html, sum(attachment_count) as attachments, count(distinct thread_id) as threads, "
         "max(sent_at) as newest from gmail_messages where not is_deleted group by mailbox order by mailbox"),
    )),
    FunctionEntry("usage-collect", "usage_collect", {}, (
        ("AI cost this month (USD)", "select month, round(total_cost_usd, 2) as total, round(anthropic_api_usd, 2) "
         "as anthropic_api, round(claude_code_usd, 2) as claude_code, round(cursor_usd, 2) as cursor, growth_pct, "
         "round(run_rate_month_usd, 2) as projected_month, attributed_pct from v_executive_summary "
         "where is_current_month"),
        ("AI cost attributed to people", "select period_start as month, round(total_cost_usd, 2) as total, "
         "round(unattributed_cost_usd, 2) as unattributed, coverage_pct from v_attribution_coverage "
         "where period = 'month' order by period_start"),
        ("AI cost alerts", "select severity, alert_type, subject, summary from alerts order by raised_at, alert_key"),
    )),
    FunctionEntry("entity-resolution", "entity_resolution", {}),
    FunctionEntry("generate-embeddings", "generate_embeddings", {}),
    FunctionEntry("account-scoring", "account_scoring", {}),
)


def implemented() -> list[FunctionEntry]:
    """Pipeline entries whose function folder exists, in order."""
    return [entry for entry in PIPELINE if entry.source.is_file()]


def by_cloud_name(name: str) -> FunctionEntry:
    for entry in PIPELINE:
        if entry.cloud_name == name:
            return entry
    raise KeyError(f"unknown function {name!r}; known: {', '.join(e.cloud_name for e in PIPELINE)}")
