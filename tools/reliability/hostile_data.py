"""Hostile source data: records no sync should trust, served by the running fakes beside the world's own.

Per source the scenario adds hostile records to the fake's store (Salesforce records, Dialpad calls, Gmail
messages, mapping-sheet rows) and, where only the wire can carry the hostility (a record without its id, the
same id twice in one page, a JSON string holding an escaped lone surrogate, which no UTF-8 text can hold),
rewrites the page that lists them. One run of the function follows; each injected record's fate is checked
against the one its README documents (stored, stored flagged or sanitised, or skipped and counted with a
logged reason naming the run). Then the fakes get back exactly what they held and the injected records' rows
are deleted from the warehouse, so the runner's comparison with the clean run judges the normal records: the
hostile ones cost none of them.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sandbox.apis.dialpad import dialpad_fake
from sandbox.apis.gmail import gmail_fake
from sandbox.dialpad_wire import ABSENT, epoch_ms
from sandbox.gmail_render import render
from sandbox.gmail_store import StoredMessage
from sandbox.world import SELLER_DOMAIN
from sandbox.world_models import Address, Call
from sandbox.world_transcripts import TranscriptLine
from shared.log import current_context
from tools.pipeline import FunctionEntry
from tools.reliability.scenarios import Played, Scenario
from tools.reliability.stage import Stage

BIG_TEXT_BYTES = 10 * 1024 * 1024
LONE_SURROGATE = "\udc80"
"""Valid on the JSON wire (`"\\udc80"`), yet no UTF-8 string: BigQuery refuses it in a STRING, DuckDB too."""
TRANSCRIPT_LINES = 4000
TRANSCRIPT_LINE_CHARS = 1000
Answer = dict[str, Any]


@dataclass(frozen=True)
class Hostile:
    label: str
    fate: str
    """The documented outcome, as the report states it."""
    check: Callable[[Stage, Answer], bool]


@dataclass
class Injection:
    hostiles: list[Hostile] = field(default_factory=list)
    rows: list[tuple[str, str, list[Any]]] = field(default_factory=list)
    """(table, column, values): the injected records' rows, deleted after the checks."""
    undo: list[Callable[[], None]] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    """Counters of the answer that the injection alone raises by exactly this much."""
    log_reasons: list[str] = field(default_factory=list)
    """Substrings of the warning lines (with the run id) each skip writes."""

    def restore(self) -> None:
        for step in reversed(self.undo):
            step()


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[tuple[str, str | None]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.getMessage(), current_context().get("run_id")))


@contextlib.contextmanager
def _captured_warnings() -> Iterator[_Warnings]:
    handler = _Warnings()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def _rows(stage: Stage, table: str, column: str, value: Any) -> list[dict[str, Any]]:
    return stage.query(f"select * from {table} where {column} = @value", {"value": value})


def _json_rewrite(edit: Callable[[Any], bool]) -> Callable[[bytes], bytes]:
    """A page rewrite: `edit` changes the parsed page in place and says whether it did; ensure_ascii keeps
    a lone surrogate as its escape, as a server in another language would send it."""

    def rewrite(body: bytes) -> bytes:
        try:
            page = json.loads(body)
        except ValueError:
            return body
        return json.dumps(page).encode() if edit(page) else body

    return rewrite


# Dialpad: calls in the world's list, malformed fields through the fake's wire overrides.

def _dialpad(stage: Stage) -> Injection:
    fake = dialpad_fake(stage.sandbox.app)
    calls = stage.sandbox.state.world.calls
    ordered = sorted(calls, key=lambda c: (c.date_started, int(c.call_id)))
    template = next(c for c in reversed(ordered[:-1]) if c.transcript and c.date_connected)
    injection = Injection()
    added: list[Call] = []
    base_id = 9_100_000_000_000_000

    def call(number: int, **changes: Any) -> Call:
        made = dataclasses.replace(template, call_id=str(base_id + number),
                                   date_started=template.date_started - dt.timedelta(seconds=number), **changes)
        added.append(made)
        return made

    lines = [TranscriptLine("Rep" if i % 2 else "Customer", f"{i:05d} " + "x" * TRANSCRIPT_LINE_CHARS, i * 5.0,
                            bool(i % 2)) for i in range(TRANSCRIPT_LINES)]
    bad_phone = call(1, external_number="not-a-phone", contact={**template.contact, "phone": "12",
                                                                   "email": "no at sign"})
    huge = call(2, transcript=lines)
    surrogate = call(3, contact={**template.contact, "name": f"Bad {LONE_SURROGATE} Name"})
    duplicate = call(4)
    malformed: dict[str, tuple[Call, dict[str, Any]]] = {"no call_id": (call(5), {"call_id": ABSENT}),
                 "no date_started": (call(6), {"date_started": ABSENT}),
                 "date_started in 1970": (call(7), {"date_started": "1000"}),
                 "date_started in 2100": (call(8), {"date_started": str(epoch_ms(dt.datetime(2100, 1, 1,
                                                                                        tzinfo=dt.UTC)))})}
    with stage.sandbox.state.lock:
        calls.extend(added)
        for made, override in malformed.values():
            fake.wire_overrides[made.call_id] = override

    def undo() -> None:
        with stage.sandbox.state.lock:
            calls[:] = [c for c in calls if c not in added]
            for made, _ in malformed.values():
                fake.wire_overrides.pop(made.call_id, None)

    injection.undo.append(undo)

    served: list[str] = []

    def twice(page: Any) -> bool:
        items = page.get("items") or []
        found = [i for i in items if str(i.get("call_id")) == duplicate.call_id]
        if found:
            items.insert(0, dict(found[0]))
            served.append(duplicate.call_id)
        return bool(found)

    stage.sandbox.faults.add("/api/v2/call", status=None, times=None, method="GET", rewrite=_json_rewrite(twice),
                             when=lambda args: "started_after" in args or "cursor" in args)

    def row(made: Call) -> dict[str, Any] | None:
        found = _rows(stage, "dialpad_calls", "call_id", made.call_id)
        return found[0] if len(found) == 1 else None

    def phone_kept_raw(s: Stage, a: Answer) -> bool:
        r = row(bad_phone)
        return r is not None and r["external_number"] is None and r["external_number_raw"] == "not-a-phone" \
            and r["contact_email"] == "no at sign"

    def huge_stored(s: Stage, a: Answer) -> bool:
        r = row(huge)
        stored = _rows(stage, "dialpad_transcript_lines", "call_id", huge.call_id)
        return r is not None and r["transcript_line_count"] == TRANSCRIPT_LINES and len(stored) == TRANSCRIPT_LINES \
            and len(r["transcript_text"] or "") > TRANSCRIPT_LINES * TRANSCRIPT_LINE_CHARS

    def surrogate_replaced(s: Stage, a: Answer) -> bool:
        r = row(surrogate)
        return r is not None and r["contact_name"] == "Bad \ufffd Name"

    def once(s: Stage, a: Answer) -> bool:
        return bool(served) and row(duplicate) is not None

    def skipped(made: Call) -> Callable[[Stage, Answer], bool]:
        return lambda s, a: not _rows(stage, "dialpad_calls", "call_id", made.call_id)

    size = f"{TRANSCRIPT_LINES * TRANSCRIPT_LINE_CHARS // 1_000_000} MB"
    injection.hostiles += [
        Hostile("invalid phone and email", "stored; external_number NULL, raw number and email kept", phone_kept_raw),
        Hostile(f"{size} transcript", "stored whole: every line, transcript_text in full", huge_stored),
        Hostile("lone surrogate in contact.name", "stored with U+FFFD in its place", surrogate_replaced),
        Hostile("call_id twice in one page", "stored once", once),
        *(Hostile(label, "skipped, dialpad_calls_skipped +1", skipped(made)) for label, (made, _) in malformed.items()),
    ]
    injection.counters = {"dialpad_calls_skipped": len(malformed)}
    injection.log_reasons = ["skipped a malformed call"] * len(malformed)
    ids = [c.call_id for c in added]
    injection.rows = [("dialpad_calls", "call_id", ids), ("dialpad_transcript_lines", "call_id", ids)]
    return injection


# Gmail: messages put in one mailbox's store as they were there all along (no history event, no new history id,
# so the mailbox's cursor is the clean run's); the same id twice through the listing page.

GMAIL_TABLES = ("gmail_messages", "gmail_participants", "gmail_attachments")


def _gmail(stage: Stage) -> Injection:
    store = gmail_fake(stage.sandbox.app).store
    seed = stage.sandbox.state.world.seed
    box = max(store.mailboxes.values(), key=lambda b: len(b.messages))
    # a customer among the recipients: with its From replaced the mail still has someone outside the company, so
    # gmail-sync's privacy filter (internal-only mail is not stored) keeps it
    plain = [m for m in box.listing() if not m.email.attachments and not m.email.has_html
             and any(not a.email.lower().endswith("@" + SELLER_DOMAIN) for a in (*m.email.to, *m.email.cc))]
    template = plain[len(plain) // 2]
    injection = Injection()
    added: list[StoredMessage] = []

    def message(number: int, variant: str | None = None, **changes: Any) -> StoredMessage:
        for salt in range(10_000):
            message_id = format((epoch_ms(template.internal_at) << 20) | (0xF0000 + number * 10_000 + salt), "016x")
            email = dataclasses.replace(template.email, message_id=message_id, thread_id=message_id,
                                        rfc822_id=f"<hostile-{message_id}@sandbox.invalid>", in_reply_to=None,
                                        references=[], subject=f"hostile {number}", **changes)
            if variant is None or render(seed, email, template.internal_at).truth.variant == variant:
                break
        stored = StoredMessage(email, list(template.labels), template.internal_at - dt.timedelta(
            milliseconds=number), template.history_id)
        added.append(stored)
        return stored

    big = message(1, variant="plain", body="x" * BIG_TEXT_BYTES)
    bad_bytes = message(2, variant="plain_bad_bytes")
    bad_from = message(3, sender=Address("Mallory", "not-an-address"))
    no_from = message(4, sender=Address("", ""))
    old = message(5, sent_at=dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=dt.UTC))
    future = message(6, sent_at=dt.datetime(2100, 1, 1, tzinfo=dt.UTC))
    with store.lock:
        for stored in added:
            box.messages[stored.email.message_id] = stored
        box._listing = None

    def undo() -> None:
        with store.lock:
            for stored in added:
                box.messages.pop(stored.email.message_id, None)
            box._listing = None

    injection.undo.append(undo)

    served: list[str] = []

    def twice(page: Any) -> bool:
        """The first listing page the sync reads gets its first id again at its end."""
        listed = page.get("messages") if isinstance(page, dict) else None
        if served or not listed:
            return False
        listed.append(dict(listed[0]))
        served.append(listed[0]["id"])
        return True

    stage.sandbox.faults.add("/gmail/v1/users/", status=None, times=None, method="GET",
                             rewrite=_json_rewrite(twice))

    def row(stored: StoredMessage) -> dict[str, Any] | None:
        found = _rows(stage, "gmail_messages", "message_id", stored.email.message_id)
        return found[0] if len(found) == 1 else None

    def check(stored: StoredMessage, test: Callable[[dict[str, Any]], bool]) -> Callable[[Stage, Answer], bool]:
        def judged(s: Stage, a: Answer) -> bool:
            found = row(stored)
            return found is not None and test(found)
        return judged

    def _participants(s: Stage, stored: StoredMessage) -> list[dict[str, Any]]:
        return [r for r in _rows(s, "gmail_participants", "message_id", stored.email.message_id)
                if r["role"] == "from"]

    limit = int(stage.settings().get("GMAIL_BODY_MAX_CHARS", "100000"))
    injection.hostiles += [
        Hostile("10 MB body", f"stored, body_text cut to GMAIL_BODY_MAX_CHARS ({limit}), body_truncated",
                check(big, lambda r: r["body_truncated"] is True and len(r["body_text"]) == limit)),
        Hostile("invalid UTF-8 bytes in a text/plain part", "stored, each bad byte as U+FFFD",
                check(bad_bytes, lambda r: "\ufffd" in (r["body_text"] or ""))),
        Hostile("invalid From address", "stored, from_email NULL, no participant row for it",
                check(bad_from, lambda r: r["from_email"] is None and not _participants(stage, bad_from))),
        Hostile("no From address", "stored, from_email and from_name NULL",
                check(no_from, lambda r: r["from_email"] is None and not r["from_name"])),
        Hostile("Date in 1970", "stored with its Date as sent_at",
                check(old, lambda r: r["sent_at"].year == 1970)),
        Hostile("Date in 2100", "stored with its Date as sent_at",
                check(future, lambda r: r["sent_at"].year == 2100)),
        Hostile("message id twice in one page", "stored once",
                lambda s, a: bool(served) and len(_rows(s, "gmail_messages", "message_id", served[0])) == 1),
    ]
    ids = [stored.email.message_id for stored in added]
    injection.rows = [(table, "message_id", ids) for table in GMAIL_TABLES]
    return injection


# Salesforce: records appended to the world's lists, stamped like an existing record so that no cursor moves
# past the clean run's; the missing Id, the repeated Id and the lone surrogate are written into the query page.

def _salesforce(stage: Stage) -> Injection:
    world = stage.sandbox.state.world
    injection = Injection()
    added: list[tuple[str, dict[str, Any]]] = []

    def record(object_type: str, number: int, **changes: Any) -> dict[str, Any]:
        records = world.records(object_type)
        template = sorted(records, key=lambda r: (r["SystemModstamp"], r["Id"]))[len(records) // 2]
        made = {**template, "Id": f"{template['Id'][:3]}HST{number:012d}", **changes}
        added.append((object_type, made))
        return made

    bad_contact = record("Contact", 1, Email="not-an-email", Phone="12")
    old_contact = record("Contact", 2, LastActivityDate=dt.date(1970, 1, 1))
    surrogate = record("Contact", 3)
    no_id = record("Contact", 4)
    duplicate = record("Contact", 5)
    future = record("Opportunity", 6, CloseDate=dt.date(2100, 1, 1))
    big = record("Task", 7, Description="x" * BIG_TEXT_BYTES)
    with stage.sandbox.state.lock:
        for object_type, made in added:
            world.records(object_type).append(made)

    def undo() -> None:
        with stage.sandbox.state.lock:
            for object_type, made in added:
                records = world.records(object_type)
                records[:] = [r for r in records if r is not made]
                world._index.pop(made["Id"], None)

    injection.undo.append(undo)
    served: set[str] = set()

    def edit(page: Any) -> bool:
        changed = False
        records: list[dict[str, Any]] = (page.get("records") or []) if isinstance(page, dict) else []
        for raw in list(records):
            if raw.get("Id") == surrogate["Id"] and "Title" in raw:
                raw["Title"] = f"VP {LONE_SURROGATE} Sales"
            elif raw.get("Id") == no_id["Id"]:
                raw.pop("Id")
            elif raw.get("Id") == duplicate["Id"]:
                records.append(dict(raw))
            else:
                continue
            served.add(str(raw.get("Id", no_id["Id"])))
            changed = True
        return changed

    stage.sandbox.faults.add("/services/data/", status=None, times=None, method="GET", rewrite=_json_rewrite(edit))

    def row(table: str, column: str, made: dict[str, Any]) -> dict[str, Any] | None:
        found = _rows(stage, table, column, made["Id"])
        return found[0] if len(found) == 1 else None

    def contact(made: dict[str, Any], test: Callable[[dict[str, Any]], bool]) -> Callable[[Stage, Answer], bool]:
        def judged(s: Stage, a: Answer) -> bool:
            found = row("sf_contacts", "contact_id", made)
            return found is not None and test(found)
        return judged

    def big_stored(s: Stage, a: Answer) -> bool:
        found = row("sf_tasks", "task_id", big)
        return found is not None and len(found["description"]) == BIG_TEXT_BYTES

    def future_stored(s: Stage, a: Answer) -> bool:
        found = row("sf_opportunities", "opportunity_id", future)
        return found is not None and found["close_date"] == dt.date(2100, 1, 1)

    def skipped(s: Stage, a: Answer) -> bool:
        return no_id["Id"] in served and not stage.query("select contact_id from sf_contacts where contact_id is null")

    injection.hostiles += [
        Hostile("invalid Email and Phone", "stored raw; email_normalized, email_domain and phone_e164 NULL",
                contact(bad_contact, lambda r: r["email"] == "not-an-email" and r["email_normalized"] is None
                        and r["email_domain"] is None and r["phone"] == "12" and r["phone_e164"] is None)),
        Hostile("LastActivityDate in 1970", "stored as sent",
                contact(old_contact, lambda r: r["last_activity_date"] == dt.date(1970, 1, 1))),
        Hostile("CloseDate in 2100", "stored as sent", future_stored),
        Hostile("10 MB Task.Description", "stored whole", big_stored),
        Hostile("lone surrogate in Contact.Title", "stored with U+FFFD in its place",
                contact(surrogate, lambda r: surrogate["Id"] in served and r["title"] == "VP \ufffd Sales")),
        Hostile("Contact without Id", "skipped, sf_records_skipped +1", skipped),
        Hostile("Contact Id twice in one page", "stored once",
                contact(duplicate, lambda r: duplicate["Id"] in served)),
    ]
    injection.counters = {"sf_records_skipped": 1}
    injection.log_reasons = ["skipped a record without Id"]
    tables = {"Contact": ("sf_contacts", "contact_id"), "Opportunity": ("sf_opportunities", "opportunity_id"),
              "Task": ("sf_tasks", "task_id")}
    for object_type, (table, column) in tables.items():
        injection.rows.append((table, column, [made["Id"] for kind, made in added if kind == object_type]))
    return injection


# usage-collect: rows appended to the key-mapping sheet (finance's hand-kept sheet is where its bad data comes
# from); the Admin APIs' records are machine-made and their hostile shapes are the source-fault scenarios'.

def _usage(stage: Stage) -> Injection:
    sheet = stage.sandbox.state.world.key_mapping_sheet
    header = [cell.strip() for cell in sheet[0]]
    known = [row for row in sheet[1:] if row and row[0].strip()]
    key_name = known[0][header.index("api_key_name")]

    def cells(name: str, email: str, description: str = "hostile") -> list[str]:
        values = {"api_key_name": name, "user_email": email, "description": description, "platform": "anthropic"}
        return [values.get(column, "") for column in header]

    hostile = {
        "invalid user_email": (cells(key_name, "not-an-email"), "invalid email"),
        "missing user_email": (cells(key_name, ""), "missing email"),
        "missing api_key_name": (cells("", "someone@example.com"), "missing key name"),
        "unknown api_key_name": (cells("no-such-key-hostile", "someone@example.com"), "unknown key name"),
        "a key mapped twice": (cells(key_name, "second.owner@example.com"), "duplicate key name"),
        "lone surrogate in description": (cells(key_name, "not-an-email", f"bad {LONE_SURROGATE} text"),
                                           "invalid email"),
    }
    first = len(sheet) + 2
    numbers = {label: first + i for i, label in enumerate(hostile)}
    with stage.sandbox.state.lock:
        sheet.extend(row for row, _ in hostile.values())
    added = len(hostile)

    def undo() -> None:
        with stage.sandbox.state.lock:
            del sheet[-added:]

    injection = Injection(undo=[undo])

    issues_seen: list[dict[str, Any]] = []

    def listed_issues(s: Stage) -> list[dict[str, Any]]:
        """v_mapping_issues once for all the rows (the view reads the cost facts too)."""
        if not issues_seen:
            issues_seen.extend(s.query("select row_number, issue from v_mapping_issues"))
        return issues_seen

    def flagged(label: str, issue: str) -> Callable[[Stage, Answer], bool]:
        def judged(s: Stage, a: Answer) -> bool:
            raw = [r for r in _rows(s, "raw_key_mapping_sheet", "row_number", numbers[label])]
            issues = [r["issue"] for r in listed_issues(s) if r["row_number"] == numbers[label]]
            sent = hostile[label][0][header.index("description")]
            described = "bad \ufffd text" if LONE_SURROGATE in sent else "hostile"
            return len(raw) == 1 and raw[0]["description"] == described and issues == [issue]
        return judged

    injection.hostiles += [Hostile(label, f"raw row stored, ignored, listed in v_mapping_issues as '{issue}'",
                                   flagged(label, issue)) for label, (_, issue) in hostile.items()]
    injection.rows = [("raw_key_mapping_sheet", "row_number", list(numbers.values()))]
    return injection


INJECTORS: dict[str, Callable[[Stage], Injection]] = {
    "usage-collect": _usage,
    "salesforce-sync": _salesforce,
    "dialpad-sync": _dialpad,
    "gmail-sync": _gmail,
}


def applies(entry: FunctionEntry) -> bool:
    return entry.cloud_name in INJECTORS


def hostile_data(stage: Stage) -> Played:
    injection = INJECTORS[stage.entry.cloud_name](stage)
    try:
        stage.fresh_instance()
        with _captured_warnings() as warnings:
            status, answer = stage.invoke()
        fates = [(h, h.check(stage, answer)) for h in injection.hostiles]
    finally:
        injection.restore()
        stage.sandbox.faults.clear()
    for table, column, values in injection.rows:
        stage.query(f"delete from {table} where {column} in unnest(@values)", {"values": values})
    run_id = answer.get("run_id")
    counts = answer.get("counts", {})
    counted = {name: counts.get(name) for name in injection.counters}
    documented_lines = collections.Counter(injection.log_reasons)
    lines = {reason: sum(1 for line, rid in warnings.lines if reason in line and rid == run_id)
             for reason in documented_lines}
    notes = [f"HTTP {status} {answer.get('status')} errors={answer.get('errors')}",
             *(f"{'ok ' if ok else 'BAD'} {h.label}: {h.fate}" for h, ok in fates),
             f"counters {counted} (documented {injection.counters})",
             f"skip lines with the run id {lines} (documented {dict(documented_lines)})"]
    survived = (status == 200 and answer.get("status") == "success" and all(ok for _, ok in fates)
                and counted == injection.counters and lines == documented_lines)
    return Played(True, survived, notes)


HOSTILE_DATA_SCENARIOS: tuple[Scenario, ...] = (
    Scenario("hostile_data", "hostile source records (10 MB bodies, invalid UTF-8, bad emails and phones, missing "
             "ids and dates, dates in 1970 and 2100, an id twice in a page, an enormous transcript) are stored "
             "flagged or sanitised, or skipped and counted; the run succeeds and no normal record is lost",
             hostile_data, applies),
)
