"""gmail-sync settings and request validation, history bookkeeping, rows, pacing and delegated identity."""

from __future__ import annotations

import datetime as dt
import heapq
import sys
import threading
from collections import deque
from pathlib import Path
from typing import Any

import pytest
import requests
from pydantic import ValidationError

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "functions" / "gmail_sync"))

import gmail_auth
from gmail_flow import history_changes, midnight
from gmail_job import GmailClients
from gmail_mime import ParsedMessage
from gmail_quota import PACE_SHARE, UNITS_GET, QuotaPacer, project_limiter, quota_limiter
from gmail_rows import message_row, participant_rows
from gmail_settings import GmailParams, GmailSettings

from tests.conftest import FakeClock

NOW = dt.datetime(2026, 5, 4, 12, tzinfo=dt.UTC)


@pytest.mark.parametrize("raw", ['["Ann@Acme.com", " bo@acme.com "]', "Ann@Acme.com, bo@acme.com"])
def test_given_mailboxes_as_json_or_commas_then_they_are_a_clean_lower_case_list(
        raw: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GMAIL_MAILBOXES", raw)
    assert GmailSettings.load().gmail_mailboxes == ["ann@acme.com", "bo@acme.com"]


def test_given_defaults_then_the_settings_describe_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GMAIL_MAILBOXES", raising=False)
    settings = GmailSettings.load()
    assert (settings.gmail_auth, settings.gmail_api_base_url, settings.gmail_batch_size) == (
        "delegated", "https://gmail.googleapis.com", 50)
    assert settings.gmail_quota_units_per_second == 250
    assert settings.gmail_project_quota_units_per_second == 20_000
    with pytest.raises(ValidationError):
        GmailSettings.load(gmail_batch_size=101)


def test_given_a_request_then_the_mailbox_must_be_configured_and_since_needs_a_full_sync(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GMAIL_MAILBOXES", '["ann@acme.com"]')
    assert GmailParams(mailbox=" Ann@Acme.com ").mailbox == "ann@acme.com"
    with pytest.raises(ValidationError, match="not a configured mailbox") as refused:
        GmailParams(mailbox="eve@acme.com")
    assert "ann@acme.com" not in str(refused.value), "the configured mailboxes are not told to the caller"
    assert GmailParams(sync_type="full", since=dt.date(2026, 1, 1)).since == dt.date(2026, 1, 1)
    with pytest.raises(ValidationError, match="only allowed with sync_type 'full'"):
        GmailParams(since=dt.date(2026, 1, 1))
    with pytest.raises(ValidationError, match="from 2000-01-01 to today"):
        GmailParams(sync_type="full", since=dt.date.today() + dt.timedelta(days=3))


def test_given_history_records_then_touched_messages_are_refetched_once_unless_deleted() -> None:
    def item(message_id: str) -> dict[str, Any]:
        return {"message": {"id": message_id, "threadId": message_id}}

    records = [{"id": "1", "messagesAdded": [item("a"), item("b")]},
               {"id": "2", "labelsAdded": [{**item("a"), "labelIds": ["STARRED"]}]},
               {"id": "3", "labelsRemoved": [{**item("c"), "labelIds": ["UNREAD"]}]},
               {"id": "4", "messagesDeleted": [item("b"), item("z")]}]
    assert history_changes(records) == (["a", "c"], {"b", "z"})
    assert midnight(dt.date(2026, 5, 1)) == dt.datetime(2026, 5, 1, tzinfo=dt.UTC) and midnight(None) is None


def parsed(**overrides: Any) -> ParsedMessage:
    base: dict[str, Any] = {
        "message_id": "m1", "thread_id": "t1", "history_id": "9", "labels": ["INBOX"], "internal_at": NOW,
        "sent_at": NOW, "subject": "Hi", "snippet": "Hi", "body_text": "Hello", "body_truncated": False,
        "body_source": "text/plain", "rfc822_message_id": "<x@y>", "in_reply_to": None, "references": [],
        "size_estimate": 10,
        "participants": [("from", "Ann.Lee@Mail.Acme.co.uk", "Lee, Ann"), ("to", "bo@x.com", None),
                         ("cc", "bo@x.com", None), ("to", "BO@x.com", "Bo"), ("bcc", "not-an-address", None)],
    }
    return ParsedMessage(**{**base, **overrides})


def test_given_a_parsed_message_then_rows_hold_only_this_jobs_columns_and_normalised_addresses() -> None:
    row = message_row("rep@northwind.com", parsed(), "run-1", NOW)
    assert not any(key.startswith(("embedding", "embedded", "sf_", "match")) for key in row)
    assert (row["from_email"], row["from_name"], row["is_deleted"]) == ("ann.lee@mail.acme.co.uk", "Lee, Ann",
                                                                        False)
    people = participant_rows("rep@northwind.com", parsed(), NOW)
    assert [(p["role"], p["email_address"], p["domain"]) for p in people] == [
        ("from", "ann.lee@mail.acme.co.uk", "acme.co.uk"), ("to", "bo@x.com", "x.com"), ("cc", "bo@x.com", "x.com")]
    assert not any(key.startswith(("sf_", "match")) for person in people for key in person)


def test_given_the_pacer_then_it_spends_at_most_the_budget_share_and_holds_one_batch(clock: FakeClock) -> None:
    limiter = quota_limiter(250, 100, clock, clock.sleep)
    for _ in range(10):
        limiter.acquire(UNITS_GET * 100)
    assert limiter.burst == 500
    assert clock.now - 1000 == pytest.approx(9 * 500 / (250 * PACE_SHARE))


def test_given_no_configured_signer_then_the_runtime_account_is_read_after_a_refresh(
        monkeypatch: pytest.MonkeyPatch) -> None:
    class MetadataCredentials:
        service_account_email = "default"

        def refresh(self, request: Any) -> None:
            self.service_account_email = "gmail-sync@proj.iam.gserviceaccount.com"

    monkeypatch.setattr(gmail_auth.google.auth, "default", lambda scopes: (MetadataCredentials(), "proj"))
    source, email = gmail_auth.runtime_identity(GmailSettings.load(), requests.Session())
    assert email == "gmail-sync@proj.iam.gserviceaccount.com" and isinstance(source, MetadataCredentials)


def test_given_the_iam_root_then_only_iam_calls_are_sent_to_the_configured_base() -> None:
    calls: list[str] = []
    rebased = gmail_auth.IamRebasedRequest(lambda url, **kw: calls.append(url), "http://127.0.0.1:9/iam/")
    rebased(f"{gmail_auth.IAM_ROOT}/v1/projects/-/serviceAccounts/a@b:signBlob", method="POST")
    rebased("https://oauth2.googleapis.com/token", method="POST")
    assert calls == ["http://127.0.0.1:9/iam/v1/projects/-/serviceAccounts/a@b:signBlob",
                     "https://oauth2.googleapis.com/token"]


PER_USER, PROJECT, MINUTE = 250.0, 20_000.0, 60.0
BATCH_UNITS = UNITS_GET * 50


def simulate(mailboxes: int, project: float | None, seconds: float = 240.0) -> list[tuple[float, int]]:
    """`mailboxes` mailboxes sending batches of 50 gets back to back, as the pool's threads do, on one virtual
    clock: the mailbox whose previous batch went out first goes next, and its batch goes out once its pacer's
    wait is over. Returns (when sent, mailbox) per batch."""
    clock = FakeClock(0.0)
    shared = project_limiter(project, 50, mailboxes, clock, clock.sleep) if project else None
    pacers = [QuotaPacer(quota_limiter(PER_USER, 50, clock, clock.sleep), shared, sleep=lambda s: None)
              for _ in range(mailboxes)]
    ready = [(0.0, box) for box in range(mailboxes)]
    sent: list[tuple[float, int]] = []
    while ready[0][0] < seconds:
        clock.now, box = heapq.heappop(ready)
        at = clock.now + pacers[box].acquire(BATCH_UNITS)
        sent.append((at, box))
        heapq.heappush(ready, (at, box))
    return sent


def peak_per_minute(times: list[float]) -> float:
    """The most quota units sent in any 60 s window."""
    window: deque[float] = deque()
    peak = 0
    for at in sorted(times):
        window.append(at)
        while window[0] <= at - MINUTE:
            window.popleft()
        peak = max(peak, len(window))
    return peak * BATCH_UNITS


@pytest.mark.parametrize("mailboxes", [80, 100, 200])
def test_given_many_mailboxes_then_together_they_never_exceed_the_project_budget_per_minute(mailboxes: int) -> None:
    sent = simulate(mailboxes, PROJECT)

    project_peak = peak_per_minute([at for at, _ in sent])
    assert project_peak <= PROJECT * MINUTE, "Gmail: 1,200,000 units per minute per project"
    assert project_peak >= 0.85 * PROJECT * MINUTE, "the project pace is spent, not starved"
    for box in range(mailboxes):
        assert peak_per_minute([at for at, b in sent if b == box]) <= PER_USER * MINUTE


def test_given_the_project_pacer_then_80_mailboxes_keep_their_full_pace_and_more_share_the_project_pace() -> None:
    """20,000 * PACE_SHARE / (250 * PACE_SHARE) = 80 mailboxes at full speed; beyond, each gets a share."""
    def mean_pace(mailboxes: int) -> float:
        sent = [at for at, box in simulate(mailboxes, PROJECT) if box == 0 and MINUTE <= at < 4 * MINUTE]
        return len(sent) * BATCH_UNITS / (3 * MINUTE)

    assert mean_pace(80) == pytest.approx(PER_USER * PACE_SHARE, rel=0.03)
    assert mean_pace(160) == pytest.approx(PROJECT * PACE_SHARE / 160, rel=0.05)


def test_given_no_project_pacer_then_100_mailboxes_overrun_the_project_budget() -> None:
    """The control: per-user pacing alone lets 100 mailboxes spend 100 * 225 units/s > 20,000."""
    assert peak_per_minute([at for at, _ in simulate(100, None)]) > PROJECT * MINUTE


def test_given_threads_sharing_the_project_pacer_then_every_unit_is_debited_once() -> None:
    """On a frozen clock nothing refills: after 8 threads x 50 calls the bucket owes exactly all their units."""
    clock = FakeClock()
    shared = project_limiter(1000.0, 50, 8, clock, clock.sleep)
    start = threading.Barrier(8)

    def mailbox() -> None:
        pacer = QuotaPacer(quota_limiter(PER_USER, 50, clock, clock.sleep), shared, sleep=lambda s: None)
        start.wait()
        for _ in range(50):
            pacer.acquire(BATCH_UNITS)

    threads = [threading.Thread(target=mailbox) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    owed = 8 * 50 * BATCH_UNITS - shared.burst
    assert shared.reserve(0) == pytest.approx(owed / (1000.0 * PACE_SHARE))
    assert clock.sleeps == []


def test_given_the_clients_then_every_mailbox_paces_on_the_one_project_pacer() -> None:
    settings = GmailSettings.load(gmail_auth="static_token", gmail_static_token="fake-token",
                                  gmail_project_quota_units_per_second=1000, gmail_batch_size=40,
                                  gmail_max_workers=3)
    clients = GmailClients(settings)
    pacers = [clients.api(box).limiter for box in ("ann@acme.com", "bo@acme.com")]

    assert all(isinstance(p, QuotaPacer) and p.project is clients.project for p in pacers)
    assert pacers[0].mailbox is not pacers[1].mailbox
    assert (clients.project.rate, clients.project.burst) == (1000 * PACE_SHARE, UNITS_GET * 40 * 3)
