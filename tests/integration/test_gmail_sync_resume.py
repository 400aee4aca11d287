"""gmail-sync under a time budget: a first (full) sync and history both stop between pages, leave a checkpoint,
and resume from it on the next run, with no message fetched twice and the same end state as one unbounded run."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from sandbox.server import Sandbox
from tests.integration.gmail_harness import BATCH, GMAIL, GmailHarness

GET_LINE = re.compile(rb"GET /gmail/v1/users/([^/\s]+)/messages/([0-9a-f]+)\?")
DIRECT_GET = re.compile(r"/gmail/v1/users/([^/]+)/messages/([0-9a-f]+)")
TABLES = ("gmail_messages", "gmail_participants", "gmail_attachments")
PER_RUN = ("_run_id", "ingested_at")
"""Columns that say which run wrote a row and when: they differ between runs by design."""
SMALL_PAGES = {"GMAIL_PAGE_SIZE": "40", "GMAIL_BATCH_SIZE": "15"}
"""The world's mailboxes hold 123-194 messages: pages of 40 make every first sync several pages long."""


@pytest.fixture(name="gmail")
def gmail_fixture(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[GmailHarness]:
    with GmailHarness.start(sandbox, tmp_path, monkeypatch, TIME_BUDGET_SECONDS="0", **SMALL_PAGES) as harness:
        yield harness


def fetched(gmail: GmailHarness) -> Counter[tuple[str, str]]:
    """How often each (mailbox, message id) was asked for with messages.get, in batches or directly."""
    found: Counter[tuple[str, str]] = Counter()
    for request in gmail.sandbox.log.matching("POST", BATCH):
        found.update((unquote(box.decode()), i.decode()) for box, i in GET_LINE.findall(request.body))
    for request in gmail.sandbox.log.matching("GET", GMAIL):
        if match := DIRECT_GET.fullmatch(request.path):
            found[(unquote(match.group(1)), match.group(2))] += 1
    return found


def table_rows(gmail: GmailHarness) -> dict[str, Counter[tuple[tuple[str, Any], ...]]]:
    """Every row of the three tables (as a multiset, so a duplicate would show), without the per-run columns."""
    def frozen(value: Any) -> Any:
        return tuple(value) if isinstance(value, list) else value

    return {table: Counter(tuple(sorted((k, frozen(v)) for k, v in row.items() if k not in PER_RUN))
                           for row in gmail.warehouse.query(f"select * from {table}"))
            for table in TABLES}


def checkpoint(gmail: GmailHarness, mailbox: str) -> dict[str, Any]:
    rows = gmail.warehouse.query("select cursor_value from sync_state where job = 'gmail-sync' and scope = @s",
                                 {"s": f"{mailbox}#full"})
    assert rows, f"no listing checkpoint for {mailbox}"
    saved: dict[str, Any] = json.loads(rows[0]["cursor_value"])
    return saved


def until_done(gmail: GmailHarness, body: dict[str, Any] | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """Run (as the scheduler would) until no scope is pending; every run must succeed."""
    answers: list[dict[str, Any]] = []
    while not answers or answers[-1]["pending"]:
        assert len(answers) < limit, f"still pending after {limit} runs: {answers[-1]}"
        answers.append(gmail.sync(body))
    return answers


def stored_ids(gmail: GmailHarness, mailbox: str) -> set[str]:
    return {message_id for _, message_id in gmail.messages(mailbox)}


def history_id(gmail: GmailHarness, mailbox: str) -> str:
    box = gmail.store.mailbox(mailbox)
    assert box is not None
    return str(box.history_id)


def test_given_a_spent_budget_when_the_first_sync_runs_again_and_again_then_it_ends_as_one_unbounded_run_does(
        sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "unbounded").mkdir()
    with GmailHarness.start(sandbox, tmp_path / "unbounded", monkeypatch) as gmail:  # Gmail's page and batch sizes
        assert gmail.sync()["pending"] == []
        expected, expected_cursors = table_rows(gmail), {m: gmail.cursor(m) for m in gmail.mailboxes}
    sandbox.log.clear()
    (tmp_path / "bounded").mkdir()
    with GmailHarness.start(sandbox, tmp_path / "bounded", monkeypatch, TIME_BUDGET_SECONDS="0",
                            **SMALL_PAGES) as gmail:
        answers = until_done(gmail)

        assert sum(bool(answer["pending"]) for answer in answers) > 1
        assert sorted(answers[0]["pending"]) == sorted(gmail.mailboxes) and answers[-1]["pending"] == []
        scopes = gmail.warehouse.query("select scope, status from etl_run_scopes where run_id = @r",
                                       {"r": answers[0]["run_id"]})
        assert {r["scope"]: r["status"] for r in scopes} == dict.fromkeys(gmail.mailboxes, "pending")
        assert table_rows(gmail) == expected and sum(expected["gmail_messages"].values()) == len(gmail.live_keys())
        assert {m: gmail.cursor(m) for m in gmail.mailboxes} == expected_cursors
        assert expected_cursors == {m: history_id(gmail, m) for m in gmail.mailboxes}
        assert fetched(gmail) == Counter(dict.fromkeys(gmail.listed_keys(), 1)), "every message fetched exactly once"


def test_given_a_first_sync_stopped_after_one_page_then_the_next_run_lists_on_from_the_saved_token(
        gmail: GmailHarness) -> None:
    mailbox = gmail.mailboxes[2]

    first = gmail.sync({"mailbox": mailbox})

    assert first["pending"] == [mailbox]
    committed, first_fetched = stored_ids(gmail, mailbox), {i for _, i in fetched(gmail)}
    private = {m.email.message_id for m in gmail.store.messages_of(mailbox) if m.email.private}
    assert len(first_fetched) == 40 and committed == first_fetched - private, "internal-only mail is left out"
    assert gmail.cursor(mailbox) is None, "the history cursor waits for the listing to complete"
    saved = checkpoint(gmail, mailbox)
    assert (saved["state"], saved["pages"], saved["history_id"]) == ("listing", 1, history_id(gmail, mailbox))
    assert saved["page_token"]
    gmail.sandbox.log.clear()

    second = gmail.sync({"mailbox": mailbox})

    second_fetched = {i for _, i in fetched(gmail)}
    assert second["pending"] == [mailbox] and len(second_fetched) == 40
    assert stored_ids(gmail, mailbox) == committed | (second_fetched - private)
    listed = gmail.sandbox.log.matching("GET", f"{GMAIL}{mailbox}/messages")
    assert [r.param("pageToken") for r in listed] == [saved["page_token"]]
    assert not gmail.sandbox.log.matching("GET", f"{GMAIL}{mailbox}/profile"), "the saved history id is kept"
    assert not second_fetched & first_fetched, "nothing the first run listed is fetched again"
    assert checkpoint(gmail, mailbox)["pages"] == 2


def test_given_a_full_sync_half_done_when_full_is_requested_again_then_it_resumes(gmail: GmailHarness) -> None:
    mailbox = gmail.mailboxes[0]
    gmail.sync({"mailbox": mailbox})
    saved = checkpoint(gmail, mailbox)
    arrived = gmail.store.add_message(mailbox)  # after the listing began: history brings it later

    answers = until_done(gmail, {"sync_type": "full", "mailbox": mailbox})

    assert len(answers) > 1
    listed = gmail.sandbox.log.matching("GET", f"{GMAIL}{mailbox}/messages")
    assert [bool(r.param("pageToken")) for r in listed] == [False] + [True] * len(answers)
    assert len(gmail.sandbox.log.matching("GET", f"{GMAIL}{mailbox}/profile")) == 1
    assert gmail.cursor(mailbox) == saved["history_id"] != history_id(gmail, mailbox)
    assert checkpoint(gmail, mailbox)["state"] == "done"
    assert max(fetched(gmail).values()) == 1
    assert gmail.live_keys(mailbox) - set(gmail.messages(mailbox)) == {(mailbox, arrived.email.message_id)}

    assert gmail.sync({"mailbox": mailbox})["counts"]["gmail_messages"] == 1
    assert set(gmail.messages(mailbox)) == gmail.live_keys(mailbox)
    assert gmail.cursor(mailbox) == history_id(gmail, mailbox)


def test_given_a_synced_mailbox_when_a_fresh_full_runs_then_it_lists_from_the_top_fetching_only_what_is_missing(
        gmail: GmailHarness) -> None:
    mailbox = gmail.mailboxes[1]
    until_done(gmail, {"mailbox": mailbox})
    cursor = gmail.cursor(mailbox)
    relabelled = gmail.customer_mail(mailbox)[5]
    gmail.store.change_labels(mailbox, relabelled.email.message_id, add=("STARRED",))
    missing = [gmail.store.add_message(mailbox) for _ in range(3)]
    gmail.sandbox.log.clear()

    answers = until_done(gmail, {"sync_type": "full", "mailbox": mailbox})

    listed = gmail.sandbox.log.matching("GET", f"{GMAIL}{mailbox}/messages")
    assert listed[0].param("pageToken") is None, "a new listing starts at the top"
    internal = {m.email.message_id for m in gmail.store.messages_of(mailbox) if m.email.private == "internal"}
    assert internal, "the world has internal-only mail here"
    assert {i for _, i in fetched(gmail)} == {m.email.message_id for m in missing}, \
        "only the new mail: the internal-only mail the filter left out is remembered as skipped"
    assert sum(answer["counts"]["gmail_messages"] for answer in answers) == 3
    assert set(gmail.messages(mailbox)) == gmail.live_keys(mailbox)
    assert gmail.cursor(mailbox) == cursor, "stored mail it did not fetch is brought up to date by history"

    gmail.sync({"mailbox": mailbox})

    assert "STARRED" in gmail.messages(mailbox)[(mailbox, relabelled.email.message_id)]["labels"]
    assert gmail.cursor(mailbox) == history_id(gmail, mailbox)


def test_given_a_saved_page_token_refused_then_the_listing_goes_on_from_the_oldest_committed_receipt_time(
        gmail: GmailHarness) -> None:
    mailbox = gmail.mailboxes[2]
    gmail.sync({"mailbox": mailbox})
    saved = checkpoint(gmail, mailbox)
    received = {m.email.message_id: int(m.internal_at.timestamp()) for m in gmail.customer_mail(mailbox)}
    oldest_committed = min(received[i] for i in stored_ids(gmail, mailbox))
    assert saved["oldest"] == oldest_committed
    gmail.store.expire_page_tokens(mailbox)

    until_done(gmail, {"mailbox": mailbox})

    first_run, refused, by_date = gmail.sandbox.log.matching("GET", f"{GMAIL}{mailbox}/messages")[:3]
    assert (first_run.param("pageToken"), refused.status, refused.param("pageToken")) == (
        None, 400, saved["page_token"])
    assert (by_date.param("q"), by_date.param("pageToken")) == (
        f"before:{oldest_committed + 1} -category:personal -category:social -in:chats", None)
    assert set(gmail.messages(mailbox)) == gmail.live_keys(mailbox)
    assert fetched(gmail) == Counter(dict.fromkeys(gmail.listed_keys(mailbox), 1))
    assert gmail.cursor(mailbox) == saved["history_id"] == history_id(gmail, mailbox)


def test_given_a_listing_failing_on_a_later_page_then_the_next_run_keeps_the_committed_pages(
        gmail: GmailHarness) -> None:
    mailbox = gmail.mailboxes[3]
    gmail.monkeypatch.delenv("TIME_BUDGET_SECONDS")
    gmail.store.fail_next(mailbox, 1, status=400, reason="invalidArgument", skip=95)

    status, answer = gmail.run({"mailbox": mailbox})

    assert (status, answer["status"]) == (500, "failed")
    committed, saved = stored_ids(gmail, mailbox), checkpoint(gmail, mailbox)
    assert (saved["pages"], gmail.cursor(mailbox)) == (2, None)
    assert len(committed) == 80 + len(saved["carried"]) and set(saved["carried"]) <= committed, \
        "two pages, and the messages of the third fetched in their batches"
    gmail.sandbox.log.clear()

    gmail.sync({"mailbox": mailbox})

    assert set(gmail.messages(mailbox)) == gmail.live_keys(mailbox)
    assert not {i for _, i in fetched(gmail)} & committed
    assert gmail.cursor(mailbox) == history_id(gmail, mailbox)


def test_given_a_spent_budget_when_history_spans_pages_then_each_run_commits_one_page_and_its_cursor(
        gmail: GmailHarness) -> None:
    mailbox = gmail.mailboxes[0]
    until_done(gmail, {"mailbox": mailbox})
    arrivals = [gmail.store.add_message(mailbox) for _ in range(90)]
    gmail.sandbox.log.clear()

    first = gmail.sync({"mailbox": mailbox})

    assert first["pending"] == [mailbox] and first["counts"]["gmail_messages"] == 40
    stored = stored_ids(gmail, mailbox)
    assert {m.email.message_id for m in arrivals[:40]} <= stored
    assert not {m.email.message_id for m in arrivals[40:]} & stored
    assert gmail.cursor(mailbox) == str(arrivals[39].history_id), "the cursor covers the committed page only"

    answers = [first, *until_done(gmail, {"mailbox": mailbox})]

    assert [a["counts"].get("gmail_messages") for a in answers] == [40, 40, 10]
    assert [a["pending"] for a in answers] == [[mailbox], [mailbox], []]
    assert set(gmail.messages(mailbox)) == gmail.live_keys(mailbox)
    assert fetched(gmail) == Counter({(mailbox, m.email.message_id): 1 for m in arrivals})
    assert gmail.cursor(mailbox) == history_id(gmail, mailbox)
    pages = gmail.sandbox.log.matching("GET", f"{GMAIL}{mailbox}/history")
    assert [r.param("startHistoryId") for r in pages][1:] == [str(arrivals[39].history_id),
                                                              str(arrivals[79].history_id)]


def test_given_expired_history_when_the_re_list_is_cut_short_then_it_resumes_before_history_is_followed(
        gmail: GmailHarness) -> None:
    mailbox = gmail.mailboxes[1]
    until_done(gmail, {"mailbox": mailbox})
    for _ in range(90):
        gmail.store.add_message(mailbox)
    gmail.store.expire_history(mailbox)
    fresh = history_id(gmail, mailbox)
    gmail.sandbox.log.clear()

    answers = until_done(gmail, {"mailbox": mailbox})

    assert answers[0]["counts"]["history_fallbacks"] == 1 and len(answers) >= 3
    assert sum(a["counts"].get("history_fallbacks", 0) for a in answers) == 1
    assert len(gmail.sandbox.log.matching("GET", f"{GMAIL}{mailbox}/history")) == 1, "the re-list is resumed"
    assert set(gmail.messages(mailbox)) == gmail.live_keys(mailbox)
    assert max(fetched(gmail).values()) == 1
    assert gmail.cursor(mailbox) == fresh
