"""gmail-sync under Gmail's limits: quota pacing, batch round trips, per-part retries, outer 429s, and
domain-wide delegation through the IAM signBlob and token fakes."""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.oauth2.credentials import Credentials

from sandbox.apis.gmail import FAKE_TOKEN
from sandbox.gmail_oauth import GMAIL_READONLY, JWT_BEARER
from sandbox.server import Sandbox
from shared import entrypoint
from tests.conftest import FakeClock
from tests.integration.gmail_harness import BATCH, GMAIL, SIGNER, GmailHarness

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "functions" / "gmail_sync"))

from gmail_job import SPEC, GmailClients
from gmail_settings import GmailSettings

GET_LINE = re.compile(rb"GET /gmail/v1/users/[^/]+/messages/([0-9a-f]+)\?")


@pytest.fixture(name="gmail")
def gmail_fixture(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[GmailHarness]:
    with GmailHarness.start(sandbox, tmp_path, monkeypatch) as harness:
        yield harness


def fetched_ids(gmail: GmailHarness) -> Counter[str]:
    """How often each message id was asked for inside batch bodies."""
    return Counter(m.decode() for r in gmail.sandbox.log.matching("POST", BATCH) for m in GET_LINE.findall(r.body))


def test_given_a_quota_budget_when_syncing_then_the_pace_stays_under_it_without_a_single_429(
        gmail: GmailHarness) -> None:
    """Gmail's budget here is 400 units/s over 1 s windows; the function is set to spend 300 (a margin for
    scheduling jitter on a loaded test machine). Unpaced, the same sync is refused (the next test)."""
    mailbox = gmail.mailboxes[0]
    quota = gmail.store.quota
    quota.enforce, quota.units_per_second, quota.window_s, quota.retry_after = True, 400.0, 1.0, 0.0
    gmail.monkeypatch.setenv("GMAIL_QUOTA_UNITS_PER_SECOND", "300")
    gmail.monkeypatch.setenv("GMAIL_BATCH_SIZE", "5")

    gmail.sync({"sync_type": "full", "mailbox": mailbox})

    assert set(gmail.messages()) == gmail.live_keys(mailbox)
    assert quota.total_units(mailbox) > 400, "more work than one window's budget, so pacing had to act"
    assert quota.refused.get(mailbox, 0) == 0
    assert quota.peak_units_per_second(mailbox) <= 400


def test_given_no_pacing_when_syncing_the_same_mailbox_then_the_fake_refuses_calls(gmail: GmailHarness) -> None:
    """The control for the pacing test: the same work unpaced overruns the same budget (one immediate retry per
    refused part, so that a slow machine's retries do not outlast the 1 s window)."""
    mailbox = gmail.mailboxes[0]
    quota = gmail.store.quota
    quota.enforce, quota.units_per_second, quota.window_s, quota.retry_after = True, 400.0, 1.0, 0.0
    gmail.monkeypatch.setenv("GMAIL_BATCH_SIZE", "25")
    gmail.monkeypatch.setenv("HTTP_MAX_RETRIES", "1")

    _, answer = gmail.run({"sync_type": "full", "mailbox": mailbox})

    assert quota.refused.get(mailbox, 0) > 0 and answer["status"] == "failed"


def retry_logs(out: str) -> list[dict[str, Any]]:
    entries = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return [e for e in entries if e["message"].startswith("retrying ") and "batch parts" in e["message"]]


def test_given_a_large_mailbox_when_fully_synced_then_batches_carry_50_calls_and_list_pages_ride_along(
        gmail: GmailHarness) -> None:
    """The default batch of 50 stays within Gmail's per-user concurrency (the fake's default, 50): no part is
    refused and every message is fetched once, at about two round trips per 100 messages."""
    mailbox = gmail.mailboxes[0]
    for _ in range(1400):
        gmail.store.add_message(mailbox)

    gmail.sync({"sync_type": "full", "mailbox": mailbox})

    messages = len(gmail.customer_mail(mailbox))
    assert len(gmail.messages()) == messages
    batches = gmail.sandbox.log.matching("POST", BATCH)
    assert max(r.body.count(b"Content-ID: ") for r in batches) == 50
    assert sum(b"/messages?" in r.body for r in batches) == 3, "list pages 2 to 4 rode inside batches"
    assert gmail.store.concurrency_refused == {}
    round_trips = len(gmail.sandbox.log)
    assert round_trips / messages * 100 <= 2.2
    assert fetched_ids(gmail) == Counter({i: 1 for _, i in gmail.listed_keys(mailbox)})


def test_given_batches_of_100_over_gmails_concurrency_then_the_refused_parts_are_retried_with_backoff_and_kept(
        gmail: GmailHarness, capsys: pytest.CaptureFixture[str]) -> None:
    """Gmail answers the parts of one batch beyond its per-user concurrency with 429 "Too many concurrent
    requests for user": only those are sent again, after a backoff, and no message is lost."""
    mailbox = gmail.mailboxes[0]
    for _ in range(400):
        gmail.store.add_message(mailbox)
    gmail.monkeypatch.setenv("GMAIL_BATCH_SIZE", "100")
    gmail.monkeypatch.setenv("HTTP_BACKOFF_BASE", "0.001")
    capsys.readouterr()

    gmail.sync({"sync_type": "full", "mailbox": mailbox})

    assert set(gmail.messages()) == gmail.live_keys(mailbox)
    batches = gmail.sandbox.log.matching("POST", BATCH)
    assert [r.body.count(b"Content-ID: ") for r in batches][:2] == [100, 50], "the refused half is resent"
    refused = gmail.store.concurrency_refused[mailbox]
    counts = fetched_ids(gmail)
    assert set(counts) == {i for _, i in gmail.listed_keys(mailbox)} and set(counts.values()) == {1, 2}
    assert sum(n - 1 for n in counts.values()) == refused, "each refused get was sent once more"
    retries = retry_logs(capsys.readouterr().out)
    assert retries and all(r["severity"] == "WARNING" and "HTTP 429" in r["message"] for r in retries)
    assert sum(int(r["message"].split()[1]) for r in retries) == refused


def test_given_a_concurrency_limit_far_below_the_batch_then_the_batch_drains_over_more_rounds_than_retries(
        gmail: GmailHarness) -> None:
    """Each round serves 20 parts: 100 parts take 5 rounds, more than HTTP_MAX_RETRIES=2, yet a round that served
    parts is progress, so the sync completes."""
    mailbox = gmail.mailboxes[0]
    gmail.store.concurrent_per_user = 20
    gmail.monkeypatch.setenv("GMAIL_BATCH_SIZE", "100")
    gmail.monkeypatch.setenv("HTTP_MAX_RETRIES", "2")

    gmail.sync({"sync_type": "full", "mailbox": mailbox})

    assert set(gmail.messages()) == gmail.live_keys(mailbox)
    sizes = [r.body.count(b"Content-ID: ") for r in gmail.sandbox.log.matching("POST", BATCH)]
    assert sizes[:5] == [100, 80, 60, 40, 20]


@pytest.mark.parametrize(("status", "reason"), [(429, "rateLimitExceeded"), (403, "userRateLimitExceeded"),
                                                (403, "rateLimitExceeded"), (500, "backendError")])
def test_given_parts_failing_retriably_then_only_they_are_retried_and_nothing_is_lost(
        gmail: GmailHarness, status: int, reason: str) -> None:
    mailbox = gmail.mailboxes[0]
    gmail.store.fail_next(mailbox, 3, status=status, reason=reason)

    gmail.sync({"sync_type": "full", "mailbox": mailbox})

    assert set(gmail.messages()) == gmail.live_keys(mailbox)
    counts = fetched_ids(gmail)
    assert sorted(counts.values()).count(2) == 3 and set(counts.values()) == {1, 2}


def test_given_a_part_failing_for_good_then_that_mailbox_fails_and_its_cursor_is_not_set(
        gmail: GmailHarness) -> None:
    failing, fine = gmail.mailboxes[:2]
    gmail.store.fail_next(failing, 1, status=400, reason="invalidArgument")

    status, answer = gmail.run({"sync_type": "full"})

    assert (status, answer["status"]) == (200, "partial")
    assert "HTTP 400" in answer["errors"][failing] and fine not in answer["errors"]
    assert gmail.cursor(failing) is None and gmail.cursor(fine) is not None


def test_given_outer_429s_with_retry_after_then_the_batch_and_history_calls_are_retried(
        gmail: GmailHarness) -> None:
    mailbox = gmail.mailboxes[0]
    gmail.sandbox.faults.add(BATCH, status=429, retry_after=0, times=2)
    gmail.sync({"sync_type": "full", "mailbox": mailbox})
    gmail.store.add_message(mailbox)
    gmail.sandbox.faults.add(f"{GMAIL}{mailbox}/history", status=429, retry_after=0, times=1)

    answer = gmail.sync({"mailbox": mailbox})

    assert answer["counts"]["gmail_messages"] == 1
    assert set(gmail.messages()) == gmail.live_keys(mailbox)
    assert len(gmail.sandbox.log.matching(status=429)) == 3


def test_given_a_part_retry_after_then_the_client_waits_that_long_before_resending(gmail: GmailHarness) -> None:
    mailbox = gmail.mailboxes[0]
    clock = FakeClock()
    api = GmailClients(GmailSettings.load()).api(mailbox)
    api.policy = dataclasses.replace(api.policy, sleep=clock.sleep)
    ids = [m.email.message_id for m in gmail.customer_mail(mailbox)[:4]]
    gmail.store.fail_next(mailbox, 2, status=429, retry_after=7)

    fetched = dict(api.fetch(ids))

    assert set(fetched) == set(ids) and all(fetched.values())
    assert clock.sleeps == [7.0]


def test_given_domain_wide_delegation_then_each_mailbox_is_read_with_its_own_delegated_readonly_token(
        gmail: GmailHarness) -> None:
    gmail.monkeypatch.setenv("GMAIL_AUTH", "delegated")
    gmail.monkeypatch.delenv("GMAIL_STATIC_TOKEN")
    runtime = entrypoint.runtime(SPEC)
    runtime.clients = GmailClients(runtime.settings, (Credentials(token=FAKE_TOKEN), SIGNER))

    gmail.sync({"sync_type": "full"})
    gmail.store.add_message(gmail.mailboxes[0])
    gmail.sync()

    assert set(gmail.messages()) == gmail.live_keys()
    claims = {c["sub"]: c for c in gmail.fake.auth.assertions}
    assert set(claims) == set(gmail.mailboxes) and len(gmail.fake.auth.assertions) == len(gmail.mailboxes)
    assert all(c["scope"] == GMAIL_READONLY and c["iss"] == SIGNER for c in claims.values())
    assert gmail.fake.auth.signed_by == [SIGNER] * len(gmail.mailboxes)
    tokens = gmail.sandbox.log.matching("POST", "/google-oauth2/token")
    assert all(r.body.decode().count(JWT_BEARER.replace(":", "%3A")) == 1 for r in tokens)
    for request in gmail.sandbox.log.matching(where=lambda r: r.path.startswith(GMAIL)):
        grant = gmail.fake.auth.grant((request.header("Authorization") or "").removeprefix("Bearer "))
        assert grant is not None and grant.mailbox is not None and grant.mailbox in request.path


def test_given_delegation_is_refused_then_that_mailbox_fails_with_the_token_error(gmail: GmailHarness) -> None:
    gmail.monkeypatch.setenv("GMAIL_AUTH", "delegated")
    gmail.monkeypatch.setenv("GMAIL_MAILBOXES", '["ghost@northwind-analytics.com"]')
    runtime = entrypoint.runtime(SPEC)
    runtime.clients = GmailClients(runtime.settings, (Credentials(token=FAKE_TOKEN), SIGNER))

    status, answer = gmail.run({"sync_type": "full"})

    assert (status, answer["status"]) == (500, "failed")
    assert "invalid_grant" in answer["errors"]["ghost@northwind-analytics.com"]
    assert not gmail.sandbox.log.matching(where=lambda r: r.path.startswith(GMAIL))
