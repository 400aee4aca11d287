"""A warehouse failure mid-run on the BigQuery backend: salesforce-sync through its HTTP entry point, against the
sandbox, with its warehouse being `BigQueryWarehouse` over the recording fake client, whose chosen MERGE jobs
fail as BigQuery's do. Asserted on the statements the backend sent and their parameters: the run's answer and
ledger row, the cursors saved (never one past the failure), and a rerun with the fault gone."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from google.api_core.exceptions import InternalServerError

from sandbox.env import settings_env
from sandbox.server import Sandbox
from sandbox.world import World, build_world
from shared import entrypoint, sqlfiles
from shared.warehouse import Warehouse, connect
from shared.warehouse.bigquery_backend import CONCURRENT_UPDATE_ATTEMPTS, BigQueryWarehouse
from tests.unit.fake_bigquery import FakeClient, concurrent_update, job_error, merge_into, project_schemas
from tools.invoke import invoke
from tools.pipeline import by_cloud_name

ENTRY = by_cloud_name("salesforce-sync")
sys.path.insert(0, str(ENTRY.source.parent))
from sfdc_values import cursor_text  # noqa: E402

WAREHOUSE = "bigquery://proj-1/sales_intel"
BATCH = 200
"""Records per MERGE: the world's 281 tasks take two, so the second one fails mid-run."""
JOB_FILES = ("sync_state_set", "ledger_start_run", "ledger_finish_run")


@dataclass
class Statement:
    index: int
    """Position in `FakeClient.calls`."""
    name: str
    """The `sql/jobs` file it came from, else its SQL."""
    params: dict[str, Any]


@dataclass
class BigQueryRun:
    fake: FakeClient
    waits: list[float] = field(default_factory=list)
    """The backoffs the backend slept before resubmitting a DML job that lost a concurrent update."""

    def statements(self, since: int = 0) -> list[Statement]:
        files = {sqlfiles.read_sql(f"jobs/{name}.sql"): name for name in JOB_FILES}
        found = []
        for index, (kind, call) in enumerate(self.fake.calls[since:], start=since):
            if kind == "query":
                sql, config = call
                params = {p.name: p.values if hasattr(p, "values") else p.value for p in config.query_parameters}
                found.append(Statement(index, files.get(sql, sql), params))
        return found

    def cursor_saves(self, since: int = 0) -> list[Statement]:
        return [s for s in self.statements(since) if s.name == "sync_state_set"]

    def finishes(self, since: int = 0) -> list[Statement]:
        return [s for s in self.statements(since) if s.name == "ledger_finish_run"]

    def merges(self, table: str, since: int = 0) -> list[Statement]:
        return [s for s in self.statements(since) if s.name.startswith(f"merge into {table} ")]

    def scope_rows(self, since: int = 0) -> list[dict[str, Any]]:
        """The etl_run_scopes rows the ledger appended (by load job)."""
        return [json.loads(line) for kind, call in self.fake.calls[since:] if kind == "load"
                and call[1].table_id == "etl_run_scopes" for line in call[0].splitlines()]


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(seed=11, scale=1, anchor=dt.datetime(2026, 5, 4, tzinfo=dt.UTC))


@pytest.fixture(scope="module")
def sandbox(world: World) -> Iterator[Sandbox]:
    with Sandbox(world) as running:
        yield running


@pytest.fixture
def bq(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> BigQueryRun:
    """The function's runtime gets `BigQueryWarehouse` over the fake (schemas of every sql/tables table)."""
    for name, value in {**settings_env(sandbox), "WAREHOUSE": WAREHOUSE, "HTTP_BACKOFF_BASE": "0",
                        "SALESFORCE_BATCH_SIZE": str(BATCH)}.items():
        monkeypatch.setenv(name, value)
    state = BigQueryRun(FakeClient(schemas=project_schemas()))

    def connect_fake(url: str) -> Warehouse:
        assert url == WAREHOUSE
        warehouse = connect(url, client=state.fake)
        assert isinstance(warehouse, BigQueryWarehouse)
        warehouse.sleep = state.waits.append
        return warehouse

    monkeypatch.setattr(entrypoint, "connect", connect_fake)
    return state


def modstamps(world: World, object_type: str) -> list[str]:
    """Each record's cursor text in the sync's listing order (SystemModstamp, Id)."""
    ordered = sorted(world.records(object_type), key=lambda r: (r["SystemModstamp"], r["Id"]))
    return [cursor_text(r["SystemModstamp"]) for r in ordered]


def test_given_every_attempt_of_the_second_merge_loses_a_concurrent_update_then_the_run_fails_500_and_no_cursor_follows(
        bq: BigQueryRun, world: World) -> None:
    tasks = modstamps(world, "Task")
    assert len(tasks) > BATCH
    fault = bq.fake.fail_when(merge_into("sf_tasks"), concurrent_update("sf_tasks"), skip=1,
                              times=CONCURRENT_UPDATE_ATTEMPTS)

    status, answer = invoke(ENTRY, {"object_type": "Task"})

    assert status == 500 and answer["status"] == "failed"
    assert set(answer["errors"]) == {"Task"}
    assert answer["errors"]["Task"].startswith(
        "BadRequest: 400 Could not serialize access to table proj-1:sales_intel.sf_tasks due to concurrent update")
    assert len(bq.merges("sf_tasks")) == 1 + CONCURRENT_UPDATE_ATTEMPTS
    assert len(fault.failed_calls) == CONCURRENT_UPDATE_ATTEMPTS
    assert len(bq.waits) == CONCURRENT_UPDATE_ATTEMPTS - 1
    failed_at = fault.failed_calls[0]
    saved = [(s.params["scope"], s.params["cursor_value"]) for s in bq.cursor_saves() if s.index < failed_at]
    assert saved[-1] == ("Task", tasks[BATCH - 1])
    checkpoint = json.loads(next(value for scope, value in saved if scope == "Task#listing"))
    assert (checkpoint["high"], checkpoint["full"]) == (tasks[BATCH - 1], True)
    assert [s.params["scope"] for s in bq.cursor_saves(since=failed_at)] == []
    [finish] = bq.finishes()
    assert finish.index > fault.failed_calls[-1]
    assert finish.params["status"] == "failed" and finish.params["run_id"] == answer["run_id"]
    assert finish.params["error_message"] == f"Task: {answer['errors']['Task']}"
    assert json.loads(finish.params["errors"]) == answer["errors"]
    assert json.loads(finish.params["counts"])["sf_tasks"] == 2  # the first batch's MERGE: the fake's 2 rows
    assert [(r["scope"], r["status"]) for r in bq.scope_rows()] == [("Task", "failed")]

    bq.fake.faults.clear()
    before = len(bq.fake.calls)
    status, answer = invoke(ENTRY, {"object_type": "Task"})

    assert (status, answer["status"], answer["errors"]) == (200, "success", {})
    assert len(bq.merges("sf_tasks", since=before)) == 2 and len(bq.waits) == CONCURRENT_UPDATE_ATTEMPTS - 1
    cursors = [s.params["cursor_value"] for s in bq.cursor_saves(since=before) if s.params["scope"] == "Task"]
    assert cursors == [tasks[BATCH - 1], tasks[-1]]
    [finish] = bq.finishes(since=before)
    assert (finish.params["status"], finish.params["error_message"]) == ("success", None)
    assert [(r["scope"], r["status"]) for r in bq.scope_rows(since=before)] == [("Task", "success")]


def test_given_an_internal_error_on_one_objects_merge_then_the_run_is_partial_200_and_only_that_cursor_is_unsaved(
        bq: BigQueryRun, world: World) -> None:
    error = job_error("backendError", "Error encountered during execution. Retrying may solve the problem.")
    assert isinstance(error, InternalServerError)
    fault = bq.fake.fail_when(merge_into("sf_contacts"), error)

    status, answer = invoke(ENTRY, {})

    assert status == 200 and answer["status"] == "partial"
    assert answer["errors"] == {"Contact": "InternalServerError: 500 Error encountered during execution. "
                                           "Retrying may solve the problem."}
    assert len(bq.merges("sf_contacts")) == 1 and bq.waits == []  # not a concurrent update: never resubmitted
    [failed_at] = fault.failed_calls
    contact_saves = [s for s in bq.cursor_saves() if s.params["scope"].startswith("Contact")]
    assert contact_saves == []
    later = {s.params["scope"] for s in bq.cursor_saves(since=failed_at)}
    assert {"Lead", "Opportunity", "Task", "Event", "EmailMessage", "User"} <= later
    assert not [scope for scope in later if scope.startswith("Contact")]
    [finish] = bq.finishes()
    assert finish.params["status"] == "partial"
    assert finish.params["error_message"] == f"Contact: {answer['errors']['Contact']}"
    statuses = {r["scope"]: r["status"] for r in bq.scope_rows()}
    assert statuses == {**dict.fromkeys(["Account", "Lead", "Opportunity", "Task", "Event", "EmailMessage", "User",
                                         "Profile", "UserRole"], "success"), "Contact": "failed"}

    bq.fake.faults.clear()
    before = len(bq.fake.calls)
    status, answer = invoke(ENTRY, {})

    assert (status, answer["status"], answer["errors"]) == (200, "success", {})
    contact = [s.params["cursor_value"] for s in bq.cursor_saves(since=before) if s.params["scope"] == "Contact"]
    assert contact == [modstamps(world, "Contact")[-1]]
    [finish] = bq.finishes(since=before)
    assert (finish.params["status"], finish.params["error_message"]) == ("success", None)


def test_given_one_merge_loses_a_single_concurrent_update_then_it_is_resubmitted_and_the_run_succeeds(
        bq: BigQueryRun, world: World) -> None:
    fault = bq.fake.fail_when(merge_into("sf_tasks"), concurrent_update("sf_tasks"), skip=1)

    status, answer = invoke(ENTRY, {"object_type": "Task"})

    assert (status, answer["status"], answer["errors"]) == (200, "success", {})
    assert len(fault.failed_calls) == 1 and len(bq.waits) == 1
    assert len(bq.merges("sf_tasks")) == 3
    cursors = [s.params["cursor_value"] for s in bq.cursor_saves() if s.params["scope"] == "Task"]
    assert cursors == [modstamps(world, "Task")[BATCH - 1], modstamps(world, "Task")[-1]]
    [finish] = bq.finishes()
    assert finish.params["status"] == "success" and json.loads(finish.params["counts"])["sf_tasks"] == 4
