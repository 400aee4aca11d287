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
