"""Anthropic Admin API client: usage and cost reports, the Claude Code report, the API-keys list.

Reports page by `page`/`next_page` while `has_more`; the default page is only 7 daily buckets, so every
request asks for the maximum (31 buckets, 1000 keys or Claude Code records).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import requests
from usage_window import Window

from shared.resilience import error_detail
from shared.secrets import Secret

USAGE_GROUPS = ("api_key_id", "workspace_id", "model", "service_tier")
COST_GROUPS = ("workspace_id", "description")
MAX_BUCKETS, MAX_KEYS, MAX_CLAUDE_CODE = 31, 1000, 1000


class SourceError(RuntimeError):
    """A source answered with an error that retries did not cure."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def checked(response: requests.Response, source: str) -> dict[str, Any]:
    if response.status_code >= 400:
        raise SourceError(f"{source} {response.request.method} {response.url.split('?')[0]} answered "
                          f"HTTP {response.status_code}: {error_detail(response)}", response.status_code)
    body = response.json()
    if not isinstance(body, dict):
        raise SourceError(f"{source} answered {type(body).__name__}, expected a JSON object")
    return body


def rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class AnthropicAdmin:
    def __init__(self, session: requests.Session, base_url: str, admin_key: Secret, version: str) -> None:
        self.session, self.base_url, self.admin_key, self.version = session, base_url, admin_key, version

    def _get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        headers = {"x-api-key": self.admin_key.get(), "anthropic-version": self.version}
        return checked(self.session.get(f"{self.base_url}{path}", params=params, headers=headers), "anthropic")

    def _pages(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        page: str | None = None
        while True:
            body = self._get(path, {**params, "page": page} if page else params)
            yield body
            page = body.get("next_page")
            if not body.get("has_more"):
                return
            if not page:
                raise SourceError(f"anthropic {path}: has_more without next_page")

    def _bucket_page(self, path: str, window: Window, groups: tuple[str, ...],
                     page: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """One page of daily buckets over the window (from `page`, else the first) and the next page's token."""
        params: dict[str, Any] = {
            "starting_at": rfc3339(window.starts_at()), "ending_at": rfc3339(window.ends_before()),
            "bucket_width": "1d", "limit": MAX_BUCKETS, "group_by[]": list(groups)}
        body = self._get(path, {**params, "page": page} if page else params)
        next_page = body.get("next_page") if body.get("has_more") else None
        if body.get("has_more") and not next_page:
            raise SourceError(f"anthropic {path}: has_more without next_page")
        return list(body.get("data") or []), next_page

    def usage_page(self, window: Window, page: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
        return self._bucket_page("/v1/organizations/usage_report/messages", window, USAGE_GROUPS, page)

    def cost_page(self, window: Window, page: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
        return self._bucket_page("/v1/organizations/cost_report", window, COST_GROUPS, page)

    def claude_code(self, day: dt.date) -> Iterator[dict[str, Any]]:
        params = {"starting_at": day.isoformat(), "limit": MAX_CLAUDE_CODE}
        for body in self._pages("/v1/organizations/usage_report/claude_code", params):
            yield from body.get("data") or []

    def api_keys(self) -> Iterator[dict[str, Any]]:
        after: str | None = None
        while True:
            params: dict[str, Any] = {"limit": MAX_KEYS, **({"after_id": after} if after else {})}
            body = self._get("/v1/organizations/api_keys", params)
            yield from body.get("data") or []
            after = body.get("last_id")
            if not body.get("has_more") or not after:
                return
