"""The source clients, built lazily from the settings so that a missing secret fails only its own scope."""

from __future__ import annotations

from typing import Any

from usage_anthropic import AnthropicAdmin
from usage_cursor import CursorAdmin
from usage_settings import UsageSettings
from usage_sheets import SHEETS_SCOPE, SheetsReader, sheets_service

from shared.http import HttpPolicy, make_session
from shared.settings import CommonSettings


class MissingSettingError(RuntimeError):
    """A setting the requested source needs is not configured."""


def per_minute_policy(settings: CommonSettings, source: str, per_minute: int) -> HttpPolicy:
    """A token bucket that can never exceed `per_minute` in any sliding minute: half the budget as burst,
    refilled at half the rate."""
    half = max(per_minute / 2, 1.0)
    return HttpPolicy.from_settings(settings, source=source, rate_per_second=half / 60, burst=half)


def _sheets_credentials(settings: UsageSettings) -> Any:
    if settings.sheets_auth == "static_token":
        if settings.sheets_static_token is None:
            raise MissingSettingError("SHEETS_AUTH=static_token needs SHEETS_STATIC_TOKEN")
        from google.oauth2.credentials import Credentials

        return Credentials(token=settings.sheets_static_token.get())
    import google.auth

    credentials, _project = google.auth.default(scopes=[SHEETS_SCOPE])
    return credentials


class UsageClients:
    def __init__(self, settings: UsageSettings) -> None:
        self.settings = settings
        self._anthropic: AnthropicAdmin | None = None
        self._cursor: CursorAdmin | None = None
        self._sheets: SheetsReader | None = None

    def anthropic(self) -> AnthropicAdmin:
        if self._anthropic is None:
            s = self.settings
            if s.anthropic_admin_key is None:
                raise MissingSettingError("ANTHROPIC_ADMIN_KEY is not set")
            policy = HttpPolicy.from_settings(s, source="anthropic", rate_per_second=s.anthropic_requests_per_second)
            self._anthropic = AnthropicAdmin(make_session(policy), s.anthropic_base_url, s.anthropic_admin_key,
                                             s.anthropic_version)
        return self._anthropic

    def cursor(self) -> CursorAdmin:
        if self._cursor is None:
            s = self.settings
            if s.cursor_admin_key is None:
                raise MissingSettingError("CURSOR_ADMIN_KEY is not set")
            session = make_session(per_minute_policy(s, "cursor", s.cursor_requests_per_minute))
            self._cursor = CursorAdmin(session, s.cursor_base_url, s.cursor_admin_key, s.cursor_max_range_days,
                                       s.cursor_events_page_size)
        return self._cursor

    def sheets(self) -> SheetsReader:
        if self._sheets is None:
            s = self.settings
            session = make_session(per_minute_policy(s, "sheets", s.sheets_requests_per_minute))
            self._sheets = SheetsReader(sheets_service(session, s.sheets_api_base_url, _sheets_credentials(s)))
        return self._sheets


def make_clients(settings: UsageSettings) -> UsageClients:
    return UsageClients(settings)
