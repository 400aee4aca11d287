"""usage-collect's settings (environment) and request body."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from shared.entrypoint import JobParams
from shared.params import IsoDate
from shared.secrets import Secret
from shared.settings import CommonSettings

Source = Literal["anthropic", "cursor"]
ALL_SOURCES: list[Source] = ["anthropic", "cursor"]


class UsageSettings(CommonSettings):
    anthropic_base_url: str = Field("https://api.anthropic.com", description="Anthropic Admin API host")
    anthropic_admin_key: Secret | None = Field(None, description="Anthropic Admin API key, sk-ant-admin… (secret)")
    anthropic_version: str = Field("2023-06-01", description="anthropic-version header")
    anthropic_requests_per_second: float = Field(2.0, gt=0, description="pace of Admin API calls per second")
    cursor_base_url: str = Field("https://api.cursor.com", description="Cursor Admin API host")
    cursor_admin_key: Secret | None = Field(None, description="Cursor Admin API key, key_… (secret)")
    cursor_requests_per_minute: int = Field(20, ge=1, description="Cursor allows about 20 requests/min per team")
    cursor_max_range_days: int = Field(30, ge=1, le=90, description="days per daily-usage-data and "
                                                                     "filtered-usage-events request")
    cursor_events_page_size: int = Field(500, ge=1, le=1000, description="usage events per page (the API "
                                                                         "documents no maximum)")
    sheets_api_base_url: str = Field("https://sheets.googleapis.com", description="Google Sheets API host")
    sheets_auth: Literal["adc", "static_token"] = Field(
        "adc", description="adc: the function's service account; static_token: SHEETS_STATIC_TOKEN (local)")
    sheets_static_token: Secret | None = Field(None, description="bearer token for SHEETS_AUTH=static_token")
    sheets_requests_per_minute: int = Field(60, ge=1, description="Sheets allows 60 reads/min per user")
    usage_sheet_id: str = Field("", description="key-mapping spreadsheet id; empty skips the mapping step")
    usage_sheet_range: str = Field("Mapping!A:F", description="A1 range of the key mapping (header row first)")
    usage_people_range: str = Field("", description="A1 range of user_email, name, team rows; empty: none")
    usage_trailing_days: int = Field(7, ge=1, le=90, description="default window: the trailing N days")
    usage_backfill_days: int = Field(
        90, ge=1, le=400, description="the first run collects this many days of history; after an outage the "
                                      "default window reaches back to the last collected day, at most this far")
    usage_batch_rows: int = Field(2000, ge=1, le=100_000, description="rows merged per warehouse load")
    alert_mom_warning_pct: float = Field(20, ge=0, description="month-to-date cost up more than this % → warning")
    alert_mom_critical_pct: float = Field(50, ge=0, description="month-to-date cost up more than this % → critical")
    alert_projected_month_usd: float = Field(10_000, ge=0, description="projected month above this → critical")
    alert_daily_spike_usd: float = Field(5_000, ge=0, description="a day this far above its trailing median")
    alert_spike_median_days: int = Field(28, ge=7, le=90, description="days in the trailing median")
    alert_coverage_warning_pct: float = Field(80, ge=0, le=100, description="cost attributed below this %")
    alert_stale_hours: float = Field(48, gt=0, description="no new data from a source for this long")

    @field_validator("anthropic_base_url", "cursor_base_url", "sheets_api_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("base URLs must start with https:// or http://")
        return value.rstrip("/")


class UsageParams(JobParams):
    """Request body: which sources, and an optional backfill window (ISO date strings, inclusive, 2000-01-01 to
    today)."""

    sources: list[Source] = Field(default_factory=lambda: list(ALL_SOURCES), min_length=1)
    start_date: IsoDate | None = None
    end_date: IsoDate | None = None

    @field_validator("sources")
    @classmethod
    def _distinct(cls, value: list[Source]) -> list[Source]:
        return list(dict.fromkeys(value))

    @field_validator("end_date")
    @classmethod
    def _not_before_start(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        start = info.data.get("start_date")
        if value is not None and start is not None and value < start:
            raise ValueError("must not be before start_date")
        return value
