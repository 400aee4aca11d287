"""Cursor Admin API client: team members, daily usage data (in ranges the API accepts), cycle spend."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import requests
from usage_anthropic import SourceError, checked
from usage_window import Window

from shared.secrets import Secret

SPEND_PAGE_SIZE = 100


def epoch_ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


class CursorAdmin:
    def __init__(self, session: requests.Session, base_url: str, admin_key: Secret, max_range_days: int) -> None:
        self.session, self.base_url, self.admin_key = session, base_url, admin_key
        self.max_range_days = max_range_days

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.session.request(method, f"{self.base_url}{path}", json=body,
                                        auth=(self.admin_key.get(), ""))
        return checked(response, "cursor")

    def members(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/teams/members").get("teamMembers") or [])

    def daily_usage(self, chunk: Window) -> list[dict[str, Any]]:
        """Daily usage rows of one request window (at most `max_range_days` days: see `Window.chunks`)."""
        if chunk.days > self.max_range_days:
            raise ValueError(f"{chunk} spans more than {self.max_range_days} days")
        body = {"startDate": epoch_ms(chunk.starts_at()), "endDate": epoch_ms(chunk.ends_before()) - 1}
        return list(self._call("POST", "/teams/daily-usage-data", body).get("data") or [])

    def spend(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """(subscriptionCycleStart in epoch ms, member spend) for the current billing cycle, every page."""
        page, pages = 1, 1
        while page <= pages:
            body = self._call("POST", "/teams/spend", {"page": page, "pageSize": SPEND_PAGE_SIZE})
            cycle = body.get("subscriptionCycleStart")
            if not isinstance(cycle, int):
                raise SourceError("cursor /teams/spend answered without subscriptionCycleStart")
            for member in body.get("teamMemberSpend") or []:
                yield cycle, member
            pages, page = int(body.get("totalPages") or 1), page + 1
