"""One mailbox's Gmail API: quota-paced calls, batch requests with per-part retries, and the paging schemes.

Every call is paced in quota units (get and list 5, history 2, profile 1) by the mailbox's token bucket and by
the project's, which every mailbox synced in the process shares, so a sync stays under the per-user and the
per-project budgets instead of discovering them through 429s. Outer HTTP failures (429 with
Retry-After, 5xx, quota 403s) are retried by the shared session; inside a batch every part has its own status,
and only the parts that failed retriably are sent again, after Retry-After or a backoff.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from gmail_quota import UNITS_GET, UNITS_HISTORY, UNITS_LIST, UNITS_PROFILE, QuotaPacer
from google.auth.credentials import Credentials
from google.auth.transport.requests import Request as AuthRequest
from googleapiclient.errors import BatchError, HttpError
from googleapiclient.http import BatchHttpRequest, HttpRequest

from shared.google_http import SessionHttp
from shared.http import HttpPolicy
from shared.log import get_logger
from shared.resilience import (
    RETRIABLE_403_REASONS,
    RETRIABLE_STATUS,
    RateLimiter,
    backoff_seconds,
)

log = get_logger(__name__)
LIST_PAGE_SIZE = 500
HISTORY_TYPES = ("messageAdded", "messageDeleted", "labelAdded", "labelRemoved")


class HistoryExpiredError(Exception):
    """history.list answered 404: the stored start id is older than the history Gmail keeps."""


class BatchPartError(RuntimeError):
    """A call inside a batch failed for good (not a quota/server error, or out of retries)."""


@dataclass(frozen=True)
class Call:
    key: str
    build: Callable[[], HttpRequest]
    units: int


def _retriable(error: HttpError) -> bool:
    status = error.resp.status
    if status in RETRIABLE_STATUS:
        return True
    text = error.content.decode("utf-8", "replace") if isinstance(error.content, bytes) else str(error.content)
    return status == 403 and any(reason in text for reason in RETRIABLE_403_REASONS)


def _over_concurrency(error: HttpError) -> bool:
    """Gmail's answer to a batch part beyond the per-user concurrency: 429 "Too many concurrent requests for
    user" (reason rateLimitExceeded, like a quota 429, so the message tells them apart)."""
    content = error.content if isinstance(error.content, bytes) else str(error.content).encode()
    return error.resp.status == 429 and b"concurrent requests" in content


def _retry_after(error: HttpError) -> float | None:
    try:
        return max(0.0, float(error.resp.get("retry-after", "")))
    except ValueError:
        return None


class MailboxApi:
    def __init__(self, mailbox: str, service: Any, http: SessionHttp, limiter: QuotaPacer | RateLimiter,
                 batch_uri: str, batch_size: int, policy: HttpPolicy, page_size: int = LIST_PAGE_SIZE) -> None:
        self.mailbox, self.service, self.http, self.limiter = mailbox, service, http, limiter
        self.batch_uri, self.batch_size, self.policy, self.page_size = batch_uri, batch_size, policy, page_size
        self._auth_request = AuthRequest(http.session)
        users = service.users()  # each resource access builds every method afresh: keep them
        self._users, self._messages, self._history = users, users.messages(), users.history()

    def _ensure_token(self) -> None:
        """Refresh through the shared session: the Google client would refresh with a bare httplib2.Http."""
        credentials: Credentials | None = self.http.credentials
        if credentials is not None and not credentials.valid:
            credentials.refresh(self._auth_request)

    def execute(self, request: HttpRequest, units: int) -> dict[str, Any]:
        self.limiter.acquire(units)
        self._ensure_token()
        result: dict[str, Any] = request.execute()
        return result

    def profile(self) -> dict[str, Any]:
        return self.execute(self._users.getProfile(userId=self.mailbox), UNITS_PROFILE)

    def list_request(self, q: str | None, page_token: str | None) -> HttpRequest:
        return self._messages.list(userId=self.mailbox, maxResults=self.page_size, q=q, pageToken=page_token)

    def get_request(self, message_id: str) -> HttpRequest:
        return self._messages.get(userId=self.mailbox, id=message_id, format="full")

    def history_page(self, start_history_id: str, page_token: str | None) -> dict[str, Any]:
        request = self._history.list(
            userId=self.mailbox, startHistoryId=start_history_id, historyTypes=list(HISTORY_TYPES),
            maxResults=self.page_size, pageToken=page_token)
        try:
            return self.execute(request, UNITS_HISTORY)
        except HttpError as error:
            if error.resp.status == 404:
                raise HistoryExpiredError(start_history_id) from error
            raise

    def batch(self, calls: list[Call]) -> dict[str, dict[str, Any] | None]:
        """Run the calls in one batch round trip (more only for retried parts). A 404 part maps to None.

        HTTP_MAX_RETRIES bounds the retry rounds, except that a round in which Gmail served some parts and
        refused the rest only for its per-user concurrency starts the count, and the backoff, over: a batch
        larger than that limit drains instead of failing."""
        pending, results, attempt = list(calls), {}, 0
        while pending:
            outcome = self._send(pending)
            errors = [outcome[call.key][1] for call in pending if call.key in outcome]
            complete = len(errors) == len(pending)
            if complete and None in errors and all(error is None or _over_concurrency(error) for error in errors):
                attempt = 0
            failed: list[tuple[Call, HttpError | None]] = []
            for call in pending:
                if call.key not in outcome:  # the answer was cut off or malformed: ask for the part again
                    if attempt >= self.policy.max_retries:
                        raise BatchPartError(f"{call.key}: missing from the batch answer after {attempt} retries")
                    failed.append((call, None))
                    continue
                response, error = outcome[call.key]
                if error is None:
                    results[call.key] = response
                elif error.resp.status == 404:
                    results[call.key] = None
                elif _retriable(error) and attempt < self.policy.max_retries:
                    failed.append((call, error))
                else:
                    raise BatchPartError(f"{call.key}: HTTP {error.resp.status} {error.reason}") from error
            pending = [call for call, _ in failed]
            if pending:
                self._wait(attempt, [error for _, error in failed if error is not None], len(failed))
                attempt += 1
        return results

    def _send(self, calls: list[Call]) -> dict[str, tuple[Any, HttpError | None]]:
        outcome: dict[str, tuple[Any, HttpError | None]] = {}

        def reply(request_id: str, response: Any, exception: HttpError | None) -> None:
            outcome[request_id] = (response, exception)

        batch = BatchHttpRequest(callback=reply, batch_uri=self.batch_uri)
        for call in calls:
            batch.add(call.build(), request_id=call.key)
        self.limiter.acquire(sum(call.units for call in calls))
        self._ensure_token()
        try:
            batch.execute(http=self.http)
        except (BatchError, IndexError, KeyError) as error:  # an answer cut off or not multipart: parts missing
            log.warning("unreadable batch answer: %s", str(error)[:200], extra={"scope": self.mailbox})
            return {}
        return outcome

    def _wait(self, attempt: int, errors: list[HttpError], parts: int) -> None:
        asked = [seconds for e in errors if (seconds := _retry_after(e)) is not None]
        wait = max(asked) if asked else backoff_seconds(attempt, self.policy.backoff_base,
                                                        self.policy.backoff_cap, self.policy.rng)
        if wait > self.policy.max_retry_after:
            raise BatchPartError(f"Retry-After {wait:.0f}s exceeds HTTP_MAX_RETRY_AFTER")
        log.warning("retrying %d batch parts after %s (%.2fs)", parts,
                    f"HTTP {errors[0].resp.status}" if errors else "an incomplete answer", wait,
                    extra={"scope": self.mailbox, "attempt": attempt + 1})
        self.policy.sleep(wait)

    def fetch(self, message_ids: list[str]) -> Iterator[tuple[str, dict[str, Any] | None]]:
        """(id, message in format=full or None when it no longer exists), batch_size per round trip."""
        for start in range(0, len(message_ids), self.batch_size):
            chunk = message_ids[start:start + self.batch_size]
            results = self.batch([self._get_call(i) for i in chunk])
            yield from ((i, results[f"m:{i}"]) for i in chunk)

    def _get_call(self, message_id: str) -> Call:
        return Call(f"m:{message_id}", lambda: self.get_request(message_id), UNITS_GET)

    def _list_call(self, q: str | None, page_token: str) -> Call:
        return Call("list", lambda: self.list_request(q, page_token), UNITS_LIST)

    def list_first(self, q: str | None, page_token: str | None) -> dict[str, Any]:
        """The first page a listing run asks for (directly, not in a batch). A stale or unknown page token
        (HTTP 400 or 404 while resuming) raises PageTokenRejectedError."""
        try:
            return self.execute(self.list_request(q, page_token), UNITS_LIST)
        except HttpError as error:
            if page_token and error.resp.status in (400, 404):
                raise PageTokenRejectedError(f"messages.list: HTTP {error.resp.status} for a saved page token") \
                    from error
            raise

    def listing(self, q: str | None, first: dict[str, Any], select: Callable[[list[str]], list[str]],
                more: Callable[[], bool]) -> Iterator[tuple[str, dict[str, Any] | None] | PageEnd]:
        """The messages of a listing in format=full, from its `first` page on, with a PageEnd after the last
        message of each page (in page order, once every earlier page has ended too).

        `select` gets each page's listed ids and returns the ones to fetch (the rest count as done). The next
        list page rides in the same batch as message gets (a batch may mix methods), so a full sync costs
        about one round trip per 100 messages; it is asked for early only while `more()` (the consumer's
        budget is not spent), so a run that is about to stop does not list a page it will not use. Every
        message of a batch is yielded before the PageEnds that batch completes, so at a PageEnd the consumer
        holds every message fetched so far: PageEnd.carried names those of later pages."""
        pages: deque[_Page] = deque()
        pending: deque[tuple[_Page, str]] = deque()

        def arrive(body: dict[str, Any]) -> str | None:
            listed = [m["id"] for m in body.get("messages", [])]
            page = _Page(tuple(listed), body.get("nextPageToken"))
            queued = {i for _, i in pending}
            for message_id in select(listed):
                if message_id not in page.remaining and message_id not in queued:
                    page.remaining.add(message_id)
                    pending.append((page, message_id))
            pages.append(page)
            return page.next_token

        token = arrive(first)
        yield from _ended(pages)
        while pending or token:
            calls, sent = [], []
            if token and len(pending) < 2 * self.batch_size and (more() or not pending):
                calls.append(self._list_call(q, token))
            while pending and len(calls) < self.batch_size:
                page, message_id = pending.popleft()
                calls.append(self._get_call(message_id))
                sent.append((page, message_id))
            results = self.batch(calls)
            if "list" in results:
                body = results.pop("list")
                if body is None:
                    raise BatchPartError("messages.list: HTTP 404 for a page token Gmail handed out")
                token = arrive(body)
            for page, message_id in sent:
                page.remaining.discard(message_id)
                page.yielded.append(message_id)
                yield message_id, results[f"m:{message_id}"]
            yield from _ended(pages)


class PageTokenRejectedError(Exception):
    """A saved messages.list page token is no longer accepted (resume from the saved receipt date instead)."""


@dataclass(frozen=True)
class PageEnd:
    """Every message of a listed page has been yielded (and every message of the pages before it)."""

    ids: tuple[str, ...]
    """The page's ids as listed."""
    next_token: str | None
    """The token that lists the page after it; None: the listing is complete."""
    carried: tuple[str, ...]
    """Ids of later pages already yielded (fetched in the same batches)."""


@dataclass
class _Page:
    ids: tuple[str, ...]
    next_token: str | None
    remaining: set[str] = field(default_factory=set)
    yielded: list[str] = field(default_factory=list)


def _ended(pages: deque[_Page]) -> Iterator[PageEnd]:
    while pages and not pages[0].remaining:
        page = pages.popleft()
        yield PageEnd(page.ids, page.next_token, tuple(i for later in pages for i in later.yielded))
