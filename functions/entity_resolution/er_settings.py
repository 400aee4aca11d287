"""entity-resolution's settings (environment) and request body."""

from __future__ import annotations

from typing import Literal

from shared.entrypoint import JobParams
from shared.settings import CompanySettings


class ResolutionSettings(CompanySettings):
    """COMPANY_DOMAINS (shared.settings.CompanySettings) is this job's one setting of its own."""


class ResolutionParams(JobParams):
    """Request body. `scope` picks the tables resolved (emails: gmail_participants, calls: dialpad_calls);
    `full` rewrites every row's match columns instead of only the rows whose match changed."""

    scope: Literal["emails", "calls", "all"] = "all"
    full: bool = False
