"""Page anomalies of the paged sources (issue 15): a page served twice, a page that vanishes between two reads,
and an empty page that still names a next page.

Each source's listing is altered through the sandbox's `rewrite` faults, on real answers: a recorder keeps the
last page each listing served (listings are sequential: Salesforce object after object, one Gmail mailbox at a
time, Dialpad window after window), and the first follow-up page request of the run is answered with:

- `page_twice`: the previous page again, its items and its own next token (which is the token just sent). That
  is what every one of these APIs does with a replayed token: their tokens name a position (Salesforce's locator
  and offset, Gmail's and Dialpad's last key, Anthropic's next bucket), so the same token lists the same page.
  The client sees that page's items twice and must follow the token again: no duplicate rows, nothing lost.
- `empty_page_with_token`: zero items and a next token that is a different string for the position the client
  already stands at (a server that stopped scanning before it found an item hands out where it stopped); the
  client must follow it and lose nothing.
- `page_vanishes`: the next page is gone between two reads, with the source's documented answer for a token
  that no longer works: Salesforce 400 INVALID_QUERY_LOCATOR, Dialpad 400 "Invalid cursor.", Anthropic 400
  invalid_request_error, Gmail 400 "Invalid pageToken" (in the batch part of messages.list). The run ends as
  documented (that object, the calls scope, the anthropic source or the mailbox fails with that error, the run
  `partial` or `failed`), no cursor ahead of the data, and the rerun resumes and ends equal to the clean run.
  (A listed Gmail message answering 404 to messages.get is a message deleted in between: it is skipped and
  counted as deleted, by design; the harness cannot judge it against a clean run in which it still exists, so
  tests/integration/test_reliability_pages.py covers it.)

Every scenario reruns the function on a fresh instance without faults, so the tables judged are the final ones.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.faults import Fault
from tools.pipeline import FunctionEntry
from tools.reliability.scenarios import Played, Scenario
from tools.reliability.stage import Stage

Body = dict[str, Any]
Answer = tuple[int, dict[str, Any]]
SALESFORCE_VERSION = "v59.0"


def _json(data: bytes) -> Body | None:
    try:
        found = json.loads(data)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def _dumps(body: Body) -> bytes:
    return json.dumps(body).encode()


@dataclass
class Pager:
    """How one source pages on the wire, as the sandbox serves it."""

    name: str
    first_path: str
    """Where its listing's first pages are asked for (GET)."""
    first_when: Callable[[dict[str, list[str]]], bool]
    next_path: str
    """Where a follow-up page is asked for."""
    next_when: Callable[[dict[str, list[str]]], bool] | None
    next_token: Callable[[Body], str | None]
    emptied: Callable[[Body, str], Body]
    """The previous page → an empty page naming `alias` as the next page."""
    alias: Callable[[str], str]
    """A next token → another string for the same position."""
    vanished: dict[str, Any]
    """The source's error for a page that can no longer be read: status and body."""


def _args_lack(name: str) -> Callable[[dict[str, list[str]]], bool]:
    return lambda args: not args.get(name)


def _args_have(name: str) -> Callable[[dict[str, list[str]]], bool]:
    return lambda args: bool(args.get(name))


def _salesforce_next(body: Body) -> str | None:
    return None if body.get("done", True) else body.get("nextRecordsUrl")


def _salesforce_alias(url: str) -> str:
    head, _, offset = url.rpartition("-")
    return f"{head}-0{offset}"


def _dialpad_alias(cursor: str) -> str:
    text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    started, call_id = text.split(":")
    return base64.urlsafe_b64encode(f"{started}:0{call_id}".encode()).decode().rstrip("=")


def _anthropic_alias(token: str) -> str:
    day = base64.urlsafe_b64decode(token.removeprefix("page_").encode()).decode()
    return "page_" + base64.urlsafe_b64encode(day.replace("-", "").encode()).decode()


def _gmail_alias(token: str) -> str:
    """Gmail's fake lists what sorts below `(epoch ms, id)`; an id just below the last listed one (hex ids:
    nothing fits between) names the same position."""
    stem, last = token[:-1], token[-1]
    return f"{stem}{chr(ord(last) - 1)}~"


PAGERS: dict[str, Pager] = {
    "salesforce-sync": Pager(
        "salesforce", "/services/data/", _args_have("q"), f"/services/data/{SALESFORCE_VERSION}/queryAll/01gSB",
        None, _salesforce_next,
        lambda last, alias: {"totalSize": last.get("totalSize", 0), "done": False, "nextRecordsUrl": alias,
                             "records": []},
        _salesforce_alias,
        {"status": 400, "body": [{"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}]}),
    "dialpad-sync": Pager(
        "dialpad", "/api/v2/call", _args_lack("cursor"), "/api/v2/call", _args_have("cursor"),
        lambda body: body.get("cursor") or None, lambda last, alias: {"cursor": alias, "items": []},
        _dialpad_alias,
        {"status": 400, "body": {"error": {"code": 400, "message": "Invalid cursor.", "errors": [
            {"domain": "global", "reason": "invalid", "message": "Invalid cursor."}]}}}),
    "gmail-sync": Pager(
        "gmail", "/gmail/v1/users/", _args_lack("pageToken"), "/batch", None,
        lambda body: body.get("nextPageToken"),
        lambda last, alias: {"nextPageToken": alias, "resultSizeEstimate": last.get("resultSizeEstimate", 0)},
        _gmail_alias,
        {"status": 400, "body": {"error": {"code": 400, "message": "Invalid pageToken", "errors": [
            {"message": "Invalid pageToken", "domain": "global", "reason": "invalidArgument"}],
            "status": "INVALID_ARGUMENT"}}}),
    "usage-collect": Pager(
        "anthropic", "/v1/organizations/usage_report/messages", _args_lack("page"),
        "/v1/organizations/usage_report/messages", _args_have("page"),
        lambda body: body.get("next_page") if body.get("has_more") else None,
        lambda last, alias: {"data": [], "has_more": True, "next_page": alias}, _anthropic_alias,
        {"status": 400, "body": {"type": "error", "error": {
            "type": "invalid_request_error", "message": "page: invalid page token"}}}),
}


def pages(entry: FunctionEntry) -> bool:
    """The function reads a source that pages (generate-embeddings does not)."""
    return entry.cloud_name in PAGERS


@dataclass
class Recorder:
    """Keeps the last page a listing served; the altered follow-up is built from it."""

    pager: Pager
    last: Body | None = None
    served: list[str] = field(default_factory=list)
    """What was altered, for the notes."""

    def keep(self, data: bytes) -> bytes:
        body = _json(data)
        if body is not None and self._is_page(body):
            self.last = body
        return data

    def _is_page(self, body: Body) -> bool:
        return PAGE_MARKS[self.pager.name] in body


PAGE_MARKS = {"salesforce": "records", "dialpad": "items", "gmail": "resultSizeEstimate", "anthropic": "data"}
"""A field every list page of the source has (and its other answers lack)."""


PART = re.compile(rb"(HTTP/1\.1 )(\d{3} [^\r\n]*)(\r\n.*?\r\n\r\n)(\{[^\r\n]*\})(\r\n)", re.S)


class GmailBatch:
    """Alters the first messages.list answer (or, for page_vanishes, the first messages.get answer) inside a
    batch answer: Gmail's follow-up pages ride in batches with message gets."""

    def __init__(self, alter: Callable[[Body], Body | None], status: str = "200 OK") -> None:
        self.alter, self.status, self.done = alter, status.encode(), False

    def __call__(self, data: bytes) -> bytes:
        if self.done:
            return data
        for match in PART.finditer(data):
            body = _json(match.group(4))
            replaced = self.alter(body) if body is not None else None
            if replaced is None:
                continue
            self.done = True
            part = match.group(1) + self.status + match.group(3) + _dumps(replaced) + match.group(5)
            return data[:match.start()] + part + data[match.end():]
        return data


def _install(stage: Stage, scenario: str) -> tuple[Recorder, list[Fault]]:
    pager = PAGERS[stage.entry.cloud_name]
    recorder = Recorder(pager)
    faults = stage.sandbox.faults
    target = _target(pager, recorder, scenario)(faults)
    recorder_fault = faults.add(pager.first_path, status=None, retry_after=None, times=None, method="GET",
                                rewrite=recorder.keep, when=pager.first_when)
    return recorder, [target, recorder_fault]


def _target(pager: Pager, recorder: Recorder, scenario: str) -> Callable[[Any], Fault]:
    """The fault on the first follow-up page request (added before the recorder: the first live match wins)."""
    if pager.name == "gmail":
        batch = _gmail_batch(pager, recorder, scenario)
        return lambda faults: faults.add(pager.next_path, status=None, retry_after=None, times=None,
                                         method="POST", rewrite=batch)
    if scenario == "page_vanishes":
        return lambda faults: faults.add(pager.next_path, retry_after=None, times=1, method="GET",
                                         when=pager.next_when, **pager.vanished)
    rewrite = _replayed(recorder) if scenario == "page_twice" else _emptied(recorder)
    return lambda faults: faults.add(pager.next_path, status=None, retry_after=None, times=1, method="GET",
                                     when=pager.next_when, rewrite=rewrite)


def _replayed(recorder: Recorder) -> Callable[[bytes], bytes]:
    def rewrite(data: bytes) -> bytes:
        if recorder.last is None:
            return data
        token = recorder.pager.next_token(recorder.last)
        recorder.served.append(f"served the previous page again (next token {token})")
        return _dumps(recorder.last)
    return rewrite


def _emptied(recorder: Recorder) -> Callable[[bytes], bytes]:
    def rewrite(data: bytes) -> bytes:
        token = recorder.pager.next_token(recorder.last) if recorder.last else None
        if token is None or recorder.last is None:
            return data
        alias = recorder.pager.alias(token)
        recorder.served.append(f"served an empty page naming {alias}")
        return _dumps(recorder.pager.emptied(recorder.last, alias))
    return rewrite


def _gmail_batch(pager: Pager, recorder: Recorder, scenario: str) -> GmailBatch:
    def listed(body: Body) -> bool:
        return "resultSizeEstimate" in body

    def alter(body: Body) -> Body | None:
        if not listed(body) or recorder.last is None:
            return None
        if scenario == "page_vanishes":
            recorder.served.append(f"messages.list answered 400 Invalid pageToken for "
                                   f"{pager.next_token(recorder.last)}")
            return pager.vanished["body"]
        if scenario == "page_twice":
            recorder.served.append(f"served the previous page again (next token {pager.next_token(recorder.last)})")
            return recorder.last
        token = pager.next_token(recorder.last)
        if token is None:
            return None
        alias = pager.alias(token)
        recorder.served.append(f"served an empty page naming {alias}")
        return pager.emptied(recorder.last, alias)

    return GmailBatch(alter, "400 Bad Request" if scenario == "page_vanishes" else "200 OK")


def _ok(answer: Answer) -> bool:
    return answer[0] == 200 and answer[1].get("status") == "success"


def _describe(answer: Answer) -> str:
    errors = answer[1].get("errors") or {}
    return f"HTTP {answer[0]} {answer[1].get('status')} errors={ {k: str(v)[:120] for k, v in errors.items()} }"


def _documented_failure(pager: Pager, answer: Answer, ledger_status: str) -> bool:
    """A vanished page fails its scope with the source's error: partial (HTTP 200) or failed (HTTP 500)."""
    status = answer[1].get("status")
    if (status, answer[0]) not in (("partial", 200), ("failed", 500)) or ledger_status != status:
        return False
    errors = " ".join(str(v) for v in (answer[1].get("errors") or {}).values())
    expected = {"salesforce": "INVALID_QUERY_LOCATOR", "dialpad": "HTTP 400", "anthropic": "HTTP 400",
                "gmail": "HTTP 400"}[pager.name]
    return expected in errors


def _play(scenario: str) -> Callable[[Stage], Played]:
    def play(stage: Stage) -> Played:
        pager = PAGERS[stage.entry.cloud_name]
        recorder, faults = _install(stage, scenario)
        stage.fresh_instance()
        try:
            first = stage.invoke()
        finally:
            for fault in faults:
                stage.sandbox.faults.remove(fault)
        after = stage.snapshot()
        [run] = stage.runs()
        stage.fresh_instance()
        rerun = stage.invoke()
        vanished = scenario == "page_vanishes" and faults[0].hits > 0 and pager.name != "gmail"
        if vanished:
            recorder.served.append(f"{pager.name} answered {pager.vanished['status']} to a follow-up page")
        injected = bool(recorder.served)
        notes = [*(recorder.served or ["no follow-up page was requested"]),
                 f"faulted run {_describe(first)}, ledger {run['status']}", f"rerun {_describe(rerun)}"]
        if scenario == "page_vanishes" and injected:
            survived = _documented_failure(pager, first, run["status"]) and _ok(rerun)
        else:
            survived = _ok(first) and _ok(rerun)
        return Played(injected, survived, notes, after)

    return play


PAGE_FAULT_SCENARIOS: tuple[Scenario, ...] = (
    Scenario("page_twice", "a page served again for the next page's request (a replayed token): no duplicate "
             "rows, nothing lost, the run succeeds", _play("page_twice"), pages),
    Scenario("page_vanishes", "what a page held gone between two reads (an expired locator, cursor or page token; "
             "a listed Gmail message 404): the scope fails with the source's error or the item is skipped and "
             "counted, no cursor ahead, the rerun completes", _play("page_vanishes"), pages),
    Scenario("empty_page_with_token", "a page with no items that names a next page: followed, nothing lost",
             _play("empty_page_with_token"), pages),
)
