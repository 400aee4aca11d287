"""`make report`: the formats, the takeaways each block computes from its rows, the empty and failed states, the
page's escaping and the charts' SVG. The page in a real browser: tests/integration/test_report.py."""

from __future__ import annotations

import datetime as dt
import decimal
import re
from pathlib import Path
from typing import Any

import pytest

from shared.warehouse import connect
from tools import report, report_accounts, report_charts, report_health, report_spend
from tools import report_format as fmt
from tools.report_page import render
from tools.report_queries import QUERIES, Result

NOW = dt.datetime(2026, 12, 2, 9, 30, tzinfo=dt.UTC)
TODAY = NOW.date()
FUNCTIONS = ["salesforce-sync", "gmail-sync", "usage-collect"]


def results(**rows: list[dict[str, Any]]) -> dict[str, Result]:
    return {name: Result(name, source, rows.get(name, [])) for name, source in QUERIES.items()}


def call(owner: str, position: int, account: str, priority: float, action: str = "call now",
         to_act: int = 1) -> dict[str, Any]:
    return {"owner_id": owner[:3], "owner_name": owner, "position": position, "score_date": TODAY,
            "account_id": f"001{account}", "account_name": account, "recommended_action": action,
            "priority_score": priority, "budget_likelihood": 71.26, "engagement_score": 55.0,
            "reasons": [f'budget talk: "Re: FY budget" ({TODAY})', "call on 2026-11-28 (31 min)"],
            "last_interaction_date": dt.date(2026, 11, 28), "accounts_to_act_on": to_act}


def actions(owner: str, action: str, accounts: int) -> dict[str, Any]:
    return {"owner_name": owner, "recommended_action": action, "accounts": accounts, "top_priority": 50.0,
            "score_date": TODAY}


def month_cost(month: dt.date, platform: str, cost: float, previous: float | None, to_date: bool = False
               ) -> dict[str, Any]:
    return {"month": month, "platform": platform, "cost_usd": cost, "attributed_cost_usd": cost,
            "previous_cost_usd": previous, "mom_change_pct": None, "active_users": 3, "is_month_to_date": to_date}


def projection(**changes: Any) -> dict[str, Any]:
    row = {"month": dt.date(2026, 12, 1), "as_of_date": dt.date(2026, 12, 1), "days_observed": 1, "day_of_month": 1,
           "days_in_month": 31, "mtd_cost_usd": 400.0, "projected_month_usd": 12340.0, "projected_low_usd": 11200.4,
           "projected_high_usd": 13500.0, "daily_run_rate_usd": 400.0, "is_partial_data": False,
           "previous_month": dt.date(2026, 11, 1), "previous_month_usd": 10457.63, "previous_is_partial": False}
    return row | changes


def run(function: str, status: str, scope: str = "*", error: str | None = None) -> dict[str, Any]:
    return {"function_name": function, "scope": scope, "status": status,
            "started_at": dt.datetime(2026, 12, 2, 8, 5, tzinfo=dt.UTC), "completed_at": None,
            "duration_seconds": 12.5, "rows_processed": 1200, "error_message": error, "pending_scopes": None}


# --- formats -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "shown"), [
    (1234.4, "$1,234"), (decimal.Decimal("12.50"), "$12.50"), (-1500, "-$1,500"), (0, "$0.00"), (None, "—"),
    (float("nan"), "—"), ("12", "—"), (True, "—")])
def test_money_is_dollars_with_cents_only_below_a_hundred(value: Any, shown: str) -> None:
    assert fmt.money(value) == shown


def test_axis_money_is_short_and_ranges_use_an_en_dash() -> None:
    assert [fmt.money_short(v) for v in (0, 850, 1000, 1234, 2_500_000, -3000)] == [
        "$0", "$850", "$1k", "$1.2k", "$2.5M", "-$3k"]
    assert fmt.money_range(11200.4, 13500) == "$11,200\u2013$13,500"


def test_percents_shares_and_changes() -> None:
    assert (fmt.percent(87.5), fmt.percent(90, 0), fmt.share(0.875), fmt.share(None)) == (
        "87.5 %", "90 %", "87.5 %", "—")
    assert fmt.change(18, "2026-10") == "18.0 % above 2026-10"
    assert fmt.change(-4.24, "2026-10") == "4.2 % below 2026-10"
    assert fmt.change(0.01, "2026-10") == "unchanged from 2026-10"
    assert fmt.change(None, "2026-10") == "no comparison with 2026-10"


def test_dates_moments_months_durations_and_ages() -> None:
    late = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-8)))
    assert fmt.day(dt.date(2026, 11, 30)) == "2026-11-30"
    assert fmt.day(late) == "2026-12-01"  # the UTC day
    assert fmt.moment(late) == "2026-12-01 07:30 UTC"
    assert fmt.moment(dt.datetime(2026, 12, 1, 7, 30)) == "2026-12-01 07:30 UTC"  # naive = UTC
    assert (fmt.month(dt.date(2026, 11, 1)), fmt.day(None), fmt.month(None)) == ("2026-11", "—", "—")
    assert [fmt.seconds(s) for s in (0.84, 42, 185, 3720, None)] == ["0.8 s", "42 s", "3 min 5 s", "1 h 2 min", "—"]
    assert [fmt.age(m) for m in (0.5, 12, 330, 4608, None)] == ["just now", "12 min", "5.5 h", "3.2 d", "—"]


def test_counts_plurals_and_lists() -> None:
    assert (fmt.count(12345.0), fmt.score(92), fmt.plural(1, "rep"), fmt.plural(1200, "account")) == (
        "12,345", "92.0", "1 rep", "1,200 accounts")
    assert [fmt.listing(x) for x in ([], ["a"], ["a", "b"], ["a", "b", "c"], list("abcde"))] == [
        "", "a", "a and b", "a, b and c", "a, b, c and 2 more"]


# --- takeaways -----------------------------------------------------------------------------------------------------

def test_the_accounts_overview_counts_what_needs_action_and_names_the_top_account() -> None:
    rows = [actions("Ana Ruiz", "call now", 2), actions("Ana Ruiz", "no action", 5), actions("Bo Li", "nurture", 3)]
    calls = [call("Ana Ruiz", 1, "Acme", 92.04), call("Bo Li", 1, "Globex", 40)]
    assert report_accounts.overview(rows, calls, TODAY) == (
        "Scored today (2026-12-02): 5 of 10 accounts need action across 2 reps; top: Acme (Ana Ruiz, priority "
        "92.0, call now).")
    assert report_accounts.by_action(rows) == (
        "By action: 2 call now, 3 nurture, 5 no action; Bo Li has the most to act on (3).")
    stale = [actions("Ana Ruiz", "no action", 4) | {"score_date": dt.date(2026, 11, 28)}]
    assert report_accounts.overview(stale, [], TODAY) == (
        "Scored on 2026-11-28, 4 days ago: all 4 accounts are 'no action', nobody needs a call.")


def test_a_rep_s_takeaway_says_how_many_accounts_and_that_only_the_first_are_listed() -> None:
    rows = [call("Ana Ruiz", p, f"A{p}", 90 - p, to_act=8) for p in (2, 1, 3)]
    assert report_accounts.rep_takeaway(rows) == (
        "Ana Ruiz has 8 accounts to act on; top: A1 (priority 89.0, call now). The first 3 are listed.")
    table = report_accounts.rep_table(rows)
    assert [row[0].text for row in table.rows] == ["1", "2", "3"]
    assert list(table.rows[0][7].items) == rows[1]["reasons"] and table.rows[0][3].text == "71 %"


def test_the_monthly_takeaway_reads_the_latest_complete_month_against_the_one_before() -> None:
    oct_, nov, dec = dt.date(2026, 10, 1), dt.date(2026, 11, 1), dt.date(2026, 12, 1)
    rows = [month_cost(oct_, "anthropic", 6000, None), month_cost(oct_, "cursor", 2000, None),
            month_cost(nov, "anthropic", 7000, 6000), month_cost(nov, "cursor", 2440, 2000),
            month_cost(dec, "anthropic", 300, 250, to_date=True), month_cost(dec, "cursor", 100, 90, to_date=True)]
    assert report_spend.monthly_takeaway(rows) == (
        "2026-11: $9,440 of AI cost, 74.2 % of it anthropic; 18.0 % above 2026-10.")
    assert report_spend.monthly_takeaway(rows[4:]) == (
        "2026-12 to date: $400 of AI cost, 75.0 % of it anthropic; 17.6 % above the same days of 2026-11.")
    assert report_spend.monthly_takeaway([month_cost(dt.date(2026, 12, 1), "cursor", 100, None, to_date=True)]) == (
        "2026-12 to date: $100 of AI cost, 100.0 % of it cursor.")


def test_the_projection_takeaway_gives_the_interval_and_the_change_against_last_month() -> None:
    assert report_spend.projection_takeaway(projection()) == (
        "AI spend for 2026-12 is projected at $12,340 (90 % interval $11,200\u2013$13,500), 18.0 % above 2026-11 "
        "($10,458).")
    whole_month = projection(month=dt.date(2026, 11, 1), day_of_month=30, days_in_month=30, mtd_cost_usd=10457.63,
                             previous_month=dt.date(2026, 10, 1), previous_month_usd=8862.4)
    assert report_spend.projection_takeaway(whole_month) == (
        "AI spend for 2026-11 came to $10,458 (the whole month), 18.0 % above 2026-10 ($8,862).")
    first_day = projection(projected_low_usd=None, projected_high_usd=None, previous_month_usd=None)
    assert report_spend.projection_takeaway(first_day) == (
        "AI spend for 2026-12 is projected at $12,340 (no interval yet: too few days of data).")
    no_spread = projection(projected_low_usd=12340.0, projected_high_usd=12340.0, previous_month_usd=None)
    assert report_spend.projection_takeaway(no_spread) == report_spend.projection_takeaway(first_day)
    partial = projection(previous_is_partial=True, is_partial_data=True, days_observed=3, day_of_month=5)
    assert report_spend.projection_takeaway(partial) == (
        "AI spend for 2026-12 is projected at $12,340 (90 % interval $11,200\u2013$13,500); only 3 of its first 5 "
        "days have cost data.")


def test_team_and_coverage_takeaways() -> None:
    dec = dt.date(2026, 12, 1)
    teams = [{"month": dec, "team": "unattributed", "cost_usd": 600.0, "share_of_month_pct": 50.0, "people": 0},
             {"month": dec, "team": "platform", "cost_usd": 450.0, "share_of_month_pct": 37.5, "people": 3},
             {"month": dec, "team": "data", "cost_usd": 150.0, "share_of_month_pct": 12.5, "people": 1}]
    assert report_spend.team_takeaway(teams) == (
        "In 2026-12, platform spent the most: $450 (37.5 % of $1,200); $600 is attributed to nobody.")
    assert report_spend.team_takeaway(teams, in_progress=dec).startswith("In 2026-12 so far, platform spends ")
    nov = [r | {"month": dt.date(2026, 11, 1), "cost_usd": r["cost_usd"] * 10} for r in teams[1:]]
    assert report_spend.team_takeaway([*nov, *teams], in_progress=dec) == (
        "In 2026-11, platform spent the most: $4,500 (37.5 % of $6,000).")
    below = {"month": dec, "total_cost_usd": 9876.0, "unattributed_cost_usd": 1234.0, "coverage_pct": 87.5,
             "target_pct": 90.0, "meets_target": False}
    assert report_spend.coverage_takeaway([below]) == (
        "Attribution coverage in 2026-12 is 87.5 %, below the 90 % target: $1,234 of $9,876 is attributed to nobody.",
        "warn")
    met = below | {"coverage_pct": 95.1, "meets_target": True, "unattributed_cost_usd": 48.0}
    assert report_spend.coverage_takeaway([below | {"month": dt.date(2026, 11, 1)}, met])[1] == "good"


def test_the_status_takeaway_is_green_only_when_every_function_succeeded() -> None:
    ok = [run(f, "success") for f in FUNCTIONS]
    assert report_health.status_takeaway(ok, FUNCTIONS) == (
        "All 3 functions succeeded in their latest run (the newest started 2026-12-02 08:05 UTC).", "good")
    mixed = [run("salesforce-sync", "success"), run("salesforce-sync", "failed", scope="Account"),
             run("gmail-sync", "failed", error="boom")]
    assert report_health.status_takeaway(mixed, FUNCTIONS) == (
        "3 of 3 functions need a look: gmail-sync failed, salesforce-sync has failed scopes and never run: "
        "usage-collect.", "bad")
    table = report_health.status_block(Result("etl_status", "v_etl_status", mixed), FUNCTIONS).table
    assert table is not None and table.headers[-1] == "Error"
    assert [(r[0].text, r[1].text, r[-1].text) for r in table.rows] == [
        ("salesforce-sync", "success", ""), ("gmail-sync", "failed", "boom"), ("usage-collect", "never run", "")]
    assert table.rows[0][5].chips == (("Account", "failed"),)
    healthy = report_health.status_block(Result("etl_status", "v_etl_status", ok), FUNCTIONS).table
    assert healthy is not None and "Error" not in healthy.headers


def test_freshness_match_and_embedding_takeaways() -> None:
    fresh: list[dict[str, Any]] = [{"table_name": "gmail_messages", "source_system": "gmail", "last_loaded_at": NOW,
              "minutes_since_last_load": 4, "minutes_since_newest_record": 35},
             {"table_name": "raw_cursor_spend", "source_system": "cursor", "last_loaded_at": NOW,
              "minutes_since_last_load": 7, "minutes_since_newest_record": 2900},
             {"table_name": "sf_tasks", "source_system": "salesforce", "last_loaded_at": None,
              "minutes_since_last_load": None, "minutes_since_newest_record": None}]
    assert report_health.freshness_takeaway(fresh) == (
        "2 of 3 source tables loaded, all within the last 7 min; newest records from 35 min (gmail_messages) "
        "to 2.0 d old (raw_cursor_spend); never loaded: sf_tasks.", "warn")
    first, last = dt.date(2026, 11, 2), dt.date(2026, 12, 1)
    rates = [{"source": "email", "match_method": "exact_email", "row_count": 900, "ambiguous_rows": 10,
              "share": 0.9, "first_date": first, "last_date": last},
             {"source": "email", "match_method": "unmatched", "row_count": 100, "ambiguous_rows": 0, "share": 0.1,
              "first_date": first, "last_date": last},
             {"source": "call", "match_method": "phone", "row_count": 500, "ambiguous_rows": 5, "share": 1.0,
              "first_date": first, "last_date": last}]
    assert report_health.match_takeaway(rates) == (
        "Matched to Salesforce: 90.0 % of external email participants and 100.0 % of calls (2026-11-02 to "
        "2026-12-01); 1.0 % of rows ambiguous.")
    coverage = [{"table_name": "gmail_messages", "live_rows": 333, "with_vector": 150, "empty_text": 3,
                 "not_embedded": 180}, {"table_name": "dialpad_calls", "live_rows": 0, "with_vector": None,
                                        "empty_text": None, "not_embedded": None}]
    assert report_health.embedding_takeaway(coverage) == (
        "45.0 % of live mail (150 of 333) has an embedding; 180 rows wait for generate-embeddings.")


# --- empty and failed states, the page -----------------------------------------------------------------------------

def test_an_empty_warehouse_gives_every_block_a_reason_instead_of_a_chart() -> None:
    page = report.build_page(results(), "duckdb:///x.duckdb", NOW)
    blocks = {b.key: b for s in page.sections for b in s.blocks}
    assert [s.title for s in page.sections] == ["Today's accounts", "AI spend", "Pipeline health"]
    assert blocks["actions-by-rep"].empty == report_accounts.NOT_SCORED
    assert blocks["monthly-cost"].empty == ("No rows in v_monthly_finance: run usage-collect first (it loads the "
                                            "daily AI cost of Anthropic and Cursor).")
    assert blocks["etl-status"].empty == report_health.NO_RUNS
    assert blocks["match-rates"].empty is not None and "entity-resolution" in blocks["match-rates"].empty
    assert blocks["embeddings"].empty is not None and "generate-embeddings" in blocks["embeddings"].empty
    assert blocks["pipeline-health"].empty is None and blocks["pipeline-health"].tone == "good"
    assert not any(b.chart for b in blocks.values()) and page.problems == ()


def test_a_failed_query_is_named_in_its_block_and_in_the_page_s_problems() -> None:
    broken = results() | {"cost_by_team": Result("cost_by_team", "v_cost_allocation", error="Table not found")}
    page = report.build_page(broken, "duckdb:///x.duckdb", NOW)
    team = next(b for s in page.sections for b in s.blocks if b.key == "cost-by-team")
    assert team.empty == "Could not read v_cost_allocation: Table not found"
    assert page.problems == ("cost_by_team: Table not found",)
    assert "Some queries failed" in render(page)


def test_warehouse_text_reaches_the_page_escaped() -> None:
    hostile = "<script>alert(1)</script>"
    rows = results(actions_by_rep=[actions("Ana Ruiz", "call now", 1)],
                   call_list=[call("Ana Ruiz", 1, hostile, 80) | {"reasons": ['<img src="http://x.example/a">']}])
    html = render(report.build_page(rows, "duckdb:///x.duckdb", NOW))
    assert hostile not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html
    assert re.findall(r"""(?:src|href)\s*=\s*["']?https?:""", html) == []


def test_a_full_page_has_every_section_a_chart_per_charted_block_and_the_policy_that_forbids_loads() -> None:
    nov, dec = dt.date(2026, 11, 1), dt.date(2026, 12, 1)
    rows = results(
        actions_by_rep=[actions("Ana Ruiz", "call now", 2), actions("Bo Li", "nurture", 1)],
        call_list=[call("Ana Ruiz", 1, "Acme", 92, to_act=2), call("Ana Ruiz", 2, "Initech", 70, to_act=2),
                   call("Bo Li", 1, "Globex", 40, "nurture")],
        monthly_cost=[month_cost(nov, "anthropic", 7000, None), month_cost(dec, "anthropic", 400, 300, True)],
        month_projection=[projection()],
        cost_by_team=[{"month": dec, "team": "platform", "cost_usd": 400.0, "share_of_month_pct": 100.0,
                       "people": 2}],
        attribution_coverage=[{"month": dec, "total_cost_usd": 400.0, "unattributed_cost_usd": 0.0,
                               "coverage_pct": 100.0, "target_pct": 90.0, "meets_target": True}],
        etl_status=[run(f, "success") for f in FUNCTIONS])
    html = render(report.build_page(rows, "duckdb:///x.duckdb", NOW))
    assert re.findall(r'<section id="(\w+)"', html) == ["accounts", "spend", "health"]
    assert re.findall(r'data-chart="([\w-]+)"', html) == ["actions-by-rep", "monthly-cost", "cost-by-team", "coverage"]
    assert html.count("<svg") == 4 and "<script" not in html
    assert "default-src 'none'" in html
    assert "Ana Ruiz&#39;s call list" in html and "Bo Li&#39;s call list" in html


# --- charts --------------------------------------------------------------------------------------------------------

def test_a_chart_is_an_inline_svg_with_scoped_ids_and_the_same_bytes_every_time() -> None:
    def draw() -> str:
        series = {"a": [5.0, 1.0], "b": [2.0, 1.0]}
        svg = report_charts.columns("monthly", "Monthly cost", ["2026-11", "2026-12"], series, fmt.money_short,
                                    projection=report_charts.Projection(1, 7.0, 6.0, 8.0, "projected"))
        assert svg is not None
        return str(svg)

    first = draw()
    assert first.startswith('<svg role="img" aria-label="Monthly cost"') and first == draw()
    assert "<?xml" not in first and "<metadata" not in first and "<style" not in first
    ids = re.findall(r'\bid="([^"]+)"', first)
    assert ids and all(i.startswith("monthly-") for i in ids)
    assert all(ref in ids for ref in re.findall(r'url\(#([^)]+)\)', first))
    assert len(re.findall(r'<path d="', first)) > 10


def test_nothing_to_draw_is_no_chart() -> None:
    assert report_charts.columns("x", "x", ["a"], {"s": [0.0]}, fmt.money_short) is None
    assert report_charts.hbars("x", "x", [], {}, fmt.money_short) is None


# --- the command ---------------------------------------------------------------------------------------------------

def test_a_missing_local_warehouse_is_an_error_and_creates_no_file(tmp_path: Path) -> None:
    missing = tmp_path / "none.duckdb"
    with pytest.raises(FileNotFoundError, match="run `make demo` first"):
        report.render_report(f"duckdb:///{missing}")
    assert not missing.exists()
    assert report.main(["--warehouse", f"duckdb:///{missing}", "--out", str(tmp_path / "r.html")]) == 1


def test_the_command_writes_the_page_of_an_empty_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "warehouse.duckdb"
    warehouse = connect(f"duckdb:///{path}")
    warehouse.ensure_schema()
    warehouse.close()
    out = tmp_path / "out" / "report.html"
    assert report.main(["--warehouse", f"duckdb:///{path}", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"report: {out}"
    html = out.read_text()
    assert html.count('data-empty="') == 10 and report_health.NO_RUNS in html
