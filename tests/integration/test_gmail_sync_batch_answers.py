"""gmail-sync when a batch answer arrives incomplete: the parts missing from it are asked for again (bounded by
HTTP_MAX_RETRIES) instead of failing the mailbox with a KeyError on the first absent part."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.server import Sandbox
from tests.integration.gmail_harness import BATCH, GmailHarness
from tests.integration.test_gmail_sync_quota import fetched_ids


@pytest.fixture(name="gmail")
def gmail_fixture(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[GmailHarness]:
    with GmailHarness.start(sandbox, tmp_path, monkeypatch, GMAIL_BATCH_SIZE="10") as harness:
        yield harness
        harness.sandbox.faults.clear()


def test_given_a_batch_answer_cut_in_half_then_the_missing_parts_are_fetched_again_and_every_message_is_stored(
        gmail: GmailHarness) -> None:
    mailbox = gmail.mailboxes[0]
    fault = gmail.sandbox.faults.add(BATCH, truncate=True, times=1)

    gmail.sync({"sync_type": "full", "mailbox": mailbox})

    assert fault.hits == 1
    assert set(gmail.messages()) == gmail.live_keys(mailbox)
    asked = fetched_ids(gmail)
    twice = Counter(asked.values())[2]
    assert 0 < twice <= 10, asked
    assert set(asked.values()) == {1, 2}


def test_given_every_batch_answer_cut_off_then_the_mailbox_fails_naming_the_missing_part(
        gmail: GmailHarness) -> None:
    mailbox = gmail.mailboxes[0]
    gmail.monkeypatch.setenv("HTTP_MAX_RETRIES", "2")
    gmail.sandbox.faults.add(BATCH, truncate=True, times=None)

    status, answer = gmail.run({"sync_type": "full", "mailbox": mailbox})

    assert (status, answer["status"], list(answer["errors"])) == (500, "failed", [mailbox])
    assert "missing from the batch answer after 2 retries" in answer["errors"][mailbox]
    assert gmail.cursor(mailbox) is None
