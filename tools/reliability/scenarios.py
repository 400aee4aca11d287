"""The scenarios: each injects one fault into a function's runs on a fresh warehouse and says whether the runs
ended as documented; the runner then compares the final tables with the clean run's.

A scenario is data (name, what it proves, `play`, which functions it applies to); this module holds the crash
and duplicate-delivery ones, and tools/reliability/catalog.py lists every scenario of the suite.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from shared import ledger
from tools.pipeline import FunctionEntry
from tools.reliability.compare import Snapshot
from tools.reliability.faults import InstanceKilled, fail_write, kill_after_batches
from tools.reliability.stage import Stage, environment

KILL_AFTER_BATCHES = 1
FAILING_WRITE = 2
KILLED_RUN_TIMEOUT = {"FUNCTION_TIMEOUT_SECONDS": "1", "TIME_BUDGET_SECONDS": "3600"}
"""The killed run's deadline passes a second after it starts (the ledger's margin is 0 meanwhile), so the rerun
finds it abandoned without waiting out the real timeout; its own budget stays unlimited."""


@dataclass
class Played:
    injected: bool
    survived: bool
    notes: list[str]
    after_fault: Snapshot | None = None
    """The tables right after the faulted run, before any rerun: where a cursor ahead of data would show."""


def every_function(entry: FunctionEntry) -> bool:
    return True


@dataclass(frozen=True)
class Scenario:
    name: str
    proves: str
    play: Callable[[Stage], Played]
    applies: Callable[[FunctionEntry], bool] = every_function
    """Whether the scenario means something for a function (a source fault, for one that calls a source)."""


def _ok(answer: tuple[int, dict[str, Any]]) -> bool:
    return answer[0] == 200 and answer[1].get("status") == "success"


def _describe(answer: tuple[int, dict[str, Any]]) -> str:
    return f"HTTP {answer[0]} {answer[1].get('status')} errors={list(answer[1].get('errors', {}))[:3]}"


@contextlib.contextmanager
def _no_deadline_margin() -> Iterator[None]:
    saved = ledger.DEADLINE_MARGIN
    ledger.DEADLINE_MARGIN = dt.timedelta(0)
    try:
        yield
    finally:
        ledger.DEADLINE_MARGIN = saved


def crash_after_batches(stage: Stage) -> Played:
    stage.fresh_instance()
    killed: str | None = None
    with _no_deadline_margin(), kill_after_batches(KILL_AFTER_BATCHES) as trip:
        try:
            first = stage.invoke(KILLED_RUN_TIMEOUT)
        except InstanceKilled as death:
            killed = str(death)
    notes = [killed or f"never reached batch boundary {KILL_AFTER_BATCHES}: {_describe(first)}"]
    after = stage.snapshot()
    time.sleep(1.2)
    stage.fresh_instance()
    rerun = stage.invoke()
    runs = stage.runs()
    notes.append(f"rerun {_describe(rerun)}; runs: {[r['status'] for r in runs]}")
    survived = _ok(rerun) and (not trip.fired or runs[0]["status"] == "abandoned")
    return Played(trip.fired, survived, notes, after)


def merge_failure(stage: Stage) -> Played:
    stage.fresh_instance()
    with fail_write(FAILING_WRITE) as trip:
        first = stage.invoke()
    after = stage.snapshot()
    [run] = stage.runs()
    status = first[1].get("status")
    documented = (status == "failed" and first[0] == 500) or (status == "partial" and first[0] == 200)
    stage.fresh_instance()
    rerun = stage.invoke()
    notes = [f"faulted run {_describe(first)}, ledger {run['status']}", f"rerun {_describe(rerun)}"]
    if not trip.fired:
        return Played(False, _ok(first) and _ok(rerun), [f"fewer than {FAILING_WRITE} data writes", *notes], after)
    survived = documented and run["status"] == status and _ok(rerun)
    return Played(True, survived, notes, after)


def twice_in_a_row(stage: Stage) -> Played:
    stage.fresh_instance()
    answers = [stage.invoke(), stage.invoke()]
    return Played(True, all(map(_ok, answers)), [", ".join(map(_describe, answers))])


def twice_concurrently(stage: Stage) -> Played:
    """Two deliveries of one request served at once by one instance (two threads, one warehouse connection)."""
    stage.fresh_instance()
    gate = threading.Barrier(2)
    answers: list[tuple[int, dict[str, Any]]] = []
    failures: list[str] = []

    def deliver() -> None:
        gate.wait()
        try:
            answers.append(stage.deliver())
        except Exception as exc:
            failures.append(f"{type(exc).__name__}: {exc}"[:200])

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    with environment(stage.settings()):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    runs = stage.runs()
    refused = [a for a in answers if a[0] == 409 and a[1].get("status") == "skipped"]
    held = [a[1].get("held_by") for a in refused]
    ran = [r["run_id"] for r in runs if r["status"] != "skipped"]
    overlap = len(ran) == 2 and runs[1]["started_at"] < (runs[0]["completed_at"] or runs[1]["started_at"])
    notes = [", ".join(map(_describe, answers)) + (f"; raised {failures}" if failures else ""),
             f"one refused, held by the other: {held == ran}" if refused
             else "both ran at once (nothing held the function)" if overlap else "both ran, one after the other"]
    survived = (not failures and len(answers) == 2 and all(_ok(a) or a in refused for a in answers)
                and len(refused) <= 1 and (held == ran if refused else not overlap))
    return Played(True, survived, notes)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("crash_after_batches", "an instance killed after a committed batch: the rerun ends equal to the clean "
             "run and records the killed run abandoned", crash_after_batches),
    Scenario("merge_failure", "a warehouse write raising mid-run: the run is failed (HTTP 500) or partial, no "
             "cursor ahead, the rerun completes equal to the clean run", merge_failure),
    Scenario("twice_in_a_row", "the scheduler delivering a request twice: no duplicate rows", twice_in_a_row),
    Scenario("twice_concurrently", "two deliveries at once: no duplicate rows; one runs, the other is refused "
             "(HTTP 409 skipped, held by the first) unless they did not overlap", twice_concurrently),
)


def by_name(names: list[str] | None, among: tuple[Scenario, ...] = SCENARIOS) -> list[Scenario]:
    if not names:
        return list(among)
    known = {s.name: s for s in among}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise KeyError(f"unknown scenario(s) {unknown}; known: {', '.join(known)}")
    return [known[n] for n in names]
