"""Dialpad API v2 fake: the company's concluded calls, single calls and call transcripts, from the world.

- GET /api/v2/call: `started_after` / `started_before` (UTC epoch ms, both exclusive), `cursor` paging,
  newest first, `target_id` + `target_type=user` filter. The spec has no page-size parameter; the fake
  serves PAGE_SIZE calls a page (forum posts report 25; neither number is verified).
- GET /api/v2/call/{id}: one call (10 requests/min per key).
- GET /api/v2/transcripts/{call_id}: the transcript, 404 when the call has none.
- Auth: `Authorization: Bearer <key>` or `?apikey=<key>`; any non-empty key is valid.
- Limits per key (sliding windows): 1200/min for list and transcripts, 10/min for single calls, 20/s across
  the company; over a limit → 429 with Retry-After and Dialpad's error body.

Tests reach the fake's switches with `dialpad_fake(sandbox.app)` (rate-limit clock, limits on/off, list cursors
to refuse, malformed fields to serve for some calls).
"""

from __future__ import annotations

import base64
import binascii
import bisect
import re
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request

from sandbox.dialpad_wire import RateLimits, epoch_ms, error, render_call, render_transcript
from sandbox.state import SandboxState
from sandbox.world_models import Call

PAGE_SIZE = 50
TARGET_TYPES = ("callcenter", "callrouter", "channel", "coachinggroup", "coachingteam", "department", "office",
                "room", "staffgroup", "unknown", "user")
_EPOCH_MS = re.compile(r"-?\d{1,15}")
_HIGHEST_ID = 10**20
Key = tuple[int, int]


class _CallIndex:
    """The world's calls sorted by (date_started ms, call_id), rebuilt when calls are appended."""

    def __init__(self) -> None:
        self._source: list[Call] | None = None
        self._size = -1
        self.keys: list[Key] = []
        self.calls: list[Call] = []
        self.by_id: dict[str, Call] = {}

    def refresh(self, calls: list[Call]) -> None:
        if calls is self._source and len(calls) == self._size:
            return
        ordered = sorted(calls, key=lambda call: (call.date_started, int(call.call_id)))
        self.keys = [(epoch_ms(call.date_started), int(call.call_id)) for call in ordered]
        self.calls = ordered
        self.by_id = {call.call_id: call for call in ordered}
        self._source, self._size = calls, len(calls)


def encode_cursor(key: Key) -> str:
    return base64.urlsafe_b64encode(f"{key[0]}:{key[1]}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Key | None:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        started, call_id = text.split(":")
        return int(started), int(call_id)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        return None


class DialpadFake:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.limits = RateLimits()
        self.index = _CallIndex()
        self.refused_cursors: set[str] = set()
        """List cursors answered like an unknown one (400): Dialpad does not document how long a cursor lives,
        so tests refuse one to play a cursor that expired between two runs."""
        self.wire_overrides: dict[str, dict[str, Any]] = {}
        """Fields served in place of the world's for a call_id (`ABSENT`: left out), in lists and single gets:
        a call listed in its place (by its true start) with, say, `date_started` missing or garbled."""

    def authenticate(self) -> Response | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        key = token.strip() if scheme.lower() == "bearer" else request.args.get("apikey", "").strip()
        if not key:
            return error(401, "unauthorized", "A valid API key is required (Authorization: Bearer or apikey).")
        request.environ["dialpad.api_key"] = key
        return None

    def limited(self, endpoint: str) -> Response | None:
        wait = self.limits.retry_after(request.environ["dialpad.api_key"], endpoint)
        if wait is None:
            return None
        return error(429, "rateLimitExceeded", f"Rate limit exceeded for {endpoint} requests.",
                     {"Retry-After": str(wait)})

    def list_calls(self) -> Response:
        if (over := self.limited("list")) is not None:
            return over
        bounds = self._bounds()
        if isinstance(bounds, Response):
            return bounds
        after, before, target = bounds
        with self.state.lock:
            self.index.refresh(self.state.world.calls)
            items, last = self._page(after, before, target)
            body: dict[str, Any] = {"items": [self._render(call) for call in items]}
        if last is not None:
            body = {"cursor": encode_cursor(last), **body}
        return jsonify(body)

    def _bounds(self) -> tuple[Key, Key, str | None] | Response:
        """(exclusive lower key, exclusive upper key, user id filter) from the query string, or a 400."""
        values: dict[str, int | None] = {}
        for name in ("started_after", "started_before"):
            raw = request.args.get(name)
            if raw is not None and not _EPOCH_MS.fullmatch(raw):
                return error(400, "invalid", f"{name} must be a UTC timestamp in milliseconds, got {raw!r}.")
            values[name] = int(raw) if raw is not None else None
        upper: Key = (values["started_before"], -1) if values["started_before"] is not None else (2**62, 0)
        cursor = request.args.get("cursor")
        if cursor:
            position = None if cursor in self.refused_cursors else decode_cursor(cursor)
            if position is None:
                return error(400, "invalid", "Invalid cursor.")
            upper = min(upper, position)
        target_type, target_id = request.args.get("target_type"), request.args.get("target_id")
        if target_type is not None and target_type not in TARGET_TYPES:
            return error(400, "invalid", f"target_type must be one of {', '.join(TARGET_TYPES)}.")
        lower: Key = (values["started_after"], _HIGHEST_ID) if values["started_after"] is not None else (-1, 0)
        user = target_id if target_type == "user" and target_id else None
        return lower, upper, user

    def _page(self, lower: Key, upper: Key, user: str | None) -> tuple[list[Call], Key | None]:
        """Up to PAGE_SIZE calls with lower < key < upper, newest first, and the cursor key if more remain."""
        keys, calls = self.index.keys, self.index.calls
        low, position = bisect.bisect_right(keys, lower), bisect.bisect_left(keys, upper)
        page: list[Call] = []
        while position > low:
            position -= 1
            call = calls[position]
            if user is not None and call.rep_user_id != user:
                continue
            if len(page) == PAGE_SIZE:
                return page, (epoch_ms(page[-1].date_started), int(page[-1].call_id))
            page.append(call)
        return page, None

    def get_call(self, call_id: str) -> Response:
        if (over := self.limited("call")) is not None:
            return over
        with self.state.lock:
            self.index.refresh(self.state.world.calls)
            call = self.index.by_id.get(call_id)
            body = self._render(call) if call else None
        return jsonify(body) if body else error(404, "notFound", f"Call {call_id} was not found.")

    def _render(self, call: Call) -> dict[str, Any]:
        return render_call(call, self.wire_overrides.get(call.call_id))

    def transcript(self, call_id: str) -> Response:
        if (over := self.limited("transcripts")) is not None:
            return over
        with self.state.lock:
            self.index.refresh(self.state.world.calls)
            call = self.index.by_id.get(call_id)
            body = render_transcript(call) if call and call.transcript else None
        return jsonify(body) if body else error(404, "notFound", f"No transcript for call {call_id}.")


class DialpadBlueprint(Blueprint):
    fake: DialpadFake


def blueprint(state: SandboxState) -> Blueprint:
    fake = DialpadFake(state)
    bp = DialpadBlueprint("dialpad", __name__, url_prefix="/api/v2")
    bp.fake = fake
    bp.before_request(fake.authenticate)
    bp.add_url_rule("/call", view_func=fake.list_calls, methods=["GET"])
    bp.add_url_rule("/call/<call_id>", view_func=fake.get_call, methods=["GET"])
    bp.add_url_rule("/transcripts/<call_id>", view_func=fake.transcript, methods=["GET"])
    return bp


def dialpad_fake(app: Flask) -> DialpadFake:
    """The fake behind a sandbox app (tests switch its limits or step its clock)."""
    bp = app.blueprints["dialpad"]
    assert isinstance(bp, DialpadBlueprint)
    return bp.fake
