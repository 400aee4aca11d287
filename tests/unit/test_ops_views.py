"""The operators' views over the run ledger: latest status, failing streaks, freshness."""

from __future__ import annotations

import datetime as dt

from shared.warehouse import Warehouse

T0 = dt.datetime(2026, 5, 1, 6, 0, tzinfo=dt.UTC)


STILL_RUNNING = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


def run(run_id: str, function: str, status: str, hours: int, trigger: str = "scheduler",
        error: str | None = None, deadline: dt.datetime | None = None) -> dict[str, object]:
    """The etl_run_log row of a run's latest state (a `running` one has not closed: its deadline is far ahead
    unless `deadline` says otherwise)."""
    started = T0 + dt.timedelta(hours=hours)
    closed = started + dt.timedelta(minutes=2) if status != "running" else None
    return {"run_id": run_id, "function_name": function, "status": status, "started_at": started,
            "deadline_at": deadline or (STILL_RUNNING if status == "running" else started + dt.timedelta(minutes=10)),
            "completed_at": closed, "duration_seconds": 120.0 if closed else None, "rows_processed": hours,
            "error_message": error, "trigger": trigger, "recorded_at": closed or started}


def test_pipeline_health_lists_functions_whose_last_two_or_more_scheduled_runs_failed(warehouse: Warehouse) -> None:
    warehouse.append("etl_run_log", [
        run("a1", "gmail-sync", "success", 0), run("a2", "gmail-sync", "failed", 1),
        run("a3", "gmail-sync", "failed", 2), run("a4", "gmail-sync", "failed", 3, error="HTTP 500"),
        run("a5", "gmail-sync", "running", 4),
        run("b1", "dialpad-sync", "failed", 1), run("b2", "dialpad-sync", "success", 2),
        run("b3", "dialpad-sync", "failed", 3),
        run("c1", "usage-collect", "failed", 1), run("c2", "usage-collect", "failed", 2, trigger="http"),
        run("c3", "usage-collect", "partial", 3, trigger="scheduler"),
        run("d1", "salesforce-sync", "failed", 1), run("d2", "salesforce-sync", "failed", 2),
    ])
    rows = warehouse.query("select function_name, consecutive_failures, last_error_message "
                           "from v_pipeline_health order by function_name")
    assert rows == [
        {"function_name": "gmail-sync", "consecutive_failures": 3, "last_error_message": "HTTP 500"},
        {"function_name": "salesforce-sync", "consecutive_failures": 2, "last_error_message": None},
    ]


def test_a_run_that_never_closed_past_its_deadline_is_abandoned_and_counts_as_a_failure(
        warehouse: Warehouse) -> None:
    warehouse.append("etl_run_log", [
        run("a1", "gmail-sync", "success", 0), run("a2", "gmail-sync", "failed", 1),
        run("a3", "gmail-sync", "running", 2, deadline=T0 + dt.timedelta(hours=2, minutes=10)),
        run("b1", "dialpad-sync", "running", 2),
    ])
    runs = warehouse.query("select run_id, status, error_message from etl_runs where status in ('running', "
                           "'abandoned') order by run_id")
    assert runs == [
        {"run_id": "a3", "status": "abandoned",
         "error_message": "abandoned: still running past its deadline (the function timeout and a margin)"},
        {"run_id": "b1", "status": "running", "error_message": None},
    ]
    assert warehouse.query("select status from v_etl_status where function_name = 'gmail-sync' and scope = '*'") \
        == [{"status": "abandoned"}]
    assert warehouse.query("select function_name, consecutive_failures from v_pipeline_health") == [
        {"function_name": "gmail-sync", "consecutive_failures": 2}]


def test_etl_status_shows_the_latest_run_and_the_latest_outcome_of_each_scope(warehouse: Warehouse) -> None:
    warehouse.append("etl_run_log", [run("r1", "gmail-sync", "partial", 1), run("r2", "gmail-sync", "success", 2)])
    warehouse.append("etl_run_scopes", [
        {"run_id": "r1", "function_name": "gmail-sync", "scope": "a@x.com", "status": "failed",
         "rows_processed": 0, "error_message": "boom", "completed_at": T0 + dt.timedelta(hours=1)},
        {"run_id": "r1", "function_name": "gmail-sync", "scope": "b@x.com", "status": "success",
         "rows_processed": 4, "error_message": None, "completed_at": T0 + dt.timedelta(hours=1)},
        {"run_id": "r2", "function_name": "gmail-sync", "scope": "a@x.com", "status": "success",
         "rows_processed": 7, "error_message": None, "completed_at": T0 + dt.timedelta(hours=2)},
    ])
    rows = warehouse.query("select scope, run_id, status, rows_processed from v_etl_status order by scope")
    assert rows == [
        {"scope": "*", "run_id": "r2", "status": "success", "rows_processed": 2},
        {"scope": "a@x.com", "run_id": "r2", "status": "success", "rows_processed": 7},
        {"scope": "b@x.com", "run_id": "r1", "status": "success", "rows_processed": 4},
    ]


def test_data_freshness_reports_the_newest_record_per_table(warehouse: Warehouse) -> None:
    newest = dt.datetime(2026, 5, 3, 9, 30, tzinfo=dt.UTC)
    warehouse.merge("dialpad_calls", [
        {"call_id": "1", "call_time": newest - dt.timedelta(days=2), "ingested_at": newest},
        {"call_id": "2", "call_time": newest, "ingested_at": newest},
    ])
    row = warehouse.query("select newest_record_at, last_loaded_at, hours_since_newest_record "
                          "from v_data_freshness where table_name = 'dialpad_calls'")[0]
    assert row["newest_record_at"] == newest and row["last_loaded_at"] == newest
    assert row["hours_since_newest_record"] >= 0
