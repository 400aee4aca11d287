"""gmail-sync through its HTTP entry point against the Gmail fake, with a fresh mailbox state and warehouse."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sandbox.apis.gmail import GmailFake, gmail_fake
from sandbox.env import settings_env
from sandbox.gmail_render import MimeTruth
from sandbox.gmail_store import GmailStore, StoredMessage
from sandbox.server import Sandbox
from shared import entrypoint
from shared.warehouse import Warehouse, connect
from tools.invoke import invoke
from tools.pipeline import by_cloud_name

ENTRY = by_cloud_name("gmail-sync")
BATCH = "/batch/gmail/v1"
GMAIL = "/gmail/v1/users/"
SIGNER = "gmail-sync@sales-intel.iam.gserviceaccount.com"


@dataclass
class GmailHarness:
    sandbox: Sandbox
    warehouse: Warehouse
    monkeypatch: pytest.MonkeyPatch

    @classmethod
    @contextlib.contextmanager
    def start(cls, sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
              **env: str) -> Iterator[GmailHarness]:
        """Quota enforcement is off and pacing wide open unless a test turns them on."""
        gmail_fake(sandbox.app).store.reset()
        gmail_fake(sandbox.app).store.quota.enforce = False
        url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
        settings = {**settings_env(sandbox), "WAREHOUSE": url, "AUTO_SCHEMA": "false", "HTTP_BACKOFF_BASE": "0",
                    "GMAIL_QUOTA_UNITS_PER_SECOND": "1000000", "GMAIL_PROJECT_QUOTA_UNITS_PER_SECOND": "100000000",
                    **env}
        for name, value in settings.items():
            monkeypatch.setenv(name, value)
        warehouse = connect(url)
        warehouse.ensure_schema()
        try:
            yield cls(sandbox, warehouse, monkeypatch)
        finally:
            entrypoint.reset_runtimes()
            warehouse.close()

    @property
    def fake(self) -> GmailFake:
        return gmail_fake(self.sandbox.app)

    @property
    def store(self) -> GmailStore:
        return self.fake.store

    @property
    def mailboxes(self) -> list[str]:
        return list(self.sandbox.world.mailboxes)

    def run(self, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        return invoke(ENTRY, body if body is not None else {})

    def sync(self, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run and insist on a clean success."""
        status, answer = self.run(body)
        assert (status, answer["status"], answer["errors"]) == (200, "success", {}), answer
        return answer

    def truth(self, message: StoredMessage) -> MimeTruth:
        return message.render(self.sandbox.world.seed).truth

    def messages(self, mailbox: str | None = None) -> dict[tuple[str, str], dict[str, Any]]:
        where = "where mailbox = @mailbox" if mailbox else ""
        rows = self.warehouse.query(f"select * from gmail_messages {where}", {"mailbox": mailbox} if mailbox else {})
        return {(row["mailbox"], row["message_id"]): row for row in rows}

    def customer_mail(self, mailbox: str) -> list[StoredMessage]:
        """The mailbox's live messages that the default privacy filter stores (the world marks the others)."""
        return [m for m in self.store.messages_of(mailbox) if not m.email.private]

    def live_keys(self, mailbox: str | None = None, private: bool = False) -> set[tuple[str, str]]:
        """What a sync with the default privacy filter stores; `private` adds the mail that filter leaves out
        (but for spam and trash, which no sync stores)."""
        return {(box, m.email.message_id) for box in ([mailbox] if mailbox else self.mailboxes)
                for m in self.store.messages_of(box)
                if not m.email.private or (private and not {"SPAM", "TRASH"} & set(m.labels))}

    def listed_keys(self, mailbox: str | None = None) -> set[tuple[str, str]]:
        """What a full listing hands over with the default skip labels in its `q`, so what a first sync fetches:
        the customer mail and the internal-only mail, which is fetched and then left out."""
        return {(box, m.email.message_id) for box in ([mailbox] if mailbox else self.mailboxes)
                for m in self.store.messages_of(box) if m.email.private != "label"}

    def cursor(self, mailbox: str) -> str | None:
        rows = self.warehouse.query("select cursor_value from sync_state where job = 'gmail-sync' and scope = @s",
                                    {"s": mailbox})
        return rows[0]["cursor_value"] if rows else None

    def requests_for(self, mailbox: str) -> int:
        """HTTP requests to the fake that concern `mailbox` (direct calls, and batches naming it)."""
        quoted = mailbox.replace("@", "%40")
        return len(self.sandbox.log.matching(where=lambda r: r.path.startswith(GMAIL + mailbox) or (
            r.path == BATCH and quoted.encode() in r.body)))


def utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def squash(text: str) -> str:
    return " ".join(text.split())
