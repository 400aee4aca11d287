"""Loading listed calls into the warehouse, batch by batch, fetching transcripts only where needed.

A call is written when it is new, when any field taken from Dialpad changed (`source_hash` differs), or when
its transcript is still missing from an earlier run; an unchanged call is neither written nor re-fetched, so a
re-run writes nothing. Transcript lines are merged before their call row, so a crash between the two leaves
the call looking unsynced and the next run redoes both.

A malformed listed call (`MalformedCallError`: no id, a missing, unreadable or implausible `date_started`, another
unreadable field) is skipped: counted under `dialpad_calls_skipped`, logged at warning level with its call_id and
reason, and the batch goes on. It moves neither the cursor's latest call nor the window's bounds, so the
listing still advances past it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dialpad_records import MalformedCallError, Row, Transcript, call_row
from dialpad_settings import DialpadSettings
from dialpad_transcripts import TranscriptFetcher

from shared.budget import TimeBudget, unlimited
from shared.ledger import JobResult
from shared.log import get_logger
from shared.warehouse import Warehouse

log = get_logger(__name__)
CALLS, LINES, SKIPPED = "dialpad_calls", "dialpad_transcript_lines", "dialpad_calls_skipped"
CLOCK_SKEW = dt.timedelta(hours=1)
"""How far past the run's start a listed call's `date_started` may lie before it is refused as implausible."""
VOLATILE = ("ingested_at", "_run_id")


def as_utc(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return value


@dataclass
class CallLoader:
    warehouse: Warehouse
    settings: DialpadSettings
    fetcher: TranscriptFetcher
    result: JobResult
    run_id: str
    now: dt.datetime
    budget: TimeBudget = field(default_factory=unlimited)

    @property
    def _stamp(self) -> Row:
        return {"ingested_at": self.now, "_run_id": self.run_id}

    def load_batch(self, raws: Iterable[Mapping[str, Any]]) -> tuple[dt.datetime | None, dt.datetime | None, int]:
        """Load one batch of listed calls: (oldest, newest date_started in it, call rows written), all committed."""
        rows = self._rows(raws)
        if not rows:
            return None, None, 0
        written = self._load(rows)
        times = [row["call_time"] for row in rows]
        return min(times), max(times), written

    def _rows(self, raws: Iterable[Mapping[str, Any]]) -> list[Row]:
        """The batch's call rows, one per call_id, without the malformed calls (counted and logged)."""
        rows: dict[str, Row] = {}
        latest = self.now + CLOCK_SKEW
        for raw in raws:
            try:
                row = call_row(raw, self.settings.dialpad_default_region, latest)
            except MalformedCallError as bad:
                self.result.add(SKIPPED, 1)
                call_id = raw.get("call_id")
                log.warning("skipped a malformed call: %s", bad, extra={
                    "scope": "calls", "call_id": None if call_id is None else str(call_id)[:40],
                    "reason": str(bad)})
                continue
            rows[row["call_id"]] = row
        return list(rows.values())

    def _load(self, rows: list[Row]) -> int:
        known = {r["call_id"]: r for r in self.warehouse.query(
            "jobs/dialpad_known_calls.sql", {"call_ids": [row["call_id"] for row in rows]})}
        todo = [row for row in rows if _needs_write(row, known.get(row["call_id"]))]
        if not todo:
            return 0
        transcripts = self.fetcher.fetch([row for row in todo if row["was_recorded"]])
        complete: list[Row] = []
        incomplete: list[Row] = []
        for row in todo:
            transcript = transcripts.get(row["call_id"]) if row["was_recorded"] else Transcript.absent()
            if transcript is None:
                incomplete.append({**row, **self._stamp, "has_transcript": None})
            else:
                complete.append({**row, **self._stamp, **transcript.columns})
        return self._write(complete + incomplete, transcripts, refreshed=[r["call_id"] for r in complete
                                                                          if r["call_id"] in known])

    def _write(self, call_rows: list[Row], transcripts: Mapping[str, Transcript | None],
               refreshed: list[str]) -> int:
        """Lines first, then calls (rows of the same shape per merge), then stale lines of refreshed calls;
        returns the call rows inserted or changed."""
        lines = [{**line, **self._stamp} for t in transcripts.values() if t for line in t.lines]
        self.result.add(LINES, self.warehouse.merge(LINES, lines, volatile=VOLATILE) if lines else 0)
        written = 0
        for shape in {tuple(row) for row in call_rows}:
            written += self.warehouse.merge(CALLS, [r for r in call_rows if tuple(r) == shape], volatile=VOLATILE)
        self.result.add(CALLS, written)
        if refreshed:
            self.warehouse.query("jobs/dialpad_trim_transcript_lines.sql", {"call_ids": refreshed})
        return written

    def retry_missing_transcripts(self) -> None:
        """Transcripts an earlier run could not fetch (failures, not ready yet, left at the time budget), oldest
        calls first, one pooled batch at a time: each batch is committed before the budget is checked, and
        `OutOfTime` leaves the rest to the next run."""
        limit = self.settings.dialpad_transcript_retry_limit
        pending = self.warehouse.query("jobs/dialpad_missing_transcripts.sql", {"max_calls": limit}) if limit else []
        if not pending:
            return
        calls = [{column: as_utc(value) for column, value in row.items()} for row in pending]
        size, done_total = self.fetcher.batch_size, 0
        for first in range(0, len(calls), size):
            if first:
                self.budget.checkpoint(f"{first} of {len(calls)} transcript retries")
            outcomes = self.fetcher.fetch(calls[first:first + size])
            done = {call_id: t for call_id, t in outcomes.items() if t is not None}
            done_total += len(done)
            if done:
                rows = [{"call_id": call_id, **t.columns, **self._stamp} for call_id, t in done.items()]
                self._write(rows, done, refreshed=list(done))
            log.info("retried missing transcripts", extra={"scope": "transcripts", "pending": len(pending),
                                                            "tried": min(first + size, len(calls)),
                                                            "done": done_total})


def _needs_write(row: Row, known: Mapping[str, Any] | None) -> bool:
    if known is None or known["source_hash"] != row["source_hash"]:
        return True
    return bool(row["was_recorded"]) and known["has_transcript"] is None
