"""Fetching transcripts for a batch of calls, a few at a time, without letting one failure stop the batch.

Each call's outcome is one of: a transcript (possibly `absent` when Dialpad answers 404 for a call that
ended long enough ago), or None: the fetch failed, the call ended within the grace period and Dialpad has
not transcribed it yet, or the time budget was spent before its pooled batch started (`deferred`). A None
leaves the call's `has_transcript` NULL, so a later run retries it.

Transcripts are fetched in pooled batches of DIALPAD_TRANSCRIPT_BATCH_SIZE; the time budget is checked between
batches, never before the first batch of a fetch, so every fetch makes progress.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import requests
from dialpad_client import DialpadClient
from dialpad_records import Transcript, transcript_rows

from shared.budget import TimeBudget, unlimited
from shared.log import get_logger

log = get_logger(__name__)
_EXAMPLES = 3


class TranscriptsIncompleteError(RuntimeError):
    """Some transcripts could not be fetched; their calls are stored and the transcripts retried next run."""


@dataclass
class TranscriptTally:
    attempted: int = 0
    fetched: int = 0
    not_ready: int = 0
    failed: int = 0
    deferred: int = 0
    """Not fetched because the time budget was spent: left NULL and fetched by the next run."""
    examples: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, outcome: str, detail: str | None = None) -> None:
        with self._lock:
            self.attempted += 1
            setattr(self, outcome, getattr(self, outcome) + 1)
            if detail and len(self.examples) < _EXAMPLES:
                self.examples.append(detail)

    def defer(self, count: int) -> None:
        with self._lock:
            self.deferred += count

    def raise_if_failed(self) -> None:
        if self.failed:
            raise TranscriptsIncompleteError(
                f"{self.failed} of {self.attempted} transcripts failed and will be retried next run "
                f"(their calls are stored); e.g. {'; '.join(self.examples)}")


class TranscriptFetcher:
    def __init__(self, client: DialpadClient, pool: Executor, now: dt.datetime, grace: dt.timedelta,
                 budget: TimeBudget | None = None, batch_size: int = 100) -> None:
        self.client, self.pool, self.now, self.grace = client, pool, now, grace
        self.budget = budget or unlimited()
        self.batch_size = batch_size
        self.tally = TranscriptTally()

    def fetch(self, calls: Sequence[Mapping[str, Any]]) -> dict[str, Transcript | None]:
        """Outcome per call id for calls given as rows with call_id, call_time, connected_at, ended_at, in pooled
        batches; once the time budget is spent, the calls of the batches not started yet are deferred (None)."""
        outcomes: dict[str, Transcript | None] = {}
        for first in range(0, len(calls), self.batch_size):
            batch = calls[first:first + self.batch_size]
            if first and self.budget.exhausted:
                rest = calls[first:]
                self.tally.defer(len(rest))
                outcomes.update((call["call_id"], None) for call in rest)
                log.info("time budget spent: %d transcripts left for the next run", len(rest),
                         extra={"scope": "transcripts"})
                break
            outcomes.update(zip((call["call_id"] for call in batch), self.pool.map(self._one, batch), strict=True))
        return outcomes

    def _one(self, call: Mapping[str, Any]) -> Transcript | None:
        call_id = call["call_id"]
        try:
            body = self.client.transcript(call_id)
        except (requests.RequestException, ValueError) as exc:
            log.warning("transcript of call %s failed: %s", call_id, exc, extra={"scope": "transcripts"})
            self.tally.count("failed", f"{call_id}: {type(exc).__name__}: {str(exc)[:200]}")
            return None
        if body is None and self._recent(call):
            self.tally.count("not_ready")
            return None
        self.tally.count("fetched")
        if body is None:
            return Transcript.absent()
        return transcript_rows(call_id, body, call.get("connected_at"), call.get("call_time"))

    def _recent(self, call: Mapping[str, Any]) -> bool:
        ended = call.get("ended_at") or call.get("call_time")
        return ended is not None and self.now - ended < self.grace
