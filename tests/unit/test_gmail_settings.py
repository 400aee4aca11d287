"""gmail-sync settings and request validation, history bookkeeping, rows, pacing and delegated identity."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from pydantic import ValidationError

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "functions" / "gmail_sync"))

import gmail_auth
from gmail_api import PACE_SHARE, UNITS_GET, quota_limiter
from gmail_flow import history_changes, midnight
from gmail_mime import ParsedMessage
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
        "delegated", "https://gmail.googleapis.com", 100)
    assert settings.gmail_quota_units_per_second == 250
    with pytest.raises(ValidationError):
        GmailSettings.load(gmail_batch_size=101)


def test_given_a_request_then_the_mailbox_must_be_configured_and_since_needs_a_full_sync(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GMAIL_MAILBOXES", '["ann@acme.com"]')
    assert GmailParams(mailbox=" Ann@Acme.com ").mailbox == "ann@acme.com"
    with pytest.raises(ValidationError, match=r"configured mailboxes: ann@acme\.com"):
        GmailParams(mailbox="eve@acme.com")
    assert GmailParams(sync_type="full", since=dt.date(2026, 1, 1)).since == dt.date(2026, 1, 1)
    with pytest.raises(ValidationError, match="only allowed with sync_type 'full'"):
        GmailParams(since=dt.date(2026, 1, 1))
    with pytest.raises(ValidationError, match="future"):
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
