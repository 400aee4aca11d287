"""The privacy filter on mail: which messages gmail-sync does not store, and why.

Sales intelligence needs conversations with customers, not a rep's personal, HR or internal mail. A message is
skipped, and nothing of it stored, when (checked in this order):

- `label`: it carries a label of GMAIL_SKIP_LABELS (Gmail system labels and categories). The same labels are
  left out of every messages.list query (`-category:personal -in:chats`), so a full listing never fetches them
  at all; history hands over every changed message, so the label is checked on what was fetched too.
- `excluded`: one of its participants is on GMAIL_EXCLUDE (an address, or a domain and its subdomains).
- `internal`: GMAIL_EXTERNAL_ONLY is on and no participant is outside the company: every address is on
  COMPANY_DOMAINS or on a synced mailbox's domain (a message without any readable address counts as internal).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from gmail_mime import ParsedMessage

from shared.identity import normalize_email

QUERY_TERMS = {
    "CATEGORY_PERSONAL": "-category:personal", "CATEGORY_SOCIAL": "-category:social",
    "CATEGORY_PROMOTIONS": "-category:promotions", "CATEGORY_UPDATES": "-category:updates",
    "CATEGORY_FORUMS": "-category:forums", "CHAT": "-in:chats", "SPAM": None, "TRASH": None,
}
"""Labels GMAIL_SKIP_LABELS may name, and the list-query term that leaves each out (none for spam and trash:
messages.list never returns them without includeSpamTrash)."""
REASONS = ("label", "excluded", "internal")


@dataclass(frozen=True)
class MailFilter:
    skip_labels: frozenset[str] = frozenset()
    excluded: frozenset[str] = frozenset()
    """Lowercased addresses (with an @) and domains."""
    internal_domains: frozenset[str] = frozenset()
    external_only: bool = False

    @classmethod
    def of(cls, skip_labels: Iterable[str], excluded: Iterable[str], company_domains: Iterable[str],
           mailboxes: Iterable[str], external_only: bool) -> MailFilter:
        internal = {d.lower() for d in company_domains} | {m.rpartition("@")[2].lower() for m in mailboxes}
        return cls(frozenset(skip_labels), frozenset(e.strip().lower() for e in excluded if e.strip()),
                   frozenset(d for d in internal if d), external_only)

    @cached_property
    def key(self) -> str:
        """A short stable digest of the settings: skips recorded under another key are decided again."""
        settings = [sorted(self.skip_labels), sorted(self.excluded), sorted(self.internal_domains), self.external_only]
        return hashlib.sha256(json.dumps(settings).encode()).hexdigest()[:16]

    def list_terms(self) -> str | None:
        """The messages.list `q` terms that leave the skipped labels out, in a stable order."""
        terms = [term for label in sorted(self.skip_labels) if (term := QUERY_TERMS.get(label))]
        return " ".join(terms) or None

    def reason(self, message: ParsedMessage) -> str | None:
        """Why the message is not stored (one of REASONS), or None to store it."""
        if self.skip_labels & set(message.labels):
            return "label"
        addresses = [a for _, raw, _ in message.participants if (a := normalize_email(raw))]
        if self.excluded and any(self._excluded(a) for a in addresses):
            return "excluded"
        if self.external_only and not any(a.rpartition("@")[2] not in self.internal_domains for a in addresses):
            return "internal"
        return None

    def _excluded(self, address: str) -> bool:
        if address in self.excluded:
            return True
        domain = address.rpartition("@")[2]
        return any(domain == d or domain.endswith("." + d) for d in self.excluded if "@" not in d)
