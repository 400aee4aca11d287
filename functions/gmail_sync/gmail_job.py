"""gmail-sync: configured mailboxes → gmail_messages, gmail_participants, gmail_attachments.

The mailboxes come from GMAIL_MAILBOX_SOURCE, read at the start of every run (gmail_mailboxes).

Mailboxes sync concurrently on a bounded pool, each with its own session (so one mailbox's failures cannot
open the circuit breaker for the others), credentials and quota pacer; every mailbox's pacer also draws on the
one project pacer of the process (GMAIL_PROJECT_QUOTA_UNITS_PER_SECOND). A mailbox that fails is reported in
the run's errors with its cursor untouched; the others complete and the run is `partial`. Every mailbox
checks the run's time budget between its pages; one that stops there is *pending* and resumes from its
checkpoint on the next run.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import threading
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from gmail_api import MailboxApi
from gmail_auth import mailbox_credentials, runtime_identity
from gmail_directory import GroupDirectory
from gmail_flow import MailboxSync
from gmail_mailboxes import resolve_mailboxes
from gmail_privacy import REASONS, MailFilter
from gmail_purge import purge_mailbox
from gmail_quota import QuotaPacer, project_limiter, quota_limiter
from gmail_settings import GmailParams, GmailSettings
from google.auth.credentials import Credentials
from googleapiclient.discovery import build

from shared.budget import TimeBudget, unlimited
from shared.entrypoint import JobContext, JobSpec, RequestFieldError
from shared.google_http import SessionHttp
from shared.http import HttpPolicy, make_session
from shared.ledger import JobResult, RunLedger
from shared.warehouse import Warehouse


class GmailClients:
    """One MailboxApi per mailbox, built on first use and kept for the life of the instance.

    `identity` (the credentials that call signBlob, and the signing service account) defaults to the
    runtime's own, from `google.auth.default()`; tests pass one for the sandbox."""

    def __init__(self, settings: GmailSettings, identity: tuple[Credentials, str] | None = None) -> None:
        self.settings = settings
        self._apis: dict[str, MailboxApi] = {}
        self._directory: GroupDirectory | None = None
        self._identity = identity
        self._lock = threading.Lock()
        self.project = project_limiter(settings.gmail_project_quota_units_per_second, settings.gmail_batch_size,
                                       settings.gmail_max_workers)
        """The project's quota pacer, shared by every mailbox this instance syncs (one instance: max_instances 1)."""

    def directory(self) -> GroupDirectory:
        with self._lock:
            if self._directory is None:
                self._directory = GroupDirectory(self.settings, self._identity)
            return self._directory

    def api(self, mailbox: str) -> MailboxApi:
        with self._lock:
            if mailbox not in self._apis:
                self._apis[mailbox] = self._build(mailbox)
            return self._apis[mailbox]

    def _build(self, mailbox: str) -> MailboxApi:
        settings = self.settings
        policy = HttpPolicy.from_settings(settings, source=f"gmail:{mailbox}")
        session = make_session(policy)
        if settings.gmail_auth == "delegated" and self._identity is None:
            self._identity = runtime_identity(settings, session)
        http = SessionHttp(session, mailbox_credentials(settings, mailbox, session, self._identity))
        base = settings.gmail_api_base_url.rstrip("/")
        service = build("gmail", "v1", http=http, static_discovery=True, cache_discovery=False,
                        client_options={"api_endpoint": f"{base}/"})
        pacer = QuotaPacer(quota_limiter(settings.gmail_quota_units_per_second, settings.gmail_batch_size),
                           self.project)
        return MailboxApi(mailbox, service, http, pacer, f"{base}/batch/gmail/v1", settings.gmail_batch_size,
                          policy, settings.gmail_page_size)


@dataclass
class MailboxOutcome:
    counts: Counter[str]
    stopped: Exception | None = None
    """OutOfTime (the scope is pending) or the error that failed the mailbox; the rows counted before it stand."""


def sync_mailbox(mailbox: str, params: GmailParams, clients: GmailClients, warehouse: Warehouse,
                 ledger: RunLedger, run_id: str, budget: TimeBudget, mail_filter: MailFilter) -> MailboxOutcome:
    settings = clients.settings
    sync = MailboxSync(mailbox, clients.api(mailbox), warehouse, ledger, run_id, settings.gmail_body_max_chars,
                       dt.timedelta(hours=settings.gmail_history_fallback_margin_hours), budget=budget,
                       mail_filter=mail_filter)
    try:
        sync.run(params.sync_type, params.since)
    except Exception as stopped:  # re-raised in the mailbox's result scope, after its counts are added
        return MailboxOutcome(sync.counts, stopped)
    return MailboxOutcome(sync.counts)


def sync_mailboxes(mailboxes: list[str], params: GmailParams, clients: GmailClients, warehouse: Warehouse,
                   ledger: RunLedger, run_id: str, budget: TimeBudget | None = None,
                   mail_filter: MailFilter | None = None) -> JobResult:
    """Each mailbox is one scope: failed (its error), pending (it stopped at the time budget and resumes from
    its checkpoint next run) or done."""
    result = JobResult()
    budget = budget or unlimited()
    mail_filter = mail_filter or clients.settings.mail_filter(mailboxes)
    workers = min(clients.settings.gmail_max_workers, len(mailboxes))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gmail") as pool:
        futures: dict[str, Future[MailboxOutcome]] = {
            mailbox: pool.submit(contextvars.copy_context().run, sync_mailbox, mailbox, params, clients,
                                 warehouse, ledger, run_id, budget, mail_filter)
            for mailbox in mailboxes}
        for mailbox, future in futures.items():
            with result.scope(mailbox) as outcome:
                done = future.result()
                outcome.rows = done.counts["gmail_messages"]
                for kind, rows in sorted(done.counts.items()):
                    result.add(kind, rows)
                if done.stopped is not None:
                    raise done.stopped
    return result


def purge_mailboxes(mailboxes: list[str], ctx: JobContext[GmailSettings], mail_filter: MailFilter) -> JobResult:
    """One scope per mailbox, one after another (warehouse statements only, no Gmail call)."""
    result = JobResult()
    for mailbox in mailboxes:
        counts: Counter[str] = Counter()
        with result.scope(mailbox) as outcome:
            try:
                purge_mailbox(mailbox, mail_filter, ctx.warehouse, ctx.budget, counts)
            finally:
                outcome.rows = counts["gmail_messages_purged"]
                result.add("gmail_messages_purged", counts["gmail_messages_purged"])
    return result


def run(params: GmailParams, ctx: JobContext[GmailSettings]) -> JobResult:
    clients = ctx.clients if isinstance(ctx.clients, GmailClients) else GmailClients(ctx.settings)
    found = resolve_mailboxes(ctx.settings, ctx.warehouse, clients.directory)
    reachable = found.active + found.dropped if params.purge else found.active
    if params.mailbox and params.mailbox not in reachable:
        raise RequestFieldError("mailbox", f"not a mailbox of GMAIL_MAILBOX_SOURCE={ctx.settings.gmail_mailbox_source} "
                                        "now")
    mailboxes = [params.mailbox] if params.mailbox else reachable
    mail_filter = ctx.settings.mail_filter(found.active + found.dropped)
    result = purge_mailboxes(mailboxes, ctx, mail_filter) if params.purge else sync_mailboxes(
        mailboxes, params, clients, ctx.warehouse, ctx.ledger, ctx.run_id, ctx.budget, mail_filter)
    result.answer["mailboxes"] = {"source": ctx.settings.gmail_mailbox_source, "synced": len(found.active),
                                  "new": len(found.new), "dropped": len(found.dropped)}
    return result


SPEC = JobSpec("gmail-sync", "gmail", GmailParams, GmailSettings, run, GmailClients, count_keys=(
    "gmail_messages", "gmail_participants", "gmail_attachments", "gmail_messages_deleted", "history_fallbacks",
    *(f"gmail_skipped_{reason}" for reason in REASONS), "gmail_messages_purged"))
