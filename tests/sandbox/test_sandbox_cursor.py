"""The Cursor Admin API fake: Basic auth, daily usage ranges, paged spend, the per-minute rate limit."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from sandbox import Sandbox
from sandbox.apis.cursor import ADMIN_KEY, cursor_fake
from sandbox.world import build_world
from tests.conftest import FakeClock

ANCHOR = datetime(2026, 5, 4, tzinfo=UTC)
DAY_MS = 86_400_000


@pytest.fixture(scope="module")
def running() -> Iterator[Sandbox]:
    with Sandbox(build_world(seed=11, scale=1, anchor=ANCHOR)) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(running: Sandbox) -> Iterator[Sandbox]:
    limit = cursor_fake(running.app).limit
    limit.enabled = False
    yield running
    limit.enabled = True


def post(sandbox: Sandbox, path: str, body: dict[str, Any], key: str = ADMIN_KEY) -> requests.Response:
    return sandbox.session().post(sandbox.https_url + path, json=body, auth=(key, ""))


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def test_daily_usage_returns_the_member_days_in_the_range(sandbox: Sandbox) -> None:
    start, end = ANCHOR - timedelta(days=10), ANCHOR - timedelta(days=1)
    answer = post(sandbox, "/teams/daily-usage-data", {"startDate": ms(start), "endDate": ms(end)}).json()
    expected = [r for r in sandbox.world.cursor_daily if ms(start) <= r["date"] <= ms(end)]

    assert answer["period"] == {"startDate": ms(start), "endDate": ms(end)}
    assert answer["data"] == expected and expected


@pytest.mark.parametrize(("body", "message"), [
    ({}, "required"),
    ({"startDate": 0, "endDate": 91 * DAY_MS}, "cannot exceed 90 days"),
    ({"startDate": 5 * DAY_MS, "endDate": 0}, "must not be before"),
])
def test_bad_ranges_are_rejected(sandbox: Sandbox, body: dict[str, int], message: str) -> None:
    answer = post(sandbox, "/teams/daily-usage-data", body)
    assert answer.status_code == 400
    assert message in answer.json()["message"]


def test_spend_pages_through_every_member_of_the_current_cycle(sandbox: Sandbox) -> None:
    first = post(sandbox, "/teams/spend", {"page": 1, "pageSize": 4}).json()
    pages = [first] + [post(sandbox, "/teams/spend", {"page": n, "pageSize": 4}).json()
                       for n in range(2, first["totalPages"] + 1)]
    rows = [row for page in pages for row in page["teamMemberSpend"]]

    assert first["totalMembers"] == len(sandbox.world.cursor_members) == len(rows)
    assert first["subscriptionCycleStart"] == ms(sandbox.world.cursor_cycle_start or ANCHOR)
    assert sum(r["spendCents"] for r in rows) == sum(m.spend_cents for m in sandbox.world.cursor_members)


def test_members_are_listed(sandbox: Sandbox) -> None:
    answer = sandbox.session().get(sandbox.https_url + "/teams/members", auth=(ADMIN_KEY, "")).json()
    assert {m["email"] for m in answer["teamMembers"]} == {m.email for m in sandbox.world.cursor_members}
    assert any(m["isRemoved"] for m in answer["teamMembers"])


def test_a_wrong_key_is_unauthorized(sandbox: Sandbox) -> None:
    answer = post(sandbox, "/teams/spend", {}, key="key_wrong")
    assert answer.status_code == 401
    assert answer.json()["error"] == "Unauthorized"


def test_more_than_twenty_requests_a_minute_get_429_with_retry_after(running: Sandbox) -> None:
    clock = FakeClock()
    limit = cursor_fake(running.app).limit
    limit.clock, limit.enabled = clock, True
    try:
        statuses = [post(running, "/teams/spend", {}).status_code for _ in range(21)]
        refused = post(running, "/teams/spend", {})
        clock.advance(60)
        later = post(running, "/teams/spend", {})
    finally:
        limit.clock = time.monotonic
    assert statuses == [200] * 20 + [429]
    assert refused.json() == {"error": "Too Many Requests", "message": "Rate limit exceeded. Please try again later."}
    assert refused.headers["Retry-After"] == "60"
    assert later.status_code == 200


def test_usage_events_are_paged_newest_first_over_the_range(sandbox: Sandbox) -> None:
    start, end = ms(ANCHOR - timedelta(days=10)), ms(ANCHOR) - 1
    body = {"startDate": start, "endDate": end, "pageSize": 50}
    first = post(sandbox, "/teams/filtered-usage-events", body).json()
    pages = [first] + [post(sandbox, "/teams/filtered-usage-events", {**body, "page": n}).json()
                       for n in range(2, first["pagination"]["numPages"] + 1)]
    events = [e for p in pages for e in p["usageEvents"]]
    expected = [e for e in sandbox.world.cursor_events if start <= int(e["timestamp"]) <= end]

    assert first["totalUsageEventsCount"] == len(expected) == len(events) > 50
    assert first["pagination"] == {"numPages": -(-len(expected) // 50), "currentPage": 1, "pageSize": 50,
                                   "hasNextPage": True, "hasPreviousPage": False}
    assert pages[-1]["pagination"]["hasNextPage"] is False
    assert sorted(events, key=lambda e: -int(e["timestamp"])) == events
    assert sorted(map(str, events)) == sorted(map(str, expected))
    assert all(isinstance(e["timestamp"], str) for e in events)
    assert all(("tokenUsage" in e) == e["isTokenBasedCall"] for e in events)


def test_the_cycle_spend_is_the_sum_of_the_cycles_charged_events(sandbox: Sandbox) -> None:
    cycle = sandbox.world.cursor_cycle_start or ANCHOR
    charged: dict[str, float] = {}
    for event in sandbox.world.cursor_events:
        if int(event["timestamp"]) >= ms(cycle) and event["kind"] == "Usage-based" and not event["isFreeBugbot"]:
            email = event["userEmail"]
            charged[email] = charged.get(email, 0.0) + event["tokenUsage"]["totalCents"]
    spend = post(sandbox, "/teams/spend", {"pageSize": 1000}).json()["teamMemberSpend"]

    assert charged and {r["email"]: r["spendCents"] for r in spend if r["spendCents"]} == {
        email: round(cents) for email, cents in charged.items() if round(cents)}


@pytest.mark.parametrize("body", [
    {"startDate": 0, "endDate": 91 * DAY_MS}, {"page": 0}, {"pageSize": 1001}, {"startDate": "yesterday"}])
def test_bad_usage_event_requests_are_rejected(sandbox: Sandbox, body: dict[str, Any]) -> None:
    assert post(sandbox, "/teams/filtered-usage-events", body).status_code == 400
