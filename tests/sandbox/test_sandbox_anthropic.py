"""The Anthropic Admin API fake: report paging, grouping, cost derived from usage, keys list, Claude Code."""

from __future__ import annotations

import base64
import collections
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests

from sandbox import Sandbox
from sandbox.apis.anthropic import ADMIN_KEY, API_VERSION
from sandbox.usage_reports import TIER_FACTOR
from sandbox.world import build_world

ANCHOR = datetime(2026, 5, 4, tzinfo=UTC)
HEADERS = {"x-api-key": ADMIN_KEY, "anthropic-version": API_VERSION}
USAGE = "/v1/organizations/usage_report/messages"
COST = "/v1/organizations/cost_report"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(build_world(seed=11, scale=1, anchor=ANCHOR)) as running:
        yield running


def get(sandbox: Sandbox, path: str, headers: dict[str, str] | None = None, **params: Any) -> requests.Response:
    return sandbox.session().get(sandbox.https_url + path, params=params,
                                 headers=HEADERS if headers is None else headers)


def test_a_report_pages_seven_daily_buckets_by_default_until_has_more_is_false(sandbox: Sandbox) -> None:
    first = get(sandbox, USAGE, starting_at="2026-04-01T00:00:00Z", ending_at="2026-04-11T00:00:00Z").json()
    second = get(sandbox, USAGE, starting_at="2026-04-01T00:00:00Z", ending_at="2026-04-11T00:00:00Z",
                 page=first["next_page"]).json()

    assert [b["starting_at"] for b in first["data"]] == [f"2026-04-0{d}T00:00:00Z" for d in range(1, 8)]
    assert first["has_more"] is True
    assert base64.urlsafe_b64decode(first["next_page"].removeprefix("page_")) == b"2026-04-08"
    assert [b["starting_at"][:10] for b in second["data"]] == ["2026-04-08", "2026-04-09", "2026-04-10"]
    assert (second["has_more"], second["next_page"]) == (False, None)


def test_limit_is_capped_at_31_daily_buckets(sandbox: Sandbox) -> None:
    answer = get(sandbox, USAGE, starting_at="2026-03-01T00:00:00Z", limit="32")

    assert answer.status_code == 400
    assert answer.json()["type"] == "error"
    assert answer.json()["error"]["type"] == "invalid_request_error"


def test_usage_grouped_by_key_model_and_tier_matches_the_world_with_every_token_class(sandbox: Sandbox) -> None:
    day = date(2026, 4, 14)
    answer = get(sandbox, USAGE, starting_at=f"{day}T00:00:00Z", ending_at=f"{day + timedelta(days=1)}T00:00:00Z",
                 **{"group_by[]": ["api_key_id", "workspace_id", "model", "service_tier"]}).json()
    results = answer["data"][0]["results"]
    world = [r for r in sandbox.world.anthropic_usage if r.day == day]

    assert len(results) == len(world)
    by_key = {(r["api_key_id"], r["model"]): r for r in results}
    for row in world:
        got = by_key[(row.api_key_id, row.model)]
        assert got["uncached_input_tokens"] == row.uncached_input_tokens
        assert got["cache_read_input_tokens"] == row.cache_read_input_tokens
        assert got["cache_creation"] == {"ephemeral_5m_input_tokens": row.cache_creation_5m_tokens,
                                         "ephemeral_1h_input_tokens": row.cache_creation_1h_tokens}
        assert got["output_tokens"] == row.output_tokens
        assert got["server_tool_use"] == {"web_search_requests": row.web_search_requests}
        assert got["context_window"] is None


def test_an_empty_bucket_has_no_results(sandbox: Sandbox) -> None:
    answer = get(sandbox, USAGE, starting_at="2025-01-01T00:00:00Z", ending_at="2025-01-02T00:00:00Z").json()
    assert answer["data"] == [{"starting_at": "2025-01-01T00:00:00Z", "ending_at": "2025-01-02T00:00:00Z",
                               "results": []}]


def test_the_cost_report_is_the_usage_at_list_prices_in_cents_per_workspace(sandbox: Sandbox) -> None:
    day = date(2026, 4, 14)
    answer = get(sandbox, COST, starting_at=f"{day}T00:00:00Z", ending_at=f"{day + timedelta(days=1)}T00:00:00Z",
                 **{"group_by[]": ["workspace_id", "description"]}).json()
    reported: dict[str | None, Decimal] = defaultdict(Decimal)
    for item in answer["data"][0]["results"]:
        reported[item["workspace_id"]] += Decimal(item["amount"])
        assert item["currency"] == "USD"
        assert isinstance(item["amount"], str)
    expected: dict[str | None, Decimal] = defaultdict(Decimal)
    for row in sandbox.world.anthropic_usage:
        if row.day == day:
            web = Decimal(row.web_search_requests) / 100
            expected[row.workspace_id] += (Decimal(str(row.cost_usd())) - web) * TIER_FACTOR[row.service_tier] + web

    assert set(reported) == set(expected)
    for workspace, cents in reported.items():
        assert abs(cents / 100 - expected[workspace]) < Decimal("0.000001")


def test_cost_descriptions_are_unique_per_workspace_day_and_carry_their_dimensions(sandbox: Sandbox) -> None:
    answer = get(sandbox, COST, starting_at="2026-04-14T00:00:00Z", ending_at="2026-04-15T00:00:00Z",
                 **{"group_by[]": ["workspace_id", "description"]}).json()
    items = answer["data"][0]["results"]
    keys = [(i["workspace_id"], i["description"]) for i in items]

    assert len(keys) == len(set(keys))
    tokens = [i for i in items if i["cost_type"] == "tokens"]
    assert tokens and all(i["model"] and i["token_type"] and i["service_tier"] for i in tokens)


def test_without_grouping_the_cost_report_has_one_total_per_day(sandbox: Sandbox) -> None:
    answer = get(sandbox, COST, starting_at="2026-04-14T00:00:00Z", ending_at="2026-04-15T00:00:00Z").json()
    [item] = answer["data"][0]["results"]
    assert item["workspace_id"] is None and item["description"] is None and Decimal(item["amount"]) > 0


def test_the_api_keys_list_pages_by_after_id(sandbox: Sandbox) -> None:
    first = get(sandbox, "/v1/organizations/api_keys").json()
    rest = get(sandbox, "/v1/organizations/api_keys", after_id=first["last_id"]).json()
    ids = [k["id"] for k in first["data"] + rest["data"]]

    assert len(first["data"]) == 20 and first["has_more"] is True and rest["has_more"] is False
    assert sorted(ids) == sorted(k.id for k in sandbox.world.api_keys)
    assert first["data"][0]["type"] == "api_key" and first["data"][0]["created_at"].endswith("Z")


def test_the_claude_code_report_covers_one_day_paged_by_records(sandbox: Sandbox) -> None:
    day = date(2026, 4, 14)
    first = get(sandbox, "/v1/organizations/usage_report/claude_code", starting_at=day.isoformat(), limit="2").json()
    rest = get(sandbox, "/v1/organizations/usage_report/claude_code", starting_at=day.isoformat(), limit="1000",
               page=first["next_page"]).json()
    records = first["data"] + rest["data"]
    world = {(d.email, d.is_remote): d for d in sandbox.world.claude_code_usage if d.day == day}

    assert first["has_more"] is True and rest["has_more"] is False
    assert {(r["actor"]["email_address"], r["is_remote"]) for r in records} == set(world)
    record = records[0]
    truth = world[(record["actor"]["email_address"], record["is_remote"])]
    assert record["core_metrics"]["lines_of_code"]["added"] == truth.lines_added
    assert record["model_breakdown"][0]["estimated_cost"] == {"amount": truth.estimated_cost_cents, "currency": "USD"}
    assert sum(t["accepted"] for t in record["tool_actions"].values()) == truth.tool_accepts


@pytest.mark.parametrize(("headers", "status", "kind"), [
    ({"anthropic-version": API_VERSION}, 401, "authentication_error"),
    ({"x-api-key": "sk-ant-admin01-wrong", "anthropic-version": API_VERSION}, 401, "authentication_error"),
    ({"x-api-key": ADMIN_KEY}, 400, "invalid_request_error"),
])
def test_requests_need_the_admin_key_and_a_version(sandbox: Sandbox, headers: dict[str, str], status: int,
                                                   kind: str) -> None:
    answer = get(sandbox, USAGE, headers=headers, starting_at="2026-04-01T00:00:00Z")
    assert answer.status_code == status
    assert answer.json()["error"]["type"] == kind


def test_an_actor_day_with_remote_and_local_use_is_reported_as_two_records(sandbox: Sandbox) -> None:
    both = collections.Counter((d.day, d.email) for d in sandbox.world.claude_code_usage)
    day, email = next(key for key, n in sorted(both.items()) if n == 2)
    records = get(sandbox, "/v1/organizations/usage_report/claude_code", starting_at=day.isoformat(),
                  limit="1000").json()["data"]

    mine = {r["is_remote"]: r for r in records if r["actor"]["email_address"] == email}
    truth = {d.is_remote: d for d in sandbox.world.claude_code_usage if (d.day, d.email) == (day, email)}
    assert set(mine) == set(truth) == {False, True}
    for remote, record in mine.items():
        assert record["core_metrics"]["num_sessions"] == truth[remote].sessions
        assert record["model_breakdown"][0]["estimated_cost"]["amount"] == truth[remote].estimated_cost_cents
