"""The Cursor Admin API fake: team members, daily usage data, usage events and current-cycle spend.

Basic auth with the API key as the user name; `daily-usage-data` and `filtered-usage-events` take epoch-ms
`startDate`/`endDate` and reject ranges over 90 days; `filtered-usage-events` (newest first) and `spend` are
paged (1-based `page`, `pageSize`); `spend` covers the current billing cycle only and is summed from the same
world events the events endpoint serves. Requests are limited per team to REQUESTS_PER_MINUTE in a sliding
minute (429 with Retry-After and Cursor's error body). Tests reach the fake with `cursor_fake(app)` to lift the
limit or step its clock.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request

from sandbox.state import SandboxState
from sandbox.world_usage import CursorMember

ADMIN_KEY = "key_sandbox0fake0cursor0admin0key"
REQUESTS_PER_MINUTE = 20
MAX_RANGE_DAYS = 90
DEFAULT_PAGE_SIZE = 50
EVENTS_DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 1000
"""The API documents no maximum; the fake accepts up to this many rows a page."""
_DAY_MS = 86_400_000


def error(status: int, title: str, message: str, headers: dict[str, str] | None = None) -> Response:
    response = jsonify({"error": title, "message": message})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def rate_limit_body() -> dict[str, str]:
    return {"error": "Too Many Requests", "message": "Rate limit exceeded. Please try again later."}


@dataclass
class MinuteLimit:
    """A sliding one-minute window of accepted requests; `enabled=False` lifts it (benchmarks, tests)."""

    per_minute: int = REQUESTS_PER_MINUTE
    enabled: bool = True
    clock: Callable[[], float] = time.monotonic
    _hits: deque[float] = field(default_factory=deque, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def retry_after(self) -> int | None:
        """Seconds to wait when this request is over the limit (it is then not counted), else None."""
        if not self.enabled:
            return None
        with self._lock:
            now = self.clock()
            while self._hits and now - self._hits[0] >= 60:
                self._hits.popleft()
            if len(self._hits) >= self.per_minute:
                return max(1, math.ceil(60 - (now - self._hits[0])))
            self._hits.append(now)
            return None


def _member_json(member: CursorMember) -> dict[str, Any]:
    return {"name": member.name, "email": member.email, "role": member.role, "id": member.id,
            "isRemoved": member.is_removed}


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class CursorFake:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.limit = MinuteLimit()

    def guard(self) -> Response | None:
        user = request.authorization.username if request.authorization else None
        if request.authorization is None or request.authorization.type != "basic" or user != ADMIN_KEY:
            return error(401, "Unauthorized", "Invalid API key")
        wait = self.limit.retry_after()
        if wait is not None:
            body = rate_limit_body()
            return error(429, body["error"], body["message"], headers={"Retry-After": str(wait)})
        return None

    def members(self) -> Response:
        with self.state.lock:
            return jsonify({"teamMembers": [_member_json(m) for m in self.state.world.cursor_members]})

    def daily_usage(self) -> Response:
        body = request.get_json(silent=True) or {}
        start, end = body.get("startDate"), body.get("endDate")
        if not isinstance(start, int) or not isinstance(end, int):
            return error(400, "Bad Request", "startDate and endDate (epoch milliseconds) are required")
        refused = _range_error(start, end)
        if refused is not None:
            return refused
        with self.state.lock:
            rows = [dict(row) for row in self.state.world.cursor_daily if start <= row["date"] <= end]
        return jsonify({"data": rows, "period": {"startDate": start, "endDate": end}})

    def usage_events(self) -> Response:
        """Events in [startDate, endDate] (default: the 30 days before now), newest first, optionally one email's."""
        body = request.get_json(silent=True) or {}
        now = _epoch_ms(self.state.world.anchor)
        end, page, size = body.get("endDate", now), body.get("page", 1), body.get("pageSize", EVENTS_DEFAULT_PAGE_SIZE)
        start = body.get("startDate", end - 30 * _DAY_MS)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end, page, size)):
            return error(400, "Bad Request", "startDate, endDate, page and pageSize must be integers")
        if page < 1 or not 1 <= size <= MAX_PAGE_SIZE:
            return error(400, "Bad Request", f"page must be >= 1 and pageSize between 1 and {MAX_PAGE_SIZE}")
        refused = _range_error(start, end)
        if refused is not None:
            return refused
        email = str(body.get("email") or "").lower()
        with self.state.lock:
            events = [dict(e) for e in self.state.world.cursor_events if start <= int(e["timestamp"]) <= end
                      and (not email or e["userEmail"].lower() == email)]
        events.sort(key=lambda e: (-int(e["timestamp"]), e["userEmail"], e["model"]))
        pages = math.ceil(len(events) / size)
        return jsonify({"totalUsageEventsCount": len(events),
                        "pagination": {"numPages": pages, "currentPage": page, "pageSize": size,
                                       "hasNextPage": page < pages, "hasPreviousPage": page > 1},
                        "usageEvents": events[(page - 1) * size:page * size]})

    def spend(self) -> Response:
        body = request.get_json(silent=True) or {}
        page, size = body.get("page", 1), body.get("pageSize", DEFAULT_PAGE_SIZE)
        if not isinstance(page, int) or not isinstance(size, int) or page < 1 or not 1 <= size <= 1000:
            return error(400, "Bad Request", "page must be >= 1 and pageSize between 1 and 1000")
        term = str(body.get("searchTerm") or "").lower()
        with self.state.lock:
            world = self.state.world
            members = [m for m in world.cursor_members if term in m.email.lower() or term in m.name.lower()]
            cycle = world.cursor_cycle_start or world.anchor
        members.sort(key=lambda m: (-m.spend_cents, m.email))
        rows = [{"spendCents": m.spend_cents, "fastPremiumRequests": m.fast_premium_requests, "name": m.name,
                 "email": m.email, "role": m.role, "hardLimitOverrideDollars": m.hard_limit_override_dollars}
                for m in members[(page - 1) * size:page * size]]
        return jsonify({"teamMemberSpend": rows, "subscriptionCycleStart": _epoch_ms(cycle),
                        "totalMembers": len(members), "totalPages": max(1, math.ceil(len(members) / size))})


def _range_error(start: int, end: int) -> Response | None:
    if end < start:
        return error(400, "Bad Request", "endDate must not be before startDate")
    if end - start > MAX_RANGE_DAYS * _DAY_MS:
        return error(400, "Bad Request", f"Date range cannot exceed {MAX_RANGE_DAYS} days")
    return None


class CursorBlueprint(Blueprint):
    fake: CursorFake


def blueprint(state: SandboxState) -> Blueprint:
    fake = CursorFake(state)
    bp = CursorBlueprint("cursor", __name__, url_prefix="/teams")
    bp.fake = fake
    bp.before_request(fake.guard)
    bp.add_url_rule("/members", view_func=fake.members, methods=["GET"])
    bp.add_url_rule("/daily-usage-data", view_func=fake.daily_usage, methods=["POST"])
    bp.add_url_rule("/filtered-usage-events", view_func=fake.usage_events, methods=["POST"])
    bp.add_url_rule("/spend", view_func=fake.spend, methods=["POST"])
    return bp


def cursor_fake(app: Flask) -> CursorFake:
    """The fake behind a sandbox app (tests lift or step its rate limit)."""
    bp = app.blueprints["cursor"]
    assert isinstance(bp, CursorBlueprint)
    return bp.fake
