"""Gmail API v1 fake over the world's mailboxes, with batch requests, history, per-user quota and delegation.

- GET /gmail/v1/users/{userId}/profile; /messages (q `after:`/`before:` as epoch seconds or YYYY/MM/DD and
  excluded labels `-in:chats`, `-category:social`, `-label:Name`; labelIds, includeSpamTrash, maxResults ≤ 500,
  pageToken — 400 "Invalid pageToken" for one handed out before `store.expire_page_tokens`);
  /messages/{id} (format minimal|metadata|full|raw);
  /history (startHistoryId, historyTypes, labelId, maxResults ≤ 500, pageToken; 404 once the id has expired).
- POST /batch/gmail/v1 and /batch (where the Python client posts): multipart/mixed of `application/http`
  calls, at most 100; every part is answered on its own (200, 404, 429 …) inside an outer 200. Parts beyond
  `store.concurrent_per_user` (default 50) for one user in one batch answer 429 rateLimitExceeded "Too many
  concurrent requests for user" and are not charged quota.
- Quota units per call (get 5, list 5, history 2, profile 1) are charged per user, batched calls one by one;
  over the budget → 429 with Retry-After, or 403 userRateLimitExceeded (`store.quota.reject_status`).
- Auth: `Bearer <sandbox FAKE_TOKEN>` for any mailbox, or a token from the fake token endpoint, valid for the
  mailbox it was delegated for (`userId` = that address or `me`).
- POST /google-oauth2/token and /google-iam/v1/projects/-/serviceAccounts/{email}:signBlob: see gmail_oauth.
- GET /admin/directory/v1/groups/{groupKey}/members: the Admin SDK Directory's groups (sandbox.directory),
  listed by an admin through the same delegation.

Tests reach the state with `gmail_fake(sandbox.app)`: `.store` (mailboxes, helpers, quota), `.auth` and
`.directory` (group memberships); `add_mailbox` makes a new user's empty mailbox;
GET /_sandbox/gmail/stats reports requests received and quota accounting (benchmarks in another process).
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request
from werkzeug.datastructures import MultiDict

from sandbox.directory import Directory
from sandbox.gmail_oauth import CLOUD_PLATFORM, GMAIL_READONLY, GoogleAuthFake, OAuthError
from sandbox.gmail_render import epoch_ms
from sandbox.gmail_store import HISTORY_KINDS, UNITS, GmailStore, HistoryEvent, Mailbox, StoredMessage
from sandbox.gmail_wire import (
    MAX_BATCH_CALLS,
    ApiReply,
    BatchError,
    compose_batch,
    concurrency_error,
    google_error,
    history_json,
    message_json,
    parse_batch,
    quota_error,
)
from sandbox.state import SandboxState

FAKE_TOKEN = "sandbox-fake-token"  # same value as sandbox.env.FAKE_TOKEN (env imports the server, not us)
_ROUTES = (
    ("getProfile", re.compile(r"/gmail/v1/users/([^/]+)/profile")),
    ("messages.list", re.compile(r"/gmail/v1/users/([^/]+)/messages")),
    ("messages.get", re.compile(r"/gmail/v1/users/([^/]+)/messages/([^/]+)")),
    ("history.list", re.compile(r"/gmail/v1/users/([^/]+)/history")),
)
_PST = timezone(timedelta(hours=-8))
FORMATS = ("minimal", "full", "raw", "metadata")


class QueryError(ValueError):
    pass


def _bound(value: str) -> int:
    """A q date bound in epoch ms: epoch seconds, or YYYY/MM/DD (midnight PST, as Gmail documents)."""
    if value.isdigit():
        return int(value) * 1000
    try:
        day = datetime.strptime(value.replace("-", "/"), "%Y/%m/%d").replace(tzinfo=_PST)
    except ValueError:
        raise QueryError(f"Invalid date in query: {value}") from None
    return epoch_ms(day)


IN_LABELS = {"inbox": "INBOX", "sent": "SENT", "spam": "SPAM", "trash": "TRASH", "chats": "CHAT", "drafts": "DRAFT",
             "starred": "STARRED", "important": "IMPORTANT"}
"""Gmail's `in:` names and the system label each one means."""


@dataclass(frozen=True)
class Query:
    """What the fake understands of `q`: after:/before: bounds and excluded labels (`-in:chats`,
    `-category:social`, `-label:Payroll`); anything else is refused so a client cannot rely on more."""

    after: int | None = None
    before: int | None = None
    excluded: frozenset[str] = frozenset()


def _label_of(name: str, value: str) -> str | None:
    if name == "in":
        return IN_LABELS.get(value.lower())
    if name == "category":
        return f"CATEGORY_{value.upper()}"
    if name == "label":
        return value
    return None


def _filters(q: str) -> Query:
    after = before = None
    excluded: set[str] = set()
    for term in q.split():
        name, _, value = term.partition(":")
        name = name.lower()
        if name == "after" and value:
            after = _bound(value)
        elif name == "before" and value:
            before = _bound(value)
        elif name.startswith("-") and value and (label := _label_of(name[1:], value)) is not None:
            excluded.add(label)
        else:
            raise QueryError(f"The fake supports after:, before: and -in:/-category:/-label: only, not {term!r}")
    return Query(after, before, frozenset(excluded))


def _page_size(args: MultiDict[str, str], default: int = 100) -> int:
    try:
        return min(max(int(args.get("maxResults", default)), 1), 500)
    except ValueError:
        raise QueryError("Invalid value for maxResults") from None


class GmailFake:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.store = GmailStore(state.world)
        self.directory = Directory(state.world)
        self.auth = GoogleAuthFake(state.world.seed, {m.lower() for m in state.world.mailboxes} | self.directory.admins)

    def add_mailbox(self, address: str) -> None:
        """A new Workspace user (a rep who joined): an empty mailbox that delegation can act as."""
        self.store.add_mailbox(address)
        self.auth.users.add(address.lower())

    def call(self, method: str, path: str, args: MultiDict[str, str], headers: dict[str, str],
             batch: Counter[str] | None = None) -> ApiReply:
        """One Gmail API call, direct or from a batch (`batch`: the batch's parts per user so far): route,
        authorise, check the batch's concurrency, charge quota, answer."""
        for name, pattern in _ROUTES:
            match = pattern.fullmatch(path)
            if match and method == "GET":
                return self._authorised(name, match.groups(), args, headers, batch)
        return google_error(404, "Not Found", "notFound")

    def _authorised(self, name: str, groups: tuple[str, ...], args: MultiDict[str, str],
                    headers: dict[str, str], batch: Counter[str] | None) -> ApiReply:
        user = self._user(groups[0], headers)
        if isinstance(user, ApiReply):
            return user
        box = self.store.mailbox(user)
        if box is None:
            return google_error(400, "Mail service not enabled", "failedPrecondition")
        if batch is not None:
            batch[box.address] += 1
            if not self.store.admit_part(box.address, batch[box.address] - 1):
                return concurrency_error()
        if name == "messages.get" and (fault := self.store.take_part_fault(box.address)):
            return google_error(fault.status, "Injected part failure", fault.reason, retry_after=fault.retry_after)
        wait = self.store.quota.charge(box.address, UNITS[name])
        if wait is not None:
            return quota_error(self.store.quota.reject_status, wait)
        try:
            with self.store.lock:
                return self._answer(name, box, groups, args)
        except QueryError as error:
            return google_error(400, str(error), "invalidArgument")

    def _user(self, user: str, headers: dict[str, str]) -> str | ApiReply:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return google_error(401, "Request is missing required authentication credential.", "required")
        if token == FAKE_TOKEN:
            return user if user != "me" else google_error(400, "Precondition check failed.", "failedPrecondition")
        grant = self.auth.grant(token)
        if grant is None or grant.mailbox is None or GMAIL_READONLY not in grant.scope.split():
            return google_error(401, "Request had invalid authentication credentials.", "authError")
        if user.lower() not in ("me", grant.mailbox):
            return google_error(403, f"Delegation denied for {grant.mailbox}", "forbidden")
        return grant.mailbox

    def _answer(self, name: str, box: Mailbox, groups: tuple[str, ...], args: MultiDict[str, str]) -> ApiReply:
        if name == "getProfile":
            live = box.listing()
            return ApiReply(200, {"emailAddress": box.address, "messagesTotal": len(live),
                                  "threadsTotal": len({m.email.thread_id for m in live}),
                                  "historyId": str(box.history_id)})
        if name == "messages.list":
            return self._list(box, args)
        if name == "messages.get":
            return self._get(box, groups[1], args)
        return self._history(box, args)

    def _list(self, box: Mailbox, args: MultiDict[str, str]) -> ApiReply:
        query = _filters(args.get("q", ""))
        wanted = set(args.getlist("labelIds"))
        hidden = set() if args.get("includeSpamTrash", "false").lower() == "true" else {"SPAM", "TRASH"}
        hidden |= query.excluded
        matched = [m for m in box.listing()
                   if _keep(m, query.after, query.before, wanted) and not hidden & set(m.labels)]
        token = args.get("pageToken")
        if token and token in box.expired_page_tokens:
            raise QueryError("Invalid pageToken")
        start = _after_token(matched, token)
        page = matched[start:start + _page_size(args)]
        body: dict[str, Any] = {}
        if page:
            body["messages"] = [{"id": m.email.message_id, "threadId": m.email.thread_id} for m in page]
        if start + len(page) < len(matched):
            last = page[-1].sort_key
            body["nextPageToken"] = f"{last[0]:013d}{last[1]}"
            box.page_tokens.add(body["nextPageToken"])
        body["resultSizeEstimate"] = len(matched)
        return ApiReply(200, body)

    def _get(self, box: Mailbox, message_id: str, args: MultiDict[str, str]) -> ApiReply:
        fmt = args.get("format", "full")
        if fmt not in FORMATS:
            return google_error(400, f"Invalid value at 'format' ({fmt})", "invalidArgument")
        stored = box.live(message_id)
        if stored is None:
            return google_error(404, "Requested entity was not found.", "notFound")
        return ApiReply(200, message_json(stored, self.state.world.seed, fmt, args.getlist("metadataHeaders")))

    def _history(self, box: Mailbox, args: MultiDict[str, str]) -> ApiReply:
        start_text = args.get("startHistoryId", "")
        if not start_text.isdigit():
            return google_error(400, "Invalid startHistoryId", "invalidArgument")
        start = int(start_text)
        if start < box.oldest_valid:
            return google_error(404, "Requested entity was not found.", "notFound")
        token = args.get("pageToken", "")
        begin = max(start, int(token) if token.isdigit() else start)
        kinds = set(args.getlist("historyTypes")) or set(HISTORY_KINDS)
        label = args.get("labelId")
        size = _page_size(args)
        records: list[HistoryEvent] = []
        index = bisect.bisect_right(box.history, begin, key=lambda e: e.id)
        while index < len(box.history) and len(records) < size:
            event = box.history[index]
            if event.kind in kinds and (label is None or label in event.labels or label in event.changed):
                records.append(event)
            index += 1
        body: dict[str, Any] = {}
        if records:
            body["history"] = [history_json(event) for event in records]
        if index < len(box.history) and records:
            body["nextPageToken"] = str(records[-1].id)
        body["historyId"] = str(box.history_id)
        return ApiReply(200, body)


def _keep(message: StoredMessage, after: int | None, before: int | None, labels: set[str]) -> bool:
    at = epoch_ms(message.internal_at)
    return ((after is None or at >= after) and (before is None or at < before)
            and labels <= set(message.labels))


def _after_token(matched: list[StoredMessage], token: str | None) -> int:
    """Index of the first message after the page token (newest-first order; stable under new arrivals)."""
    if not token:
        return 0
    if len(token) < 14 or not token[:13].isdigit():
        raise QueryError("Invalid pageToken")
    key = (int(token[:13]), token[13:])
    return next((i for i, m in enumerate(matched) if m.sort_key < key), len(matched))


def _reply(reply: ApiReply) -> Response:
    response = jsonify(reply.body)
    response.status_code = reply.status
    response.headers.update(reply.headers)
    return response


class GmailBlueprint(Blueprint):
    fake: GmailFake


def blueprint(state: SandboxState) -> Blueprint:
    fake = GmailFake(state)
    bp = GmailBlueprint("gmail", __name__)
    bp.fake = fake

    @bp.get("/gmail/v1/<path:rest>")
    def api(rest: str) -> Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        return _reply(fake.call("GET", request.path, request.args, headers))

    def batch() -> Response | tuple[Response, int]:
        try:
            calls = parse_batch(request.content_type or "", request.get_data())
        except BatchError as error:
            return _reply(google_error(400, str(error), "badRequest"))
        if len(calls) > MAX_BATCH_CALLS:
            return _reply(google_error(400, f"Too many requests in batch; at most {MAX_BATCH_CALLS}", "badRequest"))
        outer = {k.lower(): v for k, v in request.headers.items() if k.lower() == "authorization"}
        per_user: Counter[str] = Counter()
        replies = [(c.content_id, fake.call(c.method, c.path, c.query, {**outer, **c.headers}, per_user))
                   for c in calls]
        body, content_type = compose_batch(replies)
        return Response(body, 200, content_type=content_type)

    bp.add_url_rule("/batch/gmail/v1", "batch_gmail", batch, methods=["POST"])
    bp.add_url_rule("/batch", "batch_root", batch, methods=["POST"])

    @bp.get("/admin/directory/v1/groups/<group>/members")
    def directory_members(group: str) -> Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        return _reply(fake.directory.call(group, request.args, headers, fake.auth, FAKE_TOKEN))

    @bp.post("/google-oauth2/token")
    def token() -> Response | tuple[Response, int]:
        try:
            return jsonify(fake.auth.token(request.form.to_dict()))
        except OAuthError as error:
            return jsonify(error.body()), error.status

    @bp.post("/google-iam/v1/projects/-/serviceAccounts/<account_call>")
    def sign_blob(account_call: str) -> Response | tuple[Response, int]:
        account, _, verb = account_call.rpartition(":")
        if verb != "signBlob" or not account:
            return _reply(google_error(404, "Not Found", "notFound"))
        scheme, _, bearer = request.headers.get("Authorization", "").partition(" ")
        grant = fake.auth.grant(bearer)
        if scheme.lower() != "bearer" or not (bearer == FAKE_TOKEN or (grant and CLOUD_PLATFORM in grant.scope)):
            return _reply(google_error(401, "Request had invalid authentication credentials.", "authError"))
        try:
            return jsonify(fake.auth.sign_blob(account, (request.get_json(silent=True) or {}).get("payload", "")))
        except OAuthError as error:
            return _reply(google_error(400, error.description, "badRequest"))

    @bp.get("/_sandbox/gmail/stats")
    def stats() -> Response:
        """The fake's own accounting, for benchmarks that run the sandbox in another process."""
        store, quota = fake.store, fake.store.quota
        return jsonify({"requests": len(state.log), "quota": {
            mailbox: {"units": quota.total_units(mailbox), "peak_units_per_second": quota.peak_units_per_second(
                mailbox), "refused": quota.refused.get(mailbox, 0),
                "concurrency_refused": store.concurrency_refused.get(mailbox, 0)}
            for mailbox in store.mailboxes}})

    return bp


def gmail_fake(app: Flask) -> GmailFake:
    """The fake behind a sandbox app: `.store` for mailboxes, history, quota and faults; `.auth` for tokens."""
    bp = app.blueprints["gmail"]
    assert isinstance(bp, GmailBlueprint)
    return bp.fake
