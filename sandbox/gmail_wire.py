"""Gmail wire formats: error bodies, message and history resources, and the multipart/mixed batch envelope."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from werkzeug.datastructures import MultiDict

from sandbox.gmail_render import epoch_ms
from sandbox.gmail_store import HistoryEvent, StoredMessage

MAX_BATCH_CALLS = 100
_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
           429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
_HISTORY_FIELDS = {"messageAdded": "messagesAdded", "messageDeleted": "messagesDeleted",
                   "labelAdded": "labelsAdded", "labelRemoved": "labelsRemoved"}


@dataclass
class ApiReply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def google_error(status: int, message: str, reason: str, domain: str = "global",
                 retry_after: float | None = None) -> ApiReply:
    name = _STATUS.get(status, "UNKNOWN")
    body = {"error": {"code": status, "message": message,
                      "errors": [{"message": message, "domain": domain, "reason": reason}], "status": name}}
    headers = {"Retry-After": str(max(0, round(retry_after)))} if retry_after is not None else {}
    return ApiReply(status, body, headers)


def quota_error(status: int, retry_after: float) -> ApiReply:
    if status == 403:
        return google_error(403, "User-rate limit exceeded.", "userRateLimitExceeded", "usageLimits")
    return google_error(429, "User-rate limit exceeded.", "rateLimitExceeded", retry_after=retry_after)


def concurrency_error() -> ApiReply:
    """What Gmail answers a batch part beyond the per-user concurrency limit (no Retry-After)."""
    return google_error(429, "Too many concurrent requests for user", "rateLimitExceeded")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def message_json(stored: StoredMessage, seed: int, fmt: str, metadata_headers: list[str]) -> dict[str, Any]:
    """messages.get in format minimal, metadata, full or raw."""
    email = stored.email
    body: dict[str, Any] = {"id": email.message_id, "threadId": email.thread_id, "labelIds": list(stored.labels)}
    rendered = stored.render(seed)
    body.update({"snippet": rendered.snippet, "sizeEstimate": len(rendered.raw),
                 "historyId": str(stored.history_id), "internalDate": str(epoch_ms(stored.internal_at))})
    if fmt == "raw":
        body["raw"] = _b64url(rendered.raw)
    elif fmt == "metadata":
        wanted = {name.lower() for name in metadata_headers}
        headers = [h for h in rendered.payload["headers"] if not wanted or h["name"].lower() in wanted]
        body["payload"] = {"partId": "", "mimeType": rendered.payload["mimeType"], "filename": "",
                           "headers": headers, "body": {"size": 0}}
    elif fmt == "full":
        body["payload"] = rendered.payload
    return body


def history_json(event: HistoryEvent) -> dict[str, Any]:
    message = {"id": event.message_id, "threadId": event.thread_id}
    item: dict[str, Any] = {"message": {**message, "labelIds": list(event.labels)}}
    if event.changed:
        item["labelIds"] = list(event.changed)
    return {"id": str(event.id), "messages": [message], _HISTORY_FIELDS[event.kind]: [item]}


@dataclass(frozen=True)
class BatchCall:
    content_id: str
    method: str
    path: str
    query: MultiDict[str, str]
    headers: dict[str, str]


class BatchError(ValueError):
    pass


def parse_batch(content_type: str, body: bytes) -> list[BatchCall]:
    """The calls in a multipart/mixed batch body; each part is `application/http` holding one request."""
    if not content_type.lower().startswith("multipart/mixed") or "boundary" not in content_type:
        raise BatchError("Batch requests must be multipart/mixed with a boundary")
    envelope = message_from_bytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body,
                                  policy=policy.compat32)
    parts = envelope.get_payload()
    if not isinstance(parts, list) or not parts:
        raise BatchError("Batch request has no parts")
    calls = []
    for part in parts:
        text = part.get_payload(decode=False) if isinstance(part, Message) else None
        if not isinstance(part, Message) or not isinstance(text, str):
            raise BatchError("Batch parts must be application/http requests")
        calls.append(_call(part.get("Content-ID", ""), text))
    return calls


def _call(content_id: str, text: str) -> BatchCall:
    head = re.split(r"\r?\n\r?\n", text.lstrip(), maxsplit=1)[0]
    lines = head.splitlines()
    match = re.fullmatch(r"([A-Z]+) (\S+) HTTP/1\.[01]", lines[0].strip()) if lines else None
    if not match:
        raise BatchError(f"Bad request line in batch part {content_id!r}")
    url = urlsplit(match.group(2))
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    query = MultiDict([(k, v) for k, values in parse_qs(url.query, keep_blank_values=True).items() for v in values])
    return BatchCall(content_id, match.group(1), unquote(url.path), query, headers)


def compose_batch(replies: list[tuple[str, ApiReply]]) -> tuple[bytes, str]:
    """The multipart/mixed answer: one `application/http` part per call, Content-ID `<response-…>`."""
    digest = hashlib.sha256("".join(cid for cid, _ in replies).encode()).hexdigest()[:20]
    boundary = f"batch_{digest}"
    chunks = []
    for content_id, reply in replies:
        inner = [f"HTTP/1.1 {reply.status} {HTTPStatus(reply.status).phrase}",
                 "Content-Type: application/json; charset=UTF-8",
                 *(f"{name}: {value}" for name, value in reply.headers.items())]
        response_id = f"<response-{content_id.strip().removeprefix('<')}" if content_id else ""
        chunks.append(f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: {response_id}\r\n\r\n"
                      + "\r\n".join(inner) + "\r\n\r\n" + json.dumps(reply.body) + "\r\n")
    text = "".join(chunks) + f"--{boundary}--\r\n"
    return text.encode("utf-8"), f"multipart/mixed; boundary={boundary}"
