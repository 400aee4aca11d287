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
    summary_sql: tuple[str, ...] = ()
    """Queries under sql/ that the demo prints after the run; each file's first line is `-- <title>`."""

    @property
    def source(self) -> Path:
        return FUNCTIONS_DIR / self.folder / "main.py"

    @property
    def target(self) -> str:
        return self.folder


PIPELINE: tuple[FunctionEntry, ...] = (
    FunctionEntry("salesforce-sync", "salesforce_sync", {"object_type": "all", "sync_type": "full"},
                  ("demo/salesforce_rows_per_table.sql", "demo/salesforce_identity_normalisation.sql")),
    FunctionEntry("dialpad-sync", "dialpad_sync", {"sync_type": "full"}, ("demo/dialpad_calls_by_direction.sql",)),
    FunctionEntry("gmail-sync", "gmail_sync", {"sync_type": "full"}, ("demo/gmail_messages_per_mailbox.sql",)),
    FunctionEntry("usage-collect", "usage_collect", {}, (
        "demo/usage_cost_this_month.sql", "demo/usage_attribution_by_month.sql", "demo/usage_alerts.sql")),
    FunctionEntry("entity-resolution", "entity_resolution", {}, (
        "demo/entity_resolution_match_rates.sql", "demo/entity_resolution_top_unmatched.sql")),
    FunctionEntry("generate-embeddings", "generate_embeddings", {"limit": 150}, ("demo/embedding_coverage.sql",)),
    FunctionEntry("account-scoring", "account_scoring", {},
                  ("demo/scoring_actions.sql", "demo/scoring_top_accounts.sql", "demo/scoring_top_reasons.sql")),
)


def implemented() -> list[FunctionEntry]:
    """Pipeline entries whose function folder exists, in order."""
    return [entry for entry in PIPELINE if entry.source.is_file()]


def by_cloud_name(name: str) -> FunctionEntry:
    for entry in PIPELINE:
        if entry.cloud_name == name:
            return entry
    raise KeyError(f"unknown function {name!r}; known: {', '.join(e.cloud_name for e in PIPELINE)}")
