"""dialpad-sync's settings (environment) and request body."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import phonenumbers
from pydantic import Field, ValidationInfo, field_validator

from shared.entrypoint import JobParams
from shared.params import IsoDateTime
from shared.secrets import Secret
from shared.settings import CommonSettings


class DialpadSettings(CommonSettings):
    dialpad_base_url: str = Field("https://dialpad.com", description="Dialpad host; /api/v2/... is appended")
    dialpad_api_key: Secret = Field(description="company-admin API key with scope calls:list (secret)")
    dialpad_default_region: str = Field("US", description="region for numbers written without a country code")
    dialpad_lookback_minutes: int = Field(
        240, ge=0, le=7 * 24 * 60,
        description="incremental runs re-list calls started this long before the cursor (calls are listed "
                    "only once they end, so this should exceed the longest call)")
    dialpad_window_days: int = Field(30, ge=1, le=366, description="days of calls listed per request window")
    dialpad_backfill_days: int = Field(365, ge=1, le=3660, description="history a first or full sync reaches back")
    dialpad_batch_size: int = Field(500, ge=1, le=10_000, description="calls merged per warehouse load")
    dialpad_list_rate_per_second: float = Field(
        3.0, gt=0, description="pace of GET /call (Dialpad: 1200/min per endpoint, 20/s per company)")
    dialpad_transcript_rate_per_second: float = Field(
        15.0, gt=0, description="pace of GET /transcripts (with the list pace, stays under 20/s per company)")
    dialpad_transcript_workers: int = Field(4, ge=1, le=32, description="transcripts fetched concurrently")
    dialpad_transcript_batch_size: int = Field(
        100, ge=1, le=10_000,
        description="transcripts fetched per pooled batch; the time budget is checked between batches")
    dialpad_transcript_grace_minutes: int = Field(
        120, ge=0, description="a recorded call that ended this recently and has no transcript yet is retried")
    dialpad_transcript_retry_limit: int = Field(
        500, ge=0, description="transcripts still missing from earlier runs retried per run")

    @field_validator("dialpad_default_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        region = value.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"DIALPAD_DEFAULT_REGION {value!r} is not an ISO region phonenumbers knows")
        return region

    @field_validator("dialpad_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("DIALPAD_BASE_URL must start with https:// or http://")
        return value.rstrip("/")


class DialpadParams(JobParams):
    """Request body. `started_after` (full syncs only) is the start of the backfill, an ISO date or datetime
    string (UTC unless it carries an offset) from 2000-01-01 to now; without it a full sync reaches back
    DIALPAD_BACKFILL_DAYS."""

    sync_type: Literal["incremental", "full"] = "incremental"
    started_after: IsoDateTime | None = None

    @field_validator("started_after")
    @classmethod
    def _full_only(cls, value: dt.datetime | None, info: ValidationInfo) -> dt.datetime | None:
        if value is not None and info.data.get("sync_type") != "full":
            raise ValueError("only allowed with sync_type 'full'")
        return value
