"""Syncing one mailbox: a full listing, or Gmail history from the stored history id.

- Full: the profile's historyId is read first, then every listed message is fetched and merged; the cursor
  becomes that historyId, so whatever arrived during the listing is picked up by the next incremental run.
- Incremental: history.list from the cursor, page by page (added and relabelled messages are re-fetched and
  merged, deleted ones flagged), the cursor advancing after each page is committed. A 404 means the history
  has expired: the mailbox is re-listed from the cursor's last move minus a margin, then followed from the
  fresh historyId. Nothing new costs one history.list call.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from gmail_api import HistoryExpiredError, MailboxApi
from gmail_mime import parse_message
from gmail_rows import VOLATILE, RowBuffer

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
    counts: Counter[str] = field(default_factory=Counter)

    def run(self, sync_type: str, since: dt.date | None = None) -> Counter[str]:
        if sync_type == "full":
            self.full(midnight(since))
        else:
            self.incremental()
        return self.counts

    def full(self, since: dt.datetime | None) -> None:
        history_id = str(self.api.profile()["historyId"])
        query = f"after:{int(since.timestamp())}" if since else None
        self._delete(self._store(self.api.listed_messages(query)))
        self._advance(history_id)

    def incremental(self) -> None:
        cursor = self._cursor()
        if cursor is None:
            log.info("no stored history id: full sync", extra={"scope": self.mailbox})
            self.full(None)
            return
        history_id, moved_at = cursor
        try:
            self._follow(history_id)
        except HistoryExpiredError:
            since = moved_at - self.fallback_margin
            log.warning("history %s has expired; re-listing mail since %s", history_id, since.isoformat(),
                        extra={"scope": self.mailbox})
            self.counts["history_fallbacks"] += 1
            self.full(since)

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

    def _store(self, messages: Iterable[tuple[str, dict[str, Any] | None]]) -> list[str]:
        """Parse and merge messages in chunks; returns the ids that are gone (or in spam, trash, drafts)."""
        buffer, gone = RowBuffer(MERGE_EVERY), []
        for message_id, resource in messages:
            if resource is None or OUT_OF_MAILBOX & set(resource.get("labelIds") or ()):
                gone.append(message_id)
                continue
            parsed = parse_message(resource, self.body_max_chars)
            if buffer.add(self.mailbox, parsed, self.run_id, self.clock()):
                self._merge(buffer)
        self._merge(buffer)
        return gone

    def _merge(self, buffer: RowBuffer) -> None:
        if not buffer.messages:
            return
        self.counts["gmail_messages"] += self.warehouse.merge("gmail_messages", buffer.messages, volatile=VOLATILE)
        self.counts["gmail_participants"] += self.warehouse.merge("gmail_participants", buffer.participants,
                                                                  volatile=("ingested_at",))
        self.counts["gmail_attachments"] += self.warehouse.merge("gmail_attachments", buffer.attachments,
                                                                 volatile=VOLATILE)
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
