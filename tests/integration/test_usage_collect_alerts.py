"""usage-collect's alert rules: each fires once (one row in `alerts`, one structured log entry) and never again."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.world_usage import UsageRow
from tests.integration.usage_collect_harness import (
    QUIET_ALERTS,
    RUN_AT,
    Backfill,
    UsageHarness,
    alert_logs,
    backfilled_harness,
    backfilled_template,
    log_entries,
)

TOKEN_FIELDS = ("uncached_input_tokens", "cache_read_input_tokens", "cache_creation_5m_tokens",
                "cache_creation_1h_tokens", "output_tokens")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Backfill:
    return backfilled_template(tmp_path_factory.mktemp("usage_alerts"))


@pytest.fixture
def wh(template: Backfill, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[UsageHarness]:
    with backfilled_harness(template, tmp_path / "wh.duckdb", monkeypatch) as running:
        yield running


def alerts(wh: UsageHarness, kind: str | None = None) -> list[dict[str, Any]]:
    rows = wh.query("select alert_key, alert_type, severity, subject, metric_value, threshold, run_id "
                    "from alerts order by alert_key")
    return [r for r in rows if kind is None or r["alert_type"] == kind]


def logged(capsys: pytest.CaptureFixture[str], kind: str) -> list[tuple[str, str]]:
    return [(e["severity"], e["alert_key"]) for e in alert_logs(capsys.readouterr().out) if e["alert_type"] == kind]


def scale_usage(wh: UsageHarness, days: set[dt.date], factor: float) -> None:
    with wh.sandbox.state.lock:
        for row in wh.world.anthropic_usage:
            if row.day in days:
                for name in TOKEN_FIELDS:
                    setattr(row, name, int(getattr(row, name) * factor))


def test_projected_month_and_coverage_fire_once_with_their_severities(
        wh: UsageHarness, capsys: pytest.CaptureFixture[str]) -> None:
    first = wh.ok()
    logs = alert_logs(capsys.readouterr().out)
    second = wh.ok(at=RUN_AT + dt.timedelta(hours=1))

    assert [(a["alert_key"], a["severity"], a["run_id"]) for a in alerts(wh)] == [
        ("attribution_coverage:2026-05", "warning", first["run_id"]),
        ("projected_month:2026-05", "critical", first["run_id"])]
    assert sorted((e["severity"], e["alert_type"], e["alert_key"]) for e in logs) == [
        ("ERROR", "projected_month", "projected_month:2026-05"),
        ("WARNING", "attribution_coverage", "attribution_coverage:2026-05")]
    assert (first["counts"]["alerts"], second["counts"]["alerts"]) == (2, 0)
    assert alert_logs(capsys.readouterr().out) == []
    projection = wh.query("select projected_month_usd from v_month_end_projection where is_current_month")[0]
    assert alerts(wh, "projected_month")[0]["metric_value"] == float(projection["projected_month_usd"])


def test_the_coverage_alert_states_the_threshold_it_fired_on_and_the_target_apart(wh: UsageHarness) -> None:
    wh.setenv(ALERT_COVERAGE_WARNING_PCT="75.5")

    wh.ok()

    [alert] = wh.query("select metric_value, threshold, summary from alerts where alert_type = 'attribution_coverage'")
    assert alert["threshold"] == 75.5 and alert["metric_value"] < 75.5
    assert alert["summary"] == (f"Only {alert['metric_value']:g}% of month-to-date AI cost is attributed to people: "
                                "below the alert threshold of 75.5% (the target is 90%)")


def test_thresholds_are_settings(wh: UsageHarness) -> None:
    wh.setenv(ALERT_PROJECTED_MONTH_USD="1000000", ALERT_COVERAGE_WARNING_PCT="20")

    wh.ok()

    assert alerts(wh) == []
    rules = {(r["alert_type"], r["severity"]): r["threshold"] for r in wh.query("select * from alert_rules")}
    assert rules[("projected_month", "critical")] == 1_000_000 and rules[("attribution_coverage", "warning")] == 20


def test_month_over_month_growth_warns_then_escalates_once_each(
        wh: UsageHarness, capsys: pytest.CaptureFixture[str]) -> None:
    wh.setenv(ALERT_PROJECTED_MONTH_USD="1e12", ALERT_COVERAGE_WARNING_PCT="0")
    may = {dt.date(2026, 5, d) for d in (1, 2, 3)}
    latest = wh.query("select mtd_cost_usd, previous_mtd_cost_usd from v_daily_cost order by cost_date desc limit 1")[0]
    api = wh.query("select sum(cost_usd) as usd from fct_cost_daily where platform = 'anthropic_api' "
                   "and cost_date >= date '2026-05-01'")[0]["usd"]
    others, previous = float(latest["mtd_cost_usd"] - api), float(latest["previous_mtd_cost_usd"])

    scale_usage(wh, may, (1.35 * previous - others) / float(api))
    wh.ok()
    warning = alerts(wh, "mom_increase")
    scale_usage(wh, may, (1.8 * previous - others) / (1.35 * previous - others))
    wh.ok(at=RUN_AT + dt.timedelta(hours=1))
    wh.ok(at=RUN_AT + dt.timedelta(hours=2))

    assert [(a["alert_key"], round(a["metric_value"])) for a in warning] == [("mom_increase:2026-05:warning", 35)]
    assert [a["alert_key"] for a in alerts(wh, "mom_increase")] == [
        "mom_increase:2026-05:critical", "mom_increase:2026-05:warning"]
    assert logged(capsys, "mom_increase") == [("WARNING", "mom_increase:2026-05:warning"),
                                              ("ERROR", "mom_increase:2026-05:critical")]


def test_a_day_far_above_the_trailing_median_fires_a_spike_once(
        wh: UsageHarness, capsys: pytest.CaptureFixture[str]) -> None:
    wh.setenv(**{**QUIET_ALERTS, "ALERT_DAILY_SPIKE_USD": "5000"})
    day = dt.date(2026, 4, 30)
    scale_usage(wh, {day}, 20)

    wh.ok()
    wh.ok(at=RUN_AT + dt.timedelta(hours=1))

    [spike] = alerts(wh, "daily_spike")
    assert (spike["alert_key"], spike["severity"], spike["subject"]) == (
        "daily_spike:2026-04-30", "critical", "2026-04-30")
    assert spike["metric_value"] > 5000
    assert logged(capsys, "daily_spike") == [("ERROR", "daily_spike:2026-04-30")]


def test_an_ordinary_day_does_not_spike(wh: UsageHarness) -> None:
    wh.setenv(**{**QUIET_ALERTS, "ALERT_DAILY_SPIKE_USD": "5000"})
    wh.ok()
    assert alerts(wh, "daily_spike") == []


def test_a_source_without_new_data_for_48_hours_fires_once_per_silence(
        wh: UsageHarness, capsys: pytest.CaptureFixture[str]) -> None:
    wh.setenv(**{**QUIET_ALERTS, "ALERT_STALE_HOURS": "48"})
    wh.ok()
    with wh.sandbox.state.lock:
        for offset in (1, 2, 3):
            copy = dataclasses.replace(wh.world.anthropic_usage[-1], day=dt.date(2026, 5, 3 + offset))
            assert isinstance(copy, UsageRow)
            wh.world.anthropic_usage.append(copy)

    wh.ok({"sources": ["anthropic"]}, at=RUN_AT + dt.timedelta(days=1))
    quiet = alerts(wh, "stale_source")
    wh.ok({"sources": ["anthropic"]}, at=RUN_AT + dt.timedelta(days=3))
    wh.ok({"sources": ["anthropic"]}, at=RUN_AT + dt.timedelta(days=4))

    assert quiet == []
    [stale] = alerts(wh, "stale_source")
    assert (stale["alert_key"], stale["subject"], stale["metric_value"]) == (
        "stale_source:cursor:2026-05-04", "cursor", 72.0)
    assert logged(capsys, "stale_source") == [("WARNING", "stale_source:cursor:2026-05-04")]


def test_given_a_source_outage_then_only_stale_source_alerts_are_raised_and_the_next_complete_run_raises_the_rest(
        wh: UsageHarness, capsys: pytest.CaptureFixture[str]) -> None:
    """An alert is written once: one computed while a source's days are missing would stand uncorrected."""
    wh.setenv(ALERT_STALE_HOURS="48", HTTP_MAX_RETRIES="1")
    wh.sandbox.faults.add("/v1/organizations", status=500, retry_after=None, times=None)
    later = RUN_AT + dt.timedelta(days=3)

    status, answer = wh.run(at=later)
    during = alerts(wh)
    skipped = [e for e in log_entries(capsys.readouterr().out) if e["message"].startswith("cost alerts not")]
    wh.sandbox.faults.clear()
    after = wh.ok(at=later + dt.timedelta(hours=1))

    assert (status, answer["status"], list(answer["errors"])) == (200, "partial", ["anthropic"])
    assert [(a["alert_type"], a["subject"], a["run_id"]) for a in during] == [
        ("stale_source", "anthropic", answer["run_id"]), ("stale_source", "cursor", answer["run_id"])]
    assert [(e["severity"], e["scope"], e["run_id"]) for e in skipped] == [("WARNING", "model", answer["run_id"])]
    assert "anthropic failed" in skipped[0]["message"]
    assert [(a["alert_key"], a["run_id"]) for a in alerts(wh) if a["alert_type"] != "stale_source"] == [
        ("attribution_coverage:2026-05", after["run_id"]), ("projected_month:2026-05", after["run_id"])]
