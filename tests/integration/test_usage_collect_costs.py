"""usage-collect's cost model: reported Anthropic cost shared among keys exactly, estimates and spend, finance
views that add up, and unattributed cost kept in sight."""

from __future__ import annotations

import collections
import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from sandbox.usage_reports import TIER_FACTOR
from sandbox.world_usage import cursor_event_cents
from shared import sqlfiles
from tests.integration.usage_collect_harness import Backfill, UsageHarness, backfilled_harness, backfilled_template

NUMERIC_STEP = Decimal("1e-9")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Backfill:
    return backfilled_template(tmp_path_factory.mktemp("usage_costs"))


@pytest.fixture
def wh(template: Backfill, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[UsageHarness]:
    with backfilled_harness(template, tmp_path / "wh.duckdb", monkeypatch) as running:
        yield running


def test_per_key_shares_sum_exactly_to_each_workspace_days_reported_cost(wh: UsageHarness) -> None:
    reported = {(r["day"], r["workspace"]): r["usd"] for r in wh.query(
        "select date(bucket_start) as day, nullif(workspace_id, '') as workspace, sum(amount_usd) as usd "
        "from raw_anthropic_cost group by 1, 2")}
    shared = {(r["cost_date"], r["workspace_id"]): r["usd"] for r in wh.query(
        "select cost_date, workspace_id, sum(cost_usd) as usd, count(*) as n from fct_cost_daily "
        "where platform = 'anthropic_api' group by 1, 2")}

    assert len(reported) > 100
    assert shared == reported
    bases = wh.query("select distinct cost_basis from fct_cost_daily where platform = 'anthropic_api'")
    assert bases == [{"cost_basis": "reported_allocated"}]


def test_shares_follow_usage_at_list_prices(wh: UsageHarness) -> None:
    rows = wh.query(
        "select cost_date, workspace_id, cost_usd, list_cost_usd, "
        "sum(cost_usd) over (partition by cost_date, workspace_id) as reported, "
        "sum(list_cost_usd) over (partition by cost_date, workspace_id) as listed, "
        "count(*) over (partition by cost_date, workspace_id) as n "
        "from fct_cost_daily where platform = 'anthropic_api'")

    for row in rows:
        expected = row["reported"] * row["list_cost_usd"] / row["listed"]
        assert abs(row["cost_usd"] - expected) <= NUMERIC_STEP * row["n"]
    batch = wh.query("select count(*) as n from raw_anthropic_usage where service_tier = 'batch'")[0]["n"]
    assert batch > 0, "the world has Batch-tier keys, priced at half in both the report and the weights"


def test_anthropic_cost_totals_are_the_usage_at_list_prices_batch_at_half(wh: UsageHarness) -> None:
    by_day: dict[dt.date, Decimal] = defaultdict(Decimal)
    for row in wh.world.anthropic_usage:
        web = Decimal(row.web_search_requests) / 100
        by_day[row.day] += (Decimal(str(row.cost_usd())) - web) * TIER_FACTOR[row.service_tier] + web
    stored = {r["cost_date"]: r["usd"] for r in wh.query(
        "select cost_date, sum(cost_usd) as usd from fct_cost_daily where platform = 'anthropic_api' group by 1")}

    assert set(stored) == set(by_day)
    assert all(abs(usd - by_day[day]) < Decimal("0.000001") for day, usd in stored.items())


def test_unattributed_cost_stays_visible_and_coverage_is_measured_by_cost(wh: UsageHarness) -> None:
    console = wh.query("select sum(cost_usd) as usd, count(*) as n from fct_cost_daily "
                       "where platform = 'anthropic_api' and api_key_id is null")[0]
    emails = wh.query("select distinct user_email from fct_cost_daily where user_email is not null")
    totals = wh.query("select date(date_trunc(cost_date, month)) as month, sum(cost_usd) as total, "
                      "sum(if(user_email is null, 0, cost_usd)) as attributed from fct_cost_daily group by 1")
    coverage = {r["period_start"]: r for r in wh.query("select * from v_attribution_coverage where period = 'month'")}

    assert console["n"] > 0 and console["usd"] > 0
    assert all("@" in r["user_email"] and r["user_email"] == r["user_email"].strip().lower() for r in emails)
    for month in totals:
        row = coverage[month["month"]]
        assert (row["total_cost_usd"], row["attributed_cost_usd"]) == (month["total"], month["attributed"])
        assert row["unattributed_cost_usd"] == month["total"] - month["attributed"] > 0
        assert row["coverage_pct"] == round(float(month["attributed"] / month["total"]) * 100, 2)
        assert row["meets_target"] is False
    rows_share = wh.query("select avg(if(user_email is null, 0.0, 1.0)) as share from fct_cost_daily")[0]["share"]
    assert abs(rows_share * 100 - next(iter(coverage.values()))["coverage_pct"]) > 10, \
        "coverage by rows would flatter: the big unmapped keys are few rows"


def test_claude_code_seats_are_costed_at_anthropics_estimate_and_their_work_is_counted(wh: UsageHarness) -> None:
    world = wh.world.claude_code_usage
    cost = wh.query("select user_email, sum(cost_usd) as usd, min(cost_basis) as basis from fct_cost_daily "
                    "where platform = 'claude_code' group by 1")
    usage = wh.query("select sum(sessions) as sessions, sum(lines_added) as lines, sum(accepts) as accepts, "
                     "sum(uncached_input_tokens) as tokens from fct_usage_daily where platform = 'claude_code'")[0]

    expected: dict[str, Decimal] = defaultdict(Decimal)
    for day in world:
        expected[day.email] += Decimal(day.estimated_cost_cents) / 100
    assert {r["user_email"]: r["usd"] for r in cost} == expected
    assert {r["basis"] for r in cost} == {"estimated"}
    assert (usage["sessions"], usage["lines"], usage["accepts"], usage["tokens"]) == (
        sum(d.sessions for d in world), sum(d.lines_added for d in world), sum(d.tool_accepts for d in world),
        sum(d.input_tokens for d in world))


def test_an_actor_day_with_remote_and_local_claude_code_stores_both_and_the_facts_are_their_sum(
        wh: UsageHarness) -> None:
    pairs = collections.Counter((d.day, d.email) for d in wh.world.claude_code_usage)
    day, email = next(key for key, n in sorted(pairs.items()) if n == 2)
    truth = [d for d in wh.world.claude_code_usage if (d.day, d.email) == (day, email)]
    params = {"day": day, "email": email}

    stored = wh.query("select is_remote, num_sessions from raw_anthropic_claude_code "
                      "where usage_date = @day and actor_id = @email order by is_remote", params)
    cost = wh.query("select sum(cost_usd) as usd from fct_cost_daily where platform = 'claude_code' "
                    "and cost_date = @day and user_email = @email", params)[0]["usd"]
    usage = wh.query("select sum(sessions) as sessions, sum(uncached_input_tokens) as tokens from fct_usage_daily "
                     "where platform = 'claude_code' and usage_date = @day and user_email = @email", params)[0]

    assert [(r["is_remote"], r["num_sessions"]) for r in stored] == sorted((d.is_remote, d.sessions) for d in truth)
    assert cost == sum(Decimal(d.estimated_cost_cents) for d in truth) / 100
    assert (usage["sessions"], usage["tokens"]) == (sum(d.sessions for d in truth), sum(d.input_tokens for d in truth))


def test_cursor_cost_is_each_member_days_charged_usage_events_per_model(wh: UsageHarness) -> None:
    rows = wh.query("select cost_date, user_email, model, cost_usd, cost_basis from fct_cost_daily "
                    "where platform = 'cursor'")
    expected: dict[tuple[dt.date, str, str], Decimal] = defaultdict(Decimal)
    for event in wh.world.cursor_events:
        day = dt.datetime.fromtimestamp(int(event["timestamp"]) / 1000, dt.UTC).date()
        expected[(day, event["userEmail"].lower(), event["model"])] += cursor_event_cents(event) / 100

    assert {(r["cost_date"], r["user_email"], r["model"]): r["cost_usd"] for r in rows} == {
        key: usd for key, usd in expected.items() if usd}
    assert {r["cost_basis"] for r in rows} == {"usage_events"}
    cycle = (wh.world.cursor_cycle_start or dt.datetime.min).date()
    assert any(r["cost_date"] < cycle for r in rows), "days before the current cycle are costed too"


def test_cursor_usage_counts_active_days_with_acceptance(wh: UsageHarness) -> None:
    active = [r for r in wh.world.cursor_daily if r["isActive"]]
    rows = wh.query("select lines_accepted, accepts, applies, acceptance_rate, requests from fct_usage_daily "
                    "where platform = 'cursor'")

    assert len(rows) == len(active)
    assert sum(r["lines_accepted"] for r in rows) == sum(r["acceptedLinesAdded"] for r in active)
    assert sum(r["requests"] for r in rows) == sum(r["subscriptionIncludedReqs"] + r["usageBasedReqs"]
                                                   + r["apiKeyReqs"] for r in active)
    assert all(r["acceptance_rate"] == pytest.approx(r["accepts"] / r["applies"]) for r in rows if r["applies"])


def test_the_finance_views_add_up(wh: UsageHarness) -> None:
    months = {r["month"]: r for r in wh.query("select * from v_executive_summary")}
    facts = {r["month"]: r["usd"] for r in wh.query(
        "select date(date_trunc(cost_date, month)) as month, sum(cost_usd) as usd from fct_cost_daily group by 1")}
    allocation = wh.query("select month, sum(cost_usd) as usd, sum(share_of_month_pct) as share "
                          "from v_cost_allocation group by month")
    finance = wh.query("select month, sum(cost_usd) as usd from v_monthly_finance group by month")

    assert {m: r["total_cost_usd"] for m, r in months.items()} == facts
    for row in months.values():
        assert row["anthropic_api_usd"] + row["claude_code_usd"] + row["cursor_usd"] == row["total_cost_usd"]
    assert {r["month"]: r["usd"] for r in allocation} == facts == {r["month"]: r["usd"] for r in finance}
    assert all(abs(r["share"] - 100) < 0.1 for r in allocation)
    current = months[dt.date(2026, 5, 1)]
    assert current["is_current_month"] and current["run_rate_month_usd"] > current["total_cost_usd"]


def test_monthly_finance_compares_a_month_in_progress_with_the_same_days_before(wh: UsageHarness) -> None:
    rows = {(r["month"], r["platform"]): r for r in wh.query("select * from v_monthly_finance")}
    may = rows[(dt.date(2026, 5, 1), "anthropic_api")]
    april_first_days = wh.query("select sum(cost_usd) as usd from fct_cost_daily where platform = 'anthropic_api' "
                                "and cost_date between date '2026-04-01' and date '2026-04-03'")[0]["usd"]
    people = wh.query("select count(distinct user_email) as n from fct_usage_daily where platform = 'anthropic_api' "
                      "and user_email is not null and usage_date >= date '2026-05-01'")[0]["n"]

    assert may["previous_cost_usd"] == april_first_days and may["is_month_to_date"]
    assert may["mom_change_pct"] == round((float(may["cost_usd"]) / float(april_first_days) - 1) * 100, 2)
    assert may["active_users"] == people
    assert may["cost_per_active_user_usd"] == round(float(may["cost_usd"]) / people, 2)
    april = rows[(dt.date(2026, 4, 1), "anthropic_api")]
    assert april["previous_cost_usd"] is None and april["mom_change_pct"] is None, "March is only partly collected"
    growth = {r["month"]: r["growth_pct"] for r in wh.query("select month, growth_pct from v_executive_summary")}
    assert growth[dt.date(2026, 4, 1)] is None and growth[dt.date(2026, 5, 1)] is not None


def test_productivity_puts_cost_against_accepted_lines_per_person_and_week(wh: UsageHarness) -> None:
    rows = wh.query("select * from v_productivity_metrics where lines_accepted > 0")
    week = wh.query("select user_email, date(date_trunc(cost_date, isoweek)) as week, sum(cost_usd) as usd "
                    "from fct_cost_daily where user_email is not null group by 1, 2")
    costs = {(r["user_email"], r["week"]): r["usd"] for r in week}

    assert rows and all(r["week_start"].weekday() == 0 for r in rows)
    for row in rows:
        assert row["cost_usd"] == costs.get((row["user_email"], row["week_start"]), 0)
        assert row["cost_per_accepted_line_usd"] == pytest.approx(
            float(row["cost_usd"]) / row["lines_accepted"], abs=1e-4) or not row["cost_usd"]


def test_the_month_end_projection_is_a_run_rate_with_an_honest_interval(wh: UsageHarness) -> None:
    projection = {r["month"]: r for r in wh.query("select * from v_month_end_projection")}
    may = projection[dt.date(2026, 5, 1)]
    april = projection[dt.date(2026, 4, 1)]
    daily = [r["usd"] for r in wh.query("select cost_date, sum(cost_usd) as usd from fct_cost_daily "
                                        "where cost_date >= date '2026-05-01' group by 1 order by 1")]

    assert (may["as_of_date"], may["days_observed"], may["is_current_month"]) == (dt.date(2026, 5, 3), 3, True)
    assert float(may["projected_month_usd"]) == pytest.approx(float(sum(daily)) / 3 * 31, abs=0.01)
    assert may["projected_low_usd"] < float(may["projected_month_usd"]) < may["projected_high_usd"]
    assert may["projected_low_usd"] >= float(may["mtd_cost_usd"])
    assert april["projected_month_usd"] == april["mtd_cost_usd"] and not april["is_current_month"]


@pytest.mark.parametrize("table", [
    "raw_anthropic_usage", "raw_anthropic_cost", "raw_anthropic_claude_code", "raw_anthropic_api_keys",
    "raw_cursor_usage", "raw_cursor_usage_events", "raw_cursor_spend", "raw_cursor_members", "raw_key_mapping_sheet",
    "raw_people_sheet", "dim_api_keys", "dim_users", "fct_usage_daily", "fct_cost_daily", "alert_rules",
])
def test_every_table_is_unique_on_its_declared_key(wh: UsageHarness, table: str) -> None:
    key = ", ".join(sqlfiles.table_key(table))
    assert wh.query(f"select count(*) as n from {table}")[0]["n"] > 0
    assert wh.query(f"select {key}, count(*) as n from {table} group by {key} having count(*) > 1") == []
