"""Where a source's collection stands, saved in its cursor so that a run cut by the time budget resumes.

The cursor value (`sync_state`, job usage-collect, scope = source) is one of:

- the last day collected, `YYYY-MM-DD`: nothing is pending;
- a JSON checkpoint while a window is unfinished (a run stopped at the time budget, failed, or is running), or
  finished while another requested source is still pending (step `done`):
  `{"last": "YYYY-MM-DD" or null, "plan": {"start": day, "end": day, "step": name, "page": token or null,
  "since": day or null, "next_day": day or null}}`:
  - `last`: the last day collected before this window (what the plain value was);
  - `start`, `end`: the window being collected (inclusive);
  - `step`: the part in progress, in order: Anthropic `api_keys`, `usage`, `cost`, `claude_code`;
    Cursor `members`, `daily`, `events`, `spend`; then `done`;
  - `next_day`: the first day of the step not committed yet (null: the window's start);
  - `page`: the report's `next_page` token of the step's next page (usage and cost reports), or the number of
    the next page of usage events of the request window starting at `next_day` (Cursor `events`);
  - `since`: the `starting_at` day of those report requests when it is not `start` (set when the source
    refused a saved page token and the rest of the window was asked for afresh from `next_day`).

Each unit of collection (a report page of up to 31 daily buckets, a few days of Claude Code, a Cursor request
window of daily usage, a page of Cursor usage events, a whole small list) is merged and then pruned over its own
days only, which are complete (usage events: over a request window's days once all its pages are in); the
position is saved after units that changed rows and whenever the run stops, in one `set_cursor` call with the
day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from usage_window import DAY, Window

from shared.budget import TimeBudget
from shared.ledger import RunLedger
from shared.log import get_logger

log = get_logger(__name__)
DONE = "done"
_DATES = ("start", "end", "since", "next_day")


@dataclass
class Plan:
    start: dt.date
    end: dt.date
    step: str
    page: str | None = None
    since: dt.date | None = None
    next_day: dt.date | None = None

    @classmethod
    def of(cls, window: Window, first_step: str) -> Plan:
        return cls(window.start, window.end, first_step)

    @property
    def window(self) -> Window:
        return Window(self.start, self.end)

    @property
    def remaining(self) -> Window:
        """What is left of the window in this step (may be empty: start after end)."""
        return Window(self.next_day or self.start, self.end)

    def covers(self, window: Window) -> bool:
        return self.start <= window.start and window.end <= self.end

    def next_step(self, step: str) -> None:
        self.step, self.page, self.since, self.next_day = step, None, None, None

    def committed_through(self, day: dt.date, page: str | None = None) -> None:
        self.next_day, self.page = day + DAY, page

    def to_json(self) -> dict[str, Any]:
        document = dataclasses.asdict(self)
        return {k: (v.isoformat() if k in _DATES and v is not None else v) for k, v in document.items()}

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> Plan:
        def day(name: str) -> dt.date | None:
            value = document.get(name)
            return dt.date.fromisoformat(value) if value else None

        start, end = day("start"), day("end")
        if start is None or end is None or not document.get("step"):
            raise ValueError(f"a usage checkpoint without start, end or step: {document}")
        return cls(start, end, str(document["step"]), document.get("page"), day("since"), day("next_day"))


@dataclass
class SourceCursor:
    last: dt.date | None = None
    plan: Plan | None = None

    @classmethod
    def decode(cls, value: str | None) -> SourceCursor:
        if not value:
            return cls()
        if not value.lstrip().startswith("{"):
            return cls(dt.date.fromisoformat(value))
        document: dict[str, Any] = json.loads(value)
        last, plan = document.get("last"), document.get("plan")
        return cls(dt.date.fromisoformat(last) if last else None, Plan.from_json(plan) if plan else None)

    def encode(self) -> str:
        last = self.last.isoformat() if self.last else None
        if self.plan is None:
            return last or ""
        return json.dumps({"last": last, "plan": self.plan.to_json()}, sort_keys=True)

    def finished(self, plan: Plan) -> None:
        """The window is collected: the day moves forward only (a backfill of older days leaves it). The plan is
        kept at step `done` until the run closes the cursor (see `Checkpoints.close`)."""
        plan.next_step(DONE)
        self.plan = plan
        if self.last is None or self.last < plan.end:
            self.last = plan.end


class Checkpoints:
    """One source's cursor during a run: saves the position between units and stops at the time budget."""

    def __init__(self, ledger: RunLedger, job: str, source: str, run_id: str, budget: TimeBudget) -> None:
        self.ledger, self.job, self.source, self.run_id, self.budget = ledger, job, source, run_id, budget
        stored = ledger.get_cursor(job, source)
        self.stored = stored or ""
        self.state = SourceCursor.decode(stored)
        self.first_unit = True
        self.unsaved = False
        self.once: set[str] = set()
        """Steps that collect a snapshot (key list, members, spend) already done by this run."""

    def between(self, what: str) -> None:
        """Before every unit but the scope's first: save the position if needed, then check the budget."""
        if self.first_unit:
            self.first_unit = False
            return
        if self.unsaved or self.budget.exhausted:
            self.save()
        self.budget.checkpoint(f"{self.source}'s last unit (next: {what})")

    def once_per_run(self, step: str) -> bool:
        """True the first time this run reaches a snapshot step (a second window in the same run skips it)."""
        if step in self.once:
            return False
        self.once.add(step)
        return True

    def committed(self, changed: int) -> int:
        self.unsaved = self.unsaved or changed > 0
        return changed

    def save(self) -> None:
        value = self.state.encode()
        if value != self.stored:
            self.ledger.set_cursor(self.job, self.source, value, self.run_id)
            self.stored = value
        self.unsaved = False

    def close(self, keep_plan: bool) -> None:
        """Save a source whose windows are collected: the plain day, or, while other requested sources are still
        pending, its finished plan (step `done`), so that the runs finishing them skip the window it covers
        instead of collecting it again (a repeated request converges)."""
        if not keep_plan and self.state.plan is not None and self.state.plan.step == DONE:
            self.state.plan = None
        self.save()

    def save_quietly(self) -> None:
        try:
            self.save()
        except Exception:
            log.exception("could not save the position of %s", self.source, extra={"scope": self.source})
