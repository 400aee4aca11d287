"""How the Dialpad fake renders the world: calls and transcripts in the API's wire format, error bodies,
and the per-key rate limits it enforces.

Dialpad's official examples serialise int64 values (ids, epoch-ms timestamps) as JSON strings; clients
must accept numbers too, so a deterministic quarter of the calls (call_id divisible by 4) is rendered with
numeric int64 values.

Tests serve malformed records through `DialpadFake.wire_overrides` (fields replaced in a call's rendered record,
or left out with ABSENT), applied by `render_call`.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import Response, jsonify

from sandbox.world_models import Call

LIST_PER_MINUTE = 1200
CALL_GET_PER_MINUTE = 10
TRANSCRIPTS_PER_MINUTE = 1200
COMPANY_PER_SECOND = 20


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _Absent()
"""A `wire_overrides` value: the field is left out of the record."""


def epoch_ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def numeric_int64(call: Call) -> bool:
    return int(call.call_id) % 4 == 0


def _int64(call: Call) -> Callable[[str | int], str | int]:
    return (lambda value: int(value)) if numeric_int64(call) else (lambda value: str(value))


def render_call(call: Call, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One call as GET /api/v2/call lists it (durations in milliseconds, as doubles), with `overrides` (a
    test's malformed fields) applied last."""
    i64 = _int64(call)
    started, ended = epoch_ms(call.date_started), epoch_ms(call.date_ended)
    connected = epoch_ms(call.date_connected) if call.date_connected else None
    body: dict[str, Any] = {
        "call_id": i64(call.call_id),
        "date_started": i64(started), "date_rang": i64(started),
        "date_connected": i64(connected) if connected is not None else None,
        "date_ended": i64(ended),
        "duration": float(ended - connected) if connected is not None else 0.0,
        "total_duration": float(ended - started),
        "direction": call.direction, "state": call.state,
        "external_number": call.external_number, "internal_number": call.internal_number,
        "is_transferred": False, "was_recorded": call.was_recorded,
        "contact": {**call.contact, "id": i64(call.contact["id"])},
        "target": {"id": i64(call.rep_user_id), "type": "user", "name": call.rep_name,
                   "phone": call.internal_number, "email": call.rep_email},
        "labels": [],
    }
    if call.was_recorded and connected is not None:
        body["recording_details"] = [{
            "id": i64(call.call_id), "recording_type": "callrecording", "start_time": i64(connected),
            "duration": ended - connected, "url": f"https://dialpad.com/r/{call.call_id}",
        }]
    for name, value in (overrides or {}).items():
        if value is ABSENT:
            body.pop(name, None)
        else:
            body[name] = value
    return body


def render_transcript(call: Call) -> dict[str, Any]:
    """GET /api/v2/transcripts/{call_id}: spoken lines and moments, `time` as UTC ISO without a zone."""
    i64 = _int64(call)
    base = (call.date_connected or call.date_started).timestamp()
    lines = []
    for line in call.transcript or []:
        who: dict[str, Any] = ({"user_id": i64(call.rep_user_id)} if line.is_rep
                               else {"contact_id": str(call.contact["id"])})
        spoken = datetime.fromtimestamp(base + line.offset_s, UTC).replace(tzinfo=None)
        lines.append({**who, "name": line.speaker, "content": line.text,
                      "time": spoken.isoformat(timespec="microseconds"), "type": line.kind})
    return {"call_id": i64(call.call_id), "lines": lines}


def error(status: int, reason: str, message: str, headers: dict[str, str] | None = None) -> Response:
    """Dialpad's error body (shape from the API reference, marked unverified there)."""
    response = jsonify({"error": {"code": status, "message": message,
                                  "errors": [{"domain": "global", "reason": reason, "message": message}]}})
    response.status_code = status
    response.headers.update(headers or {})
    return response


@dataclass
class RateLimits:
    """Sliding-window limits per API key: per endpoint per minute, and the company-wide per-second cap.

    `clock` is swappable so tests can step time; `enabled=False` lifts every limit (benchmarks)."""

    enabled: bool = True
    clock: Callable[[], float] = time.monotonic
    per_minute: dict[str, int] = field(default_factory=lambda: {
        "list": LIST_PER_MINUTE, "call": CALL_GET_PER_MINUTE, "transcripts": TRANSCRIPTS_PER_MINUTE})
    company_per_second: int = COMPANY_PER_SECOND
    _hits: dict[tuple[str, str], deque[float]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def retry_after(self, api_key: str, endpoint: str) -> int | None:
        """Seconds to wait when this request is over a limit (it is then not counted), else None."""
        if not self.enabled:
            return None
        with self._lock:
            now = self.clock()
            checks = ((endpoint, 60.0, self.per_minute[endpoint]), ("company", 1.0, self.company_per_second))
            for name, span, limit in checks:
                hits = self._window(api_key, name, span, now)
                if len(hits) >= limit:
                    return max(1, math.ceil(span - (now - hits[0])))
            for name, _span, _limit in checks:
                self._hits[(api_key, name)].append(now)
            return None

    def _window(self, api_key: str, name: str, span: float, now: float) -> deque[float]:
        hits = self._hits.setdefault((api_key, name), deque())
        while hits and now - hits[0] >= span:
            hits.popleft()
        return hits

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
