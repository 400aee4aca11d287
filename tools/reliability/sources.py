"""The sources each function calls, as the sandbox serves them: a scenario that faults a source finds its paths here.

The first path of each source is the one its runs always request (its listing), so a fault there is certain to
be met; functions that call no source (entity-resolution, account-scoring with the narrative off) are absent.
"""

from __future__ import annotations

from dataclasses import dataclass

from tools.pipeline import FunctionEntry


@dataclass(frozen=True)
class Source:
    name: str
    paths: tuple[str, ...]
    """Path prefixes of its data endpoints, the listing first."""
    auth_path: str | None = None
    """Where a token is obtained (None: a static key)."""


SOURCES: dict[str, tuple[Source, ...]] = {
    "salesforce-sync": (Source("salesforce", ("/services/data",), "/services/oauth2/token"),),
    "dialpad-sync": (Source("dialpad", ("/api/v2/call", "/api/v2/transcripts")),),
    "gmail-sync": (Source("gmail", ("/gmail/v1/users", "/batch"), "/google-oauth2/token"),),
    "usage-collect": (Source("anthropic", ("/v1/organizations",)), Source("cursor", ("/teams",)),
                      Source("sheets", ("/v4/spreadsheets",))),
    "generate-embeddings": (Source("vertex", ("/v1/projects/",)),),
}


def sources_of(entry: FunctionEntry) -> tuple[Source, ...]:
    return SOURCES.get(entry.cloud_name, ())


def calls_a_source(entry: FunctionEntry) -> bool:
    return bool(sources_of(entry))
