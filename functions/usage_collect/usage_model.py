"""The set-based modelling after collection (dims, facts) and the alert rules: evaluate, raise once, log once."""

from __future__ import annotations

import datetime as dt
import logging

from usage_settings import UsageSettings

from shared.log import get_logger
from shared.warehouse import Row, Warehouse

log = get_logger(__name__)
BUILD_STEPS = (
    "jobs/usage_build_dim_api_keys.sql",
    "jobs/usage_build_fct_usage.sql",
    "jobs/usage_build_fct_cost.sql",
    "jobs/usage_build_dim_users.sql",
)
SEVERITY_LEVEL = {"warning": logging.WARNING, "critical": logging.ERROR}


def build_model(warehouse: Warehouse, now: dt.datetime) -> None:
    for step in BUILD_STEPS:
        warehouse.query(step, {"now": now})


def rule_rows(settings: UsageSettings, now: dt.datetime) -> list[Row]:
    """The thresholds in force, stamped with the evaluation time v_cost_alerts evaluates at."""
    rules = [
        ("mom_increase", "warning", settings.alert_mom_warning_pct),
        ("mom_increase", "critical", settings.alert_mom_critical_pct),
        ("projected_month", "critical", settings.alert_projected_month_usd),
        ("daily_spike", "critical", settings.alert_daily_spike_usd),
        ("attribution_coverage", "warning", settings.alert_coverage_warning_pct),
        ("stale_source", "warning", settings.alert_stale_hours),
    ]
    return [{
        "alert_type": kind, "severity": severity, "threshold": float(threshold),
        "window_days": settings.alert_spike_median_days if kind == "daily_spike" else None,
        "lookback_days": settings.usage_trailing_days + 1 if kind == "daily_spike" else None,
        "evaluated_at": now, "updated_at": now,
    } for kind, severity, threshold in rules]


def raise_alerts(warehouse: Warehouse, settings: UsageSettings, run_id: str, now: dt.datetime,
                 cost_rules: bool = True) -> list[Row]:
    """Evaluate the rules as of `now`, store the alerts not seen before and log each of them once.

    `cost_rules=False` (a source failed in this run) raises stale_source alerts only: an alert is written once,
    so one computed from a month that lacks a source's days would stand uncorrected after the next complete run."""
    warehouse.merge("alert_rules", rule_rows(settings, now), volatile=("updated_at",))
    warehouse.query("jobs/usage_alerts_raise.sql", {"now": now, "run_id": run_id, "cost_rules": cost_rules})
    raised = warehouse.query("jobs/usage_alerts_new.sql", {"run_id": run_id})
    for alert in raised:
        log.log(SEVERITY_LEVEL.get(alert["severity"], logging.WARNING), "AI cost alert: %s", alert["summary"],
                extra={"alert_type": alert["alert_type"], "alert_key": alert["alert_key"],
                       "alert_severity": alert["severity"], "metric_value": alert["metric_value"],
                       "threshold": alert["threshold"]})
    return raised


def log_spend_reconciliation(warehouse: Warehouse) -> Row | None:
    """Log the latest Cursor cycle's spend snapshot against its usage events (a warning when they differ)."""
    rows = warehouse.query("jobs/usage_cursor_reconciliation.sql")
    if not rows:
        return None
    check = rows[0]
    level = logging.INFO if check["difference_cents"] == 0 else logging.WARNING
    log.log(level, "cursor spend reconciliation for the cycle from %s: snapshot of %s %s cents, usage events %s "
            "cents, difference %s cents", check["cycle_start"].date(), check["snapshot_date"], check["snapshot_cents"],
            f"{check['events_cents']:f}".rstrip("0").rstrip("."), f"{float(check['difference_cents']):g}",
            extra={"scope": "model", "difference_cents": float(check["difference_cents"]),
                   "members_off": check["members_off"], "unpriced_events": check["unpriced_events"]})
    return check


def log_mapping_issues(warehouse: Warehouse) -> int:
    """One warning per problem in the latest mapping sheet (and per key whose cost nobody owns)."""
    issues = warehouse.query("jobs/usage_mapping_issues.sql")
    for issue in issues:
        where = f"sheet row {issue['row_number']}" if issue["row_number"] else "no sheet row"
        log.warning("key mapping: %s: %s (%s)", issue["api_key_name"] or issue["api_key_id"], issue["issue"], where,
                    extra={"scope": "key_mapping", "issue": issue["issue"], "sheet_row": issue["row_number"],
                           "api_key_name": issue["api_key_name"]})
    return len(issues)
