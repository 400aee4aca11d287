"""dialpad-sync under a time budget: a backfill cut into batches over several invocations, resumed from the
checkpoint in the `calls` cursor, ends with the same tables as one unbounded run and fetches nothing twice."""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sandbox.apis.dialpad import dialpad_fake
from sandbox.env import settings_env
from sandbox.recording import RecordedRequest
from sandbox.server import Sandbox
from sandbox.world import build_world
from shared import entrypoint, http
from shared.warehouse import connect
from tests.integration.test_dialpad_sync import ANCHOR, ENTRY, SINCE
from tools.invoke import invoke

FULL = {"sync_type": "full", "started_after": SINCE}
INCREMENTAL = {"sync_type": "incremental"}
VOLATILE = {"ingested_at", "_run_id", "updated_at", "run_id"}
TABLES = {"dialpad_calls": "call_id", "dialpad_transcript_lines": "call_id, line_no", "sync_state": "job, scope"}
SMALL_BATCHES = {"DIALPAD_WINDOW_DAYS": "45", "DIALPAD_BATCH_SIZE": "50", "DIALPAD_TRANSCRIPT_BATCH_SIZE": "10",
                 "DIALPAD_TRANSCRIPT_WORKERS": "2"}
MAX_RUNS = 80


@dataclass
class Played:
    answers: list[dict[str, Any]]
    tables: dict[str, list[tuple[Any, ...]]]
    requests: list[RecordedRequest]
    db_path: Path


def table_rows(db_path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables dialpad-sync writes, without run ids and load times, in key order."""
    warehouse = connect(f"duckdb:///{db_path}")
    try:
        out = {}
        for table, key in TABLES.items():
            rows = warehouse.query(f"select * from {table} order by {key}")
            out[table] = [tuple((k, v) for k, v in row.items() if k not in VOLATILE) for row in rows]
        return out
    finally:
        warehouse.close()


@contextlib.contextmanager
def world_and_warehouse(db_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Iterator[Sandbox]:
    """A sandbox over a fresh standard world (limits lifted) and a fresh warehouse, with dialpad-sync pointed at
    them; process state (settings, sessions, breakers) is dropped before and after."""
    entrypoint.reset_runtimes()
    http.reset_shared_state()
    with Sandbox(build_world(seed=11, scale=1, anchor=ANCHOR)) as sandbox:
        dialpad_fake(sandbox.app).limits.enabled = False
        base = {**settings_env(sandbox), "WAREHOUSE": f"duckdb:///{db_path}", "DIALPAD_LIST_RATE_PER_SECOND": "1000",
                "DIALPAD_TRANSCRIPT_RATE_PER_SECOND": "1000", "HTTP_BACKOFF_BASE": "0", **SMALL_BATCHES}
        monkeypatch.delenv("TIME_BUDGET_SECONDS", raising=False)
        for name, value in {**base, **env}.items():
            monkeypatch.setenv(name, value)
        try:
            yield sandbox
        finally:
            entrypoint.reset_runtimes()
            http.reset_shared_state()


Next = Callable[[dict[str, Any]], dict[str, Any]]


def play(db_path: Path, monkeypatch: pytest.MonkeyPatch, first: dict[str, Any], then: Next,
         env: dict[str, str], between: Callable[[Sandbox, Path], None] | None = None) -> Played:
    """Invoke `first`, then `then(last answer)` until an answer has no pending scope (at most MAX_RUNS)."""
    with world_and_warehouse(db_path, monkeypatch, env) as sandbox:
        answers: list[dict[str, Any]] = []
        while len(answers) < MAX_RUNS:
            if between is not None and answers:
                between(sandbox, db_path)
            status, answer = invoke(ENTRY, then(answers[-1]) if answers else first)
            assert (status, answer["status"], answer["errors"]) == (200, "success", {}), answer
            answers.append(answer)
            if not answer["pending"]:
                break
        return Played(answers, table_rows(db_path), sandbox.log.all(), db_path)


@pytest.fixture(name="reference", scope="module")
def reference_fixture(tmp_path_factory: pytest.TempPathFactory) -> Played:
    """One unbounded full sync of a fresh world: what every bounded sequence must end with."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        played = play(tmp_path_factory.mktemp("dialpad_reference") / "wh.duckdb", monkeypatch, FULL,
                      lambda _answer: FULL, {})
    assert [a["pending"] for a in played.answers] == [[]]
    return played


def list_pages(requests: list[RecordedRequest]) -> list[tuple[str | None, str | None, str | None]]:
    return [(r.param("started_after"), r.param("started_before"), r.param("cursor"))
            for r in requests if r.method == "GET" and r.path == "/api/v2/call"]


def transcripts(requests: list[RecordedRequest]) -> list[str]:
    return [r.path for r in requests if r.path.startswith("/api/v2/transcripts/")]


def repeated(items: list[Any]) -> list[Any]:
    return [item for item, n in collections.Counter(items).items() if n > 1]


def assert_same_end_and_nothing_twice(played: Played, reference: Played) -> None:
    pending_answers = [a for a in played.answers if a["pending"]]
    assert len(pending_answers) > 1, "the budget cut the sync into several invocations"
    assert played.answers[-1]["pending"] == []
    assert played.tables == reference.tables
    assert repeated(list_pages(played.requests)) == [], "no page of the call list is fetched twice"
    assert repeated(transcripts(played.requests)) == [], "no transcript is fetched twice"
    assert sorted(transcripts(played.requests)) == sorted(transcripts(reference.requests))
    assert all(r.status == 200 for r in played.requests if r.path == "/api/v2/call")


def scheduler(_answer: dict[str, Any]) -> dict[str, Any]:
    """What Cloud Scheduler sends every hour."""
    return INCREMENTAL


def operator(_answer: dict[str, Any]) -> dict[str, Any]:
    """The backfill's own body again (a finished listing is kept while transcripts are pending, so repeating the
    full body does not list everything again)."""
    return FULL


@pytest.mark.parametrize("then", [scheduler, operator], ids=["scheduler-incremental", "same-body-again"])
def test_given_a_zero_budget_then_the_backfill_resumes_batch_by_batch_and_ends_as_one_unbounded_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: Played, then: Next) -> None:
    played = play(tmp_path / "bounded.duckdb", monkeypatch, FULL, then, {"TIME_BUDGET_SECONDS": "0"})

    assert_same_end_and_nothing_twice(played, reference)
    first = played.answers[0]
    assert set(first["pending"]) == {"calls", "transcripts"}
    assert first["counts"]["dialpad_calls"] == 50, "one batch of calls per scope and run"
    warehouse = connect(f"duckdb:///{played.db_path}")
    try:
        scopes = warehouse.query("select scope, status, error_message from etl_run_scopes where run_id = @r "
                                 "order by scope", {"r": first["run_id"]})
    finally:
        warehouse.close()
    assert [(s["scope"], s["status"]) for s in scopes] == [("calls", "pending"), ("transcripts", "pending")]
    assert "time budget of 0 s spent" in scopes[0]["error_message"]


def stored_cursor(db_path: Path) -> str:
    warehouse = connect(f"duckdb:///{db_path}")
    try:
        [row] = warehouse.query("select cursor_value from sync_state where job = 'dialpad-sync'")
        return str(row["cursor_value"])
    finally:
        warehouse.close()


def test_given_a_run_cut_mid_window_then_the_cursor_holds_the_window_page_and_latest_call(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db_path = tmp_path / "wh.duckdb"
    with world_and_warehouse(db_path, monkeypatch, {"TIME_BUDGET_SECONDS": "0"}) as sandbox:
        for _ in range(10):
            invoke(ENTRY, FULL)
            checkpoint = json.loads(stored_cursor(db_path))
            if checkpoint["plan"]["page"]:
                break
        pages = list_pages(sandbox.log.all())
    plan = checkpoint["plan"]
    since_ms = int(dt.datetime.fromisoformat(SINCE).replace(tzinfo=dt.UTC).timestamp() * 1000)
    assert plan["start"] == since_ms == int(pages[0][0] or 0)
    assert plan["page"], "a run stopped inside a window"
    assert (str(plan["after"]), str(plan["before"])) == pages[-1][:2], "the window of the last page fetched"
    assert plan["page"] not in {p[2] for p in pages}, "the saved page is the next one, not fetched yet"
    assert plan["after"] < plan["oldest"] <= plan["newest"] < plan["before"]
    if checkpoint["latest"]:
        latest = dt.datetime.fromisoformat(checkpoint["latest"])
        assert latest.timestamp() * 1000 <= plan["after"], "latest covers only the finished windows"


def test_given_dialpad_refuses_the_saved_page_cursor_then_the_rest_of_the_window_is_listed_afresh(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: Played) -> None:
    refused: list[str] = []

    def expire_saved_cursor(sandbox: Sandbox, db_path: Path) -> None:
        if refused:
            return
        page = json.loads(stored_cursor(db_path))["plan"]["page"]
        if page:
            refused.append(page)
            dialpad_fake(sandbox.app).refused_cursors.add(page)

    played = play(tmp_path / "bounded.duckdb", monkeypatch, FULL, scheduler, {"TIME_BUDGET_SECONDS": "0"},
                  between=expire_saved_cursor)

    assert refused, "a run stopped with a saved page cursor"
    assert played.answers[-1]["pending"] == [] and played.tables == reference.tables
    lists = [r for r in played.requests if r.path == "/api/v2/call"]
    [rejected] = [r for r in lists if r.status == 400]
    assert rejected.param("cursor") == refused[0]
    retry = lists[lists.index(rejected) + 1]
    assert retry.param("cursor") is None and retry.param("started_after") == rejected.param("started_after")
    assert int(retry.param("started_before") or 0) < int(rejected.param("started_before") or 0)
    assert repeated(transcripts(played.requests)) == [], "the re-listed calls are known: no transcript again"


def test_given_an_unbounded_rerun_with_no_changes_then_the_cursor_is_not_rewritten(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with world_and_warehouse(tmp_path / "wh.duckdb", monkeypatch, {}):
        invoke(ENTRY, FULL)
        before = connect(f"duckdb:///{tmp_path / 'wh.duckdb'}")
        try:
            log_rows = before.query("select count(*) as n from sync_state")[0]["n"]
            stored = before.query("select cursor_value, updated_at from sync_state")
        finally:
            before.close()
        status, answer = invoke(ENTRY, FULL)
        after = connect(f"duckdb:///{tmp_path / 'wh.duckdb'}")
        try:
            assert after.query("select cursor_value, updated_at from sync_state") == stored
            assert after.query("select count(*) as n from sync_state")[0]["n"] == log_rows
        finally:
            after.close()
    unchanged = {"dialpad_calls": 0, "dialpad_transcript_lines": 0, "dialpad_calls_skipped": 0}
    assert (status, answer["counts"], answer["pending"]) == (200, unchanged, [])
    assert not stored[0]["cursor_value"].startswith("{"), "a finished listing leaves the plain latest call time"
