"""gmail-sync `purge`: remove the stored messages the current privacy filter would not store.

Changing the filter never deletes rows by itself; a purge request does, so a data-protection request can be
honoured. Per mailbox, one query finds the messages (gmail_purge_select.sql), then their rows go from
gmail_messages (with their embeddings, which live on the message row), gmail_participants, gmail_attachments and
activity_signals, in chunks. The message rows go first; participant or attachment rows a purge cut short leaves
without their message are found and removed by the next purge. Nothing is fetched from Gmail.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from gmail_privacy import MailFilter

from shared.budget import TimeBudget
from shared.log import get_logger
from shared.warehouse import Typed, Warehouse

log = get_logger(__name__)
CHUNK = 10_000
DELETES = ("jobs/gmail_purge_messages.sql", "jobs/gmail_purge_participants.sql",
           "jobs/gmail_purge_attachments.sql", "jobs/gmail_purge_signals.sql")
"""In the order they run: the message rows first."""


def strings(values: Iterable[str]) -> Typed:
    return Typed(sorted(values), "ARRAY<STRING>")


def purge_mailbox(mailbox: str, mail_filter: MailFilter, warehouse: Warehouse, budget: TimeBudget,
                  counts: Counter[str]) -> None:
    found = warehouse.query("jobs/gmail_purge_select.sql", {
        "mailbox": mailbox, "skip_labels": strings(mail_filter.skip_labels),
        "excluded_addresses": strings(e for e in mail_filter.excluded if "@" in e),
        "excluded_domains": strings(e for e in mail_filter.excluded if "@" not in e),
        "internal_domains": strings(mail_filter.internal_domains), "external_only": mail_filter.external_only})
    ids = [row["message_id"] for row in found]
    counts["gmail_messages_purged"] += 0
    for start in range(0, len(ids), CHUNK):
        chunk = Typed(ids[start:start + CHUNK], "ARRAY<STRING>")
        for statement in DELETES:
            warehouse.query(statement, {"mailbox": mailbox, "message_ids": chunk})
        counts["gmail_messages_purged"] += len(ids[start:start + CHUNK])
        if start + CHUNK < len(ids):
            budget.checkpoint(f"{mailbox}: {start + CHUNK} of {len(ids)} messages purged")
    log.info("purged %d stored messages the privacy filter excludes", len(ids), extra={"scope": mailbox})
