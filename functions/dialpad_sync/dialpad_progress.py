"""Where a listing of calls stands, saved in the `calls` cursor so that a run cut by the time budget resumes.

The cursor value (`sync_state`, job dialpad-sync, scope calls) is one of:

- the latest `date_started` committed, ISO 8601 (`2026-05-01T22:32:52.000+00:00`): nothing is pending, the
  next incremental run lists from it minus the lookback;
- a JSON checkpoint while a listing is unfinished (a run stopped at the time budget, failed, or is running),
  or finished while the run left transcripts pending (the plan then stands at its end):
  `{"latest": ISO or null, "plan": {"start": ms, "after": ms, "before": ms or null, "page": cursor or null,
  "oldest": ms or null, "newest": ms or null, "until": ms or null}}`, times in epoch ms:
  - `start`: where the listing began (exclusive);
  - `after`: every call with `date_started <= after` is committed (the lower bound of the window in progress);
  - `before`: the exclusive upper bound of the window in progress (null: the next window starts at `after`
    and is cut when it starts);
  - `page`: Dialpad's list cursor of that window's next page (null: its first page);
  - `oldest` / `newest`: the oldest and newest `date_started` committed in that window so far (Dialpad lists
    a window newest first);
  - `until`: set when Dialpad refused the saved `page` cursor: the rest of the window is listed afresh below
    it (`oldest` + 1 ms).

Either form is written in one `set_cursor` call, so the latest committed call and the position move together.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from shared.ledger import RunLedger


@dataclass
class Plan:
    start: int
    after: int
    before: int | None = None
    page: str | None = None
    oldest: int | None = None
    newest: int | None = None
    until: int | None = None

    @classmethod
    def starting_at(cls, start_ms: int) -> Plan:
        return cls(start_ms, start_ms)

    def committed(self, oldest: int | None, newest: int | None, page: str | None) -> None:
        """A batch of the current window is committed; `page` is the cursor of the window's next page."""
        if oldest is not None:
            self.oldest = oldest if self.oldest is None else min(self.oldest, oldest)
        if newest is not None:
            self.newest = newest if self.newest is None else max(self.newest, newest)
        self.page = page

    def next_window(self) -> None:
        """The current window is complete: everything up to its last millisecond is committed."""
        assert self.before is not None
        self.after, self.before, self.page, self.oldest, self.newest, self.until = (
            self.before - 1, None, None, None, None, None)

    @property
    def listed_before(self) -> int:
        """The `started_before` of the current window's requests."""
        bound = self.until or self.before
        assert bound is not None
        return bound


@dataclass
class CallsCursor:
    latest: dt.datetime | None = None
    plan: Plan | None = None

    @classmethod
    def decode(cls, value: str | None) -> CallsCursor:
        if not value:
            return cls()
        if not value.lstrip().startswith("{"):
            return cls(dt.datetime.fromisoformat(value))
        document: dict[str, Any] = json.loads(value)
        latest = document.get("latest")
        plan = document.get("plan")
        return cls(dt.datetime.fromisoformat(latest) if latest else None,
                   Plan(**{f.name: plan.get(f.name) for f in dataclasses.fields(Plan)}) if plan else None)

    def encode(self) -> str:
        latest = self.latest.isoformat(timespec="milliseconds") if self.latest else None
        if self.plan is None:
            return latest or ""
        return json.dumps({"latest": latest, "plan": dataclasses.asdict(self.plan)}, sort_keys=True)

    def saw(self, newest: dt.datetime | None) -> None:
        """Move the latest committed call forward (never back)."""
        if newest is not None and (self.latest is None or newest > self.latest):
            self.latest = newest


class CursorSaver:
    """Writes a scope's cursor only when its value changed (a re-run that moves nothing writes nothing)."""

    def __init__(self, ledger: RunLedger, job: str, scope: str, run_id: str, stored: str | None) -> None:
        self.ledger, self.job, self.scope, self.run_id = ledger, job, scope, run_id
        self.stored = stored or ""

    def save(self, value: str) -> None:
        if value != self.stored:
            self.ledger.set_cursor(self.job, self.scope, value, self.run_id)
            self.stored = value
