"""Cursor Admin API client: team members, daily usage data and usage events (in ranges the API accepts), cycle
spend."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import requests
from usage_anthropic import SourceError, checked
from usage_window import Window

from shared.secrets import Secret

SPEND_PAGE_SIZE = 100


def epoch_ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True)
class EventsPage:
    number: int
    events: list[dict[str, Any]]
    has_next: bool


class CursorAdmin:
    def __init__(self, session: requests.Session, base_url: str, admin_key: Secret, max_range_days: int,
                 events_page_size: int = 500) -> None:
        self.session, self.base_url, self.admin_key = session, base_url, admin_key
        self.max_range_days, self.events_page_size = max_range_days, events_page_size

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.session.request(method, f"{self.base_url}{path}", json=body,
                                        auth=(self.admin_key.get(), ""))
        return checked(response, "cursor")

    def members(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/teams/members").get("teamMembers") or [])

    def _range(self, chunk: Window) -> dict[str, int]:
        """A request window's bounds (at most `max_range_days` days: see `Window.chunks`), both inclusive."""
        if chunk.days > self.max_range_days:
            raise ValueError(f"{chunk} spans more than {self.max_range_days} days")
        return {"startDate": epoch_ms(chunk.starts_at()), "endDate": epoch_ms(chunk.ends_before()) - 1}

    def daily_usage(self, chunk: Window) -> list[dict[str, Any]]:
        return list(self._call("POST", "/teams/daily-usage-data", self._range(chunk)).get("data") or [])

    def usage_events(self, chunk: Window, first_page: int = 1) -> Iterator[EventsPage]:
        """The usage events of one request window, page by page from `first_page` (1-based) while the API says
        there is a next page; each page is asked for only when the previous one has been consumed."""
        page = first_page
        while True:
            body = self._call("POST", "/teams/filtered-usage-events",
                              {**self._range(chunk), "page": page, "pageSize": self.events_page_size})
            pagination = body.get("pagination") or {}
            has_next = bool(pagination.get("hasNextPage"))
            yield EventsPage(page, list(body.get("usageEvents") or []), has_next)
            if not has_next:
                return
            page += 1

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
