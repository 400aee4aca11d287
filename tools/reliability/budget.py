"""The time_budget scenario: a budget so small that a function needs several invocations to finish its work.

The budget is counted in batches, not seconds, so that it bites at the same boundary on every machine: while
`budget_in_batches` is active every `TimeBudget` reads a clock that advances one second at each `checkpoint`
passed (one per committed batch), so TIME_BUDGET_SECONDS=K runs out during the K-th batch of an invocation.
The scenario runs the function cleanly on a side copy of its warehouse (the reference request log), then
invokes it on the stage, a fresh instance each time as separate scheduler firings do, until no scope is pending.

"Nothing fetched twice" compares the requests of the budgeted invocations with the clean run's, each request
named by what it fetches (method, path, query, the body's digest; a Gmail batch by its parts): a request sent
more than once and more often than in the clean run fetched its records again. Tokens and describes are left
out (every fresh instance asks for them once); FETCH_ALLOWANCE documents the repeats a resumed scope needs.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import re
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from sandbox.recording import RecordedRequest
from shared.budget import TimeBudget
from tools.reliability.faults import _patched
from tools.reliability.scenarios import Played, Scenario
from tools.reliability.stage import Stage

MAX_INVOCATIONS = 100
BATCHES_PER_INVOCATION: dict[str, int] = {"gmail-sync": 3}
"""Batches an invocation may start (default 1). gmail-sync: one page per batch, otherwise one invocation per page
of its largest mailbox."""
RESTARTING = frozenset({"entity-resolution", "account-scoring"})
"""Functions whose scopes cannot resume (set-based statements over whole tables, nothing to checkpoint): a scope
cut short runs again from its first statement, so a budget smaller than a whole run never finishes. Their run is
bounded by a fixed number of statements instead; the scenario cuts one run short and lets the next finish."""
AUTH_PATHS = ("/services/oauth2/token", "/google-oauth2/token", "/google-iam")
PER_INSTANCE_SUFFIXES = ("/describe",)
"""What every fresh instance asks once (a token, an object's describe): not a fetch of records."""
LISTINGS = re.compile(r"/gmail/v1/users/[^/]+/messages(\?|$)")
"""Requests that list ids and fetch no record, which a resumed scope may repeat: a Gmail listing reads ahead
one page that the paused run did not commit, and a `full` request fired again lists a finished mailbox again
(its stored messages are not fetched again)."""
BATCH_PART = re.compile(r"^([A-Z]+) (\S+) HTTP/1\.[01]\s*$", re.MULTILINE)

Fetch = tuple[str, ...]


class BatchClock:
    """Reads, in seconds, the number of the batch in progress: 1 until the first checkpoint is passed, and so on,
    so that a budget of K seconds runs out during the K-th batch: checks of `exhausted` made in it (a listing
    deciding whether to read ahead, a position saved before the check) see the budget spent, as they would
    with a real clock, and the checkpoint after it raises."""

    def __init__(self) -> None:
        self.now = 1.0

    def __call__(self) -> float:
        return self.now


@contextlib.contextmanager
def budget_in_batches() -> Iterator[None]:
    """Every TimeBudget made meanwhile counts batches instead of seconds (see BatchClock)."""
    init, checkpoint = TimeBudget.__init__, TimeBudget.checkpoint

    def patched_init(self: TimeBudget, seconds: float, clock: Any = None, started: float | None = None) -> None:
        init(self, seconds, BatchClock(), 0.0)

    def patched_checkpoint(self: TimeBudget, where: str = "") -> None:
        checkpoint(self, where)
        if isinstance(self.clock, BatchClock):
            self.clock.now += 1

    with _patched(TimeBudget, "__init__", patched_init), _patched(TimeBudget, "checkpoint", patched_checkpoint):
        yield


def fetches(log: Iterable[RecordedRequest]) -> collections.Counter[Fetch]:
    """What each answered request fetched (a Gmail batch: each of its parts); token requests left out."""
    found: collections.Counter[Fetch] = collections.Counter()
    for item in log:
        if item.path.startswith(AUTH_PATHS) or item.path.endswith(PER_INSTANCE_SUFFIXES) or item.status >= 400:
            continue
        if item.path.startswith("/batch"):
            found.update((method, unquote(path)) for method, path in BATCH_PART.findall(item.body.decode("latin-1")))
            continue
        query = "&".join(f"{k}={v}" for k, values in sorted(item.query.items()) for v in values)
        digest = hashlib.sha256(item.body).hexdigest()[:16] if item.body else ""
        found[(item.method, item.path, query, digest)] += 1
    return found


def is_listing(fetch: Fetch) -> bool:
    return fetch[0] == "GET" and bool(LISTINGS.search(fetch[1]))


def repeated(budgeted: collections.Counter[Fetch], clean: collections.Counter[Fetch]) -> collections.Counter[Fetch]:
    """Fetches the budgeted invocations repeated more often than the clean run did. A fetch made once is new,
    not repeated: a resumed scope asks for what follows its checkpoint (a SOQL query from its high-water mark,
    a Dialpad window from the last run's start), which the clean run read through another request."""
    return collections.Counter({f: n - max(1, clean.get(f, 0)) for f, n in budgeted.items()
                                if n > max(1, clean.get(f, 0)) and not is_listing(f)})


@dataclass
class Invocations:
    answers: list[tuple[int, dict[str, Any]]]
    pending: list[list[str]]

    @property
    def finished(self) -> bool:
        return bool(self.pending) and not self.pending[-1]


def until_done(stage: Stage, batches: int, most: int = MAX_INVOCATIONS) -> Invocations:
    """Invoke (a fresh instance each time) until an answer has nothing pending, at most `most` times."""
    done = Invocations([], [])
    with budget_in_batches():
        while len(done.answers) < most and not done.finished:
            stage.fresh_instance()
            answer = stage.invoke({"TIME_BUDGET_SECONDS": str(batches)})
            done.answers.append(answer)
            done.pending.append(list(answer[1].get("pending") or []))
            if not _success(answer):
                break
    return done


def _success(answer: tuple[int, dict[str, Any]]) -> bool:
    return answer[0] == 200 and answer[1].get("status") == "success"


def clean_fetches(stage: Stage) -> collections.Counter[Fetch]:
    """The requests of a clean run from the stage's starting state, on a side copy of its warehouse."""
    side = Stage(stage.entry, stage.db_path.with_suffix(".budget-clean.duckdb"), stage.env, stage.sandbox,
                 stage.body)
    shutil.copyfile(stage.db_path, side.db_path)
    try:
        side.fresh_instance()
        answer = side.invoke()
        if answer[0] != 200 or answer[1].get("status") != "success" or answer[1].get("pending"):
            raise RuntimeError(f"the reference run of {stage.entry.cloud_name} did not finish: {answer}")
        return fetches(stage.sandbox.log.all())
    finally:
        stage.fresh_instance()
        side.db_path.unlink(missing_ok=True)
        stage.sandbox.log.clear()


def time_budget(stage: Stage) -> Played:
    name = stage.entry.cloud_name
    if name in RESTARTING:
        return _cut_then_finished(stage)
    clean = clean_fetches(stage)
    batches = BATCHES_PER_INVOCATION.get(name, 1)
    done = until_done(stage, batches)
    budgeted = fetches(stage.sandbox.log.all())
    again = repeated(budgeted, clean)
    listed = sum(n - clean.get(f, 0) for f, n in budgeted.items() if is_listing(f) and n > clean.get(f, 0))
    paused = sum(1 for scopes in done.pending if scopes)
    notes = [f"{len(done.answers)} invocations of {batches} batch(es), {paused} paused "
             f"(pending: {_pending_summary(done.pending)})",
             f"requests {budgeted.total()} vs clean {clean.total()}; records fetched again: {again.total()}"
             + (f" e.g. {sorted(again)[:3]}" if again else "")
             + (f"; id listings read again: {listed}" if listed else "")]
    if not done.finished:
        notes.append(f"not finished after {len(done.answers)} invocations: HTTP {done.answers[-1][0]} "
                     f"{done.answers[-1][1].get('status')}")
    survived = all(map(_success, done.answers)) and done.finished and not again
    return Played(paused > 0, survived, notes)


def _cut_then_finished(stage: Stage) -> Played:
    cut = until_done(stage, 1, most=1)
    stage.fresh_instance()
    rest = stage.invoke()
    notes = [f"cannot resume (whole-table statements): a run cut after its first statement left pending "
             f"{cut.pending[0]}; the next, unbudgeted, run: HTTP {rest[0]} {rest[1].get('status')} pending "
             f"{rest[1].get('pending')}"]
    survived = _success(cut.answers[0]) and _success(rest) and not rest[1].get("pending")
    return Played(bool(cut.pending[0]), survived, notes)


def _pending_summary(pending: list[list[str]]) -> str:
    scopes = collections.Counter(s for scopes in pending for s in scopes)
    return ", ".join(f"{s} x{n}" for s, n in sorted(scopes.items())) or "none"


BUDGET_SCENARIOS: tuple[Scenario, ...] = (
    Scenario("time_budget", "a budget spent within one batch per invocation (three for gmail-sync): each "
             "invocation succeeds with its paused scopes pending, fresh instances resume them until none is, the "
             "final tables equal the clean run's and no record is fetched twice; entity-resolution and "
             "account-scoring, which cannot resume, finish on the next run",
             time_budget),
)
