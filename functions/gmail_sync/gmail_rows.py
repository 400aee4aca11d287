"""Warehouse rows for parsed messages: gmail_messages, gmail_participants and gmail_attachments.

Rows carry only the columns this job owns, so a re-sync never touches the embedding columns written by
generate-embeddings or the resolution columns written by entity-resolution (merge writes only what it gets).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from gmail_mime import ParsedMessage

from shared.identity import email_domain, normalize_email

VOLATILE = ("ingested_at", "_run_id")
Row = dict[str, Any]


def message_row(mailbox: str, message: ParsedMessage, run_id: str, now: dt.datetime) -> Row:
    sender = next(((addr, name) for role, addr, name in message.participants if role == "from"), None)
    return {
        "mailbox": mailbox, "message_id": message.message_id, "thread_id": message.thread_id,
        "history_id": message.history_id, "labels": message.labels, "sent_at": message.sent_at,
        "internal_at": message.internal_at, "subject": message.subject,
        "from_email": normalize_email(sender[0]) if sender else None, "from_name": sender[1] if sender else None,
        "snippet": message.snippet, "body_text": message.body_text, "body_truncated": message.body_truncated,
        "body_source": message.body_source, "rfc822_message_id": message.rfc822_message_id,
        "in_reply_to": message.in_reply_to, "references_ids": message.references,
        "size_estimate": message.size_estimate, "attachment_count": len(message.attachments),
        "is_deleted": False, "deleted_at": None, "ingested_at": now, "_run_id": run_id,
    }


def participant_rows(mailbox: str, message: ParsedMessage, now: dt.datetime) -> list[Row]:
    rows: dict[tuple[str, str], Row] = {}
    for role, raw, name in message.participants:
        address = normalize_email(raw)
        if address is None or (address, role) in rows:
            continue
        rows[(address, role)] = {
            "mailbox": mailbox, "message_id": message.message_id, "email_address": address, "role": role,
            "display_name": name, "domain": email_domain(address), "sent_at": message.sent_at,
            "ingested_at": now,
        }
    return list(rows.values())


def attachment_rows(mailbox: str, message: ParsedMessage, run_id: str, now: dt.datetime) -> list[Row]:
    return [{
        "mailbox": mailbox, "message_id": message.message_id, "part_id": a.part_id, "filename": a.filename,
        "mime_type": a.mime_type, "size_bytes": a.size_bytes, "is_inline": a.is_inline,
        "sent_at": message.sent_at, "ingested_at": now, "_run_id": run_id,
    } for a in message.attachments]


@dataclass
class RowBuffer:
    """Rows of up to `limit` messages, merged together so memory stays bounded."""

    limit: int
    messages: list[Row] = field(default_factory=list)
    participants: list[Row] = field(default_factory=list)
    attachments: list[Row] = field(default_factory=list)

    def add(self, mailbox: str, message: ParsedMessage, run_id: str, now: dt.datetime) -> bool:
        """Buffer one message; True when the buffer is full."""
        self.messages.append(message_row(mailbox, message, run_id, now))
        self.participants.extend(participant_rows(mailbox, message, now))
        self.attachments.extend(attachment_rows(mailbox, message, run_id, now))
        return len(self.messages) >= self.limit

    def clear(self) -> None:
        self.messages, self.participants, self.attachments = [], [], []
