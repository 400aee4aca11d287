"""The Gmail fake's state: each synced mailbox's messages, its history records, and per-user quota accounting.

Built from the world's emails without changing them (labels and deletions live here), so a test can reset it.
History ids grow with every change, in uneven steps; `history.list` is answered from the records kept here,
and `expire_history` makes older start ids answer 404 as Gmail does once its history is gone.
Test helpers: `add_message`, `delete_message`, `change_labels`, `expire_history`, `expire_page_tokens`,
`fail_next` (part-level errors inside batches) and the `quota` ledger (budget, window, peak units/s as the
fake saw them). `concurrent_per_user` is how many parts of one batch request the fake serves per user; the
parts beyond it answer 429 "Too many concurrent requests for user", as Gmail does (its guide: batches larger
than 50 are not recommended).
"""

from __future__ import annotations

import bisect
import dataclasses
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sandbox.gmail_render import Rendered, epoch_ms, internal_time, render
from sandbox.world import World
from sandbox.world_models import Email

UNITS = {"messages.get": 5, "messages.list": 5, "history.list": 2, "getProfile": 1}
CONCURRENT_PER_USER = 50
"""Default of `GmailStore.concurrent_per_user`. Gmail does not publish its per-user concurrency limit; 50 is
the batch size its guide still recommends, so a batch of 100 for one user has its last 50 parts refused."""
HISTORY_KINDS = ("messageAdded", "messageDeleted", "labelAdded", "labelRemoved")


@dataclass
class StoredMessage:
    email: Email
    labels: list[str]
    internal_at: datetime
    history_id: int
    deleted: bool = False

    @property
    def sort_key(self) -> tuple[int, str]:
        return epoch_ms(self.internal_at), self.email.message_id

    def render(self, seed: int) -> Rendered:
        return render(seed, self.email, self.internal_at)


@dataclass(frozen=True)
class HistoryEvent:
    id: int
    kind: str
    message_id: str
    thread_id: str
    labels: tuple[str, ...]
    """The message's labels after the event."""
    changed: tuple[str, ...] = ()
    """Labels added or removed by a label event."""


@dataclass
class PartFault:
    status: int
    reason: str
    remaining: int
    retry_after: float | None = None
    skip: int = 0
    """Calls to let through before the fault starts."""


class QuotaLedger:
    """Per-user quota units: a call is refused while the units charged in the trailing `window_s` seconds plus
    its own would exceed `units_per_second * window_s` (Gmail's per-user limit is a moving average: 250/s,
    also published as 15,000/min). Refused calls are not charged."""

    def __init__(self, units_per_second: float = 250.0, window_s: float = 60.0, enforce: bool = True,
                 reject_status: int = 429, retry_after: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.units_per_second, self.window_s, self.enforce = units_per_second, window_s, enforce
        self.reject_status, self.retry_after, self.clock = reject_status, retry_after, clock
        self.charges: dict[str, list[tuple[float, int]]] = {}
        self.refused: dict[str, int] = {}
        self._recent: dict[str, deque[tuple[float, int]]] = {}
        self._lock = threading.Lock()

    def charge(self, user: str, units: int) -> float | None:
        """None when the call may proceed (and is charged); else the seconds until it would fit."""
        with self._lock:
            now = self.clock()
            recent = self._recent.setdefault(user, deque())
            while recent and recent[0][0] <= now - self.window_s:
                recent.popleft()
            used = sum(u for _, u in recent)
            if self.enforce and used + units > self.units_per_second * self.window_s:
                self.refused[user] = self.refused.get(user, 0) + 1
                return self._wait(recent, used + units, now)
            recent.append((now, units))
            self.charges.setdefault(user, []).append((now, units))
            return None

    def _wait(self, recent: deque[tuple[float, int]], needed: float, now: float) -> float:
        if self.retry_after is not None:
            return self.retry_after
        budget = self.units_per_second * self.window_s
        for at, units in recent:
            needed -= units
            if needed <= budget:
                return max(0.0, at + self.window_s - now)
        return self.window_s

    def total_units(self, user: str) -> int:
        with self._lock:
            return sum(u for _, u in self.charges.get(user, []))

    def peak_units_per_second(self, user: str, window_s: float | None = None) -> float:
        """The highest moving average over `window_s` (default: the enforcement window) of charged units."""
        window = window_s or self.window_s
        with self._lock:
            charges = list(self.charges.get(user, []))
        times = [t for t, _ in charges]
        totals = [0]
        for _, units in charges:
            totals.append(totals[-1] + units)
        peak = 0
        for end, at in enumerate(times):
            start = bisect.bisect_right(times, at - window)
            peak = max(peak, totals[end + 1] - totals[start])
        return peak / window

    def reset(self) -> None:
        with self._lock:
            self.charges.clear()
            self.refused.clear()
            self._recent.clear()


class Mailbox:
    def __init__(self, address: str, emails: list[Email], seed: int) -> None:
        self.address = address
        self.rng = random.Random(f"{seed}/gmail-history/{address}")
        self.messages: dict[str, StoredMessage] = {}
        self.history: list[HistoryEvent] = []
        self.templates = sorted(emails, key=lambda e: (e.history_id, e.message_id))
        """The world's mail of this mailbox; `add_message` copies its customer mail (not the private mail)."""
        self.copyable = [email for email in self.templates if not email.private]
        for email in self.templates:
            stored = StoredMessage(email, list(email.labels), internal_time(seed, email), email.history_id)
            self.messages[email.message_id] = stored
            self.history.append(HistoryEvent(email.history_id, "messageAdded", email.message_id,
                                             email.thread_id, tuple(stored.labels)))
        self.history_id = (self.history[-1].id if self.history else 100_000) + self.rng.randrange(1, 50)
        self.oldest_valid = self.history[0].id - 1 if self.history else self.history_id
        self._listing: list[StoredMessage] | None = None
        self.page_tokens: set[str] = set()
        """messages.list page tokens handed out; `expire_page_tokens` makes them invalid."""
        self.expired_page_tokens: set[str] = set()

    def bump(self) -> int:
        self.history_id += self.rng.randrange(1, 40)
        return self.history_id

    def record(self, kind: str, message: StoredMessage, changed: tuple[str, ...] = ()) -> HistoryEvent:
        message.history_id = self.bump()
        event = HistoryEvent(message.history_id, kind, message.email.message_id, message.email.thread_id,
                             tuple(message.labels), changed)
        self.history.append(event)
        self._listing = None
        return event

    def listing(self) -> list[StoredMessage]:
        """Live messages, newest first, as messages.list orders them."""
        if self._listing is None:
            live = [m for m in self.messages.values() if not m.deleted]
            self._listing = sorted(live, key=lambda m: m.sort_key, reverse=True)
        return self._listing

    def live(self, message_id: str) -> StoredMessage | None:
        message = self.messages.get(message_id)
        return message if message and not message.deleted else None


@dataclass
class GmailStore:
    world: World
    quota: QuotaLedger = field(default_factory=QuotaLedger)
    mailboxes: dict[str, Mailbox] = field(default_factory=dict)
    part_faults: dict[str, list[PartFault]] = field(default_factory=dict)
    concurrent_per_user: int | None = CONCURRENT_PER_USER
    """Parts of one batch request served per user (None: no limit); `reset` restores the default."""
    concurrency_refused: dict[str, int] = field(default_factory=dict)
    """Batch parts refused for being over `concurrent_per_user`, per user."""
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self._ids = random.Random(f"{self.world.seed}/gmail-store")
        self.reset()

    def reset(self) -> None:
        """Back to the world's mailboxes: no added, deleted or relabelled mail, full history, fresh quota."""
        with self.lock:
            by_mailbox: dict[str, list[Email]] = {address: [] for address in self.world.mailboxes}
            for email in self.world.emails:
                by_mailbox.setdefault(email.mailbox, []).append(email)
            self.mailboxes = {a: Mailbox(a, emails, self.world.seed) for a, emails in by_mailbox.items()}
            self.part_faults.clear()
            self.quota.reset()
            self.concurrent_per_user = CONCURRENT_PER_USER
            self.concurrency_refused.clear()

    def add_mailbox(self, address: str) -> Mailbox:
        """An empty mailbox for a new user; `add_message` then delivers to it."""
        with self.lock:
            box = self.mailboxes.setdefault(address.lower(), Mailbox(address.lower(), [], self.world.seed))
            return box

    def mailbox(self, address: str) -> Mailbox | None:
        return self.mailboxes.get(address.lower())

    def _box(self, address: str) -> Mailbox:
        box = self.mailbox(address)
        if box is None:
            raise KeyError(f"{address} is not a synced mailbox")
        return box

    def new_message_id(self, at: datetime) -> str:
        return format((epoch_ms(at) << 20) | self._ids.getrandbits(20), "016x")

    def add_message(self, mailbox: str, email: Email | None = None, labels: list[str] | None = None,
                    internal_at: datetime | None = None) -> StoredMessage:
        """Deliver a message now (Gmail's internalDate = arrival). Without `email`, a copy of one of the
        mailbox's customer messages under a new id, Message-ID and date."""
        with self.lock:
            box = self._box(mailbox)
            arrived = internal_at or datetime.now(UTC)
            email = email or self._fresh_copy(box, arrived)
            stored = StoredMessage(email, list(labels if labels is not None else email.labels), arrived, 0)
            box.messages[email.message_id] = stored
            box.record("messageAdded", stored)
            return stored

    def _fresh_copy(self, box: Mailbox, at: datetime) -> Email:
        template = box.copyable[self._ids.randrange(len(box.copyable))]
        message_id = self.new_message_id(at)
        return dataclasses.replace(
            template, message_id=message_id, thread_id=message_id, sent_at=at.replace(microsecond=0),
            rfc822_id=f"<sandbox-{message_id}@mail.gmail.com>", in_reply_to=None, references=[],
            subject=f"{template.subject} ({message_id[-6:]})", attachments=list(template.attachments),
            to=list(template.to), cc=list(template.cc), labels=list(template.labels))

    def delete_message(self, mailbox: str, message_id: str) -> None:
        with self.lock:
            box = self._box(mailbox)
            message = box.live(message_id)
            if message is None:
                raise KeyError(message_id)
            message.deleted = True
            box.record("messageDeleted", message)

    def change_labels(self, mailbox: str, message_id: str, add: tuple[str, ...] = (),
                      remove: tuple[str, ...] = ()) -> None:
        with self.lock:
            box = self._box(mailbox)
            message = box.live(message_id)
            if message is None:
                raise KeyError(message_id)
            added = tuple(label for label in add if label not in message.labels)
            message.labels.extend(added)
            if added:
                box.record("labelAdded", message, added)
            removed = tuple(label for label in remove if label in message.labels)
            message.labels = [label for label in message.labels if label not in removed]
            if removed:
                box.record("labelRemoved", message, removed)

    def expire_history(self, mailbox: str, below: int | None = None) -> None:
        """Start ids below `below` (default: the mailbox's current history id) now answer 404."""
        with self.lock:
            box = self._box(mailbox)
            box.oldest_valid = below if below is not None else box.history_id

    def expire_page_tokens(self, mailbox: str) -> None:
        """messages.list page tokens handed out so far answer 400 Invalid pageToken (a resumed listing can no
        longer use its saved token)."""
        with self.lock:
            box = self._box(mailbox)
            box.expired_page_tokens |= box.page_tokens
            box.page_tokens = set()

    def fail_next(self, mailbox: str, count: int, status: int = 429, reason: str = "rateLimitExceeded",
                  retry_after: float | None = None, skip: int = 0) -> None:
        """After `skip` more messages.get calls for `mailbox` (batched or not), `count` answer this error."""
        with self.lock:
            fault = PartFault(status, reason, count, retry_after, skip)
            self.part_faults.setdefault(mailbox.lower(), []).append(fault)

    def admit_part(self, mailbox: str, parts_so_far: int) -> bool:
        """Whether a batch part is served when the batch already holds `parts_so_far` parts for this user
        (refusals are counted)."""
        limit = self.concurrent_per_user
        if limit is None or parts_so_far < limit:
            return True
        with self.lock:
            self.concurrency_refused[mailbox] = self.concurrency_refused.get(mailbox, 0) + 1
        return False

    def take_part_fault(self, mailbox: str) -> PartFault | None:
        with self.lock:
            for fault in self.part_faults.get(mailbox.lower(), []):
                if fault.skip > 0:
                    fault.skip -= 1
                elif fault.remaining > 0:
                    fault.remaining -= 1
                    return fault
            return None

    def messages_of(self, mailbox: str) -> list[StoredMessage]:
        """The mailbox's live messages, newest first."""
        with self.lock:
            return list(self._box(mailbox).listing())
