"""The run ledger (`etl_runs`, `etl_run_scopes`) and incremental cursors (`sync_state`).

Every write is an append (INSERT or a load job), never an UPDATE, MERGE or DELETE: BigQuery lets appends run
concurrently with anything, while mutating DML on one table from two functions can fail with "could not
serialize access". `etl_runs` and `sync_state` are views of the latest row per run and per cursor.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from shared.budget import OutOfTime
from shared.log import get_logger
from shared.warehouse import Typed, Warehouse

log = get_logger(__name__)
Clock = Callable[[], dt.datetime]
STATUSES = ("running", "success", "partial", "failed", "abandoned", "skipped")
DEADLINE_MARGIN = dt.timedelta(seconds=60)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class ScopeOutcome:
    rows: int = 0
    error: str | None = None
    pending: str | None = None
    """Why the scope stopped early with a checkpoint to resume from (the time budget); not an error."""

    @property
    def status(self) -> str:
        return "failed" if self.error else "pending" if self.pending else "success"


@dataclass
class JobResult:
    """What a job reports: rows written per table/kind and the outcome of each scope it worked on."""

    counts: dict[str, int] = field(default_factory=dict)
    scopes: dict[str, ScopeOutcome] = field(default_factory=dict)
    answer: dict[str, Any] = field(default_factory=dict)
    """Extra fields of the HTTP answer (a search's results); never stored in the ledger, never overriding the
    fixed ones."""

    def add(self, kind: str, rows: int) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + rows

    @property
    def errors(self) -> dict[str, str]:
        return {name: s.error for name, s in self.scopes.items() if s.error}

    @property
    def pending(self) -> list[str]:
        """Scopes that stopped at the time budget and resume from their checkpoint on the next run."""
        return [name for name, s in self.scopes.items() if s.pending and not s.error]

    @property
    def status(self) -> str:
        errors = self.errors
        if not errors:
            return "success"
        return "partial" if len(errors) < len(self.scopes) else "failed"

    @contextlib.contextmanager
    def scope(self, name: str) -> Iterator[ScopeOutcome]:
        """Work on one scope; an exception inside marks only this scope failed and is logged."""
        outcome = self.scopes.setdefault(name, ScopeOutcome())
        try:
            yield outcome
        except OutOfTime as stop:
            outcome.pending = str(stop)
            log.info("scope %s paused: %s; it resumes from its checkpoint next run", name, stop,
                     extra={"scope": name})
        except Exception as exc:
            outcome.error = f"{type(exc).__name__}: {exc}"[:1000]
            log.exception("scope %s failed", name, extra={"scope": name})


@dataclass(frozen=True)
class Run:
    run_id: str
    function_name: str
    started_at: dt.datetime
    held_by: str | None = None
    """The run of the same function that holds it (exclusive, started first, within its deadline): this one
    must do nothing and close `skipped` (a duplicate delivery, or an overlap with a run still going)."""


class RunLedger:
    def __init__(self, warehouse: Warehouse, clock: Clock = utcnow) -> None:
        self.warehouse = warehouse
        self.clock = clock

    def start(self, function_name: str, source_system: str, params: dict[str, Any], trigger: str,
              timeout_seconds: float = 540, exclusive: bool = True) -> Run:
        """Open a run (its deadline: the function's timeout plus a margin), record the function's earlier runs
        that are still open past their deadline as abandoned, and say which run holds the function, if any.

        An exclusive run holds its function from its start until it closes or its deadline passes, so that two
        deliveries of one scheduled request (Cloud Scheduler is at-least-once) or overlapping runs never write
        the same tables at once (concurrent MERGEs into one BigQuery table fail to serialize). The holder is the
        earliest open run, so of two runs starting together exactly one goes ahead: each appends its `running`
        row before it looks for the others. A run that is not exclusive (a read-only search) neither holds nor
        waits."""
        run = Run(uuid.uuid4().hex, function_name, self.clock())
        deadline = run.started_at + dt.timedelta(seconds=timeout_seconds) + DEADLINE_MARGIN
        self.warehouse.query("jobs/ledger_start_run.sql", {
            "run_id": run.run_id, "function_name": function_name, "source_system": source_system,
            "started_at": run.started_at, "deadline_at": deadline, "trigger": trigger,
            "request_params": json.dumps(params, default=str, sort_keys=True), "exclusive": exclusive,
        })
        others = self.warehouse.query("jobs/ledger_open_runs.sql", {
            "function_name": function_name, "run_id": run.run_id, "now": run.started_at})
        self._record_abandoned(run, [row for row in others if row["past_deadline"]])
        holders = sorted((row["started_at"], row["run_id"]) for row in others
                         if exclusive and row["holds"] and not row["past_deadline"])
        return replace(run, held_by=holders[0][1]) if holders else run

    def _record_abandoned(self, run: Run, found: list[dict[str, Any]]) -> None:
        if not found:
            return
        for row in found:
            log.error("run abandoned: %s started %s was still running past its deadline %s", row["run_id"],
                      row["started_at"], row["deadline_at"],
                      extra={"abandoned_run_id": row["run_id"], "status": "abandoned"})
        self.warehouse.query("jobs/ledger_record_abandoned.sql", {
            "run_ids": Typed([row["run_id"] for row in found], "ARRAY<STRING>"), "now": run.started_at,
            "error_message": f"abandoned: still running past its deadline; recorded by run {run.run_id}"})

    def finish(self, run: Run, result: JobResult, status: str | None = None,
               error_message: str | None = None) -> str:
        status = status or result.status
        if status not in STATUSES:
            raise ValueError(f"unknown run status {status!r}")
        completed = self.clock()
        errors = result.errors
        message = error_message or ("; ".join(f"{k}: {v}" for k, v in errors.items()) or None)
        self._record_scopes(run, result, completed)
        self.warehouse.query("jobs/ledger_finish_run.sql", {
            "run_id": run.run_id, "status": status, "completed_at": completed,
            "duration_seconds": (completed - run.started_at).total_seconds(),
            "rows_processed": sum(result.counts.values()),
            "error_message": Typed(message and message[:4000], "STRING"),
            "counts": json.dumps(result.counts, sort_keys=True),
            "errors": json.dumps(errors, sort_keys=True),
            "pending_scopes": Typed(json.dumps(result.pending) if result.pending else None, "STRING"),
        })
        return status

    def _record_scopes(self, run: Run, result: JobResult, completed: dt.datetime) -> None:
        rows = [{
            "run_id": run.run_id, "function_name": run.function_name, "scope": name,
            "status": outcome.status, "rows_processed": outcome.rows,
            "error_message": outcome.error or outcome.pending, "completed_at": completed,
        } for name, outcome in result.scopes.items()]
        if rows:
            self.warehouse.append("etl_run_scopes", rows)

    def _later_now(self) -> dt.datetime:
        """The clock, but strictly after the previous save of this ledger: the latest cursor is the last saved."""
        now = self.clock()
        last: dt.datetime | None = self.__dict__.get("_last_save")
        if last is not None and now <= last:
            now = last + dt.timedelta(microseconds=1)
        self.__dict__["_last_save"] = now
        return now

    def get_cursor(self, job: str, scope: str) -> str | None:
        rows = self.warehouse.query("jobs/sync_state_get.sql", {"job": job, "scope": scope})
        return rows[0]["cursor_value"] if rows else None

    def set_cursor(self, job: str, scope: str, value: str, run_id: str | None = None) -> None:
        """Call only after the data the cursor covers has been merged. Appends (see sync_state_log)."""
        self.warehouse.query("jobs/sync_state_set.sql", {
            "job": job, "scope": scope, "cursor_value": Typed(value, "STRING"), "updated_at": self._later_now(),
            "run_id": Typed(run_id, "STRING")})
