"""Dialpad API v2 over the shared resilient session: the call list (cursor paging) and call transcripts.

Each endpoint family has its own session, so its own rate limiter and circuit breaker (`source` names
`dialpad-list` and `dialpad-transcripts`): Dialpad limits every endpoint separately (1200/min for these two,
10/min for GET /call/{id}, which this client never needs because the list carries every call field), and a
failing transcript service must not stop the call list. Both buckets hold a single token, so in any second the
two paces (defaults 3/s + 15/s) stay within Dialpad's company limit of 20 requests/s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests
from dialpad_settings import DialpadSettings

from shared.http import HttpPolicy, adapter_of, make_session
from shared.resilience import error_detail

API = "/api/v2"
PAGE_SIZE = 50
"""Calls per list page. The API has no page-size parameter, so this is the size it serves, not a request:
our sandbox serves 50; forum posts report 25 for the real API (unverified). Used only for estimates."""


class DialpadError(requests.HTTPError):
    """A Dialpad answer that is neither success nor retriable any more (message is log-safe)."""

    def __init__(self, response: requests.Response) -> None:
        path = (response.request.path_url or "").split("?")[0] if response.request else "?"
        super().__init__(f"HTTP {response.status_code} from {path}: {error_detail(response, 200)}",
                         response=response)


class DialpadClient:
    def __init__(self, settings: DialpadSettings) -> None:
        self.base_url = settings.dialpad_base_url
        self._api_key = settings.dialpad_api_key
        self.list_session = make_session(HttpPolicy.from_settings(
            settings, source="dialpad-list", rate_per_second=settings.dialpad_list_rate_per_second, burst=1.0))
        self.transcript_session = make_session(HttpPolicy.from_settings(
            settings, source="dialpad-transcripts", rate_per_second=settings.dialpad_transcript_rate_per_second,
            burst=1.0))

    @property
    def round_trips(self) -> int:
        return adapter_of(self.list_session).round_trips + adapter_of(self.transcript_session).round_trips

    def _get(self, session: requests.Session, path: str, params: Mapping[str, Any] | None = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {self._api_key.get()}", "Accept": "application/json"}
        return session.get(f"{self.base_url}{API}{path}", params=params, headers=headers)

    def call_page(self, started_after_ms: int, started_before_ms: int,
                  cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
        """One page of concluded calls with started_after < date_started < started_before, newest first, and
        the cursor of the next page (None on the last page)."""
        params: dict[str, Any] = {"started_after": started_after_ms, "started_before": started_before_ms}
        if cursor:
            params["cursor"] = cursor
        response = self._get(self.list_session, "/call", params)
        if not response.ok:
            raise DialpadError(response)
        body = response.json()
        items = [item for item in body.get("items") or [] if isinstance(item, dict)]
        return items, (body.get("cursor") or None)

    def transcript(self, call_id: str) -> dict[str, Any] | None:
        """The call's transcript, or None when Dialpad has none (404)."""
        response = self._get(self.transcript_session, f"/transcripts/{call_id}")
        if response.status_code == 404:
            return None
        if not response.ok:
            raise DialpadError(response)
        body = response.json()
        return body if isinstance(body, dict) else {}
