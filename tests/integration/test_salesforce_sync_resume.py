"""salesforce-sync under the time budget: listings advance in committed chunks and resume from their checkpoint,
a Bulk API 2.0 job is resumed by its id and result-set locator, and Bulk waits end with the budget."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.world_schema import SfRecord
from tests.integration.salesforce_harness import BULK, LIMIT_EXCEEDED, QUERY_ALL, TABLES, Harness

PAGE = 200
DESCRIBE = "/services/data/v59.0/sobjects/{}/describe"
LOOKBACK = dt.timedelta(seconds=300)
STAMP = "%Y-%m-%dT%H:%M:%S.000Z"
SOQL_STAMP = "%Y-%m-%dT%H:%M:%SZ"
Answer = tuple[int, dict[str, Any]]


@pytest.fixture
def sf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    with Harness.start(tmp_path, monkeypatch) as harness:
        yield harness


def until_done(sf: Harness, limit: int = 20, **body: Any) -> list[Answer]:
    """Invoke the function with `body` until no scope is pending; every answer, in order."""
    answers: list[Answer] = []
    while not answers or answers[-1][1]["pending"]:
        assert len(answers) < limit, f"still pending after {limit} runs: {answers[-1][1]['pending']}"
        answers.append(sf.sync(**body))
    return answers


def tables(sf: Harness) -> dict[str, list[dict[str, Any]]]:
    """Every sf_* table's rows, less the bookkeeping columns."""
    return {name: [{k: v for k, v in row.items() if k not in ("_run_id", "_synced_at")} for row in sf.rows(name)]
            for name in TABLES}


def cursors(sf: Harness) -> dict[str, str]:
    found = sf.query("select scope, cursor_value from sync_state where job = 'salesforce-sync'")
    return {row["scope"]: row["cursor_value"] for row in found}


def listing(sf: Harness, object_type: str) -> dict[str, Any] | None:
    """The object's listing checkpoint; None when there is none (or it was cleared)."""
    text = cursors(sf).get(f"{object_type}#listing")
    return json.loads(text) if text else None


DONE = {"done": True, "full": True}
"""What a completed full listing leaves."""


def in_order(records: list[SfRecord]) -> list[SfRecord]:
    """The order of a REST listing: SystemModstamp, then Id (the fake compares Ids case-insensitively)."""
    return sorted(records, key=lambda r: (r["SystemModstamp"], r["Id"].casefold()))


def keyset(record: SfRecord) -> str:
    at = record["SystemModstamp"].strftime(SOQL_STAMP)
    return f"WHERE SystemModstamp > {at} OR (SystemModstamp = {at} AND Id > '{record['Id']}')"


def record_queries(sf: Harness, object_type: str) -> list[str]:
    """The SOQL of each REST record listing query (COUNT() left out)."""
    return [q for q in sf.soql_sent(object_type) if "COUNT()" not in q]


def follow_ups(sf: Harness) -> int:
    """nextRecordsUrl requests (every other queryAll request names its SOQL)."""
    return len(sf.sandbox.log.matching(path_prefix=QUERY_ALL, where=lambda r: r.param("q") is None))


def bulk_calls(sf: Harness) -> list[tuple[str, str, str | None]]:
    """(method, last path part, locator) of every Bulk API request, in order."""
    return [(r.method, r.path.rsplit("/", 1)[-1], r.param("locator"))
            for r in sf.sandbox.log.matching(path_prefix=BULK)]


def mass_update(sf: Harness) -> None:
    """A data-loader style update: 240 Contacts get one SystemModstamp, more than a page shares it."""
    at = sf.latest_stamp("Contact") + dt.timedelta(hours=1)
    for index in range(0, 480, 2):
        sf.change("Contact", index, at, LeadSource="Partner Referral")


def fresh_world_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prepare: Callable[[Harness], None],
                       **settings: Any) -> tuple[dict[str, list[dict[str, Any]]], dict[str, str]]:
    """Tables and cursors after one unbounded full sync of an identical fresh world."""
    with Harness.start(tmp_path / "unbounded", monkeypatch, scale=3) as other:
        other.configure(**settings)
        prepare(other)
        status, answer = other.sync(sync_type="full")
        assert status == 200 and answer["status"] == "success" and answer["pending"] == []
        assert follow_ups(other) > 0
        return tables(other), cursors(other)


def test_given_a_zero_budget_when_a_large_first_full_sync_runs_then_it_resumes_chunk_by_chunk_to_the_same_tables(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = {"salesforce_batch_size": PAGE, "salesforce_bulk_threshold": 500}
    (tmp_path / "unbounded").mkdir()
    expected_tables, expected_cursors = fresh_world_result(tmp_path, monkeypatch, mass_update, **settings)

    (tmp_path / "bounded").mkdir()
    with Harness.start(tmp_path / "bounded", monkeypatch, scale=3) as sf:
        sf.configure(time_budget_seconds=0, **settings)
        mass_update(sf)
        sizes = {name: len(sf.world.records(name)) for name in TABLES}
        assert sizes["Task"] > 500 >= max(n for name, n in sizes.items() if name != "Task")

        answers = until_done(sf, sync_type="full")

        assert all(status == 200 and answer["status"] == "success" for status, answer in answers)
        pending = [answer["pending"] for _, answer in answers]
        pages = {name: -(-n // PAGE) for name, n in sizes.items()}
        assert len(answers) == 1 + pages["Task"]  # the job's first poll, then one result set per run
        assert pending[0] == ["Contact", "Task", "Event", "EmailMessage"] and pending[-1] == []
        for run, names in enumerate(pending):
            assert names == [n for n in TABLES if (pages[n] if n != "Task" else pages[n] + 1) > run + 1]
        scopes = sf.query("select scope, status from etl_run_scopes where run_id = @r",
                          {"r": answers[0][1]["run_id"]})
        assert {s["scope"] for s in scopes if s["status"] == "pending"} == set(pending[0])
        assert tables(sf) == expected_tables
        assert {k: v for k, v in cursors(sf).items() if "#" not in k} == \
               {k: v for k, v in expected_cursors.items() if "#" not in k}
        assert {name: listing(sf, name) for name in TABLES} == dict.fromkeys(TABLES, DONE)

        # REST: one query per page, each starting right after the last committed (SystemModstamp, Id): every
        # record is fetched exactly once, the 240 Contacts sharing one stamp included.
        assert follow_ups(sf) == 0
        for name in (n for n in TABLES if n != "Task"):
            ordered = in_order(sf.world.records(name))
            queries = record_queries(sf, name)
            assert len(queries) == pages[name]
            assert " WHERE " not in queries[0] and queries[0].endswith("ORDER BY SystemModstamp ASC, Id ASC")
            for number, query in enumerate(queries[1:], start=1):
                assert f" FROM {name} {keyset(ordered[number * PAGE - 1])} ORDER BY" in query

        # Bulk: one job, polled until complete, then each result set read once, from the saved locator.
        calls = bulk_calls(sf)
        job_id = calls[1][1]
        results = [locator for method, last, locator in calls if last == "results"]
        assert [c for c in calls if c[0] == "POST"] == [("POST", "query", None)]
        assert calls[:3] == [("POST", "query", None), ("GET", job_id, None), ("GET", job_id, None)]
        assert len(results) == len(set(results)) == pages["Task"] and results[0] is None
        assert all(c[:2] == ("GET", "results") for c in calls[3:])
        assert not sf.sandbox.log.matching(status=412)


def test_given_a_bulk_job_still_in_progress_at_the_budget_then_the_next_runs_resume_it_by_id(sf: Harness) -> None:
    sf.configure(time_budget_seconds=0, salesforce_bulk_threshold=0)
    sf.org.polls_until_complete = 10 ** 9  # unbounded by the budget, the 3600 s Bulk timeout would be the wait

    first = sf.sync(object_type="Opportunity", sync_type="full")
    second = sf.sync(object_type="Opportunity")

    for status, answer in (first, second):
        assert status == 200 and answer["status"] == "success" and answer["pending"] == ["Opportunity"]
    checkpoint = listing(sf, "Opportunity")
    assert checkpoint is not None and checkpoint["api"] == "bulk" and checkpoint["complete"] is False
    job_id = checkpoint["job"]
    assert bulk_calls(sf) == [("POST", "query", None), ("GET", job_id, None), ("GET", job_id, None)]
    assert sf.rows("Opportunity") == [] and sf.cursor("Opportunity") is None
    scope = sf.query("select status, error_message from etl_run_scopes where run_id = @r",
                     {"r": second[1]["run_id"]})
    assert scope[0]["status"] == "pending" and job_id in scope[0]["error_message"]

    sf.org.polls_until_complete = 0
    status, answer = sf.sync(object_type="Opportunity", sync_type="full")

    assert status == 200 and answer["pending"] == []
    unchanged = {table: 0 for table, _ in TABLES.values()} | {"sf_custom_objects": 0, "sf_records_skipped": 0}
    assert answer["counts"] == unchanged | {"sf_opportunities": len(sf.world.opportunities)}
    assert bulk_calls(sf)[3:] == [("GET", job_id, None), ("GET", "results", None)]
    assert len(sf.rows("Opportunity")) == len(sf.world.opportunities)
    assert sf.cursor("Opportunity") == max(o["SystemModstamp"] for o in sf.world.opportunities).strftime(STAMP)
    assert listing(sf, "Opportunity") == DONE


def test_given_a_positive_budget_then_the_bulk_wait_ends_with_it(sf: Harness) -> None:
    sf.configure(time_budget_seconds=1, salesforce_bulk_threshold=0, salesforce_bulk_poll_seconds=0.05)
    sf.org.polls_until_complete = 0
    assert sf.sync(object_type="User", sync_type="full")[1]["pending"] == []  # the schema is created on first use
    sf.org.polls_until_complete = 10 ** 9
    sf.sandbox.log.clear()

    started = time.monotonic()
    status, answer = sf.sync(object_type="User", sync_type="full")

    assert status == 200 and answer["pending"] == ["User"] and time.monotonic() - started < 5
    polls = [c for c in bulk_calls(sf) if c[0] == "GET"]
    assert 1 < len(polls) < 30 and len({c[1] for c in polls}) == 1
    assert listing(sf, "User")["job"] == polls[0][1]  # type: ignore[index]


def test_given_a_bulk_job_past_the_bulk_timeout_then_it_is_aborted_and_the_next_run_creates_another(
        sf: Harness) -> None:
    sf.configure(salesforce_bulk_threshold=0, salesforce_bulk_timeout_seconds=0.001)
    sf.org.polls_until_complete = 10 ** 9

    status, answer = sf.sync(object_type="Lead", sync_type="full")

    assert status == 500 and "BULK_JOB_TIMEOUT" in answer["errors"]["Lead"] and answer["pending"] == []
    calls = bulk_calls(sf)
    aborted = calls[-1][1]
    assert calls[0][:2] == ("POST", "query") and calls[-1][0] == "PATCH" and len(calls) >= 3
    assert all(c[:2] == ("GET", aborted) for c in calls[1:-1])
    assert sf.org.jobs[aborted].info["state"] == "Aborted" and listing(sf, "Lead") is None

    sf.configure(salesforce_bulk_timeout_seconds=3600)
    sf.org.polls_until_complete = 0
    status, answer = sf.sync(object_type="Lead", sync_type="full")

    assert status == 200 and answer["status"] == "success"
    assert len([c for c in bulk_calls(sf) if c[0] == "POST"]) == 2
    assert len(sf.rows("Lead")) == len(sf.world.leads)


def test_given_a_saved_bulk_job_that_is_gone_then_a_new_job_loads_the_object(sf: Harness) -> None:
    sf.configure(time_budget_seconds=0, salesforce_bulk_threshold=0)
    sf.org.polls_until_complete = 10 ** 9
    assert sf.sync(object_type="Account", sync_type="full")[1]["pending"] == ["Account"]
    job_id = listing(sf, "Account")["job"]  # type: ignore[index]
    sf.org.jobs.pop(job_id)  # Salesforce deletes jobs after seven days
    sf.org.polls_until_complete = 0

    status, answer = sf.sync(object_type="Account", sync_type="full")

    assert status == 200 and answer["status"] == "success" and answer["pending"] == []
    created = [c for c in bulk_calls(sf) if c[0] == "POST"]
    assert len(created) == 2 and len(sf.rows("Account")) == len(sf.world.accounts)
    assert listing(sf, "Account") == DONE


def change_tasks_at_one_stamp(sf: Harness, count: int) -> tuple[dt.datetime, list[SfRecord]]:
    """After a full sync: `count` Tasks changed at one later stamp; returns it and what the next incremental
    listing selects (those, and unchanged ones within the lookback), in listing order."""
    sf.configure(salesforce_batch_size=PAGE)
    sf.sync(object_type="Task", sync_type="full")
    cursor = dt.datetime.fromisoformat(str(sf.cursor("Task")))
    since = (cursor - LOOKBACK).replace(microsecond=0)
    later = sf.latest_stamp("Task") + dt.timedelta(hours=1)
    for index in range(count):
        sf.change("Task", index, later, Status="Deferred")
    sf.configure(time_budget_seconds=0, salesforce_batch_size=PAGE)
    sf.sandbox.log.clear()
    return later, in_order([t for t in sf.world.tasks if t["SystemModstamp"] > since])


def test_given_a_zero_budget_when_an_incremental_run_has_several_pages_then_each_run_resumes_after_the_last(
        sf: Harness) -> None:
    later, selected = change_tasks_at_one_stamp(sf, 260)
    changed = [t for t in selected if t["SystemModstamp"] == later]
    assert len(changed) == 260 and len(selected) <= 2 * PAGE

    answers = until_done(sf, object_type="Task")

    assert [answer["pending"] for _, answer in answers] == [["Task"], []]
    assert sum(answer["counts"]["sf_tasks"] for _, answer in answers) == len(changed)
    assert all(sf.row("Task", t["Id"])["status"] == "Deferred" for t in changed)
    assert sf.cursor("Task") == later.strftime(STAMP) and listing(sf, "Task") is None
    queries = record_queries(sf, "Task")
    assert len(queries) == 2 and follow_ups(sf) == 0
    assert " WHERE SystemModstamp > " in queries[0] and " OR " not in queries[0]
    assert keyset(selected[PAGE - 1]) in queries[1]


def test_given_an_unfinished_incremental_listing_when_a_full_sync_is_asked_then_a_full_listing_replaces_it(
        sf: Harness) -> None:
    later, selected = change_tasks_at_one_stamp(sf, 260)
    assert sf.sync(object_type="Task")[1]["pending"] == ["Task"]
    assert listing(sf, "Task") == {"api": "rest", "full": False,
                                   "high": selected[PAGE - 1]["SystemModstamp"].strftime(STAMP),
                                   "after_id": selected[PAGE - 1]["Id"]}
    sf.sandbox.log.clear()

    answers = until_done(sf, object_type="Task", sync_type="full")

    queries = record_queries(sf, "Task")
    assert len(answers) == len(queries) == -(-len(sf.world.tasks) // PAGE)
    assert " WHERE " not in queries[0] and sf.soql_sent("Task")[0] == "SELECT COUNT() FROM Task"
    assert listing(sf, "Task") == DONE and sf.cursor("Task") == later.strftime(STAMP)
    assert len(sf.rows("Task")) == len(sf.world.tasks)


def test_given_a_repeated_full_request_then_objects_already_loaded_are_left_alone_and_failed_ones_are_not(
        sf: Harness) -> None:
    sf.configure(salesforce_batch_size=PAGE)
    assert sf.sync(sync_type="full")[1]["pending"] == []
    sf.configure(time_budget_seconds=0, salesforce_batch_size=PAGE, http_max_retries=0)
    sf.sandbox.faults.add(DESCRIBE.format("Lead"), status=403, body=LIMIT_EXCEEDED, times=None)

    status, first = sf.sync(sync_type="full")

    assert status == 200 and first["status"] == "partial" and list(first["errors"]) == ["Lead"]
    assert first["pending"] == ["Task"] and listing(sf, "Lead") is None
    sf.sandbox.faults.clear()
    sf.sandbox.log.clear()

    status, second = sf.sync(sync_type="full")

    assert status == 200 and second["status"] == "success" and second["pending"] == []
    described = [r.path for r in sf.sandbox.log.matching(path_prefix="/services/data/v59.0/sobjects/")]
    assert described == [DESCRIBE.format("Lead"), DESCRIBE.format("Task")]
    assert {name: listing(sf, name) for name in TABLES} == dict.fromkeys(TABLES, DONE)
    assert len(sf.rows("Lead")) == len(sf.world.leads) and len(sf.rows("Task")) == len(sf.world.tasks)
