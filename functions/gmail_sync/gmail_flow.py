"""Syncing one mailbox: a full listing, or Gmail history from the stored history id.

- Full (listing): the profile's historyId is read first and saved with the listing's checkpoint, then the
  mailbox is listed page by page; the ids of each page that are already stored are looked up in one query and
  not fetched again, the others are fetched, merged, and the checkpoint (gmail_checkpoint: the next page
  token, the oldest committed receipt time) is saved before the next page starts. Once the last page is
  committed the history cursor becomes that historyId, so whatever arrived during the listing (however many
  runs it took) is picked up by history. A listing that stops at the time budget, or fails, resumes from its
  checkpoint on the next run, whatever that run's sync_type; a `full` request with another `since` starts a
  new listing instead.
- Incremental: history.list from the cursor, page by page (added and relabelled messages are re-fetched and
  merged, deleted ones flagged), the cursor advancing after each page is committed and the time budget
  checked before the next. A 404 means the history has expired: the mailbox is re-listed (re-fetching what is
  stored, to refresh its labels) from the cursor's last move minus a margin, then followed from the fresh
  historyId. Nothing new costs one history.list call.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from gmail_api import HistoryExpiredError, MailboxApi, PageEnd, PageTokenRejectedError
from gmail_checkpoint import Listing, scope_of
from gmail_mime import ParsedMessage, parse_message
from gmail_privacy import MailFilter
from gmail_rows import VOLATILE, RowBuffer

from shared.budget import TimeBudget, unlimited
from shared.ledger import RunLedger, utcnow
from shared.log import get_logger
from shared.warehouse import Typed, Warehouse

log = get_logger(__name__)
JOB = "gmail-sync"
MERGE_EVERY = 500
TOUCHING = ("messagesAdded", "labelsAdded", "labelsRemoved")
OUT_OF_MAILBOX = frozenset({"SPAM", "TRASH", "DRAFT"})
"""Mail in spam or trash, and drafts, count as deleted: a full listing does not show them either."""


def history_changes(records: list[dict[str, Any]]) -> tuple[list[str], set[str]]:
    """(ids to re-fetch, ids deleted) from history records; a message deleted later is not fetched."""
    touched: dict[str, None] = {}
    deleted: set[str] = set()
    for record in records:
        for kind in TOUCHING:
            touched.update((item["message"]["id"], None) for item in record.get(kind, []))
        deleted.update(item["message"]["id"] for item in record.get("messagesDeleted", []))
    return [message_id for message_id in touched if message_id not in deleted], deleted


def midnight(day: dt.date | None) -> dt.datetime | None:
    return dt.datetime.combine(day, dt.time(), dt.UTC) if day else None


def after_query(since: dt.datetime | None) -> str | None:
    return f"after:{int(since.timestamp())}" if since else None


def epoch_seconds(value: dt.datetime | None) -> int | None:
    if value is None:
        return None
    return int((value if value.tzinfo else value.replace(tzinfo=dt.UTC)).timestamp())


@dataclass
class MailboxSync:
    mailbox: str
    api: MailboxApi
    warehouse: Warehouse
    ledger: RunLedger
    run_id: str
    body_max_chars: int
    fallback_margin: dt.timedelta
    clock: Callable[[], dt.datetime] = utcnow
    budget: TimeBudget = field(default_factory=unlimited)
    mail_filter: MailFilter = field(default_factory=MailFilter)
    counts: Counter[str] = field(default_factory=Counter)
    skipped_rows: list[dict[str, Any]] = field(default_factory=list)
    """Messages the privacy filter left out since the last merge (gmail_skipped_messages rows)."""

    def run(self, sync_type: str, since: dt.date | None = None) -> Counter[str]:
        """Raises OutOfTime (from budget.checkpoint, between pages) when the budget is spent: the pages
        committed so far stand, and the checkpoint or cursor says where the next run goes on."""
        listing = self._saved_listing()
        if sync_type == "full":
            query = after_query(midnight(since))
            if listing is not None and listing.query == query:
                log.info("resuming the full sync in progress (page %d)", listing.pages + 1,
                         extra={"scope": self.mailbox})
            else:
                listing = self._start(query, refetch=False, replaced=listing)
            self._list(listing)
            return self.counts
        if listing is not None:
            log.info("resuming the listing in progress (page %d)", listing.pages + 1, extra={"scope": self.mailbox})
            self._list(listing)
            if listing.history_id is not None:  # it saved the history cursor: history is followed next run
                return self.counts
            self.budget.checkpoint(f"{self.mailbox}: listing complete")
        self.incremental()
        return self.counts

    def incremental(self) -> None:
        cursor = self._cursor()
        if cursor is None:
            log.info("no stored history id: full sync", extra={"scope": self.mailbox})
            self._list(self._start(None, refetch=False, replaced=None))
            return
        history_id, moved_at = cursor
        try:
            self._follow(history_id)
        except HistoryExpiredError:
            since = moved_at - self.fallback_margin
            log.warning("history %s has expired; re-listing mail since %s", history_id, since.isoformat(),
                        extra={"scope": self.mailbox})
            self.counts["history_fallbacks"] += 1
            self._list(self._start(after_query(since), refetch=True, replaced=None))

    def _start(self, query: str | None, refetch: bool, replaced: Listing | None) -> Listing:
        """A new listing, saved before its first page. The history cursor it saves when it completes must
        cover every change to the mail it does not fetch again: a listing it replaces already holds one
        (older, so nothing is skipped); without a history cursor, or re-fetching, it is the historyId read
        now; otherwise the cursor stays where it is and history goes on from there."""
        if replaced is not None and replaced.history_id is not None:
            history_id: str | None = replaced.history_id
        elif refetch or self._cursor() is None:
            history_id = str(self.api.profile()["historyId"])
        else:
            history_id = None
        listing = Listing(query=query, history_id=history_id, refetch=refetch,
                          started_at=self.clock().isoformat(), started_by=self.run_id)
        self._save(listing)
        return listing

    def _list(self, listing: Listing) -> None:
        """List from the checkpoint on; after each committed page the checkpoint moves and the budget is
        checked (not before the first page: every run makes progress)."""
        self.counts["gmail_messages"] += 0  # a listing reports the rows it changed, none included
        first = self._first_page(listing)
        carried = set(listing.carried)
        dates: dict[str, int] = {}  # receipt times (epoch s) of messages of pages not yet committed
        buffer, gone, skipped = RowBuffer(MERGE_EVERY), list[str](), 0

        def select(ids: list[str]) -> list[str]:
            nonlocal skipped
            wanted = [i for i in ids if i not in carried]
            if listing.refetch or not wanted:
                return wanted
            stored = self._stored(wanted)
            dates.update((i, at) for i, at in stored.items() if at is not None)
            skipped += len(stored)
            return [i for i in wanted if i not in stored]

        for item in self.api.listing(self._q(listing), first, select, more=lambda: not self.budget.exhausted):
            if isinstance(item, PageEnd):
                self._merge(buffer)
                self._delete(gone)
                gone = []
                committed = [dates.pop(i) for i in item.ids if i in dates]
                listing.oldest = min([*committed, *([listing.oldest] if listing.oldest is not None else [])],
                                     default=None)
                carried.difference_update(item.ids)  # fetched by an earlier run, on pages not ended yet: keep them
                listing.page_token, listing.pages = item.next_token, listing.pages + 1
                listing.carried = (*item.carried, *sorted(carried - set(item.carried)))
                if item.next_token is None:
                    self._complete(listing, skipped)
                    return
                self._save(listing)
                self.budget.checkpoint(f"{self.mailbox}: page {listing.pages} of the listing")
                continue
            message_id, resource = item
            if resource is None or OUT_OF_MAILBOX & set(resource.get("labelIds") or ()):
                gone.append(message_id)
                continue
            parsed = parse_message(resource, self.body_max_chars)
            if (at := epoch_seconds(parsed.internal_at)) is not None:
                dates[message_id] = at
            if self._kept(parsed) and buffer.add(self.mailbox, parsed, self.run_id, self.clock()):
                self._merge(buffer)

    def _first_page(self, listing: Listing) -> dict[str, Any]:
        """The listing's next page from its saved token; a refused token resumes from the oldest committed
        receipt time instead (one second later, so mail of that second is listed again: stored ids are
        skipped, committed ones carried)."""
        try:
            return self.api.list_first(self._q(listing), listing.page_token)
        except PageTokenRejectedError as refused:
            if listing.oldest is not None:
                listing.before = listing.oldest + 1
            log.warning("%s; listing again before %s", refused, listing.before, extra={"scope": self.mailbox})
            listing.page_token = None
            self._save(listing)
            return self.api.list_first(self._q(listing), None)

    def _complete(self, listing: Listing, skipped: int) -> None:
        if listing.history_id is not None:
            self._advance(listing.history_id)
        listing.state, listing.page_token, listing.carried = "done", None, ()
        self._save(listing)
        log.info("listing complete after %d pages (this run: %d listed ids already stored)", listing.pages, skipped,
                 extra={"scope": self.mailbox})

    def _saved_listing(self) -> Listing | None:
        text = self.ledger.get_cursor(JOB, scope_of(self.mailbox))
        listing = Listing.loads(text)
        if text and listing is None:
            log.warning("unreadable listing checkpoint ignored: %.200s", text, extra={"scope": self.mailbox})
        return listing if listing is not None and listing.in_progress else None

    def _save(self, listing: Listing) -> None:
        """Called only after everything the checkpoint covers has been merged."""
        self.ledger.set_cursor(JOB, scope_of(self.mailbox), listing.dumps(), self.run_id)

    def _stored(self, message_ids: list[str]) -> dict[str, int | None]:
        """The ids among these that are stored and not flagged deleted, with their receipt time (epoch s)."""
        rows = self.warehouse.query("jobs/gmail_stored_messages.sql", {
            "mailbox": self.mailbox, "message_ids": Typed(message_ids, "ARRAY<STRING>"),
            "filter_key": self.mail_filter.key})
        return {row["message_id"]: epoch_seconds(row["internal_at"]) for row in rows}

    def _follow(self, start: str) -> None:
        page_token: str | None = None
        while True:
            page = self.api.history_page(start, page_token)
            records = page.get("history", [])
            fetch, deleted = history_changes(records)
            gone = self._store(self.api.fetch(fetch))
            self._delete(deleted | set(gone))
            page_token = page.get("nextPageToken")
            if not page_token:
                self._advance(str(page.get("historyId") or start))
                return
            if records:
                self._advance(str(records[-1]["id"]))
                self.budget.checkpoint(f"{self.mailbox}: history page")

    def _store(self, messages: Iterable[tuple[str, dict[str, Any] | None]]) -> list[str]:
        """Parse and merge messages in chunks; returns the ids that are gone (or in spam, trash, drafts)."""
        buffer, gone = RowBuffer(MERGE_EVERY), []
        for message_id, resource in messages:
            if resource is None or OUT_OF_MAILBOX & set(resource.get("labelIds") or ()):
                gone.append(message_id)
                continue
            parsed = parse_message(resource, self.body_max_chars)
            if self._kept(parsed) and buffer.add(self.mailbox, parsed, self.run_id, self.clock()):
                self._merge(buffer)
        self._merge(buffer)
        return gone

    def _q(self, listing: Listing) -> str | None:
        """The listing's query with the privacy filter's label exclusions (excluded mail costs no quota)."""
        return " ".join(t for t in (listing.q(), self.mail_filter.list_terms()) if t) or None

    def _kept(self, message: ParsedMessage) -> bool:
        """False for a message the privacy filter skips: nothing of it is stored, its reason is counted."""
        reason = self.mail_filter.reason(message)
        if reason is None:
            return True
        self.counts[f"gmail_skipped_{reason}"] += 1
        self.skipped_rows.append({"mailbox": self.mailbox, "message_id": message.message_id, "reason": reason,
                                  "filter_key": self.mail_filter.key, "ingested_at": self.clock(),
                                  "_run_id": self.run_id})
        return False

    def _merge(self, buffer: RowBuffer) -> None:
        """Participants and attachments first, the messages last: a stored message is what makes a later run skip
        fetching it, so it must not be stored before its child rows are (a failed write in between would lose them).
        The ids the privacy filter left out are recorded with them, so the same listing read again skips them too."""
        if self.skipped_rows:
            self.warehouse.merge("gmail_skipped_messages", self.skipped_rows, volatile=("ingested_at", "_run_id"))
            self.skipped_rows = []
        if not buffer.messages:
            return
        self.counts["gmail_participants"] += self.warehouse.merge("gmail_participants", buffer.participants,
                                                                  volatile=("ingested_at",))
        self.counts["gmail_attachments"] += self.warehouse.merge("gmail_attachments", buffer.attachments,
                                                                 volatile=VOLATILE)
        self.counts["gmail_messages"] += self.warehouse.merge("gmail_messages", buffer.messages, volatile=VOLATILE)
        buffer.clear()

    def _delete(self, message_ids: set[str] | list[str]) -> None:
        if not message_ids:
            return
        self.warehouse.query("jobs/gmail_mark_deleted.sql", {
            "mailbox": self.mailbox, "message_ids": Typed(sorted(message_ids), "ARRAY<STRING>"),
            "deleted_at": self.clock(), "run_id": self.run_id,
        })
        self.counts["gmail_messages_deleted"] += len(message_ids)

    def _cursor(self) -> tuple[str, dt.datetime] | None:
        rows = self.warehouse.query("jobs/gmail_cursor_get.sql", {"job": JOB, "scope": self.mailbox})
        if not rows or not rows[0]["cursor_value"]:
            return None
        moved_at: dt.datetime = rows[0]["updated_at"]
        return str(rows[0]["cursor_value"]), moved_at if moved_at.tzinfo else moved_at.replace(tzinfo=dt.UTC)

    def _advance(self, history_id: str) -> None:
        """Called only after everything the history id covers has been merged."""
        self.ledger.set_cursor(JOB, self.mailbox, history_id, self.run_id)
