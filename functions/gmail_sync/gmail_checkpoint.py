"""The checkpoint of a mailbox's listing (full sync), saved in sync_state as JSON under scope `<mailbox>#full`.

A listing saves it when it starts and after every committed page, so a sync that stops at the time budget (or
fails) resumes where it stopped instead of starting over:

    {"v": 1, "state": "listing" | "done",
     "query": "after:1767225600" | null,     the listing's own filter (`since`, or the fallback window)
     "before": 1767312000 | null,            epoch seconds: set when a saved page token was refused and the
                                             listing went on from the oldest committed receipt date
     "page_token": "..." | null,             lists the first page not yet committed (null: from the top)
     "carried": ["18f0...", ...],            ids of that page and later ones already fetched (in the same batches
                                             as earlier pages): committed, or left out by the privacy filter
     "oldest": 1767300000 | null,            epoch seconds: the oldest internalDate of the committed pages
     "history_id": "123456" | null,          the history cursor to save once the listing completes (the
                                             profile's historyId read when the listing started); null: leave
                                             the history cursor where it is
     "refetch": false,                       true: fetch listed messages even when stored (fallback re-list)
     "pages": 3, "started_at": "2026-05-04T12:00:00+00:00", "started_by": "<run_id>"}

`state: "done"` (or no row) means no listing is in progress.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

VERSION = 1


def scope_of(mailbox: str) -> str:
    return f"{mailbox}#full"


@dataclass
class Listing:
    query: str | None
    history_id: str | None
    refetch: bool
    started_at: str
    started_by: str
    state: str = "listing"
    before: int | None = None
    page_token: str | None = None
    carried: tuple[str, ...] = ()
    oldest: int | None = None
    pages: int = 0

    @property
    def in_progress(self) -> bool:
        return self.state == "listing"

    def q(self) -> str | None:
        """The messages.list query: the listing's filter, bounded by `before` once it resumed by date."""
        terms = [term for term in (self.query, f"before:{self.before}" if self.before is not None else None)
                 if term]
        return " ".join(terms) or None

    def dumps(self) -> str:
        body: dict[str, Any] = {"v": VERSION, **dataclasses.asdict(self)}
        body["carried"] = list(self.carried)
        return json.dumps(body, sort_keys=True, separators=(",", ":"))

    @classmethod
    def loads(cls, text: str | None) -> Listing | None:
        """The saved listing, or None when there is none or it cannot be read (the caller starts afresh)."""
        if not text:
            return None
        try:
            body = json.loads(text)
            if not isinstance(body, dict) or body.pop("v", None) != VERSION:
                return None
            body["carried"] = tuple(body.get("carried") or ())
            return cls(**body)
        except (TypeError, ValueError):
            return None
