"""Section 2, where the AI money goes: monthly cost by platform with this month's projection (v_monthly_finance,
v_month_end_projection), cost by team (v_cost_allocation), attribution coverage against its target
(v_attribution_coverage) and the open cost alerts (v_cost_alerts)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from tools import report_charts as charts
from tools import report_format as fmt
from tools.report_page import Block, Chart, Section, Table, Tile, chip, empty_block, num, text
from tools.report_queries import Result, Results, Row

KEY = "spend"
TITLE = "AI spend"
NO_COST = "No rows in {view}: run usage-collect first (it loads the daily AI cost of Anthropic and Cursor)."
PLATFORM_COLOURS = {"anthropic_api": "#E69F00", "claude_code": "#009E73", "cursor": "#0072B2"}


def build(results: Results) -> tuple[Section, Tile]:
    monthly, projection = results["monthly_cost"], results["month_projection"]
    current = projection.rows[0] if projection.rows else None
    coverage, alerts = results["attribution_coverage"], results["cost_alerts"]
    in_progress = current["month"] if current and not whole_month(current) else None
    blocks = (monthly_block(monthly, current), projection_block(projection),
              team_block(results["cost_by_team"], in_progress),
              coverage_block(coverage), alerts_block(alerts, bool(monthly.rows)))
    return Section(KEY, TITLE, summary(current, coverage.rows, alerts, bool(monthly.rows)), blocks), tile(current)


def summary(current: Row | None, coverage: Sequence[Row], alerts: Result, has_cost: bool) -> str:
    """`$12,340 projected for 2026-12; attribution coverage 87.5 % (target 90 %); 2 open cost alerts.`"""
    parts = []
    if current is not None and current["projected_month_usd"] is not None:
        parts.append(f"{fmt.money(current['projected_month_usd'])} projected for {fmt.month(current['month'])}")
    if coverage:
        latest = max(coverage, key=lambda r: r["month"])
        parts.append(f"attribution coverage {fmt.percent(latest['coverage_pct'])} "
                     f"(target {fmt.percent(latest['target_pct'], 0)})")
    if has_cost and not alerts.failed:
        parts.append(fmt.plural(len(alerts.rows), "open cost alert") if alerts.rows else "no open cost alert")
    line = "; ".join(parts)
    return line[:1].upper() + line[1:] + "." if parts else ""


def whole_month(projection: Row) -> bool:
    """Whether v_month_end_projection's row is of a month whose every day is past (its total, not a forecast)."""
    return bool(projection["day_of_month"] == projection["days_in_month"])


def unavailable(result: Result) -> str | None:
    return result.failed or (None if result.rows else NO_COST.format(view=result.source))


def monthly_takeaway(rows: Sequence[Row]) -> str:
    """The latest complete month (else the month so far): total, the largest platform's share, the change."""
    months = sorted({r["month"] for r in rows})
    complete = [m for m in months if not any(r["is_month_to_date"] for r in rows if r["month"] == m)]
    focus = complete[-1] if complete else months[-1]
    of_month = [r for r in rows if r["month"] == focus]
    total = sum(r["cost_usd"] or 0 for r in of_month)
    biggest = max(of_month, key=lambda r: (r["cost_usd"] or 0, r["platform"]))
    line = (f"{fmt.month(focus)}{'' if complete else ' to date'}: {fmt.money(total)} of AI cost, "
            f"{fmt.share((biggest['cost_usd'] or 0) / total if total else None)} of it {biggest['platform']}")
    previous = [r["previous_cost_usd"] for r in of_month]
    if all(p is not None for p in previous) and sum(previous):
        before = fmt.month((focus - dt.timedelta(days=1)).replace(day=1))
        than = before if complete else f"the same days of {before}"
        line += f"; {fmt.change((total / sum(previous) - 1) * 100, than)}"
    return line + "."


def monthly_block(result: Result, current: Row | None) -> Block:
    title, source = "Monthly cost by platform", "v_monthly_finance, v_month_end_projection"
    if why := unavailable(result):
        return empty_block("monthly-cost", title, source, why, wide=True)
    months = sorted({r["month"] for r in result.rows})
    platforms = sorted({r["platform"] for r in result.rows})
    cost = {(r["month"], r["platform"]): r["cost_usd"] or 0.0 for r in result.rows}
    labels = [fmt.month(m) + (" (to date)" if any(r["is_month_to_date"] for r in result.rows if r["month"] == m)
                              else "") for m in months]
    projection = None
    if current is not None and current["month"] in months and current["projected_month_usd"] is not None:
        projection = charts.Projection(months.index(current["month"]), current["projected_month_usd"],
                                       current["projected_low_usd"], current["projected_high_usd"],
                                       "projected, 90 % interval")
    svg = charts.columns("monthly-cost", title, labels, {p: [cost.get((m, p), 0.0) for m in months] for p in platforms},
                         fmt.money_short, charts.colours(platforms, PLATFORM_COLOURS), projection=projection, width=12)
    caption = "Cost per calendar month (USD), stacked by platform; the dashed outline is this month's run-rate " \
              "projection with its 90 % interval." if projection else "Cost per calendar month (USD), by platform."
    return Block("monthly-cost", title, monthly_takeaway(result.rows), source,
                 chart=Chart("monthly-cost", svg, caption) if svg else None, wide=True, tone="info")


def interval(row: Row) -> str:
    """`90 % interval $11,200-$13,500`, or why there is none: a month in progress with one day of data has no
    spread to estimate it from (the view's margin is then null or 0)."""
    low, high = row["projected_low_usd"], row["projected_high_usd"]
    if low is None or high is None or (not whole_month(row) and high <= low):
        return "no interval yet: too few days of data"
    return f"90 % interval {fmt.money_range(row['projected_low_usd'], row['projected_high_usd'])}"


def projection_takeaway(row: Row) -> str:
    """`AI spend for 2026-12 is projected at $12,340 (90 % interval $11,200-$13,500), 18.0 % above 2026-11
    ($10,450).` A month whose every day has data came to its total, no projection."""
    complete = whole_month(row)
    if complete:
        line = f"AI spend for {fmt.month(row['month'])} came to {fmt.money(row['mtd_cost_usd'])} (the whole month)"
    else:
        line = (f"AI spend for {fmt.month(row['month'])} is projected at {fmt.money(row['projected_month_usd'])} "
                f"({interval(row)})")
    previous = row["previous_month_usd"]
    if previous and not row["previous_is_partial"]:
        total = row["mtd_cost_usd"] if complete else row["projected_month_usd"]
        line += (f", {fmt.change((total / previous - 1) * 100, fmt.month(row['previous_month']))}"
                 f" ({fmt.money(previous)})")
    if row["is_partial_data"]:
        line += f"; only {row['days_observed']} of its first {row['day_of_month']} days have cost data"
    return line + "."


def projection_block(result: Result) -> Block:
    title = "This month's projection"
    if why := unavailable(result):
        return empty_block("projection", title, result.source, why)
    row = result.rows[0]
    figures = (
        ("Spent so far", f"{fmt.money(row['mtd_cost_usd'])} (through {fmt.day(row['as_of_date'])})"),
        ("Daily run rate", fmt.money(row["daily_run_rate_usd"])),
        ("Projected month", fmt.money(row["projected_month_usd"])),
        ("90 % interval", interval(row).removeprefix("90 % interval ")),
        ("Days with data", f"{row['days_observed']} of {row['day_of_month']} so far ({row['days_in_month']} in all)"),
        (f"{fmt.month(row['previous_month'])} total" if row["previous_month"] else "Previous month",
         fmt.money(row["previous_month_usd"]) + (" (partial data)" if row["previous_is_partial"] else "")),
    )
    table = Table(("Figure", "Value"), tuple((text(name), num(value)) for name, value in figures))
    return Block("projection", title, projection_takeaway(row), result.source, table=table, tone="info")


def focus_month(rows: Sequence[Row], in_progress: dt.date | None) -> dt.date:
    """The month a team comparison speaks of: the latest, unless it is still in progress and one before it is
    there (a day or two of cost says little about who spends what)."""
    months = sorted({r["month"] for r in rows})
    return months[-2] if months[-1] == in_progress and len(months) > 1 else months[-1]


def team_takeaway(rows: Sequence[Row], in_progress: dt.date | None = None) -> str:
    """`In 2026-11, platform spent the most: $4,500 (37.5 % of $12,000); $600 is attributed to nobody.`"""
    month = focus_month(rows, in_progress)
    of_month = [r for r in rows if r["month"] == month]
    total = sum(r["cost_usd"] or 0 for r in of_month)
    teams = [r for r in of_month if r["team"] not in ("unattributed", "no team")] or of_month
    top = max(teams, key=lambda r: (r["cost_usd"] or 0, r["team"]))
    when, verb = (f"{fmt.month(month)} so far", "spends") if month == in_progress else (fmt.month(month), "spent")
    line = (f"In {when}, {top['team']} {verb} the most: {fmt.money(top['cost_usd'])} "
            f"({fmt.percent(top['share_of_month_pct'])} of {fmt.money(total)})")
    unattributed = sum(r["cost_usd"] or 0 for r in of_month if r["team"] == "unattributed")
    return line + (f"; {fmt.money(unattributed)} is attributed to nobody." if unattributed else ".")


def team_block(result: Result, in_progress: dt.date | None) -> Block:
    title = "Cost by team"
    if why := unavailable(result):
        return empty_block("cost-by-team", title, result.source, why)
    months = sorted({r["month"] for r in result.rows})
    focus = focus_month(result.rows, in_progress)
    cost = {(r["month"], r["team"]): r["cost_usd"] or 0.0 for r in result.rows}
    teams = sorted({r["team"] for r in result.rows}, key=lambda t: (-cost.get((focus, t), 0.0), t))
    series = {fmt.month(m) + (" so far" if m == in_progress else ""): [cost.get((m, t), 0.0) for t in teams]
              for m in months}
    shades = dict(zip(series, ("#A6C8E6", "#0072B2")[-len(series):], strict=True))
    svg = charts.hbars("cost-by-team", title, teams, series, fmt.money_short, shades, grouped=True)
    return Block("cost-by-team", title, team_takeaway(result.rows, in_progress), result.source,
                 chart=Chart("cost-by-team", svg, "The latest month with cost beside the month before.")
                 if svg else None, tone="info")


def coverage_takeaway(rows: Sequence[Row]) -> tuple[str, str]:
    """The latest month's coverage against its target, and the tone to show it in."""
    row = max(rows, key=lambda r: r["month"])
    unattributed = f"{fmt.money(row['unattributed_cost_usd'])} of {fmt.money(row['total_cost_usd'])}"
    if row["meets_target"]:
        return (f"Attribution coverage in {fmt.month(row['month'])} is {fmt.percent(row['coverage_pct'])}, meeting "
                f"the {fmt.percent(row['target_pct'], 0)} target ({unattributed} unattributed).", "good")
    return (f"Attribution coverage in {fmt.month(row['month'])} is {fmt.percent(row['coverage_pct'])}, below the "
            f"{fmt.percent(row['target_pct'], 0)} target: {unattributed} is attributed to nobody.", "warn")


def coverage_block(result: Result) -> Block:
    title = "Attribution coverage"
    if why := unavailable(result):
        return empty_block("coverage", title, result.source, why)
    rows = sorted(result.rows, key=lambda r: r["month"])
    series = {"meets target": [r["coverage_pct"] or 0.0 if r["meets_target"] else 0.0 for r in rows],
              "below target": [0.0 if r["meets_target"] else r["coverage_pct"] or 0.0 for r in rows]}
    target = max((r["target_pct"] for r in rows if r["target_pct"] is not None), default=90.0)
    svg = charts.columns("coverage", title, [fmt.month(r["month"]) for r in rows], series,
                         lambda v: f"{v:.0f} %", {"meets target": "#009E73", "below target": "#E69F00"},
                         target=charts.Target(target, f"target {fmt.percent(target, 0)}"),
                         value_fmt=lambda v: fmt.percent(v), inside=True)
    takeaway, tone = coverage_takeaway(rows)
    return Block("coverage", title, takeaway, result.source,
                 chart=Chart("coverage", svg, "Share of each month's AI cost attributed to a person.") if svg else None,
                 tone=tone)


def alerts_block(result: Result, has_cost: bool) -> Block:
    title = "Open cost alerts"
    if result.failed or not has_cost:
        return empty_block("alerts", title, result.source, result.failed or NO_COST.format(view="v_monthly_finance"))
    if not result.rows:
        return Block("alerts", title, "No open cost alerts: no rule of alert_rules fires on the cost data as of its "
                     "latest evaluation.", result.source, tone="good")
    critical = [r for r in result.rows if r["severity"] == "critical"]
    takeaway = (f"{fmt.plural(len(result.rows), 'open cost alert')}"
                f"{f' ({len(critical)} critical)' if critical else ''}: {result.rows[0]['summary']}.")
    headers = ("Severity", "Alert", "Summary", "Raised")
    body = tuple((chip(r["severity"]), text(f"{r['alert_type']} {r['subject'] or ''}".strip()),
                  text(r["summary"] or ""), text(fmt.moment(r["raised_at"]) if r["raised_at"] else "not yet"))
                 for r in result.rows)
    return Block("alerts", title, takeaway, result.source, table=Table(headers, body),
                 tone="bad" if critical else "warn")


def tile(current: Row | None) -> Tile:
    if current is None or current["projected_month_usd"] is None:
        return Tile("AI spend this month", fmt.MISSING, "no cost data yet", KEY, "muted")
    if whole_month(current):
        return Tile(f"AI spend in {fmt.month(current['month'])}", fmt.money(current["mtd_cost_usd"]),
                    "the whole month", KEY, "info")
    return Tile(f"AI spend projected for {fmt.month(current['month'])}", fmt.money(current["projected_month_usd"]),
                interval(current), KEY, "info")
