"""gmail-sync's settings (environment) and request body."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import NoDecode

from shared.entrypoint import JobParams
from shared.secrets import Secret
from shared.settings import CommonSettings

GMAIL_READONLY = "https://www.googleapis.com/auth/gmail.readonly"


class GmailSettings(CommonSettings):
    gmail_mailboxes: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="mailboxes to sync: a JSON array, or addresses separated by commas")
    gmail_api_base_url: str = Field("https://gmail.googleapis.com", description="Gmail API root")
    gmail_token_uri: str = Field("https://oauth2.googleapis.com/token", description="OAuth token endpoint")
    gmail_iam_base_url: str = Field("https://iamcredentials.googleapis.com",
                                    description="IAM Credentials API root (signBlob for the delegation JWT)")
    gmail_auth: Literal["delegated", "static_token"] = Field(
        "delegated", description="delegated: domain-wide delegation signed by the function's own service "
                                 "account; static_token: GMAIL_STATIC_TOKEN for every mailbox (local only)")
    gmail_static_token: Secret | None = Field(None, description="bearer token for GMAIL_AUTH=static_token")
    gmail_service_account_email: str | None = Field(
        None, description="service account that signs the delegation JWT; default: the runtime's own")
    gmail_quota_units_per_second: float = Field(
        250.0, gt=0, description="per-mailbox quota budget in units/s (Gmail: 250/s = 15,000/min per user)")
    gmail_batch_size: int = Field(100, ge=1, le=100, description="calls per batch request (Gmail allows 100)")
    gmail_page_size: int = Field(
        500, ge=1, le=500, description="messages.list and history.list page size (Gmail allows 500); a sync "
                                       "commits and checkpoints after every page")
    gmail_max_workers: int = Field(4, ge=1, le=32, description="mailboxes synced at the same time")
    gmail_body_max_chars: int = Field(100_000, ge=1_000, description="body_text is cut to this many characters")
    gmail_history_fallback_margin_hours: float = Field(
        24.0, ge=0, description="when history has expired, re-list mail since the last sync minus this margin")

    @field_validator("gmail_mailboxes", mode="before")
    @classmethod
    def _mailbox_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            value = json.loads(text) if text.startswith("[") else [a for a in text.split(",")]
        if isinstance(value, list):
            return [str(address).strip().lower() for address in value if str(address).strip()]
        return value


class GmailParams(JobParams):
    mailbox: str | None = Field(None, description="sync only this configured mailbox")
    sync_type: Literal["incremental", "full"] = "incremental"
    since: dt.date | None = Field(None, description="full sync only: mail received on or after this date")

    @field_validator("mailbox")
    @classmethod
    def _configured(cls, value: str | None) -> str | None:
        if value is None:
            return None
        allowed = configured_mailboxes()
        if allowed is not None and value.strip().lower() not in allowed:
            raise ValueError(f"must be one of the configured mailboxes: {', '.join(allowed) or '(none)'}")
        return value.strip().lower()

    @field_validator("since")
    @classmethod
    def _only_for_full(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        if value is not None and info.data.get("sync_type") != "full":
            raise ValueError("only allowed with sync_type 'full'")
        if value is not None and value > dt.datetime.now(dt.UTC).date():
            raise ValueError("must not be in the future")
        return value


def configured_mailboxes() -> list[str] | None:
    """The mailboxes in the settings (the request is checked against them before the run starts); None when
    the settings themselves are invalid — the run then fails on them with a clearer error."""
    try:
        return GmailSettings.load().gmail_mailboxes
    except ValueError:
        return None
