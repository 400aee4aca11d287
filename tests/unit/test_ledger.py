"""The run ledger: append-only writes, abandoned runs, cursors that move only when their value does."""

from __future__ import annotations

import datetime as dt

from shared.ledger import JobResult, RunLedger
from shared.warehouse import Warehouse
from shared.warehouse.base import observe_statements

T0 = dt.datetime.now(dt.UTC).replace(microsecond=0)  # the views judge deadlines by the real clock


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


def test_a_killed_run_is_abandoned_after_its_deadline_and_the_next_run_records_it(warehouse: Warehouse) -> None:
    clock = Clock()
    ledger = RunLedger(warehouse, clock)
    killed = ledger.start("gmail-sync", "gmail", {}, "scheduler", timeout_seconds=540)
    # the instance is stopped here: finish() never runs
    clock.now = T0 + dt.timedelta(seconds=540 + 59)
    early = ledger.start("gmail-sync", "gmail", {}, "scheduler", timeout_seconds=540)
    statuses = {r["run_id"]: r["status"] for r in warehouse.query("select run_id, status from etl_run_log")}
    assert statuses == {killed.run_id: "running", early.run_id: "running"}  # not yet past the 60 s margin
    ledger.finish(early, JobResult())

    clock.now = T0 + dt.timedelta(seconds=540 + 61)
    other = ledger.start("dialpad-sync", "dialpad", {}, "scheduler", timeout_seconds=540)
    assert warehouse.query("select count(*) as n from etl_run_log where status = 'abandoned'") == [{"n": 0}]
    following = ledger.start("gmail-sync", "gmail", {}, "scheduler", timeout_seconds=540)
    recorded = warehouse.query("select run_id, status, error_message from etl_run_log where status = 'abandoned'")
    assert recorded == [{"run_id": killed.run_id, "status": "abandoned",
                         "error_message": f"abandoned: still running past its deadline; recorded by run "
                                          f"{following.run_id}"}]
    ledger.start("gmail-sync", "gmail", {}, "scheduler", timeout_seconds=540)
    assert warehouse.query("select count(*) as n from etl_run_log where status = 'abandoned'") == [{"n": 1}]
    runs = {r["run_id"]: r["status"] for r in warehouse.query("select run_id, status from etl_runs")}
    assert runs[killed.run_id] == "abandoned" and runs[other.run_id] == "running"


def test_every_ledger_write_is_an_append(warehouse: Warehouse) -> None:
    seen: list[str] = []

    ledger = RunLedger(warehouse)
    def observe(sql: str, params: object) -> None:
        code = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
        seen.append(" ".join(" ".join(code).split()).lower())

    with observe_statements(observe):
        run = ledger.start("probe-job", "probe", {}, "http")
        ledger.set_cursor("probe", "a", "1", run.run_id)
        result = JobResult()
        with result.scope("a") as outcome:
            outcome.rows = 1
        ledger.finish(run, result)
    writes = [sql for sql in seen if not sql.startswith("select")]
    assert writes and all("insert into" in sql for sql in writes)
    assert not any(word in sql for sql in seen for word in ("update ", "merge into", "delete from"))
    assert warehouse.query("select scope, status from etl_run_scopes") == [{"scope": "a", "status": "success"}]


def test_saving_the_cursor_value_it_already_holds_writes_nothing(warehouse: Warehouse) -> None:
    clock = Clock()
    ledger = RunLedger(warehouse, clock)
    ledger.set_cursor("gmail-sync", "a@x.com", "100", "r1")
    clock.now += dt.timedelta(minutes=5)
    ledger.set_cursor("gmail-sync", "a@x.com", "100", "r2")
    assert warehouse.query("select cursor_value, updated_at, run_id from sync_state") == [
        {"cursor_value": "100", "updated_at": T0, "run_id": "r1"}]
    clock.now += dt.timedelta(minutes=5)
    ledger.set_cursor("gmail-sync", "a@x.com", "101", "r3")
    assert ledger.get_cursor("gmail-sync", "a@x.com") == "101"
    assert warehouse.query("select count(*) as n from sync_state_log") == [{"n": 2}]


def test_given_an_open_run_within_its_deadline_then_the_next_run_of_that_function_is_held_by_it(
        warehouse: Warehouse) -> None:
    clock = Clock()
    ledger = RunLedger(warehouse, clock)
    first = ledger.start("gmail-sync", "gmail", {}, "scheduler", timeout_seconds=540)
    clock.now = T0 + dt.timedelta(seconds=30)
    second = ledger.start("gmail-sync", "gmail", {}, "scheduler", timeout_seconds=540)
    other_function = ledger.start("dialpad-sync", "dialpad", {}, "scheduler", timeout_seconds=540)

    assert (first.held_by, second.held_by, other_function.held_by) == (None, first.run_id, None)
    ledger.finish(second, JobResult(), status="skipped")
    third = ledger.start("gmail-sync", "gmail", {}, "scheduler", timeout_seconds=540)
    assert third.held_by == first.run_id
    ledger.finish(third, JobResult(), status="skipped")
    ledger.finish(first, JobResult())
    assert ledger.start("gmail-sync", "gmail", {}, "scheduler", timeout_seconds=540).held_by is None


def test_given_the_holder_is_past_its_deadline_then_it_is_abandoned_and_holds_nothing(warehouse: Warehouse) -> None:
    clock = Clock()
    ledger = RunLedger(warehouse, clock)
    killed = ledger.start("gmail-sync", "gmail", {}, "scheduler", timeout_seconds=540)
    clock.now = T0 + dt.timedelta(seconds=540 + 61)
    after = ledger.start("gmail-sync", "gmail", {}, "scheduler", timeout_seconds=540)

    assert after.held_by is None
    assert warehouse.query("select run_id from etl_run_log where status = 'abandoned'") == [{"run_id": killed.run_id}]


def test_given_two_runs_starting_at_the_same_instant_then_exactly_one_goes_ahead(warehouse: Warehouse) -> None:
    """Both append their row before looking; the earlier run id wins the tie, whichever looked first."""
    ledger = RunLedger(warehouse, Clock())
    runs = [ledger.start("salesforce-sync", "salesforce", {}, "scheduler") for _ in range(2)]
    rechecked = [r["holds"] for r in warehouse.query(
        "jobs/ledger_open_runs.sql", {"function_name": "salesforce-sync", "run_id": runs[0].run_id, "now": T0})]
    winner, loser = sorted(runs, key=lambda r: r.run_id)

    assert winner.held_by is None
    assert loser.held_by == winner.run_id or runs[0] is loser
    assert rechecked == [runs[1].run_id < runs[0].run_id]


def test_given_a_run_that_is_not_exclusive_then_it_neither_holds_the_function_nor_waits(
        warehouse: Warehouse) -> None:
    clock = Clock()
    ledger = RunLedger(warehouse, clock)
    search = ledger.start("generate-embeddings", "warehouse", {"query": "budget"}, "http", exclusive=False)
    clock.now = T0 + dt.timedelta(seconds=1)
    embedding = ledger.start("generate-embeddings", "warehouse", {}, "scheduler")
    clock.now = T0 + dt.timedelta(seconds=2)
    second_search = ledger.start("generate-embeddings", "warehouse", {"query": "price"}, "http", exclusive=False)

    assert (search.held_by, embedding.held_by, second_search.held_by) == (None, None, None)
    assert warehouse.query("select run_id from etl_run_log where exclusive = false order by started_at") == [
        {"run_id": search.run_id}, {"run_id": second_search.run_id}]
