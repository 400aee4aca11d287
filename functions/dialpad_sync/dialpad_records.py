"""Dialpad payloads → warehouse rows: calls (`dialpad_calls`) and transcript lines (`dialpad_transcript_lines`).

Dialpad's examples send int64 values (ids, epoch-ms times) as JSON strings; some clients and endpoints send
numbers. Both are accepted everywhere. Durations arrive in milliseconds and are stored in seconds.
A listed call that cannot be stored as it is (no id, no readable or plausible start, an unreadable field) raises
`MalformedCallError`; the loader skips it with its reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.phones import to_e164

Row = dict[str, Any]
HASHED_COLUMNS = (
    "call_id", "call_time", "connected_at", "ended_at", "direction", "state", "duration_seconds",
    "total_duration_seconds", "from_number", "to_number", "external_number", "internal_number",
    "external_number_raw", "internal_number_raw", "rep_user_id", "rep_email", "rep_name", "contact_id",
    "contact_type", "contact_name", "contact_email", "contact_phone", "was_recorded",
)
"""What `source_hash` covers: every column taken from the call record, so a change to any of them at the
source makes the call "changed" (re-merged, transcript re-fetched)."""
EARLIEST_START = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
"""A `date_started` before this (a negative or near-zero epoch) is garbage, not a call."""


class MalformedCallError(ValueError):
    """A listed call that cannot be stored as it is; the message is the reason."""


def id_text(value: Any) -> str | None:
    """An id as text, whether it came as a JSON string or number ("1002", 1002, 1002.0 → "1002")."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"not an id: {value!r}")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"not an id: {value!r}")
        return str(int(value))
    return str(value).strip()


def from_epoch_ms(value: Any) -> dt.datetime | None:
    """A UTC datetime from epoch milliseconds given as a string or a number."""
    if value is None or value == "":
        return None
    return dt.datetime.fromtimestamp(int(float(value)) / 1000, dt.UTC)


def to_epoch_ms(moment: dt.datetime) -> int:
    return round(moment.timestamp() * 1000)


def ms_to_seconds(value: Any) -> float | None:
    """Dialpad durations are milliseconds (doubles); the warehouse keeps seconds."""
    if value is None or value == "":
        return None
    return round(float(value) / 1000, 3)


def _party(raw: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    party = raw.get(name)
    return party if isinstance(party, Mapping) else {}


def _text(value: Any) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _read(raw: Mapping[str, Any], name: str, parse: Callable[[Any], Any], label: str | None = None) -> Any:
    try:
        return parse(raw.get(name))
    except (ValueError, TypeError, OverflowError, OSError) as exc:
        raise MalformedCallError(f"{label or name} is unreadable: {raw.get(name)!r:.60}") from exc


def start_time(raw: Mapping[str, Any], latest: dt.datetime | None) -> dt.datetime:
    """`date_started`, which orders the listing and moves the cursor: present, epoch ms, and between
    EARLIEST_START and `latest` (a call cannot start after the listing ran)."""
    if raw.get("date_started") in (None, ""):
        raise MalformedCallError("date_started is missing")
    started = _read(raw, "date_started", from_epoch_ms)
    if started < EARLIEST_START or (latest is not None and started > latest):
        raise MalformedCallError(f"date_started is out of range: {raw.get('date_started')!r:.60}")
    return started


def call_row(raw: Mapping[str, Any], region: str, latest: dt.datetime | None = None) -> Row:
    """One listed call as a `dialpad_calls` row (without transcript columns), with its `source_hash`.

    `external_number` is always the customer's side and `internal_number` the rep's, whatever the direction;
    `from_number` / `to_number` follow the direction (outbound: rep → customer). Raises `MalformedCallError`."""
    call_id = _read(raw, "call_id", id_text)
    if not call_id:
        raise MalformedCallError("call_id is missing")
    call_time = start_time(raw, latest)
    external_raw, internal_raw = _text(raw.get("external_number")), _text(raw.get("internal_number"))
    external, internal = to_e164(external_raw, region), to_e164(internal_raw, region)
    direction = _text(raw.get("direction"))
    outbound = direction == "outbound"
    target, contact = _party(raw, "target"), _party(raw, "contact")
    rep = target if target.get("type") in (None, "user") else {}
    row: Row = {
        "call_id": call_id,
        "call_time": call_time,
        "connected_at": _read(raw, "date_connected", from_epoch_ms),
        "ended_at": _read(raw, "date_ended", from_epoch_ms),
        "direction": direction,
        "state": _text(raw.get("state")),
        "duration_seconds": _read(raw, "duration", ms_to_seconds),
        "total_duration_seconds": _read(raw, "total_duration", ms_to_seconds),
        "from_number": internal if outbound else external,
        "to_number": external if outbound else internal,
        "external_number": external, "internal_number": internal,
        "external_number_raw": external_raw, "internal_number_raw": internal_raw,
        "rep_user_id": _read(rep, "id", id_text, "target.id"),
        "rep_email": (_text(rep.get("email")) or "").lower() or None,
        "rep_name": _text(rep.get("name")),
        "contact_id": _read(contact, "id", id_text, "contact.id"),
        "contact_type": _text(contact.get("type")),
        "contact_name": _text(contact.get("name")),
        "contact_email": (_text(contact.get("email")) or "").lower() or None,
        "contact_phone": to_e164(_text(contact.get("phone")), region),
        "was_recorded": bool(raw.get("was_recorded")),
    }
    row["source_hash"] = source_hash(row)
    return row


def source_hash(row: Mapping[str, Any]) -> str:
    document = json.dumps([row.get(column) for column in HASHED_COLUMNS], default=str)
    return hashlib.sha256(document.encode()).hexdigest()[:32]


@dataclass
class Transcript:
    """The transcript columns of one call and its line rows."""

    columns: Row
    lines: list[Row] = field(default_factory=list)

    @classmethod
    def absent(cls) -> Transcript:
        return cls({"has_transcript": False, "transcript_text": None, "transcript_line_count": 0})


def _spoken_at(value: Any) -> dt.datetime | None:
    """Transcript `time` is ISO 8601 without a zone (UTC)."""
    if not isinstance(value, str) or not value:
        return None
    moment = dt.datetime.fromisoformat(value)
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def transcript_rows(call_id: str, body: Mapping[str, Any], started: dt.datetime | None,
                    call_time: dt.datetime | None) -> Transcript:
    """Transcript columns (`transcript_text` is "Speaker: words" per spoken line; moments are left out of
    the text but kept as lines) and one `dialpad_transcript_lines` row per line, numbered from 1."""
    lines = [line for line in body.get("lines") or [] if isinstance(line, Mapping)]
    if not lines:
        return Transcript.absent()
    base = started or call_time
    rows: list[Row] = []
    for number, line in enumerate(lines, start=1):
        spoken = _spoken_at(line.get("time"))
        is_rep = line.get("user_id") not in (None, "")
        rows.append({
            "call_id": call_id, "line_no": number, "line_type": _text(line.get("type")) or "transcript",
            "speaker": _text(line.get("name")) or "Unknown",
            "speaker_role": "rep" if is_rep else "contact",
            "speaker_id": id_text(line.get("user_id") if is_rep else line.get("contact_id")),
            "text": line.get("content") if isinstance(line.get("content"), str) else "",
            "spoken_at": spoken,
            "offset_seconds": round((spoken - base).total_seconds(), 3) if spoken and base else None,
            "call_time": call_time,
        })
    spoken_lines = [f"{row['speaker']}: {row['text']}" for row in rows if row["line_type"] == "transcript"]
    columns = {"has_transcript": True, "transcript_text": "\n".join(spoken_lines) or None,
               "transcript_line_count": len(rows)}
    return Transcript(columns, rows)
