"""The checkpoint of one object's unfinished listing, stored as JSON in sync_state `<Object>#listing`.

A completed incremental listing is cleared (saved as ""); a completed full listing leaves `{"done": true}`, so
that while other objects of the same full sync are still unfinished, a repeated full request resumes those and
leaves the finished ones alone instead of listing them all over again (see `full_sync_unfinished`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Literal

from shared.log import get_logger

log = get_logger(__name__)
JOB = "salesforce-sync"
LISTING_SUFFIX = "#listing"
Record = dict[str, Any]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Listing:
    """REST: `{"api": "rest", "full": true, "high": "<SystemModstamp>", "after_id": "<Id>"}`, the last committed
    record in (SystemModstamp, Id) order; the listing resumes with `SystemModstamp > high OR (SystemModstamp =
    high AND Id > after_id)`.
    Bulk: `{"api": "bulk", "full": true, "job": "<job id>", "created": "<UTC>", "complete": false,
    "locator": "<next result set>", "high": "<SystemModstamp>"}`: saved as soon as the job is created, then
    after each committed result set; `high` is the newest SystemModstamp of the sets committed so far (Bulk
    results are unordered, so the object's cursor takes it only when the job is fully loaded).
    A full listing also carries `sync_id` (the run that started it; the ids it returned are kept under it in
    `sf_listing_seen`) and `started` (when it started), for the delete reconciliation at its end.
    """

    api: Literal["rest", "bulk"]
    full: bool
    high: str | None = None
    after_id: str | None = None
    job: str | None = None
    created: str | None = None
    complete: bool = False
    locator: str = ""
    sync_id: str | None = None
    started: str | None = None
    done: bool = False
    """A full listing that completed, whichever API read it: `{"done": true, "full": true}`."""

    @property
    def unfinished(self) -> bool:
        return not self.done

    def dump(self) -> str:
        names = ("done", "full") if self.done else ("api", "full", "high", "after_id", "sync_id", "started") \
            if self.api == "rest" else ("api", "full", "job", "created", "complete", "locator", "high", "sync_id",
                                        "started")
        kept = {name: getattr(self, name) for name in names if getattr(self, name) is not None}
        return json.dumps(kept, sort_keys=True)

    @classmethod
    def load(cls, text: str | None) -> Listing | None:
        """The saved checkpoint; None when there is none (or it cannot be read, which restarts the listing)."""
        if not text:
            return None
        try:
            found = json.loads(text)
            listing = cls("rest", full=True, done=True) if found == {"done": True, "full": True} else cls(**found)
        except (ValueError, TypeError) as exc:
            log.warning("ignoring an unreadable listing checkpoint: %s", exc, extra={"checkpoint": text[:200]})
            return None
        if listing.api not in ("rest", "bulk") or (not listing.done and (
                (listing.api == "bulk" and not listing.job) or
                (listing.api == "rest" and not (listing.high and listing.after_id)))):
            log.warning("ignoring an incomplete listing checkpoint", extra={"checkpoint": text[:200]})
            return None
        return listing


@dataclass(frozen=True)
class Batch:
    records: list[Record]
    more: bool
    """More records follow in this listing (a page or result set not fetched yet)."""


def full_sync_unfinished(listings: dict[str, str | None]) -> bool:
    """Some object (of those named, with their `#listing` values) has a full listing that is not done yet."""
    found = (Listing.load(text) for text in listings.values())
    return any(listing is not None and listing.full and listing.unfinished for listing in found)
