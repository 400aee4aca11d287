"""The shared entry point, driven through functions-framework like Cloud Functions drives it."""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from functions_framework import create_app
from pydantic import field_validator

from shared import entrypoint, sqlfiles
from shared.ledger import JobResult, RunLedger
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
        (200, "success", [], {"sync_state": 0}),
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


def assert_nothing_written(db_path: Path) -> None:
    assert not db_path.exists() or not any(table_counts(db_path).values())


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_given_a_method_other_than_post_then_405_allow_post_as_json_and_nothing_is_written(
        client: Any, db_path: Path, method: str) -> None:
    response = client.open("/", method=method, data=b'{"count": 1}', headers={"Content-Type": "application/json"})
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert response.headers["Content-Type"] == "application/json"
    if method != "HEAD":
        assert response.get_json() == {"error": f"method {method} not allowed: POST a JSON object to /",
                                       "field": None}
    assert_nothing_written(db_path)


@pytest.mark.parametrize(("method", "path"), [("POST", "/anything"), ("DELETE", "/anything"), ("GET", "/run/x")])
def test_given_a_path_other_than_the_root_then_404_as_json_and_nothing_is_written(
        client: Any, db_path: Path, method: str, path: str) -> None:
    response = client.open(path, method=method, data=b"{}", headers={"Content-Type": "application/json"})
    assert (response.status_code, response.get_json()) == (
        404, {"error": "not found: the function is served at / only", "field": None})
    assert_nothing_written(db_path)


@pytest.mark.parametrize(("raw", "error"), [
    (b"[" * 30_000 + b"]" * 30_000, "request body could not be parsed as JSON (RecursionError)"),
    (b'{"count": ' + b"9" * 5000 + b"}", "request body could not be parsed as JSON (ValueError)"),
    (b"\xff\xfe{}", None),
])
def test_given_a_body_the_parser_chokes_on_then_400_as_json_and_nothing_is_written(
        client: Any, db_path: Path, raw: bytes, error: str | None) -> None:
    response = client.post("/", data=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    body = response.get_json()
    assert body["field"] is None and "Traceback" not in body["error"]
    assert body["error"] == error if error else body["error"].startswith("request body is not valid JSON")
    assert_nothing_written(db_path)


def test_given_a_body_over_the_limit_by_content_length_then_413_as_json_and_nothing_is_written(
        client: Any, db_path: Path) -> None:
    raw = b'{"count": 1}' + b" " * entrypoint.MAX_BODY_BYTES
    response = client.post("/", data=raw, headers={"Content-Type": "application/json"})
    assert (response.status_code, response.get_json()) == (
        413, {"error": f"request body larger than {entrypoint.MAX_BODY_BYTES} bytes", "field": None})
    assert_nothing_written(db_path)
    at_limit = b'{"count": 1}'.ljust(entrypoint.MAX_BODY_BYTES)
    assert post(client, None, raw=at_limit)[0] == 200
    deep = client.post("/", data=b"[" * 100_000 + b"]" * 100_000, headers={"Content-Type": "application/json"})
    assert (deep.status_code, deep.headers["Content-Type"]) == (413, "application/json")


@dataclass
class StreamedRequest:
    """A request whose length is not announced (chunked): only the bytes read can tell its size."""

    stream: io.BytesIO
    path: str = "/"
    method: str = "POST"
    content_length: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


def test_given_an_unannounced_body_over_the_limit_then_413_after_reading_at_most_one_byte_more(
        db_path: Path) -> None:
    stream = io.BytesIO(b'{"count": 1}' + b" " * (3 * entrypoint.MAX_BODY_BYTES))
    text, status, headers = entrypoint.handle(StreamedRequest(stream), probe_spec())
    assert (status, json.loads(text)["error"]) == (413, f"request body larger than {entrypoint.MAX_BODY_BYTES} bytes")
    assert headers["Content-Type"] == "application/json"
    assert stream.tell() == entrypoint.MAX_BODY_BYTES + 1
    assert_nothing_written(db_path)


class Exploding(entrypoint.JobParams):
    when: str = "now"

    @field_validator("when")
    @classmethod
    def _explode(cls, value: str) -> str:
        raise OverflowError("date value out of range")


def test_given_a_validator_that_raises_something_unexpected_then_400_as_json_and_it_is_logged(
        capsys: pytest.CaptureFixture[str]) -> None:
    answer = entrypoint.parse_params(b'{"when": "later"}', Exploding)
    assert isinstance(answer, tuple)
    text, status, _ = answer
    assert (status, json.loads(text)) == (400, {"error": "request body could not be validated", "field": None})
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert any(line["message"] == "request body could not be validated" and "OverflowError" in line["exception"]
               for line in logged)


def test_given_any_outcome_then_counts_has_every_declared_key_in_the_answer_ledger_and_log(
        client: Any, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answers = [post(client, {"mode": mode, "count": 1}) for mode in ("ok", "ok", "partial", "fail", "crash")]
    assert [(status, body["status"], body["counts"]) for status, body in answers] == [
        (200, "success", {"sync_state": 2}), (200, "success", {"sync_state": 0}),
        (200, "partial", {"sync_state": 0}), (500, "failed", {"sync_state": 0}), (500, "failed", {"sync_state": 0})]
    wh = connect(f"duckdb:///{db_path}")
    stored = {row["run_id"]: json.loads(row["counts"]) for row in wh.query("select run_id, counts from etl_runs")}
    assert [stored[body["run_id"]] for _, body in answers] == [body["counts"] for _, body in answers]
    finished = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"run finished"' in line]
    assert [line["counts"] for line in finished] == [body["counts"] for _, body in answers]


def test_given_a_key_the_spec_does_not_declare_then_it_is_kept_and_logged_as_an_error(
        capsys: pytest.CaptureFixture[str]) -> None:
    spec = dataclasses.replace(probe_spec(), count_keys=("sync_state", "other_table"))
    assert spec.shape_counts({"sync_state": 3, "surprise": 1}) == {"sync_state": 3, "other_table": 0, "surprise": 1}
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert any(line["severity"] == "ERROR" and "surprise" in line["message"] for line in logged)
    assert dataclasses.replace(spec, count_keys=()).shape_counts({"x": 1}) == {"x": 1}


def probe_spec() -> entrypoint.JobSpec[Any, Any]:
    module_spec = importlib.util.spec_from_file_location("probe_job_main", PROBE)
    assert module_spec and module_spec.loader
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.SPEC  # type: ignore[no-any-return]


def test_given_curls_default_form_content_type_then_the_json_body_is_still_read(client: Any) -> None:
    response = client.post("/", data=b'{"count": 2}', headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (response.status_code, response.get_json()["counts"]) == (200, {"sync_state": 4})


def test_given_a_job_that_adds_answer_fields_then_they_are_in_the_answer_but_not_over_the_fixed_ones(
        db_path: Path) -> None:
    from flask import Request
    from werkzeug.test import EnvironBuilder

    from shared.ledger import JobResult

    def run(params: Any, ctx: Any) -> JobResult:
        return JobResult({"sync_state": 1}, answer={"results": [{"id": "a"}], "status": "overridden?"})

    spec = dataclasses.replace(probe_spec(), run=run, params_model=entrypoint.JobParams)
    request = Request(EnvironBuilder(method="POST", path="/", data=b"{}", content_type="application/json")
                      .get_environ())
    try:
        text, status, _ = entrypoint.handle(request, spec)
    finally:
        entrypoint.reset_runtimes()
    body = json.loads(text)
    assert (status, body["status"], body["counts"], body["results"]) == (200, "success", {"sync_state": 1},
                                                                         [{"id": "a"}])
    assert set(body) == {"run_id", "status", "counts", "errors", "pending", "results"}
    wh = connect(f"duckdb:///{db_path}")
    assert "results" not in wh.query("select * from etl_runs")[0]
    wh.close()


def test_given_another_run_of_the_function_still_going_then_409_skipped_names_it_and_nothing_runs(
        client: Any, db_path: Path) -> None:
    """Another instance's run (a duplicate delivery, an overlapping trigger) holds the function until it closes."""
    wh = connect(f"duckdb:///{db_path}")
    wh.ensure_schema()
    ledger = RunLedger(wh)
    holder = ledger.start("probe-job", "probe", {}, "scheduler")

    status, answer = post(client, {"count": 3})
    states = wh.query("select run_id, status, error_message from etl_runs order by started_at")
    cursors = wh.query("select count(*) as n from sync_state_log")[0]["n"]

    assert status == 409
    assert answer == {"run_id": answer["run_id"], "status": "skipped", "held_by": holder.run_id,
                      "counts": {"sync_state": 0}, "errors": {}, "pending": []}
    assert states == [{"run_id": holder.run_id, "status": "running", "error_message": None},
                      {"run_id": answer["run_id"], "status": "skipped",
                       "error_message": f"skipped: run {holder.run_id} of probe-job is still running; this run "
                                        "did nothing"}]
    assert cursors == 0
    ledger.finish(holder, JobResult())
    wh.close()
    entrypoint.reset_runtimes()
    assert post(client, {"count": 3})[0] == 200
