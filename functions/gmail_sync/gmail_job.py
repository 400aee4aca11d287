"""gmail-sync: configured mailboxes → gmail_messages, gmail_participants, gmail_attachments.

Mailboxes sync concurrently on a bounded pool, each with its own session (so one mailbox's failures cannot
open the circuit breaker for the others), credentials and quota pacer. A mailbox that fails is reported in
the run's errors with its cursor untouched; the others complete and the run is `partial`.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import threading
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor

from gmail_api import MailboxApi, quota_limiter
from gmail_auth import mailbox_credentials, runtime_identity
from gmail_flow import MailboxSync
from gmail_settings import GmailParams, GmailSettings
from google.auth.credentials import Credentials
from googleapiclient.discovery import build

from shared.entrypoint import JobContext, JobSpec
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
        self._identity = identity
        self._lock = threading.Lock()

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
        return MailboxApi(mailbox, service, http, quota_limiter(settings.gmail_quota_units_per_second,
                                                                settings.gmail_batch_size),
                          f"{base}/batch/gmail/v1", settings.gmail_batch_size, policy)


def sync_mailbox(mailbox: str, params: GmailParams, clients: GmailClients, warehouse: Warehouse,
                 ledger: RunLedger, run_id: str) -> Counter[str]:
    settings = clients.settings
    sync = MailboxSync(mailbox, clients.api(mailbox), warehouse, ledger, run_id, settings.gmail_body_max_chars,
                       dt.timedelta(hours=settings.gmail_history_fallback_margin_hours))
    return sync.run(params.sync_type, params.since)


def sync_mailboxes(mailboxes: list[str], params: GmailParams, clients: GmailClients, warehouse: Warehouse,
                   ledger: RunLedger, run_id: str) -> JobResult:
    result = JobResult()
    workers = min(clients.settings.gmail_max_workers, len(mailboxes))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gmail") as pool:
        futures: dict[str, Future[Counter[str]]] = {
            mailbox: pool.submit(contextvars.copy_context().run, sync_mailbox, mailbox, params, clients,
                                 warehouse, ledger, run_id)
            for mailbox in mailboxes}
        for mailbox, future in futures.items():
            with result.scope(mailbox) as outcome:
                counts = future.result()
                outcome.rows = counts["gmail_messages"]
                for kind, rows in sorted(counts.items()):
                    result.add(kind, rows)
    return result


def run(params: GmailParams, ctx: JobContext[GmailSettings]) -> JobResult:
    mailboxes = [params.mailbox] if params.mailbox else list(ctx.settings.gmail_mailboxes)
    if not mailboxes:
        raise ValueError("no mailboxes to sync: set GMAIL_MAILBOXES")
    clients = ctx.clients if isinstance(ctx.clients, GmailClients) else GmailClients(ctx.settings)
    return sync_mailboxes(mailboxes, params, clients, ctx.warehouse, ctx.ledger, ctx.run_id)


SPEC = JobSpec("gmail-sync", "gmail", GmailParams, GmailSettings, run, GmailClients)
