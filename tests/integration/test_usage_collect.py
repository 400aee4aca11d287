"""usage-collect end to end, collection side: HTTP entry point → Anthropic, Cursor and Sheets fakes → DuckDB."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from sandbox.apis import cursor
from sandbox.usage_reports import COST_GROUPS, cost_result
from tests.integration.usage_collect_harness import (
    ANCHOR,
    BACKFILL,
    FIRST_DAY,
    QUIET_ALERTS,
    RUN_AT,
    Backfill,
    UsageHarness,
    backfilled_harness,
    backfilled_template,
    new_world,
    usage_harness,
)

USAGE_PATH = "/v1/organizations/usage_report/messages"
DAILY_PATH = "/teams/daily-usage-data"
DAY_MS = 86_400_000


@pytest.fixture
def harness(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[UsageHarness]:
    with usage_harness(new_world(), tmp_path / "wh.duckdb", monkeypatch) as running:
        yield running


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Backfill:
    return backfilled_template(tmp_path_factory.mktemp("usage_collect"))


@pytest.fixture
def backfilled(template: Backfill, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[UsageHarness]:
    with backfilled_harness(template, tmp_path / "wh.duckdb", monkeypatch) as running:
        yield running


def ms(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp() * 1000)


def test_given_a_backfill_then_every_token_class_of_every_key_day_and_model_is_kept(
        backfilled: UsageHarness) -> None:
    harness = backfilled
    stored = {(r["day"], r["api_key_id"], r["model"]): r for r in harness.query(
        "select date(bucket_start) as day, api_key_id, model, uncached_input_tokens, cache_read_input_tokens, "
        "cache_creation_5m_input_tokens, cache_creation_1h_input_tokens, output_tokens, web_search_requests "
        "from raw_anthropic_usage")}
    world = harness.world.anthropic_usage
    assert len(world) == len(stored)
    for row in world:
        got = stored[(row.day, row.api_key_id or "", row.model)]
        assert (got["uncached_input_tokens"], got["cache_read_input_tokens"], got["cache_creation_5m_input_tokens"],
                got["cache_creation_1h_input_tokens"], got["output_tokens"], got["web_search_requests"]) == (
            row.uncached_input_tokens, row.cache_read_input_tokens, row.cache_creation_5m_tokens,
            row.cache_creation_1h_tokens, row.output_tokens, row.web_search_requests)
    assert any(r.cache_creation_1h_tokens for r in world) and any(r.web_search_requests for r in world)


def test_given_more_days_than_the_default_page_then_every_page_is_fetched_at_the_maximum_limit(
        template: Backfill, backfilled: UsageHarness) -> None:
    harness = backfilled
    pages = [r for r in template.requests if r.method == "GET" and r.path == USAGE_PATH]
    days = harness.query("select count(distinct date(bucket_start)) as n from raw_anthropic_usage")[0]["n"]
    assert [p.param("limit") for p in pages] == ["31", "31"]
    assert pages[0].query["group_by[]"] == ["api_key_id", "workspace_id", "model", "service_tier"]
    assert pages[0].param("page") is None and pages[1].param("page")
    assert days == len({r.day for r in harness.world.anthropic_usage}) == 45


def test_given_cost_in_cents_then_dollars_are_exact_and_match_the_source(backfilled: UsageHarness) -> None:
    harness = backfilled
    rows = harness.query("select date(bucket_start) as day, workspace_id, amount_cents, amount_usd, raw_json "
                         "from raw_anthropic_cost")
    for row in rows:
        cents = Decimal(json.loads(row["raw_json"])["amount"])
        assert row["amount_cents"] == cents and row["amount_usd"] == cents / 100
    stored: dict[dt.date, Decimal] = defaultdict(Decimal)
    for row in rows:
        stored[row["day"]] += row["amount_usd"]
    by_day = defaultdict(list)
    for usage in harness.world.anthropic_usage:
        by_day[usage.day].append(usage)
    expected = {day: sum((Decimal(i["amount"]) for i in cost_result(usage, COST_GROUPS)), Decimal()) / 100
                for day, usage in by_day.items()}
    assert stored == expected


def test_given_the_same_window_twice_then_the_second_run_changes_nothing(backfilled: UsageHarness) -> None:
    harness = backfilled
    harness.setenv(**QUIET_ALERTS)
    tables = ("raw_anthropic_usage", "raw_anthropic_cost", "raw_anthropic_claude_code", "raw_cursor_usage",
              "raw_cursor_spend", "raw_key_mapping_sheet", "fct_usage_daily", "fct_cost_daily", "dim_api_keys")

    def state() -> dict[str, dict[str, object]]:
        stamp = {t: "updated_at" if t.startswith(("fct", "dim")) else "collected_at" for t in tables}
        return {t: harness.query(f"select count(*) as n, max({stamp[t]}) as at from {t}")[0] for t in tables}

    before = state()
    answer = harness.ok(BACKFILL, at=RUN_AT + dt.timedelta(minutes=30))

    assert set(answer["counts"].values()) == {0}
    assert state() == before


def test_given_a_day_that_changed_at_the_source_when_recollected_then_it_is_replaced(
        backfilled: UsageHarness) -> None:
    harness = backfilled
    day = dt.date(2026, 4, 30)
    with harness.sandbox.state.lock:
        rows = [r for r in harness.world.anthropic_usage if r.day == day]
        changed, dropped = rows[0], rows[1]
        changed.output_tokens += 1234
        harness.world.anthropic_usage.remove(dropped)

    answer = harness.ok()

    stored = harness.query("select api_key_id, model, output_tokens from raw_anthropic_usage "
                           "where date(bucket_start) = @day", {"day": day})
    assert len(stored) == len(rows) - 1
    kept = rows[:1] + rows[2:]
    assert {(r["api_key_id"], r["model"]) for r in stored} == {(r.api_key_id or "", r.model) for r in kept}
    assert next(r["output_tokens"] for r in stored if (r["api_key_id"], r["model"]) == (
        changed.api_key_id or "", changed.model)) == changed.output_tokens
    assert answer["counts"]["raw_anthropic_usage"] == 1
    assert harness.query("select count(*) as n from fct_usage_daily where platform = 'anthropic_api' "
                         "and usage_date = @day", {"day": day})[0]["n"] == len(rows) - 1


def test_given_a_long_window_then_cursor_daily_usage_is_asked_in_ranges_it_accepts(
        template: Backfill, backfilled: UsageHarness) -> None:
    harness = backfilled
    bodies = [r.json() for r in template.requests if r.method == "POST" and r.path == DAILY_PATH]
    assert [(b["startDate"], b["endDate"]) for b in bodies] == [
        (ms(FIRST_DAY), ms(FIRST_DAY + dt.timedelta(days=30)) - 1),
        (ms(FIRST_DAY + dt.timedelta(days=30)), ms(ANCHOR.date() + dt.timedelta(days=1)) - 1)]
    stored = harness.query("select count(*) as n, count(distinct user_email) as people from raw_cursor_usage")[0]
    assert stored["n"] == len(harness.world.cursor_daily)
    assert stored["people"] == len({r["email"].lower() for r in harness.world.cursor_daily})


def test_cursor_spend_is_a_snapshot_of_the_cycle_in_exact_dollars(backfilled: UsageHarness) -> None:
    harness = backfilled
    spend = harness.query("select user_email, snapshot_date, cycle_start, spend_cents, spend_usd from raw_cursor_spend")
    members = {m.email.lower(): m for m in harness.world.cursor_members}
    assert {r["user_email"] for r in spend} == set(members)
    for row in spend:
        assert row["spend_usd"] == Decimal(members[row["user_email"]].spend_cents) / 100
        assert (row["snapshot_date"], row["cycle_start"]) == (ANCHOR.date(), harness.world.cursor_cycle_start)


def test_given_a_429_from_cursor_then_the_request_is_retried_after_retry_after(backfilled: UsageHarness) -> None:
    harness = backfilled
    harness.sandbox.faults.add(DAILY_PATH, status=429, retry_after=0, times=1, body=cursor.rate_limit_body())

    harness.ok()

    assert [r.status for r in harness.sandbox.log.matching("POST", DAILY_PATH)] == [429, 200]
    assert harness.query("select count(*) as n from raw_cursor_usage")[0]["n"] > 0


def test_the_default_window_is_today_and_the_trailing_days(backfilled: UsageHarness) -> None:
    harness = backfilled
    harness.ok()

    [usage] = harness.sandbox.log.matching("GET", USAGE_PATH)
    claude_days = [r.param("starting_at") for r in harness.sandbox.log.matching(
        "GET", "/v1/organizations/usage_report/claude_code")]
    [daily] = harness.sandbox.log.matching("POST", DAILY_PATH)
    assert (usage.param("starting_at"), usage.param("ending_at")) == ("2026-04-27T00:00:00Z", "2026-05-05T00:00:00Z")
    assert claude_days == [f"2026-04-{d}" for d in range(27, 31)] + [f"2026-05-0{d}" for d in range(1, 5)]
    assert daily.json()["startDate"] == ms(dt.date(2026, 4, 27))


def test_the_first_run_backfills_the_configured_number_of_days(harness: UsageHarness) -> None:
    harness.setenv(USAGE_BACKFILL_DAYS="10")

    harness.ok()

    [usage] = harness.sandbox.log.matching("GET", USAGE_PATH)
    assert usage.param("starting_at") == "2026-04-24T00:00:00Z"
    assert harness.query("select min(date(bucket_start)) as d from raw_anthropic_usage")[0]["d"] == dt.date(2026, 4, 24)


def test_after_an_outage_the_default_window_reaches_back_to_the_last_collected_day(harness: UsageHarness) -> None:
    harness.ok({"start_date": "2026-04-15"}, at=RUN_AT - dt.timedelta(days=14))
    harness.sandbox.log.clear()

    harness.ok()

    [usage] = harness.sandbox.log.matching("GET", USAGE_PATH)
    assert usage.param("starting_at") == "2026-04-20T00:00:00Z"
    cursors = harness.query("select scope, cursor_value from sync_state where job = 'usage-collect' order by scope")
    assert cursors == [{"scope": "anthropic", "cursor_value": "2026-05-04"},
                       {"scope": "cursor", "cursor_value": "2026-05-04"}]


def test_a_backfill_of_older_days_does_not_move_the_cursor_back(harness: UsageHarness) -> None:
    harness.ok({"start_date": "2026-04-30"})
    harness.ok({"sources": ["anthropic"], "start_date": "2026-03-25", "end_date": "2026-03-31"})

    assert harness.query("select cursor_value from sync_state where scope = 'anthropic'") == [
        {"cursor_value": "2026-05-04"}]
    assert harness.query("select min(date(bucket_start)) as d from raw_anthropic_usage")[0]["d"] == dt.date(2026, 3, 25)


def test_given_a_source_without_its_key_then_only_that_source_fails(harness: UsageHarness) -> None:
    harness.setenv(USAGE_BACKFILL_DAYS="3")
    harness.monkeypatch.delenv("CURSOR_ADMIN_KEY")

    status, answer = harness.run()

    assert (status, answer["status"]) == (200, "partial")
    assert answer["errors"] == {"cursor": "MissingSettingError: CURSOR_ADMIN_KEY is not set"}
    assert answer["counts"]["raw_anthropic_usage"] > 0
    assert harness.query("select count(*) as n from raw_cursor_usage")[0]["n"] == 0


def test_given_an_anthropic_outage_then_the_run_is_partial_and_the_rest_is_modelled(harness: UsageHarness) -> None:
    harness.setenv(USAGE_BACKFILL_DAYS="3")
    harness.sandbox.faults.add("/v1/organizations", status=500, retry_after=None, times=None)
    harness.setenv(HTTP_MAX_RETRIES="1")

    status, answer = harness.run()

    assert (status, answer["status"], list(answer["errors"])) == (200, "partial", ["anthropic"])
    assert "HTTP 500" in answer["errors"]["anthropic"]
    assert harness.query("select count(*) as n from fct_usage_daily where platform = 'cursor'")[0]["n"] > 0


@pytest.mark.parametrize(("body", "field"), [
    ({"start_date": "2026-04-10", "end_date": "2026-04-01"}, "end_date"),
    ({"sources": ["anthropic", "openai"]}, "sources.1"),
    ({"sources": []}, "sources"),
    ({"start_date": "yesterday"}, "start_date"),
    ({"days": 3}, "days"),
])
def test_given_a_bad_body_then_400_names_the_field_and_nothing_is_collected(
        harness: UsageHarness, body: dict[str, object], field: str) -> None:
    status, answer = harness.run(body)

    assert status == 400
    assert answer["field"] == field
    assert len(harness.sandbox.log) == 0
    assert not harness.db_path.exists() or harness.query("select count(*) as n from etl_runs")[0]["n"] == 0
