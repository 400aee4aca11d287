"""entity-resolution's settings (environment) and request body."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from shared.entrypoint import JobParams
from shared.settings import CommonSettings

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class ResolutionSettings(CommonSettings):
    company_domains: str = Field(
        "", description="comma-separated email domains of the company itself: addresses on them (and every "
                        "Salesforce user's address) are internal and never matched to customers")

    @field_validator("company_domains")
    @classmethod
    def _domains(cls, value: str) -> str:
        domains = [part.strip().lower().rstrip(".") for part in value.split(",") if part.strip()]
        bad = [d for d in domains if not _DOMAIN.match(d)]
        if bad:
            raise ValueError(f"COMPANY_DOMAINS holds values that are not domain names: {bad}")
        return ",".join(domains)

    @property
    def company_domain_list(self) -> list[str]:
        return [d for d in self.company_domains.split(",") if d]


class ResolutionParams(JobParams):
    """Request body. `scope` picks the tables resolved (emails: gmail_participants, calls: dialpad_calls);
    `full` rewrites every row's match columns instead of only the rows whose match changed."""

    scope: Literal["emails", "calls", "all"] = "all"
    full: bool = False
