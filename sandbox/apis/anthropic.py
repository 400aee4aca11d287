"""The Anthropic Admin API fake: usage and cost reports, the Claude Code report and the API-keys list.

Paths, parameters, paging (`limit` in buckets: default 7, at most 31 for daily buckets; `page`/`next_page`
while `has_more`), `x-api-key` + `anthropic-version` headers and the error body follow the API reference.
Only daily buckets are served (the world keeps daily usage). Tests reach the fake with `anthropic_fake(app)`
(e.g. to refuse a report page token).
"""

from __future__ import annotations

import base64
import binascii
import random
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request

from sandbox.state import SandboxState
from sandbox.usage_reports import COST_GROUPS, USAGE_GROUPS, claude_code_record, cost_result, usage_result
from sandbox.world_eng import ApiKey
from sandbox.world_usage import UsageRow

ADMIN_KEY = "sk-ant-admin01-sandbox-fake-admin-key"
API_VERSION = "2023-06-01"
BUCKET_LIMITS = (7, 31)
KEYS_LIMITS = (20, 1000)
CLAUDE_CODE_LIMITS = (20, 1000)
_FILTERS = {"api_key_ids": "api_key_id", "workspace_ids": "workspace_id", "models": "model",
            "service_tiers": "service_tier", "context_window": "context_window"}


class InvalidRequestError(Exception):
    """Answered as a 400 invalid_request_error."""


def error(status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> Response:
    """Anthropic's error body: {"type": "error", "error": {"type", "message"}, "request_id"}."""
    response = jsonify({"type": "error", "error": {"type": kind, "message": message},
                        "request_id": f"req_{uuid.uuid4().hex[:24]}"})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def rate_limit_body() -> dict[str, Any]:
    """The body of Anthropic's 429, for tests that inject one as a fault."""
    return {"type": "error", "error": {"type": "rate_limit_error", "message": "Number of requests has exceeded "
                                       "your rate limit"}, "request_id": "req_sandbox_rate_limited"}


def _list_arg(name: str) -> list[str]:
    """Array parameters arrive as `name[]=a&name[]=b` (or `name=a`)."""
    return request.args.getlist(f"{name}[]") + request.args.getlist(name)


def _limit(bounds: tuple[int, int]) -> int:
    raw = request.args.get("limit")
    if raw is None:
        return bounds[0]
    if not raw.isdigit() or not 1 <= int(raw) <= bounds[1]:
        raise InvalidRequestError(f"limit: Input should be between 1 and {bounds[1]}")
    return int(raw)


def _instant(name: str, default: datetime | None = None) -> datetime:
    raw = request.args.get(name)
    if raw is None:
        if default is None:
            raise InvalidRequestError(f"{name}: Field required")
        return default
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequestError(f"{name}: Input should be a valid RFC 3339 datetime") from None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


def encode_page(value: str) -> str:
    return "page_" + base64.urlsafe_b64encode(value.encode()).decode()


def decode_page(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.removeprefix("page_").encode()).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidRequestError("page: invalid page token") from None


def _bucket_days(now: datetime) -> tuple[list[date], str | None]:
    """The daily buckets of this page and the token of the next one."""
    if request.args.get("bucket_width", "1d") != "1d":
        raise InvalidRequestError("bucket_width: the sandbox serves daily buckets ('1d') only")
    start = _instant("starting_at").date()
    end = _instant("ending_at", now + timedelta(days=1))
    limit = _limit(BUCKET_LIMITS)
    token = request.args.get("page")
    first = date.fromisoformat(decode_page(token)) if token else start
    days = [first + timedelta(days=n) for n in range(limit)
            if datetime.combine(first + timedelta(days=n), datetime.min.time(), UTC) < end]
    after = first + timedelta(days=limit)
    more = datetime.combine(after, datetime.min.time(), UTC) < end
    return days, encode_page(after.isoformat()) if more else None


def _bucket(day: date, results: list[dict[str, Any]]) -> dict[str, Any]:
    return {"starting_at": f"{day.isoformat()}T00:00:00Z",
            "ending_at": f"{(day + timedelta(days=1)).isoformat()}T00:00:00Z", "results": results}


def _groups(allowed: tuple[str, ...]) -> tuple[str, ...]:
    groups = tuple(_list_arg("group_by"))
    unknown = [g for g in groups if g not in allowed]
    if unknown:
        raise InvalidRequestError(f"group_by: {unknown[0]!r} is not one of {', '.join(allowed)}")
    return groups


def _key_json(key: ApiKey) -> dict[str, Any]:
    created = key.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return {"id": key.id, "type": "api_key", "name": key.name, "workspace_id": key.workspace_id,
            "created_at": created, "created_by": {"id": key.created_by_user_id, "type": "user"},
            "partial_key_hint": key.partial_key_hint, "status": key.status}


class AnthropicFake:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        seed = state.world.seed
        self.organization_id = str(uuid.UUID(int=random.Random(f"{seed}/anthropic-org").getrandbits(128)))
        self.refused_pages: set[str] = set()
        """Report page tokens answered like an invalid one (400): the API does not document how long a token
        lives, so tests refuse one to play a token that expired between two runs."""

    def authenticate(self) -> Response | None:
        if request.headers.get("x-api-key") != ADMIN_KEY:
            return error(401, "authentication_error", "invalid x-api-key")
        if not request.headers.get("anthropic-version"):
            return error(400, "invalid_request_error", "anthropic-version: header is required")
        return None

    def _rows_by_day(self, days: list[date]) -> dict[date, list[UsageRow]]:
        wanted, filters = set(days), {attr: set(_list_arg(name)) for name, attr in _FILTERS.items()}
        by_day: dict[date, list[UsageRow]] = defaultdict(list)
        with self.state.lock:
            for row in self.state.world.anthropic_usage:
                if row.day in wanted and all(not allowed or getattr(row, attr) in allowed
                                             for attr, allowed in filters.items()):
                    by_day[row.day].append(row)
        return by_day

    def _report(self, groups: tuple[str, ...], render: Any) -> Response:
        if request.args.get("page") in self.refused_pages:
            raise InvalidRequestError("page: invalid page token")
        days, next_page = _bucket_days(self.state.world.anchor)
        by_day = self._rows_by_day(days)
        data = [_bucket(day, render(by_day.get(day, []), groups)) for day in days]
        return jsonify({"data": data, "has_more": next_page is not None, "next_page": next_page})

    def usage_messages(self) -> Response:
        return self._report(_groups(USAGE_GROUPS), usage_result)

    def cost_report(self) -> Response:
        return self._report(_groups(COST_GROUPS), cost_result)

    def api_keys(self) -> Response:
        limit = _limit(KEYS_LIMITS)
        status, workspace = request.args.get("status"), request.args.get("workspace_id")
        with self.state.lock:
            keys = sorted(self.state.world.api_keys, key=lambda k: (k.created_at, k.id), reverse=True)
            keys = [k for k in keys if (not status or k.status == status)
                    and (not workspace or k.workspace_id == workspace)]
        ids = [k.id for k in keys]
        after, before = request.args.get("after_id"), request.args.get("before_id")
        if after:
            keys = keys[ids.index(after) + 1:] if after in ids else []
        elif before:
            keys = keys[:ids.index(before)][-limit:] if before in ids else []
        page = [_key_json(k) for k in keys[:limit]]
        return jsonify({"data": page, "has_more": len(keys) > limit,
                        "first_id": page[0]["id"] if page else None, "last_id": page[-1]["id"] if page else None})

    def claude_code(self) -> Response:
        raw = request.args.get("starting_at")
        try:
            day = date.fromisoformat(raw or "")
        except ValueError:
            raise InvalidRequestError("starting_at: Input should be a UTC date in YYYY-MM-DD format") from None
        limit, token = _limit(CLAUDE_CODE_LIMITS), request.args.get("page")
        offset = int(decode_page(token)) if token else 0
        with self.state.lock:
            days = sorted((d for d in self.state.world.claude_code_usage if d.day == day),
                          key=lambda d: (d.email, d.is_remote))
            records = [claude_code_record(d, self.organization_id) for d in days[offset:offset + limit]]
        more = offset + limit < len(days)
        return jsonify({"data": records, "has_more": more,
                        "next_page": encode_page(str(offset + limit)) if more else None})


class AnthropicBlueprint(Blueprint):
    fake: AnthropicFake


def blueprint(state: SandboxState) -> Blueprint:
    fake = AnthropicFake(state)
    bp = AnthropicBlueprint("anthropic", __name__, url_prefix="/v1/organizations")
    bp.fake = fake
    bp.before_request(fake.authenticate)
    bp.register_error_handler(InvalidRequestError, lambda exc: error(400, "invalid_request_error", str(exc)))
    bp.add_url_rule("/usage_report/messages", view_func=fake.usage_messages, methods=["GET"])
    bp.add_url_rule("/usage_report/claude_code", view_func=fake.claude_code, methods=["GET"])
    bp.add_url_rule("/cost_report", view_func=fake.cost_report, methods=["GET"])
    bp.add_url_rule("/api_keys", view_func=fake.api_keys, methods=["GET"])
    return bp


def anthropic_fake(app: Flask) -> AnthropicFake:
    """The fake behind a sandbox app."""
    bp = app.blueprints["anthropic"]
    assert isinstance(bp, AnthropicBlueprint)
    return bp.fake
