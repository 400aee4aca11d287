"""Salesforce REST and Bulk API 2.0 calls through simple-salesforce and the shared resilient session.

The session retries 5xx and 403 REQUEST_LIMIT_EXCEEDED with backoff before a call fails. Here a call that
answers 401 INVALID_SESSION_ID gets one fresh token and one more try; other refusals become `SalesforceApiError`
with Salesforce's errorCode. Query results come back page by page (generators), never all at once. A Bulk API 2.0
job is driven step by step (create, poll, one result set per call), so that a sync can save the job id and locator
between steps and resume the job in a later invocation.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from sfdc_auth import AccessToken, TokenSource
from simple_salesforce import Salesforce
from simple_salesforce.bulk2 import Operation, _Bulk2Client
from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession

from shared.log import get_logger

log = get_logger(__name__)
T = TypeVar("T")
Sleep = Callable[[float], None]


class SalesforceApiError(Exception):
    """A call Salesforce refused after retries: `code` is its errorCode (REQUEST_LIMIT_EXCEEDED, …)."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        where = f" (HTTP {status})" if status else ""
        super().__init__(f"{code}{where}: {message}")
        self.code, self.status = code, status

    @classmethod
    def of(cls, failure: SalesforceError) -> SalesforceApiError:
        content = failure.content
        first: dict[str, Any] = content[0] if isinstance(content, list) and content \
            and isinstance(content[0], dict) else {}
        message = str(first.get("message") or content)[:500]
        return cls(str(first.get("errorCode", "UNKNOWN_ERROR")), message, failure.status)


class SalesforceClient:
    """One org: logs in on first use and keeps the session until Salesforce says it expired."""

    def __init__(self, tokens: TokenSource, http: requests.Session, version: str, page_size: int,
                 sleep: Sleep = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        self.tokens, self.http, self.version, self.page_size = tokens, http, version, page_size
        self.sleep, self.clock = sleep, clock
        self._sf: Salesforce | None = None
        self._lock = threading.Lock()

    def _connect(self, stale: Salesforce | None = None) -> Salesforce:
        with self._lock:
            if self._sf is None or self._sf is stale:
                token: AccessToken = self.tokens.fetch()
                self._sf = Salesforce(instance_url=token.instance_url, session_id=token.value, session=self.http,
                                      version=self.version, object_pairs_hook=dict)
            return self._sf

    def call(self, action: Callable[[Salesforce], T]) -> T:
        """Run `action`; on an expired session, re-authenticate once and run it again."""
        sf = self._connect()
        try:
            try:
                return action(sf)
            except SalesforceExpiredSession:
                log.warning("Salesforce session expired; re-authenticating once")
                return action(self._connect(stale=sf))
        except SalesforceError as failure:
            raise SalesforceApiError.of(failure) from None

    def describe(self, object_type: str) -> list[dict[str, Any]]:
        """The describe entries (name, type, custom, compoundFieldName, …) of the fields this org has and the
        user can see."""
        found = self.call(lambda sf: getattr(sf, object_type).describe())
        return [dict(f) for f in found["fields"]]

    def count(self, object_type: str) -> int:
        """Records of the object, deleted ones included (what a full sync would read)."""
        found = self.call(lambda sf: sf.query(f"SELECT COUNT() FROM {object_type}", include_deleted=True))
        return int(found["totalSize"])

    def query_pages(self, soql: str) -> Iterator[QueryPage]:
        """queryAll (deleted records included), one page of records at a time by nextRecordsUrl; each page says
        whether another follows, so a caller can stop between pages without fetching the next one."""
        headers = {"Sforce-Query-Options": f"batchSize={self.page_size}"}
        page = self.call(lambda sf: sf.query(soql, include_deleted=True, headers=headers))
        while True:
            more = not page.get("done", True) and bool(page.get("nextRecordsUrl"))
            yield QueryPage(page["records"], more)
            if not more:
                return
            page = self.call(_next_page(page["nextRecordsUrl"], headers))

    def get_deleted(self, object_type: str, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
        """GET sobjects/{object}/deleted/?start=&end= (simple-salesforce encodes the `+00:00` offsets as %2B):
        `{"deletedRecords": [{"id", "deletedDate"}], "earliestDateAvailable", "latestDateCovered"}`."""
        found = self.call(lambda sf: getattr(sf, object_type).deleted(start, end))
        return dict(found)

    def create_bulk_query(self, object_type: str, soql: str) -> str:
        """Create a Bulk API 2.0 queryAll job; returns its id."""
        job = self.call(lambda sf: _bulk_client(sf, object_type).create_job(Operation.query_all, soql))
        return str(job["id"])

    def wait_for_bulk_job(self, object_type: str, job_id: str, poll_seconds: float, wait_seconds: float) -> str:
        """Poll the job until JobComplete or until `wait_seconds` have passed (at least one poll); returns the
        last state seen. A Failed or Aborted job raises BULK_JOB_FAILED / BULK_JOB_ABORTED."""
        deadline = self.clock() + wait_seconds
        while True:
            info = self.call(lambda sf: _bulk_client(sf, object_type).get_job(job_id, True))
            state = str(info.get("state"))
            if state == "JobComplete":
                return state
            if state in ("Failed", "Aborted"):
                raise SalesforceApiError(f"BULK_JOB_{state.upper()}", str(info.get("errorMessage") or job_id))
            left = deadline - self.clock()
            if left <= 0:
                return state
            self.sleep(min(poll_seconds, left))

    def bulk_result_set(self, object_type: str, job_id: str, locator: str, max_records: int) -> ResultSet:
        """One CSV result set of a completed job: `locator` "" is the first; the answer names the next ("" after
        the last)."""
        result = self.call(_result_set(object_type, job_id, locator, max_records))
        return ResultSet(str(result["records"]), str(result.get("locator") or ""))

    def abort_bulk_job(self, object_type: str, job_id: str) -> None:
        self.call(lambda sf: _bulk_client(sf, object_type).abort_job(job_id, True))


@dataclass(frozen=True)
class QueryPage:
    records: list[dict[str, Any]]
    more: bool
    """Another page follows (its nextRecordsUrl is known; it has not been fetched)."""


@dataclass(frozen=True)
class ResultSet:
    csv: str
    locator: str
    """The Sforce-Locator of the next result set; "" when this one was the last."""


def _bulk_client(sf: Salesforce, object_type: str) -> _Bulk2Client:
    """simple-salesforce's Bulk 2.0 client for single calls: its query generator sleeps on the wall clock and
    cannot re-authenticate between calls, so the job is driven step by step here."""
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {sf.session_id}", "X-PrettyPrint": "1"}
    return _Bulk2Client(object_type, sf.bulk2_url, headers, sf.session)


def _next_page(url: str, headers: dict[str, str]) -> Callable[[Salesforce], Any]:
    return lambda sf: sf.query_more(url, identifier_is_url=True, headers=headers)


def _result_set(object_type: str, job_id: str, locator: str, max_records: int) -> Callable[[Salesforce], Any]:
    return lambda sf: _bulk_client(sf, object_type).get_query_results(job_id, locator, max_records)
