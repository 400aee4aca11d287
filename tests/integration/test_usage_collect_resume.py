"""usage-collect under a time budget: a long backfill cut into units (report pages, Claude Code days, Cursor
request windows) over several invocations, resumed from the checkpoint in each source's cursor, ends with the
same tables as one unbounded run, asks for nothing twice, and prunes a day only once all its rows arrived."""

from __future__ import annotations

import collections
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sandbox.apis.anthropic import anthropic_fake
from sandbox.recording import RecordedRequest
from sandbox.world import World
from tests.integration.usage_collect_harness import BACKFILL, FIRST_DAY, UsageHarness, new_world, usage_harness

USAGE_PATH = "/v1/organizations/usage_report/messages"
COST_PATH = "/v1/organizations/cost_report"
CLAUDE_CODE_PATH = "/v1/organizations/usage_report/claude_code"
DAILY_PATH = "/teams/daily-usage-data"
EVENTS_PATH = "/teams/filtered-usage-events"
TABLES = {
    "raw_anthropic_api_keys": "api_key_id",
    "raw_anthropic_usage": "bucket_start, api_key_id, workspace_id, model, service_tier",
    "raw_anthropic_cost": "bucket_start, workspace_id, description",
    "raw_anthropic_claude_code": "usage_date, actor_type, actor_id, is_remote",
    "raw_cursor_members": "user_email",
    "raw_cursor_usage": "usage_date, user_email",
    "raw_cursor_usage_events": "event_at, user_email, model",
    "raw_cursor_spend": "cycle_start, snapshot_date, user_email",
    "raw_key_mapping_sheet": "snapshot_date, row_number",
    "raw_people_sheet": "user_email",
    "dim_api_keys": "api_key_id, valid_from",
    "dim_users": "user_email",
    "fct_usage_daily": "usage_date, platform, user_key, api_key_key, model_key",
    "fct_cost_daily": "cost_date, platform, user_key, api_key_key, model_key, workspace_key",
    "alerts": "alert_key",
    "alert_rules": "alert_type, severity",
    "sync_state": "job, scope",
}
VOLATILE = {"collected_at", "_run_id", "updated_at", "run_id"}
SMALL_UNITS = {"USAGE_BATCH_ROWS": "50", "CURSOR_EVENTS_PAGE_SIZE": "100"}
"""Rows merged per load: a report page of ~31 days holds far more, so each page is merged in many loads and
must be pruned only once all of them are in; a window of Cursor usage events takes several pages."""
MAX_RUNS = 60
Next = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class Played:
    answers: list[dict[str, Any]]
    tables: dict[str, list[tuple[Any, ...]]]
    requests: list[RecordedRequest]


def table_rows(harness: UsageHarness) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables usage-collect writes, without run ids and load times, in key order."""
    out = {}
    for table, key in TABLES.items():
        where = " where job = 'usage-collect'" if table == "sync_state" else ""
        rows = harness.query(f"select * from {table}{where} order by {key}")
        out[table] = [tuple((k, v) for k, v in row.items() if k not in VOLATILE) for row in rows]
    return out


def play(db_path: Path, monkeypatch: pytest.MonkeyPatch, first: dict[str, Any], then: Next, env: dict[str, str],
         world: World | None = None, between: Callable[[UsageHarness], None] | None = None) -> Played:
    """Invoke `first`, then `then(last answer)` until an answer has no pending scope (at most MAX_RUNS), all at
    the harness's standard run time."""
    with usage_harness(world or new_world(), db_path, monkeypatch) as harness:
        for name in ("TIME_BUDGET_SECONDS", "AUTO_SCHEMA"):  # a fresh warehouse gets its schema on the first run
            harness.monkeypatch.delenv(name, raising=False)
        harness.setenv(**SMALL_UNITS, **env)
        answers: list[dict[str, Any]] = []
        while len(answers) < MAX_RUNS:
            if between is not None and answers:
                between(harness)
            answers.append(harness.ok(then(answers[-1]) if answers else first))
            if not answers[-1]["pending"]:
                break
        return Played(answers, table_rows(harness), harness.sandbox.log.all())


_references: dict[str, Played] = {}


@pytest.fixture(name="reference", scope="module")
def reference_fixture(tmp_path_factory: pytest.TempPathFactory) -> Callable[[dict[str, Any]], Played]:
    """One unbounded run of a body on a fresh world and warehouse (made once per body)."""

    def reference(body: dict[str, Any]) -> Played:
        name = json.dumps(body, sort_keys=True)
        if name not in _references:
            with pytest.MonkeyPatch.context() as monkeypatch:
                played = play(tmp_path_factory.mktemp("usage_reference") / "wh.duckdb", monkeypatch, body,
                              lambda _answer: body, {})
            assert [a["pending"] for a in played.answers] == [[]]
            _references[name] = played
        return _references[name]

    return reference


def request_identity(r: RecordedRequest) -> tuple[Any, ...]:
    return r.method, r.path, tuple(sorted((k, tuple(v)) for k, v in r.query.items())), r.body


def repeated(requests: list[RecordedRequest]) -> list[tuple[Any, ...]]:
    counts = collections.Counter(request_identity(r) for r in requests)
    return [identity for identity, n in counts.items() if n > 1]


def cursor_of(harness: UsageHarness, source: str) -> str:
    [row] = harness.query("select cursor_value from sync_state where job = 'usage-collect' and scope = @s",
                          {"s": source})
    return str(row["cursor_value"])


@pytest.mark.parametrize("body", [BACKFILL, {}], ids=["explicit-backfill", "first-default-run"])
def test_given_a_zero_budget_then_a_backfill_resumes_unit_by_unit_and_ends_as_one_unbounded_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: Callable[[dict[str, Any]], Played],
        body: dict[str, Any]) -> None:
    expected = reference(body)
    played = play(tmp_path / "wh.duckdb", monkeypatch, body, lambda _answer: body, {"TIME_BUDGET_SECONDS": "0"})

    assert len([a for a in played.answers if a["pending"]]) > 1, "the budget cut the backfill into several runs"
    assert played.answers[-1]["pending"] == []
    assert set(played.answers[0]["pending"]) == {"anthropic", "cursor", "key_mapping", "model"}
    assert played.tables == expected.tables
    assert repeated(played.requests) == [], "no page, day, request window or list is asked for twice"
    assert all(r.status == 200 for r in played.requests)
    paths = collections.Counter(r.path for r in played.requests)
    assert paths == collections.Counter(r.path for r in expected.requests), "the same requests as one run"


def test_given_a_run_cut_mid_report_then_each_cursor_holds_its_window_step_and_page(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with usage_harness(new_world(), tmp_path / "wh.duckdb", monkeypatch) as harness:
        harness.setenv(TIME_BUDGET_SECONDS="0", **SMALL_UNITS)
        first, second = harness.ok(BACKFILL), harness.ok(BACKFILL)
        anthropic, cursor = json.loads(cursor_of(harness, "anthropic")), json.loads(cursor_of(harness, "cursor"))
        usage_pages = harness.sandbox.log.matching("GET", USAGE_PATH)
        daily = harness.sandbox.log.matching("POST", DAILY_PATH)
        scopes = harness.query("select scope, status from etl_run_scopes where run_id = @r order by scope",
                               {"r": second["run_id"]})

    assert first["pending"] == second["pending"]
    assert [(s["scope"], s["status"]) for s in scopes] == [
        ("anthropic", "pending"), ("cursor", "pending"), ("key_mapping", "pending"), ("model", "pending")]
    window = (FIRST_DAY.isoformat(), "2026-05-04")
    plan = anthropic["plan"]
    assert anthropic["last"] is None and (plan["start"], plan["end"]) == window
    assert (plan["step"], plan["next_day"], plan["since"]) == ("usage", "2026-04-20", None)
    assert [p.param("page") for p in usage_pages] == [None], "the first page only"
    assert plan["page"], "the report's next_page token of the page not asked for yet"
    plan = cursor["plan"]
    assert cursor["last"] is None and (plan["start"], plan["end"]) == window
    assert (plan["step"], plan["next_day"], plan["page"]) == (
        "daily", (FIRST_DAY + dt.timedelta(days=30)).isoformat(), None)
    assert len(daily) == 1


def test_given_rows_gone_at_the_source_then_a_day_is_pruned_only_with_its_whole_page(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Days of the second usage page lose a row at the source while a re-collection is cut: the day is pruned
    when its page has arrived, never from rows of the first page or a partial merge."""
    late_day = dt.date(2026, 4, 30)
    world = new_world()
    with usage_harness(world, tmp_path / "wh.duckdb", monkeypatch) as harness:
        harness.setenv(**SMALL_UNITS)
        harness.ok(BACKFILL)
        with harness.sandbox.state.lock:
            gone = next(r for r in world.anthropic_usage if r.day == late_day)
            world.anthropic_usage.remove(gone)
        harness.setenv(TIME_BUDGET_SECONDS="0")
        counts = []
        for _ in range(3):  # keys, then usage page 1, then usage page 2 (which holds late_day)
            harness.ok(BACKFILL)
            counts.append(harness.query("select count(*) as n from raw_anthropic_usage where date(bucket_start) "
                                        "= @d", {"d": late_day})[0]["n"])
        stored = {(r["day"], r["n"]) for r in harness.query(
            "select date(bucket_start) as day, count(*) as n from raw_anthropic_usage group by 1")}
    per_day = collections.Counter(r.day for r in world.anthropic_usage)
    assert counts == [per_day[late_day] + 1, per_day[late_day] + 1, per_day[late_day]]
    assert stored == set(per_day.items()), "every other day keeps all its rows"


def test_given_anthropic_refuses_the_saved_page_token_then_the_rest_of_the_window_is_asked_for_afresh(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: Callable[[dict[str, Any]], Played]) -> None:
    expected = reference(BACKFILL)
    refused: list[str] = []

    def expire_saved_token(harness: UsageHarness) -> None:
        plan = json.loads(cursor_of(harness, "anthropic"))["plan"]
        if not refused and plan["step"] == "usage" and plan["page"]:
            refused.append(plan["page"])
            anthropic_fake(harness.sandbox.app).refused_pages.add(plan["page"])

    played = play(tmp_path / "wh.duckdb", monkeypatch, BACKFILL, lambda _answer: BACKFILL,
                  {"TIME_BUDGET_SECONDS": "0"}, between=expire_saved_token)

    assert refused and played.answers[-1]["pending"] == []
    assert played.tables == expected.tables
    pages = [r for r in played.requests if r.path == USAGE_PATH]
    assert [(r.status, r.param("page") == refused[0]) for r in pages] == [(200, False), (400, True), (200, False)]
    assert pages[2].param("page") is None and pages[2].param("starting_at") == "2026-04-20T00:00:00Z"


def test_given_a_run_cut_between_pages_of_usage_events_then_the_next_run_asks_for_the_next_page(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    body = {"sources": ["cursor"], **BACKFILL}
    with usage_harness(new_world(), tmp_path / "wh.duckdb", monkeypatch) as harness:
        harness.setenv(TIME_BUDGET_SECONDS="0", **SMALL_UNITS)
        plans = []
        for _ in range(4):  # members, two windows of daily usage, the first page of events
            harness.ok(body)
            plans.append(json.loads(cursor_of(harness, "cursor"))["plan"])
        asked = [r.json()["page"] for r in harness.sandbox.log.matching("POST", EVENTS_PATH)]
        harness.ok(body)
        then = [r.json()["page"] for r in harness.sandbox.log.matching("POST", EVENTS_PATH)]
        stored = harness.query("select count(*) as n from raw_cursor_usage_events")[0]["n"]

    assert (plans[-1]["step"], plans[-1]["next_day"], plans[-1]["page"]) == ("events", FIRST_DAY.isoformat(), "2")
    assert asked == [1] and then == [1, 2]
    assert stored == 200


def test_given_a_usage_page_served_again_for_the_next_token_then_the_token_is_followed_again_and_tables_match(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: Callable[[dict[str, Any]], Played]) -> None:
    expected = reference(BACKFILL)
    first: list[bytes] = []

    def keep(data: bytes) -> bytes:
        first[:] = first or [data]
        return data

    with usage_harness(new_world(), tmp_path / "wh.duckdb", monkeypatch) as harness:
        for name in ("TIME_BUDGET_SECONDS", "AUTO_SCHEMA"):
            harness.monkeypatch.delenv(name, raising=False)
        harness.setenv(**SMALL_UNITS)
        harness.sandbox.faults.add(USAGE_PATH, status=None, retry_after=None, times=1,
                                   when=lambda args: bool(args.get("page")), rewrite=lambda data: first[0])
        harness.sandbox.faults.add(USAGE_PATH, status=None, retry_after=None, times=None,
                                   when=lambda args: not args.get("page"), rewrite=keep)

        answer = harness.ok(BACKFILL)

        assert answer["pending"] == []
        assert table_rows(harness) == expected.tables
        token = json.loads(first[0])["next_page"]
        pages = [r.param("page") for r in harness.sandbox.log.all() if r.path == USAGE_PATH]
        assert pages.count(token) == 2 and pages.index(token) == 1
