"""Typed, validated settings read once from the environment (and `.env` locally).

Each job subclasses `CommonSettings` with its own fields. Secret fields are typed `Secret`, so they print
as `***` and may hold a Secret Manager reference that is resolved (and re-read after a TTL) at use.
"""

from __future__ import annotations

import json
import re
from typing import Any, Self

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared import secrets

DEFAULT_WAREHOUSE = "duckdb:///.local/warehouse.duckdb"


def listed_setting(value: Any) -> Any:
    """A JSON array, or values separated by commas, as a list of stripped non-empty strings (for a list
    setting's `mode="before"` validator; anything else is left for pydantic to refuse)."""
    if isinstance(value, str):
        text = value.strip()
        value = json.loads(text) if text.startswith("[") else text.split(",")
    if isinstance(value, list):
        return [str(item).strip() for item in value if str(item).strip()]
    return value


class CommonSettings(BaseSettings):
    """Settings every job shares. Environment variable = field name in upper case."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      frozen=True, hide_input_in_errors=True)

    warehouse: str = Field(DEFAULT_WAREHOUSE, description="duckdb:///PATH or bigquery://PROJECT/DATASET")
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")
    auto_schema: bool | None = Field(
        None, description="apply sql/tables and sql/views on first use; default on for DuckDB, off for BigQuery")
    secret_ttl_seconds: float = Field(300.0, ge=0, description="how long a Secret Manager value is cached")
    http_connect_timeout: float = Field(5.0, gt=0, description="seconds to open a connection")
    http_read_timeout: float = Field(60.0, gt=0, description="seconds to wait for a response")
    http_max_retries: int = Field(5, ge=0, le=20, description="retries of a retriable failure")
    http_backoff_base: float = Field(1.0, ge=0, description="first backoff step in seconds (doubles)")
    http_backoff_cap: float = Field(60.0, ge=0, description="largest backoff step in seconds")
    http_max_retry_after: float = Field(300.0, ge=0, description="longest Retry-After honoured before failing")
    breaker_failure_threshold: int = Field(5, ge=1, description="consecutive failures that open the breaker")
    breaker_cooldown_seconds: float = Field(60.0, ge=0, description="open time before a trial request")
    http_ca_bundle: str | None = Field(None, description="CA bundle for TLS verification (local sandbox)")
    function_timeout_seconds: int = Field(
        540, ge=1, le=3600, description="the Cloud Function's timeout; a run still running past it is abandoned")
    time_budget_seconds: float | None = Field(
        None, ge=0, description="seconds a run works before it stops at a batch boundary and leaves a checkpoint; "
                                "default: the function timeout minus a margin (60 s, or 20 % when shorter)")

    @field_validator("warehouse")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not value.startswith(("duckdb://", "bigquery://")):
            raise ValueError("WAREHOUSE must start with duckdb:// or bigquery://")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")
        return value.upper()

    @property
    def time_budget(self) -> float:
        if self.time_budget_seconds is not None:
            return self.time_budget_seconds
        timeout = self.function_timeout_seconds
        return float(max(timeout - 60, timeout * 0.8))

    @property
    def schema_on_start(self) -> bool:
        return self.auto_schema if self.auto_schema is not None else self.warehouse.startswith("duckdb://")

    @classmethod
    def load(cls, **overrides: Any) -> Self:
        settings = cls(**overrides)
        secrets.default_cache.ttl_seconds = settings.secret_ttl_seconds
        return settings

    def masked(self) -> dict[str, Any]:
        """The settings as a dict safe to print or log (secrets shown as ***)."""
        return self.model_dump(mode="json")


DOMAIN_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class CompanySettings(CommonSettings):
    """Settings of the jobs that tell the company's own people from customers (entity-resolution, gmail-sync)."""

    company_domains: str = Field(
        "", description="comma-separated email domains of the company itself: addresses on them (and every "
                        "Salesforce user's address) are internal and never matched to customers")

    @field_validator("company_domains")
    @classmethod
    def _domains(cls, value: str) -> str:
        domains = [part.strip().lower().rstrip(".") for part in value.split(",") if part.strip()]
        bad = [d for d in domains if not DOMAIN_NAME.match(d)]
        if bad:
            raise ValueError(f"COMPANY_DOMAINS holds values that are not domain names: {bad}")
        return ",".join(domains)

    @property
    def company_domain_list(self) -> list[str]:
        return [d for d in self.company_domains.split(",") if d]
