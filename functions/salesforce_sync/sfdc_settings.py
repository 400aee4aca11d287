"""Settings of salesforce-sync (environment variable = field name in upper case)."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode
from sfdc_fields import ALL
from sfdc_streams import OBJECT_TYPES, custom_table_name

from shared import sqlfiles
from shared.secrets import Secret
from shared.settings import CommonSettings, listed_setting

AuthMode = Literal["jwt", "client_credentials", "refresh_token", "password"]
LOGIN_AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")
_REQUIRED: dict[str, tuple[str, ...]] = {
    "jwt": ("salesforce_client_id", "salesforce_username", "salesforce_private_key"),
    "client_credentials": ("salesforce_client_id", "salesforce_client_secret"),
    "refresh_token": ("salesforce_client_id", "salesforce_refresh_token"),
    "password": ("salesforce_client_id", "salesforce_client_secret", "salesforce_username", "salesforce_password"),
}

_API_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}$")


def _api_names(names: list[str], what: str) -> list[str]:
    bad = [name for name in names if not _API_NAME.match(name)]
    if bad:
        raise ValueError(f"{what} must be Salesforce API names (letters, digits, underscores): {bad}")
    return names


class SalesforceSettings(CommonSettings):
    salesforce_auth: AuthMode = Field(
        "jwt", description="OAuth flow: jwt (bearer assertion), client_credentials, refresh_token or password")
    salesforce_login_url: str = Field("https://login.salesforce.com",
                                      description="token endpoint host; https://test.salesforce.com for a sandbox")
    salesforce_jwt_audience: str = Field(
        "https://login.salesforce.com",
        description="JWT bearer `aud`: https://login.salesforce.com, https://test.salesforce.com (sandbox org) or "
                    "an Experience Cloud site URL; never the My Domain host the token request goes to")
    salesforce_instance_url: str | None = Field(
        None, description="My Domain URL; hosts the client-credentials token endpoint; instance fallback")
    salesforce_username: str | None = Field(None, description="integration user (jwt, password)")
    salesforce_client_id: Secret | None = Field(None, description="connected app consumer key")
    salesforce_client_secret: Secret | None = Field(None, description="connected app consumer secret")
    salesforce_private_key: Secret | None = Field(None, description="PEM RSA key that signs the JWT assertion")
    salesforce_refresh_token: Secret | None = Field(None, description="refresh token (refresh_token flow)")
    salesforce_password: Secret | None = Field(None, description="integration user's password (password flow)")
    salesforce_security_token: Secret | None = Field(None, description="appended to the password when set")
    salesforce_api_version: str = Field("59.0", pattern=r"^\d{2,3}\.0$", description="REST API version")
    salesforce_lookback_seconds: int = Field(
        300, ge=1, le=86_400, description="incremental window overlap before the stored cursor")
    salesforce_bulk_threshold: int = Field(
        50_000, ge=0, description="full syncs of objects with more records than this use Bulk API 2.0")
    salesforce_batch_size: int = Field(2000, ge=200, le=50_000, description="records per warehouse merge")
    salesforce_default_region: str = Field(
        "US", min_length=2, max_length=2, description="country for phone numbers written without one")
    salesforce_bulk_poll_seconds: float = Field(2.0, ge=0, description="wait between Bulk job status polls")
    salesforce_bulk_timeout_seconds: float = Field(3600.0, gt=0, description="give up on a Bulk job after this")
    salesforce_rate_per_second: float = Field(20.0, gt=0, description="client-side request rate limit")

    salesforce_extra_fields: Annotated[dict[str, list[str] | Literal["*"]], NoDecode] = Field(
        default_factory=dict,
        description='more fields per object, as JSON: {"Account": ["Budget__c", "Segment__c"], "Opportunity": "*"}; '
                    '"*" = every custom field describe reports; each lands in a column named after the field in '
                    "lower case (budget__c), added to the table when first configured and back-filled")
    salesforce_custom_objects: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="custom objects to sync, separated by commas (Competitor__c): each into table sf_<name> "
                    "(sf_competitor) keyed by <name>_id, with Id, OwnerId, Name, the system fields and its "
                    "SALESFORCE_EXTRA_FIELDS entry (default *: every custom field)")

    @field_validator("salesforce_extra_fields", mode="before")
    @classmethod
    def _extra_fields(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = json.loads(value) if value.strip() else {}
        if not isinstance(value, dict):
            return value
        chosen: dict[str, Any] = {}
        for object_type, fields in value.items():
            listed = fields if fields == ALL else listed_setting(fields)
            chosen[str(object_type)] = listed if listed == ALL else _api_names(listed, f"{object_type} fields")
        return chosen

    @field_validator("salesforce_custom_objects", mode="before")
    @classmethod
    def _custom_objects(cls, value: Any) -> Any:
        listed = listed_setting(value)
        if not isinstance(listed, list):
            return listed
        names = _api_names(listed, "custom objects")
        if bad := [name for name in names if not name.endswith("__c")]:
            raise ValueError(f"custom object names end in __c: {bad}")
        if taken := [name for name in names if custom_table_name(name) in sqlfiles.table_files()]:
            raise ValueError(f"the table of {taken} would be one the suite already has")
        return list(dict.fromkeys(names))

    @model_validator(mode="after")
    def _extra_fields_known(self) -> Self:
        known = (*OBJECT_TYPES, *self.salesforce_custom_objects)
        if unknown := [name for name in self.salesforce_extra_fields if name not in known]:
            raise ValueError(f"SALESFORCE_EXTRA_FIELDS names objects that are not synced: {unknown} (synced: "
                             f"{', '.join(known)}; custom objects go in SALESFORCE_CUSTOM_OBJECTS)")
        return self

    def extra_fields(self, object_type: str) -> list[str] | Literal["*"]:
        """The configured extra fields of an object; a custom object has every custom field unless it says."""
        if object_type in self.salesforce_extra_fields:
            return self.salesforce_extra_fields[object_type]
        return "*" if object_type in self.salesforce_custom_objects else []

    @field_validator("salesforce_jwt_audience")
    @classmethod
    def _audience(cls, value: str) -> str:
        """Salesforce accepts only these audiences; a My Domain URL (`*.my.salesforce.com`) is refused."""
        value = value.strip().rstrip("/")
        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
            raise ValueError("must be an https URL: https://login.salesforce.com, https://test.salesforce.com or "
                             "an Experience Cloud site URL")
        host = parts.hostname.lower()
        if value.lower() not in LOGIN_AUDIENCES and (host.endswith(".salesforce.com") or parts.port):
            raise ValueError(f"{value} is not a JWT audience Salesforce accepts: use https://login.salesforce.com, "
                             "https://test.salesforce.com or an Experience Cloud site URL (not the My Domain URL)")
        return value.lower() if value.lower() in LOGIN_AUDIENCES else value

    @model_validator(mode="after")
    def _credentials_for_auth(self) -> Self:
        missing = [name.upper() for name in _REQUIRED[self.salesforce_auth] if getattr(self, name) is None]
        if missing:
            raise ValueError(f"SALESFORCE_AUTH={self.salesforce_auth} needs {', '.join(missing)}")
        return self

    @property
    def query_page_size(self) -> int:
        """`Sforce-Query-Options: batchSize`, which Salesforce bounds to 200..2000."""
        return min(max(self.salesforce_batch_size, 200), 2000)
