"""usage-collect's Cursor cost from usage events: any past day costed (a first run on the 1st of a month shows the
month before), re-collection replaces days, requests stay in ranges and pages the API accepts, and the cycle's
spend snapshot is reconciled against the events."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sandbox.world import World, build_world
from sandbox.world_usage import cursor_event_cents
from shared.sqlfiles import read_sql
from shared.warehouse import Row, connect
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
    log_entries,
    usage_harness,
)

EVENTS_PATH = "/teams/filtered-usage-events"
DAY_MS = 86_400_000
FIRST_OF_JUNE = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Backfill:
    return backfilled_template(tmp_path_factory.mktemp("usage_cursor_events"))


@pytest.fixture
def wh(template: Backfill, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[UsageHarness]:
    with backfilled_harness(template, tmp_path / "wh.duckdb", monkeypatch) as running:
        running.setenv(**QUIET_ALERTS)
        yield running


def ms(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp() * 1000)


def event_day(event: dict[str, Any]) -> dt.date:
    return (dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=int(event["timestamp"]))).date()


def cursor_usd_by_month(world: World) -> dict[dt.date, Decimal]:
    months: dict[dt.date, Decimal] = defaultdict(Decimal)
    for event in world.cursor_events:
        months[event_day(event).replace(day=1)] += cursor_event_cents(event) / 100
    return months


@dataclass(frozen=True)
class FirstOfMonth:
    world: World
    db_path: Path

    def query(self, sql: str) -> list[Row]:
        warehouse = connect(f"duckdb:///{self.db_path}")
        try:
            return warehouse.query(sql)
        finally:
            warehouse.close()


@pytest.fixture(scope="module")
def first_of_june(tmp_path_factory: pytest.TempPathFactory) -> FirstOfMonth:
    """The first run ever, on 1 June 05:00 UTC, over a world whose usage ends on 31 May."""
    world = build_world(seed=11, scale=1, anchor=FIRST_OF_JUNE)
    path = tmp_path_factory.mktemp("first_of_june") / "wh.duckdb"
    with pytest.MonkeyPatch.context() as monkeypatch, usage_harness(world, path, monkeypatch) as harness:
        harness.setenv(**QUIET_ALERTS)
        harness.ok(at=FIRST_OF_JUNE + dt.timedelta(hours=5))
    return FirstOfMonth(world, path)


def test_given_a_first_run_on_the_1st_of_a_month_then_the_previous_months_cursor_cost_is_the_worlds(
        first_of_june: FirstOfMonth) -> None:
    months = {r["month"]: r["cursor_usd"] for r in first_of_june.query(
        "select month, cursor_usd from v_executive_summary")}
    spend = first_of_june.query("select sum(spend_cents) as cents from raw_cursor_spend")[0]["cents"]

    truth = cursor_usd_by_month(first_of_june.world)
    assert spend == 0, "the new cycle has no spend yet: the snapshot alone would cost May at 0"
    assert truth[dt.date(2026, 5, 1)] > 0
    assert months[dt.date(2026, 5, 1)] == truth[dt.date(2026, 5, 1)]
    assert months[dt.date(2026, 4, 1)] == truth[dt.date(2026, 4, 1)]


def test_on_the_1st_of_a_month_the_demo_shows_last_month_next_to_this_one(first_of_june: FirstOfMonth) -> None:
    rows = {r["platform"]: r for r in first_of_june.query(read_sql("demo/usage_cost_this_month.sql"))}
    may = {r["platform"]: r["usd"] for r in first_of_june.query(
        "select platform, sum(cost_usd) as usd from fct_cost_daily where cost_date >= date '2026-05-01' "
        "group by platform")}

    assert list(rows) == ["anthropic_api", "claude_code", "cursor", "total"]
    for platform, row in rows.items():
        expected = sum(may.values()) if platform == "total" else may[platform]
        assert (row["last_month"], row["this_month"], row["days"]) == ("2026-05", "2026-06", 0)
        assert row["last_month_usd"] == pytest.approx(float(expected), abs=0.005) and expected > 0
        assert row["this_month_usd"] == 0 and row["growth_pct"] is None
        assert row["last_month_growth_pct"] is None, "April is only partly collected"


def test_given_a_backfill_then_events_are_asked_in_ranges_of_at_most_30_days_page_by_page(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world = build_world(seed=11, scale=1, anchor=ANCHOR)
    with usage_harness(world, tmp_path / "wh.duckdb", monkeypatch) as harness:
        harness.setenv(CURSOR_EVENTS_PAGE_SIZE="100", **QUIET_ALERTS)
        answer = harness.ok({"sources": ["cursor"], **BACKFILL})
        bodies = [r.json() for r in harness.sandbox.log.matching("POST", EVENTS_PATH)]
        stored = harness.query("select count(*) as n from raw_cursor_usage_events")[0]["n"]

    ranges = [(FIRST_DAY, FIRST_DAY + dt.timedelta(days=29)), (FIRST_DAY + dt.timedelta(days=30), ANCHOR.date())]
    expected = []
    for first, last in ranges:
        start, end = ms(first), ms(last + dt.timedelta(days=1)) - 1
        count = sum(start <= int(e["timestamp"]) <= end for e in world.cursor_events)
        expected += [{"startDate": start, "endDate": end, "page": page, "pageSize": 100}
                     for page in range(1, max(1, math.ceil(count / 100)) + 1)]
    assert len(expected) > 3
    assert bodies == expected
    assert all(b["endDate"] - b["startDate"] < 30 * DAY_MS for b in bodies)
    assert stored == answer["counts"]["raw_cursor_usage_events"] == len(world.cursor_events)


def test_given_a_past_day_collected_again_then_its_rows_are_the_same_and_vanished_events_go(
        wh: UsageHarness) -> None:
    day = dt.date(2026, 4, 14)
    body = {"sources": ["cursor"], "start_date": day.isoformat(), "end_date": day.isoformat()}
    sql = "select * from raw_cursor_usage_events where usage_date = @day order by event_at, user_email, model"
    before = wh.query(sql, {"day": day})

    again = wh.ok(body, at=RUN_AT + dt.timedelta(hours=1))
    same = wh.query(sql, {"day": day})
    with wh.sandbox.state.lock:
        gone = next(e for e in wh.world.cursor_events if event_day(e) == day)
        wh.world.cursor_events.remove(gone)
    wh.ok(body, at=RUN_AT + dt.timedelta(hours=2))
    after = wh.query(sql, {"day": day})

    assert len(before) == sum(event_day(e) == day for e in wh.world.cursor_events) + 1 > 1
    assert same == before and again["counts"]["raw_cursor_usage_events"] == 0
    gone_at = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=int(gone["timestamp"]))
    assert after == [r for r in before if (r["event_at"], r["model"]) != (gone_at, gone["model"])]


def reconciliation(harness: UsageHarness) -> dict[str, Decimal]:
    return {r["user_email"]: r["difference_cents"] for r in harness.query(
        "select user_email, difference_cents from v_cursor_spend_reconciliation")}


def test_the_cycles_spend_snapshot_reconciles_with_its_usage_events(wh: UsageHarness) -> None:
    rows = wh.query("select * from v_cursor_spend_reconciliation")

    assert {r["cycle_start"] for r in rows} == {wh.world.cursor_cycle_start}
    assert sum(r["snapshot_cents"] for r in rows) > 0
    assert set(reconciliation(wh).values()) == {0}


def test_given_a_snapshot_that_disagrees_with_the_events_then_the_difference_is_reported_and_logged(
        wh: UsageHarness, capsys: pytest.CaptureFixture[str]) -> None:
    with wh.sandbox.state.lock:
        member = next(m for m in wh.world.cursor_members if m.spend_cents)
        member.spend_cents += 250
    capsys.readouterr()

    wh.ok(at=RUN_AT + dt.timedelta(hours=1))

    differences = reconciliation(wh)
    assert differences.pop(member.email.lower()) == 250
    assert set(differences.values()) == {0}
    [logged] = [e for e in log_entries(capsys.readouterr().out) if "difference_cents" in e]
    assert (logged["severity"], logged["difference_cents"], logged["members_off"]) == ("WARNING", 250.0, 1)
