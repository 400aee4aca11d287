"""Plain records for mail and calls (Salesforce records are dicts keyed by API field name)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sandbox.world_transcripts import TranscriptLine

_SPECIALS = set(',;:@<>()[]"\\.')


@dataclass(frozen=True, slots=True)
class Address:
    name: str
    email: str

    def header(self) -> str:
        """RFC 5322 form: `Jane Doe <jane@acme.com>`, `"Doe, Jane" <jane@acme.com>`, or the bare address."""
        if not self.name:
            return self.email
        if _SPECIALS & set(self.name):
            escaped = self.name.replace("\\", "\\\\").replace('"', '\\"')
            return f'"{escaped}" <{self.email}>'
        return f"{self.name} <{self.email}>"


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    mime_type: str
    size: int


@dataclass(slots=True)
class Email:
    """One message as it sits in one synced mailbox; a message seen by two mailboxes is two Emails
    with different Gmail ids and the same RFC 822 Message-ID."""

    message_id: str
    thread_id: str
    mailbox: str
    sender: Address
    to: list[Address]
    cc: list[Address]
    subject: str
    body: str
    sent_at: datetime
    labels: list[str]
    rfc822_id: str
    in_reply_to: str | None
    references: list[str]
    intent: str
    account_id: str | None
    record_id: str | None
    """The Contact or Lead on the customer side of the thread, if there is one."""
    attachments: list[Attachment] = field(default_factory=list)
    has_html: bool = False
    history_id: int = 0
    private: str | None = None
    """Why gmail-sync's default privacy filter leaves this message out (`internal`, `label`); None for the mail
    it stores. Truth for tests: the product never reads it."""


@dataclass(slots=True)
class EmailThread:
    """A conversation; `thread_ids` holds its Gmail thread id in each synced mailbox that has it."""

    root_id: str
    subject: str
    intent: str
    kind: str
    """contact, lead, unknown, personal or newsletter."""
    account_id: str | None
    record_id: str | None
    counterpart: Address
    thread_ids: dict[str, str] = field(default_factory=dict)
    message_count: int = 0


@dataclass(slots=True)
class Call:
    """A concluded Dialpad call; datetimes are aware UTC, the API layer turns them into epoch ms."""

    call_id: str
    date_started: datetime
    date_connected: datetime | None
    date_ended: datetime
    direction: str
    state: str
    external_number: str
    internal_number: str
    rep_user_id: str
    """The rep's Dialpad user id (`target.id` in the API)."""
    rep_sf_user_id: str
    rep_email: str
    rep_name: str
    contact: dict[str, str]
    """Dialpad's contact object: id, type, name, phone, email."""
    was_recorded: bool
    intent: str
    account_id: str | None
    record_id: str | None
    transcript: list[TranscriptLine] | None = None

    @property
    def duration_s(self) -> float:
        return (self.date_ended - self.date_connected).total_seconds() if self.date_connected else 0.0
