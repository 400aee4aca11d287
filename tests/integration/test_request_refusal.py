"""Requests every function refuses before anything runs, through each function's real HTTP entry point; and the one
shape of `counts` in the answers of the runs it does make."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from functions_framework import create_app

from sandbox.apis.dialpad import dialpad_fake
from sandbox.env import settings_env
from sandbox.server import Sandbox
from sandbox.world import build_world
from shared import entrypoint, params
from shared.warehouse import connect
from tests.integration.conftest import ANCHOR
from tests.integration.gmail_harness import GmailHarness
from tests.integration.salesforce_harness import TABLES, Harness
from tests.integration.usage_collect_harness import QUIET_ALERTS, new_world, usage_harness
from tools.pipeline import FUNCTIONS_DIR, by_cloud_name

for _folder in ("dialpad_sync", "gmail_sync", "salesforce_sync", "usage_collect"):
    sys.path.insert(0, str(FUNCTIONS_DIR / _folder))

import dialpad_job  # noqa: E402
import gmail_job  # noqa: E402
import sfdc_job  # noqa: E402
import usage_job  # noqa: E402

NAMES = ("salesforce-sync", "dialpad-sync", "gmail-sync", "usage-collect")
DATE_RANGE = params.DATE_ALLOWED
DATETIME_RANGE = params.DATETIME_ALLOWED


@pytest.fixture(name="warehouse_url")
def warehouse_url_fixture(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Every function pointed at the sandbox and at a warehouse whose schema is in place (so that a row written by
    mistake would be seen)."""
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    for name, value in {**settings_env(sandbox), "WAREHOUSE": url, "AUTO_SCHEMA": "false"}.items():
        monkeypatch.setenv(name, value)
    warehouse = connect(url)
    warehouse.ensure_schema()
    warehouse.close()
    yield url
    entrypoint.reset_runtimes()


def call(name: str, method: str = "POST", path: str = "/", data: bytes = b"{}") -> tuple[int, dict[str, Any], Any]:
    entry = by_cloud_name(name)
    client = create_app(entry.target, str(entry.source)).test_client()
    response = client.open(path, method=method, data=data, headers={"Content-Type": "application/json"})
    assert response.headers["Content-Type"] == "application/json", response.get_data(as_text=True)[:200]
    return response.status_code, response.get_json(), response.headers


def assert_untouched(url: str, sandbox: Sandbox) -> None:
    warehouse = connect(url)
    try:
        for table in ("etl_run_log", "etl_run_scopes", "sync_state_log"):
            assert warehouse.query(f"select count(*) as n from {table}")[0]["n"] == 0, table
    finally:
        warehouse.close()
    assert sandbox.log.all() == [], "no source was called"


@pytest.mark.parametrize(("name", "body", "field", "allowed"), [
    ("dialpad-sync", {"sync_type": "full", "started_after": "0001-01-01"}, "started_after", DATETIME_RANGE),
    ("dialpad-sync", {"sync_type": "full", "started_after": 0}, "started_after", DATETIME_RANGE),
    ("dialpad-sync", {"sync_type": "full", "started_after": "1"}, "started_after", DATETIME_RANGE),
    ("dialpad-sync", {"sync_type": "full", "started_after": "0001-01-01T00:00:00+14:00"}, "started_after",
     DATETIME_RANGE),
    ("dialpad-sync", {"sync_type": "full", "started_after": "9999-12-31T23:59:59-14:00"}, "started_after",
     DATETIME_RANGE),
    ("gmail-sync", {"sync_type": "full", "since": "1900-01-01"}, "since", DATE_RANGE),
    ("gmail-sync", {"sync_type": "full", "since": 1_700_000_000}, "since", DATE_RANGE),
    ("usage-collect", {"end_date": "9999-12-31"}, "end_date", DATE_RANGE),
    ("usage-collect", {"start_date": "0001-01-01"}, "start_date", DATE_RANGE),
    ("usage-collect", {"start_date": "1", "end_date": "2026-05-01"}, "start_date", DATE_RANGE),
])
def test_given_a_date_outside_the_allowed_range_then_400_names_the_field_and_range_and_nothing_runs(
        sandbox: Sandbox, warehouse_url: str, name: str, body: dict[str, Any], field: str, allowed: str) -> None:
    status, answer, _ = call(name, data=json.dumps(body).encode())
    assert (status, answer) == (400, {"error": f"{field}: must be {allowed}", "field": field})
    assert_untouched(warehouse_url, sandbox)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(("method", "path", "expected"), [
    ("GET", "/", 405), ("DELETE", "/", 405), ("PUT", "/", 405), ("DELETE", "/anything", 404),
    ("POST", "/anything", 404),
])
def test_given_another_method_or_path_then_json_405_or_404_and_nothing_runs(
        sandbox: Sandbox, warehouse_url: str, name: str, method: str, path: str, expected: int) -> None:
    status, answer, headers = call(name, method, path)
    assert status == expected and answer["field"] is None and answer["error"]
    if expected == 405:
        assert headers["Allow"] == "POST"
    assert_untouched(warehouse_url, sandbox)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("data", [b"{}" + b" " * entrypoint.MAX_BODY_BYTES, b"[" * 100_000 + b"]" * 100_000,
                                  b"[" * 30_000 + b"]" * 30_000])
def test_given_a_body_too_large_or_too_deep_then_a_json_413_or_400_and_nothing_runs(
        sandbox: Sandbox, warehouse_url: str, name: str, data: bytes) -> None:
    status, answer, _ = call(name, data=data)
    assert (status, answer["field"]) == (413 if len(data) > entrypoint.MAX_BODY_BYTES else 400, None)
    assert_untouched(warehouse_url, sandbox)


def test_given_an_unknown_mailbox_then_400_without_the_configured_list_which_goes_to_the_log(
        sandbox: Sandbox, warehouse_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, answer, _ = call("gmail-sync", data=b'{"mailbox": "Nobody@Example.com"}')
    assert (status, answer) == (400, {"error": "mailbox: not a configured mailbox", "field": "mailbox"})
    assert_untouched(warehouse_url, sandbox)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    refused = [line for line in lines if line["message"].startswith("refused mailbox")]
    assert len(refused) == 1 and refused[0]["function"] == "gmail-sync" and refused[0]["severity"] == "WARNING"
    assert all(mailbox in refused[0]["message"] for mailbox in sandbox.world.mailboxes)
    assert "nobody@example.com" in refused[0]["message"]


def assert_declared_shape(answers: list[dict[str, Any]], declared: tuple[str, ...]) -> None:
    """Every answer's counts has exactly the declared keys; the last (an unchanged rerun) is all zeros."""
    assert declared, "the spec declares its count keys"
    for answer in answers:
        assert (answer["status"], list(answer["counts"])) == ("success", list(declared)), answer
    assert set(answers[-1]["counts"].values()) == {0}, answers[-1]["counts"]


def test_given_salesforce_sync_then_counts_has_its_declared_keys_on_a_first_run_and_an_unchanged_rerun(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Harness.start(tmp_path, monkeypatch) as sf:
        answers = [sf.sync(sync_type="full")[1], sf.sync(object_type="Lead")[1], sf.sync()[1]]
    assert sfdc_job.SPEC.count_keys == (*(table for table, _ in TABLES.values()), "sf_custom_objects",
                                        "sf_records_skipped")
    assert answers[0]["counts"]["sf_accounts"] > 0
    assert_declared_shape(answers, sfdc_job.SPEC.count_keys)


def test_given_dialpad_sync_then_counts_has_its_declared_keys_on_a_first_run_and_an_unchanged_rerun(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Sandbox(build_world(seed=11, scale=1, anchor=ANCHOR)) as sandbox:
        dialpad_fake(sandbox.app).limits.enabled = False
        for name, value in {**settings_env(sandbox), "WAREHOUSE": f"duckdb:///{tmp_path / 'wh.duckdb'}",
                            "DIALPAD_LIST_RATE_PER_SECOND": "1000", "DIALPAD_TRANSCRIPT_RATE_PER_SECOND": "1000",
                            "HTTP_BACKOFF_BASE": "0"}.items():
            monkeypatch.setenv(name, value)
        body = json.dumps({"sync_type": "full", "started_after": "2026-01-15"}).encode()
        answers = [call("dialpad-sync", data=body)[1], call("dialpad-sync", data=b'{"sync_type": "incremental"}')[1]]
    assert answers[0]["counts"]["dialpad_calls"] > 0
    assert set(dialpad_job.SPEC.count_keys) >= {"dialpad_calls", "dialpad_transcript_lines"}
    assert_declared_shape(answers, dialpad_job.SPEC.count_keys)


def test_given_gmail_sync_then_counts_has_its_declared_keys_on_a_first_run_and_an_unchanged_rerun(
        sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with GmailHarness.start(sandbox, tmp_path, monkeypatch) as gmail:
        answers = [gmail.sync({"sync_type": "full"}), gmail.sync({"sync_type": "incremental"})]
    assert answers[0]["counts"]["gmail_messages"] > 0
    assert set(gmail_job.SPEC.count_keys) >= {"gmail_messages", "gmail_participants", "gmail_attachments"}
    assert_declared_shape(answers, gmail_job.SPEC.count_keys)


def test_given_usage_collect_then_counts_has_its_declared_keys_on_a_first_run_and_an_unchanged_rerun(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with usage_harness(new_world(), tmp_path / "wh.duckdb", monkeypatch) as harness:
        harness.setenv(**QUIET_ALERTS)
        answers = [harness.ok({"start_date": "2026-04-20"}), harness.ok({"start_date": "2026-04-20"})]
    assert answers[0]["counts"]["raw_anthropic_usage"] > 0
    assert_declared_shape(answers, usage_job.SPEC.count_keys)
