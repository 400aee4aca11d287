"""Source faults: throttling, 5xx bursts, slow answers and resets, malformed bodies, expired tokens and a dead
source, injected on the sandbox paths each function's sources answer on (tools/reliability/sources.py).

Transient faults (throttled, server_errors, slow_and_reset) fit inside one call's bounded retries, so the faulted
run itself must succeed. The others fail a scope as documented (HTTP 500 `failed` or HTTP 200 `partial`, the error
naming the source) and a rerun on a fresh instance completes; usage-collect gets each fault on all three of its
sources in the same run.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from sandbox.apis.salesforce_org import salesforce_org
from sandbox.faults import Fault
from tools.pipeline import FunctionEntry
from tools.reliability.scenarios import Played, Scenario
from tools.reliability.sources import Source, calls_a_source, sources_of
from tools.reliability.stage import Stage

Answer = tuple[int, dict[str, Any]]

SLOW_ENV = {"HTTP_READ_TIMEOUT": "1"}
SLOW_DELAY = 1.5
"""An answer that starts after the read timeout: the client gives up on it and asks again."""
DEAD_ENV = {"HTTP_MAX_RETRIES": "2", "BREAKER_FAILURE_THRESHOLD": "3"}
"""Small figures so that the dead source's bound is reached fast: each call tries 1 + HTTP_MAX_RETRIES times, a
breaker opens after BREAKER_FAILURE_THRESHOLD failed calls and stays open for its 60 s cooldown."""
BREAKERS: dict[str, Callable[[Stage], int]] = {
    "salesforce-sync": lambda stage: 1,
    "dialpad-sync": lambda stage: 2,
    "gmail-sync": lambda stage: len(stage.sandbox.world.mailboxes),
    "usage-collect": lambda stage: 3,
    "generate-embeddings": lambda stage: 1,
}
"""Circuit breakers per function (one per HttpPolicy source name): salesforce; dialpad-list and
dialpad-transcripts; one per gmail mailbox; anthropic, cursor and sheets; vertex."""
BROKEN_JSON = b'{"records": [{"Id": "001broken", "Name": }]'
SALESFORCE_EXPIRES_AFTER = 3
"""Salesforce sessions expire before the data request that follows this many."""
ERROR_WORDS = ("circuit", "401", "503", "unauthor", "unauthent", "jsondecodeerror", "malformed", "parse")
"""Besides the source's name, what an error naming the source's failure contains."""
TOKEN_REFUSED = {"error": {"code": 401, "message": "Request had invalid authentication credentials.",
                           "status": "UNAUTHENTICATED"}}


def _ok(answer: Answer) -> bool:
    return answer[0] == 200 and answer[1].get("status") == "success"


def _failed_as_documented(answer: Answer) -> bool:
    status = answer[1].get("status")
    return (answer[0] == 500 and status == "failed") or (answer[0] == 200 and status == "partial")


def _describe(answer: Answer) -> str:
    errors = answer[1].get("errors") or {}
    shown = {k: str(v)[:120] for k, v in list(errors.items())[:3]} if isinstance(errors, dict) else str(errors)[:200]
    return f"HTTP {answer[0]} {answer[1].get('status')} errors={shown}"


def _errors_text(answer: Answer) -> str:
    return json.dumps(answer[1].get("errors") or answer[1].get("error") or "").lower()


def _kind(fault: Fault) -> str:
    if fault.reset:
        return "reset"
    if fault.truncate:
        return "truncated"
    if fault.rewrite is not None:
        return "rewritten"
    return f"delayed {fault.delay:g}s" if fault.status is None else str(fault.status)


def _hits(faults: list[Fault]) -> str:
    return ", ".join(f"{f.path_prefix} {_kind(f)} x{f.hits}" for f in faults)


def _requests(stage: Stage, source: Source) -> int:
    return sum(stage.sandbox.log.count(path_prefix=p) for p in source.paths)


def _transient(stage: Stage, add: Callable[[Stage, Source], list[Fault]], env: dict[str, str] | None = None
               ) -> Played:
    """Faults a call's retries absorb: the faulted run succeeds, every fault was met."""
    stage.fresh_instance()
    faults = [f for source in sources_of(stage.entry) for f in add(stage, source)]
    answer = stage.invoke(env)
    injected = all(f.used_up for f in faults)
    counts = ", ".join(f"{s.name} {_requests(stage, s)} requests" for s in sources_of(stage.entry))
    return Played(injected, _ok(answer), [f"run {_describe(answer)}", f"injected {_hits(faults)}", counts])


def _failing(stage: Stage, rounds: list[Callable[[Stage, Source], list[Fault]]], env: dict[str, str] | None = None,
             judge: Callable[[Stage, Answer], tuple[bool, list[str]]] | None = None) -> Played:
    """Faults that may fail a scope, one faulted run per round (each on a fresh instance): a run succeeds (it
    retried) or fails as documented with the source or its error named; then faults cleared, a fresh instance
    reruns and succeeds. The tables after the first faulted run are where a cursor ahead would show."""
    injected, survived, notes, after = True, True, [], None
    for add in rounds:
        stage.sandbox.faults.clear()
        stage.fresh_instance()
        faults = [f for source in sources_of(stage.entry) for f in add(stage, source)]
        answer = stage.invoke(env)
        after = after or stage.snapshot()
        injected = injected and any(f.hits > 0 for f in faults)
        text = _errors_text(answer)
        named = any(word in text for s in sources_of(stage.entry) for word in (s.name, *ERROR_WORDS))
        survived = survived and (_ok(answer) or (_failed_as_documented(answer) and named))
        notes += [f"faulted run {_describe(answer)}", f"injected {_hits(faults)}"]
        if judge is not None:
            judged, more = judge(stage, answer)
            survived, notes = survived and judged, [*notes, *more]
    stage.sandbox.faults.clear()
    stage.fresh_instance()
    rerun = stage.invoke()
    notes.append(f"rerun {_describe(rerun)}")
    return Played(injected, survived and _ok(rerun), notes, after)


def throttled(stage: Stage) -> Played:
    def add(stage: Stage, source: Source) -> list[Fault]:
        listing = source.paths[0]
        return [stage.sandbox.faults.add(listing, status=429, retry_after=0, times=2),
                stage.sandbox.faults.add(listing, status=429, retry_after=None, times=2)]
    return _transient(stage, add)


def server_errors(stage: Stage) -> Played:
    def add(stage: Stage, source: Source) -> list[Fault]:
        return [stage.sandbox.faults.add(source.paths[0], status=status, retry_after=None, times=1)
                for status in (500, 502, 503, 504)]
    return _transient(stage, add)


def slow_and_reset(stage: Stage) -> Played:
    def add(stage: Stage, source: Source) -> list[Fault]:
        listing = source.paths[0]
        return [stage.sandbox.faults.add(listing, status=None, delay=SLOW_DELAY, times=1),
                stage.sandbox.faults.add(listing, reset=True, times=1)]
    return _transient(stage, add, SLOW_ENV)


def _data_page(source: Source) -> str:
    """The path whose answers carry the records (gmail's messages come in the batch answers)."""
    return source.paths[-1] if source.name == "gmail" else source.paths[0]


def malformed_bodies(stage: Stage) -> Played:
    def truncated(stage: Stage, source: Source) -> list[Fault]:
        return [stage.sandbox.faults.add(_data_page(source), truncate=True, times=1)]

    def broken(stage: Stage, source: Source) -> list[Fault]:
        return [stage.sandbox.faults.add(_data_page(source), rewrite=lambda body: BROKEN_JSON, times=1)]
    return _failing(stage, [truncated, broken])


def token_expiry(stage: Stage) -> Played:
    """Salesforce re-authenticates once when its session expires between two data requests; the other sources
    hold a static key or token (Dialpad, Anthropic, Cursor keys; Gmail, Sheets, Vertex static tokens in the
    sandbox), so a 401 is not transient for them: the scope fails naming the auth error and the rerun completes."""
    if stage.entry.cloud_name == "salesforce-sync":
        return _salesforce_expiry(stage)

    def add(stage: Stage, source: Source) -> list[Fault]:
        return [stage.sandbox.faults.add(source.paths[0], status=401, retry_after=None, times=1,
                                         body=TOKEN_REFUSED)]
    return _failing(stage, [add])


def _salesforce_expiry(stage: Stage) -> Played:
    org = salesforce_org(stage.sandbox.state)
    [source] = sources_of(stage.entry)
    seen, lock, expired = [0], threading.Lock(), [0]

    def expire_once(args: dict[str, list[str]]) -> bool:
        with lock:
            seen[0] += 1
            if seen[0] == SALESFORCE_EXPIRES_AFTER + 1:
                expired[0] = org.expire_sessions()
        return False

    stage.fresh_instance()
    stage.sandbox.faults.add(source.paths[0], status=None, times=None, when=expire_once)
    answer = stage.invoke()
    assert source.auth_path is not None
    tokens = stage.sandbox.log.count(path_prefix=source.auth_path)
    refused = len(stage.sandbox.log.matching(path_prefix=source.paths[0], status=401))
    notes = [f"run {_describe(answer)}", f"{expired[0]} session(s) expired after {SALESFORCE_EXPIRES_AFTER} data "
             f"requests; {refused} request(s) refused 401; {tokens} token requests (1 login + 1 re-auth)"]
    return Played(expired[0] > 0 and refused >= 1, _ok(answer) and tokens == 2, notes)


def dead_source_bound(stage: Stage) -> int:
    """Requests a dead source may receive in one run: per breaker, BREAKER_FAILURE_THRESHOLD failed calls of
    1 + HTTP_MAX_RETRIES attempts each, then the open breaker refuses every call without sending it."""
    calls = int(DEAD_ENV["BREAKER_FAILURE_THRESHOLD"])
    attempts = 1 + int(DEAD_ENV["HTTP_MAX_RETRIES"])
    return BREAKERS[stage.entry.cloud_name](stage) * calls * attempts


def dead_source(stage: Stage) -> Played:
    def add(stage: Stage, source: Source) -> list[Fault]:
        return [stage.sandbox.faults.add(path, status=503, retry_after=None, times=None) for path in source.paths]

    def judge(stage: Stage, answer: Answer) -> tuple[bool, list[str]]:
        received = sum(_requests(stage, s) for s in sources_of(stage.entry))
        bound = dead_source_bound(stage)
        text = _errors_text(answer)
        says = "circuit" in text and "open" in text
        return (_failed_as_documented(answer) and received <= bound and (says or "503" in text),
                [f"dead source received {received} requests (bound {bound})",
                 "errors say the circuit is open" if says else "errors name the 503 (no breaker needed)"])
    return _failing(stage, [add], DEAD_ENV, judge)


def _applies(entry: FunctionEntry) -> bool:
    return calls_a_source(entry)


SOURCE_FAULT_SCENARIOS: tuple[Scenario, ...] = (
    Scenario("throttled", "429 storms with Retry-After 0 s and without: retried within the bounded retries, the "
             "run succeeds equal to the clean run", throttled, _applies),
    Scenario("server_errors", "a 500/502/503/504 burst on the listing: retried, the run succeeds equal",
             server_errors, _applies),
    Scenario("slow_and_reset", "an answer slower than HTTP_READ_TIMEOUT and a connection reset: retried, the run "
             "succeeds equal", slow_and_reset, _applies),
    Scenario("malformed_bodies", "a truncated and a syntactically broken JSON data page: retried or the scope "
             "fails naming the source, no cursor ahead, the rerun completes equal", malformed_bodies, _applies),
    Scenario("token_expiry", "Salesforce's session expiring mid-run: exactly one re-auth, success equal; a 401 "
             "from a static-key source fails the scope naming the auth error, the rerun completes equal",
             token_expiry, _applies),
    Scenario("dead_source", "a source answering 503 to everything: at most breakers x threshold x (1 + retries) "
             "requests reach it, the run fails saying the circuit is open, the rerun completes equal",
             dead_source, _applies),
)
