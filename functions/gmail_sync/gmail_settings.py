"""gmail-sync's settings (environment) and request body."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Literal

from gmail_privacy import QUERY_TERMS, MailFilter
from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import NoDecode

from shared.entrypoint import JobParams
from shared.log import get_logger
from shared.params import IsoDate
from shared.secrets import Secret
from shared.settings import DOMAIN_NAME, CompanySettings, listed_setting

GMAIL_READONLY = "https://www.googleapis.com/auth/gmail.readonly"
DIRECTORY_MEMBERS_READONLY = "https://www.googleapis.com/auth/admin.directory.group.member.readonly"
log = get_logger(__name__)


DEFAULT_SKIP_LABELS = ["CATEGORY_PERSONAL", "CATEGORY_SOCIAL", "CHAT", "SPAM", "TRASH"]


def _checked(value: Any, normalise: Callable[[str], str], invalid: Callable[[str], bool], problem: str) -> Any:
    """A list setting's entries normalised; ValueError naming `problem` and the invalid ones."""
    listed = listed_setting(value)
    if not isinstance(listed, list):
        return listed
    entries = [normalise(entry) for entry in listed]
    bad = [entry for entry in entries if invalid(entry)]
    if bad:
        raise ValueError(f"{problem}: {bad}")
    return entries


class GmailSettings(CompanySettings):
    gmail_mailbox_source: Literal["list", "salesforce", "group"] = Field(
        "list", description="where the mailboxes to sync come from: list (GMAIL_MAILBOXES), salesforce (active "
                            "users with a profile in GMAIL_MAILBOX_PROFILES or a role in GMAIL_MAILBOX_ROLES, from "
                            "sf_users) or group (the members of GMAIL_MAILBOX_GROUP, from the Admin SDK Directory)")
    gmail_mailboxes: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="mailboxes to sync: a JSON array, or addresses separated by commas")
    gmail_mailbox_profiles: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="source salesforce: profile names (sf_profiles.profile_name, any case)")
    gmail_mailbox_roles: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="source salesforce: role names (sf_user_roles.role_name, any case)")
    gmail_mailbox_group: str | None = Field(
        None, description="source group: the Google group's address; nested groups' members count too")
    gmail_directory_admin: str | None = Field(
        None, description="source group: the Workspace admin the Directory call acts as (delegation subject)")
    gmail_directory_base_url: str = Field("https://admin.googleapis.com", description="Admin SDK API root")
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
    gmail_project_quota_units_per_second: float = Field(
        20_000.0, gt=0, description="quota budget in units/s shared by every mailbox the instance syncs (Gmail: "
                                    "1,200,000/min = 20,000/s per project)")
    gmail_batch_size: int = Field(
        50, ge=1, le=100, description="calls per batch request (Gmail allows 100 but answers parts beyond its "
                                      "per-user concurrency with 429; its guide advises at most 50)")
    gmail_page_size: int = Field(
        500, ge=1, le=500, description="messages.list and history.list page size (Gmail allows 500); a sync "
                                       "commits and checkpoints after every page")
    gmail_max_workers: int = Field(4, ge=1, le=32, description="mailboxes synced at the same time")
    gmail_body_max_chars: int = Field(100_000, ge=1_000, description="body_text is cut to this many characters")
    gmail_history_fallback_margin_hours: float = Field(
        24.0, ge=0, description="when history has expired, re-list mail since the last sync minus this margin")

    gmail_external_only: bool = Field(
        True, description="store only messages with at least one participant outside the company (COMPANY_DOMAINS "
                          "and the synced mailboxes' domains)")
    gmail_skip_labels: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_SKIP_LABELS),
        description="labels whose messages are not stored and not listed (a JSON array or comma-separated): "
                    + ", ".join(QUERY_TERMS) + "; empty: none")
    gmail_exclude: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="addresses and domains (with their subdomains) whose messages are not "
                                          "stored: a participant on the list excludes the message")

    @field_validator("gmail_mailboxes", mode="before")
    @classmethod
    def _mailbox_list(cls, value: Any) -> Any:
        return _checked(value, str.lower, lambda _: False, "")

    @field_validator("gmail_mailbox_profiles", "gmail_mailbox_roles", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        return listed_setting(value)

    @model_validator(mode="after")
    def _source_complete(self) -> GmailSettings:
        """Each mailbox source needs its own settings; naming the missing one beats an empty sync."""
        if self.gmail_mailbox_source == "salesforce" and not (self.gmail_mailbox_profiles or self.gmail_mailbox_roles):
            raise ValueError("GMAIL_MAILBOX_SOURCE=salesforce needs GMAIL_MAILBOX_PROFILES or GMAIL_MAILBOX_ROLES")
        if self.gmail_mailbox_source == "group":
            if not self.gmail_mailbox_group or "@" not in self.gmail_mailbox_group:
                raise ValueError("GMAIL_MAILBOX_SOURCE=group needs GMAIL_MAILBOX_GROUP (the group's address)")
            if self.gmail_auth == "delegated" and not self.gmail_directory_admin:
                raise ValueError("GMAIL_MAILBOX_SOURCE=group needs GMAIL_DIRECTORY_ADMIN (an admin to act as)")
        return self

    @field_validator("gmail_skip_labels", mode="before")
    @classmethod
    def _skip_labels(cls, value: Any) -> Any:
        return _checked(value, str.upper, lambda label: label not in QUERY_TERMS,
                        "GMAIL_SKIP_LABELS holds labels it cannot skip (allowed: " + ", ".join(QUERY_TERMS) + ")")

    @field_validator("gmail_exclude", mode="before")
    @classmethod
    def _exclusions(cls, value: Any) -> Any:
        return _checked(value, lambda e: e.lower().rstrip("."),
                        lambda e: e.startswith("@") or not DOMAIN_NAME.match(e.rpartition("@")[2]),
                        "GMAIL_EXCLUDE holds values that are neither addresses nor domains")

    def mail_filter(self, mailboxes: list[str]) -> MailFilter:
        """The privacy filter for a run over `mailboxes` (their domains count as the company's)."""
        return MailFilter.of(self.gmail_skip_labels, self.gmail_exclude, self.company_domain_list,
                             mailboxes, self.gmail_external_only)


class GmailParams(JobParams):
    mailbox: str | None = Field(None, description="sync only this configured mailbox (with a directory source: "
                                                  "one the directory lists now, checked when the run starts)")
    sync_type: Literal["incremental", "full"] = "incremental"
    since: IsoDate | None = Field(None, description="full sync only: mail received on or after this date "
                                                    "(2000-01-01 to today)")
    purge: bool = Field(False, description="sync nothing: remove the stored messages the current privacy filter "
                                           "would not store")

    @field_validator("mailbox")
    @classmethod
    def _configured(cls, value: str | None) -> str | None:
        """The configured list stays in the log: a caller learns only that this address is not one of them."""
        if value is None:
            return None
        address = value.strip().lower()
        allowed = configured_mailboxes()
        if allowed is not None and address not in allowed:
            log.warning("refused mailbox %r: the configured mailboxes are %s", address[:320],
                        ", ".join(allowed) or "(none)", extra={"field": "mailbox"})
            raise PydanticCustomError("not_configured", "not a configured mailbox")
        return address

    @field_validator("since")
    @classmethod
    def _only_for_full(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        if value is not None and info.data.get("sync_type") != "full":
            raise ValueError("only allowed with sync_type 'full'")
        return value


    @field_validator("purge")
    @classmethod
    def _purge_alone(cls, value: bool, info: ValidationInfo) -> bool:
        if value and (info.data.get("sync_type") == "full" or info.data.get("since") is not None):
            raise ValueError("a purge syncs nothing: not allowed with sync_type 'full' or since")
        return value


def configured_mailboxes() -> list[str] | None:
    """The mailboxes in the settings (the request is checked against them before the run starts); None when
    they come from a directory (the run checks them once it has read it) or when the settings themselves are
    invalid (the run then fails on them with a clearer error)."""
    try:
        settings = GmailSettings.load()
    except ValueError:
        return None
    return settings.gmail_mailboxes if settings.gmail_mailbox_source == "list" else None
