"""The shared entry point, driven through functions-framework like Cloud Functions drives it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from functions_framework import create_app

from shared import sqlfiles
from shared.warehouse import connect

PROBE = Path(__file__).resolve().parent.parent / "fixtures" / "probe_job" / "main.py"


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "wh.duckdb"
    monkeypatch.setenv("WAREHOUSE", f"duckdb:///{path}")
    return path


@pytest.fixture
def client(db_path: Path) -> Any:
    return create_app("probe_job", str(PROBE)).test_client()


def post(client: Any, body: Any, raw: bytes | None = None, **headers: str) -> tuple[int, dict[str, Any]]:
    data = raw if raw is not None else json.dumps(body).encode()
    response = client.post("/", data=data, headers={"Content-Type": "application/json", **headers})
    return response.status_code, response.get_json()


def table_counts(db_path: Path) -> dict[str, int]:
    wh = connect(f"duckdb:///{db_path}")
    try:
        return {t: wh.query(f"select count(*) as n from {t}")[0]["n"] for t in sqlfiles.table_files()}
    finally:
        wh.close()


@pytest.mark.parametrize(("raw", "field", "error_part"), [
    (b"{not json", None, "not valid JSON"),
    (b"[1, 2]", None, "must be a JSON object"),
    (b'"text"', None, "must be a JSON object"),
    (b'{"count": 1, "colour": "red"}', "colour", "unknown field"),
    (b'{"count": "many"}', "count", "valid integer"),
    (b'{"count": 101}', "count", "less than or equal to 100"),
    (b'{"count": -1}', "count", "greater than or equal to 0"),
    (b'{"mode": "sideways"}', "mode", "'ok', 'partial', 'fail' or 'crash'"),
])
def test_given_a_bad_body_when_posted_then_400_names_the_field_and_nothing_is_written(
        client: Any, db_path: Path, raw: bytes, field: str | None, error_part: str) -> None:
    status, body = post(client, None, raw=raw)
    assert status == 400
    assert body["field"] == field
    assert error_part in body["error"]
    assert not db_path.exists() or not any(table_counts(db_path).values())


def test_given_a_good_body_when_posted_then_a_successful_run_is_recorded(client: Any, db_path: Path) -> None:
    status, body = post(client, {"count": 3}, **{"X-CloudScheduler": "true"})
    assert status == 200
    assert body["status"] == "success"
    assert body["counts"] == {"sync_state": 6}
    assert body["errors"] == {}
    wh = connect(f"duckdb:///{db_path}")
    run = wh.query("select * from etl_runs")[0]
    assert run["run_id"] == body["run_id"]
    assert (run["status"], run["rows_processed"], run["trigger"]) == ("success", 6, "scheduler")
    assert json.loads(run["request_params"]) == {"count": 3, "mode": "ok"}
    assert run["completed_at"] >= run["started_at"]
    scopes = wh.query("select scope, status, rows_processed from etl_run_scopes order by scope")
    assert scopes == [{"scope": "alpha", "status": "success", "rows_processed": 3},
                      {"scope": "beta", "status": "success", "rows_processed": 3}]


def test_given_an_empty_body_then_defaults_apply(client: Any) -> None:
    status, body = post(client, None, raw=b"")
    assert (status, body["status"], body["counts"]) == (200, "success", {"sync_state": 2})


def test_given_one_scope_fails_then_the_run_is_partial_with_per_scope_errors(client: Any, db_path: Path) -> None:
    status, body = post(client, {"count": 2, "mode": "partial"})
    assert status == 200
    assert body["status"] == "partial"
    assert body["errors"] == {"beta": "ValueError: beta failed on purpose"}
    assert body["counts"] == {"sync_state": 2}
    wh = connect(f"duckdb:///{db_path}")
    assert wh.query("select status, error_message from etl_runs")[0] == {
        "status": "partial", "error_message": "beta: ValueError: beta failed on purpose"}


@pytest.mark.parametrize("mode", ["fail", "crash"])
def test_given_the_job_fails_then_500_and_a_failed_run(client: Any, db_path: Path, mode: str) -> None:
    status, body = post(client, {"mode": mode})
    assert status == 500
    assert body["status"] == "failed"
    assert body["errors"]
    wh = connect(f"duckdb:///{db_path}")
    run = wh.query("select status, error_message, completed_at from etl_runs")[0]
    assert run["status"] == "failed"
    assert run["error_message"]
    assert run["completed_at"] is not None


def test_every_log_line_of_a_run_is_json_with_its_run_id(client: Any, capsys: pytest.CaptureFixture[str]) -> None:
    _, body = post(client, {"mode": "partial"})
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    run_lines = [line for line in lines if line.get("run_id") == body["run_id"]]
    assert {"run started", "run finished"} <= {line["message"] for line in run_lines}
    assert all(line["function"] == "probe-job" and line["severity"] for line in run_lines)
    assert any(line["severity"] == "ERROR" and line.get("scope") == "beta" for line in run_lines)


def test_given_broken_settings_then_500_names_the_setting_and_nothing_is_written(
        client: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "LOUD")
    status, body = post(client, {"count": 1})
    assert status == 500
    assert "LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR" in body["error"]
    assert not db_path.exists()


def test_given_a_spent_time_budget_then_scopes_stop_after_a_batch_and_resume_next_run(
        client: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIME_BUDGET_SECONDS", "0")
    answers = [post(client, {"count": 3}, **{"X-CloudScheduler": "true"}) for _ in range(4)]
    assert [(status, body["status"], body["pending"], body["counts"]) for status, body in answers] == [
        (200, "success", ["alpha", "beta"], {"sync_state": 2}),
        (200, "success", ["alpha", "beta"], {"sync_state": 2}),
        (200, "success", [], {"sync_state": 2}),
        (200, "success", [], {}),
    ]
    wh = connect(f"duckdb:///{db_path}")
    first = answers[0][1]["run_id"]
    assert wh.query("select status, pending_scopes from etl_runs where run_id = @r", {"r": first}) == [
        {"status": "success", "pending_scopes": '["alpha", "beta"]'}]
    scopes = wh.query("select scope, status, error_message from etl_run_scopes where run_id = @r order by scope",
                      {"r": first})
    assert [(s["scope"], s["status"]) for s in scopes] == [("alpha", "pending"), ("beta", "pending")]
    assert scopes[0]["error_message"] == "time budget of 0 s spent after row 1"
    assert wh.query("select scope, cursor_value from sync_state where job = 'probe' order by scope") == [
        {"scope": "alpha", "cursor_value": "3"}, {"scope": "beta", "cursor_value": "3"}]
