"""gmail-sync end to end: HTTP entry point → Gmail fake → DuckDB. Content fidelity, incremental history,
deletes, label changes, expired history and idempotence."""

from __future__ import annotations

import collections
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.gmail_render import BAD_BYTES_TEXT, CP1252_PS, LATIN1_PS, epoch_ms
from sandbox.server import Sandbox
from tests.integration.gmail_harness import GMAIL, GmailHarness, squash, utc

VARIANTS = {"plain", "plain_latin1", "plain_cp1252", "plain_bad_bytes", "alternative", "html_only", "mixed"}


@pytest.fixture(name="gmail")
def gmail_fixture(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[GmailHarness]:
    with GmailHarness.start(sandbox, tmp_path, monkeypatch) as harness:
        yield harness


def grouped(gmail: GmailHarness, table: str, columns: tuple[str, ...]) -> dict[tuple[str, str], set[tuple]]:
    """Rows of a child table as {(mailbox, message_id): {tuple of columns}}."""
    found: dict[tuple[str, str], set[tuple]] = collections.defaultdict(set)
    for row in gmail.warehouse.query(f"select mailbox, message_id, {', '.join(columns)} from {table}"):
        found[(row["mailbox"], row["message_id"])].add(tuple(row[c] for c in columns))
    return found


def test_given_the_mailboxes_when_a_full_sync_runs_then_every_message_parses_to_its_expected_text_and_people(
        gmail: GmailHarness) -> None:
    answer = gmail.sync({"sync_type": "full"})

    rows = gmail.messages()
    assert set(rows) == gmail.live_keys() and answer["counts"]["gmail_messages"] == len(rows)
    people = grouped(gmail, "gmail_participants", ("role", "email_address", "display_name"))
    files = grouped(gmail, "gmail_attachments", ("filename", "mime_type", "size_bytes", "is_inline"))
    seen: collections.Counter[str] = collections.Counter()
    for mailbox in gmail.mailboxes:
        for message in gmail.customer_mail(mailbox):
            truth, row = gmail.truth(message), rows[(mailbox, message.email.message_id)]
            seen[truth.variant] += 1
            if truth.from_html:
                assert squash(row["body_text"]) == squash(truth.text) and row["body_source"] == "text/html"
            else:
                assert row["body_text"] == truth.text, truth.variant
            assert utc(row["sent_at"]) == truth.sent_at
            assert row["subject"] == message.email.subject and row["thread_id"] == message.email.thread_id
            expected = {(role, address.strip().lower(), name or None) for role, address, name in truth.participants}
            assert people[(mailbox, message.email.message_id)] == expected
            assert files.get((mailbox, message.email.message_id), set()) == set(truth.attachments)
            assert (row["rfc822_message_id"], row["in_reply_to"], list(row["references_ids"])) == (
                message.email.rfc822_id, message.email.in_reply_to, message.email.references)
            assert row["labels"] == message.labels and row["is_deleted"] is False
    assert set(seen) == VARIANTS, "the world exercises every MIME shape"
    for mailbox in gmail.mailboxes:
        assert gmail.cursor(mailbox) == str(gmail.store.mailbox(mailbox).history_id)  # type: ignore[union-attr]


def test_given_the_tricky_mime_cases_then_charsets_dates_and_display_names_come_out_right(
        gmail: GmailHarness) -> None:
    gmail.sync({"sync_type": "full"})

    rows = gmail.messages()
    cases: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
    for mailbox in gmail.mailboxes:
        for message in gmail.customer_mail(mailbox):
            truth = gmail.truth(message)
            cases[truth.variant].append((mailbox, message.email.message_id))
            if not truth.has_date:
                cases["no_date"].append((mailbox, message.email.message_id))
    assert all(rows[k]["body_text"].endswith(LATIN1_PS) for k in cases["plain_latin1"])
    assert all(rows[k]["body_text"].endswith(CP1252_PS) for k in cases["plain_cp1252"])
    assert all(rows[k]["body_text"].endswith(BAD_BYTES_TEXT) for k in cases["plain_bad_bytes"])
    assert all("<p>" not in rows[k]["body_text"] and "\\" not in rows[k]["body_text"] for k in cases["html_only"])
    assert cases["no_date"], "the world has mail without a Date header"
    for key in cases["no_date"]:
        assert rows[key]["sent_at"] == rows[key]["internal_at"]
    comma_names = gmail.warehouse.query(
        "select count(*) as n from gmail_participants where display_name like '%, %'")[0]["n"]
    assert comma_names > 0 and gmail.warehouse.query(
        "select count(*) as n from gmail_participants where email_address not like '%@%'")[0]["n"] == 0


def test_given_a_full_sync_when_new_mail_arrives_then_an_incremental_run_picks_up_exactly_the_new_mail(
        gmail: GmailHarness) -> None:
    gmail.sync({"sync_type": "full"})
    first, second = gmail.mailboxes[:2]
    added = [gmail.store.add_message(first), gmail.store.add_message(first), gmail.store.add_message(second)]
    gmail.sandbox.log.clear()

    answer = gmail.sync()

    assert answer["counts"]["gmail_messages"] == 3
    assert set(gmail.messages()) == gmail.live_keys()
    for message in added:
        row = gmail.messages()[(message.email.mailbox, message.email.message_id)]
        assert squash(row["body_text"]) == squash(gmail.truth(message).text)
        assert abs(utc(row["internal_at"]) - message.internal_at) < dt.timedelta(milliseconds=1)
    assert not gmail.sandbox.log.matching("GET", where=lambda r: r.path.endswith("/messages"))
    assert gmail.cursor(first) == str(gmail.store.mailbox(first).history_id)  # type: ignore[union-attr]


def test_given_deletes_and_label_changes_when_incremental_runs_then_both_propagate_and_nothing_else_moves(
        gmail: GmailHarness) -> None:
    mailbox = gmail.mailboxes[0]
    gmail.sync({"sync_type": "full", "mailbox": mailbox})
    doomed, relabelled, untouched = gmail.customer_mail(mailbox)[:3]
    gmail.store.delete_message(mailbox, doomed.email.message_id)
    gmail.store.change_labels(mailbox, relabelled.email.message_id, add=("STARRED", "Label_7"),
                              remove=("UNREAD", "INBOX"))
    before = gmail.messages(mailbox)

    answer = gmail.sync({"mailbox": mailbox})

    after = gmail.messages(mailbox)
    gone = after[(mailbox, doomed.email.message_id)]
    assert gone["is_deleted"] is True and gone["deleted_at"] is not None
    assert answer["counts"]["gmail_messages_deleted"] == 1 and answer["counts"]["gmail_messages"] == 1
    assert after[(mailbox, relabelled.email.message_id)]["labels"] == relabelled.labels
    assert "STARRED" in relabelled.labels and "INBOX" not in relabelled.labels
    key = (mailbox, untouched.email.message_id)
    assert after[key] == before[key]


def test_given_expired_history_when_incremental_runs_then_it_relists_a_bounded_window_without_loss_or_duplicates(
        gmail: GmailHarness) -> None:
    mailbox = gmail.mailboxes[0]
    gmail.sync({"sync_type": "full", "mailbox": mailbox})
    missed = [gmail.store.add_message(mailbox) for _ in range(3)]
    gmail.store.expire_history(mailbox)
    gmail.sandbox.log.clear()

    answer = gmail.sync({"mailbox": mailbox})

    assert answer["counts"]["history_fallbacks"] == 1
    assert {m.email.message_id for m in missed} <= {i for _, i in gmail.messages(mailbox)}
    assert set(gmail.messages()) == gmail.live_keys(mailbox)
    dupes = gmail.warehouse.query("select mailbox, message_id from gmail_messages group by 1, 2 having count(*) > 1")
    assert dupes == []
    listing = gmail.sandbox.log.matching("GET", f"{GMAIL}{mailbox}/messages")
    after = int(next(t for t in (listing[0].param("q") or "").split() if t.startswith("after:")).removeprefix("after:"))
    now = dt.datetime.now(dt.UTC)
    assert now - dt.timedelta(hours=25) < dt.datetime.fromtimestamp(after, dt.UTC) < now - dt.timedelta(hours=23)
    assert all(epoch_ms(m.internal_at) >= after * 1000 for m in missed)

    latest = gmail.store.add_message(mailbox)
    gmail.sandbox.log.clear()
    assert gmail.sync({"mailbox": mailbox})["counts"]["gmail_messages"] == 1
    assert (mailbox, latest.email.message_id) in gmail.messages(mailbox)
    assert not gmail.sandbox.log.matching("GET", f"{GMAIL}{mailbox}/messages")


def test_given_history_over_several_pages_when_a_later_page_fails_then_the_cursor_keeps_the_committed_pages(
        gmail: GmailHarness) -> None:
    mailbox = gmail.mailboxes[3]
    gmail.sync({"sync_type": "full", "mailbox": mailbox})
    start = int(gmail.cursor(mailbox) or 0)
    arrivals = [gmail.store.add_message(mailbox) for _ in range(510)]
    gmail.store.fail_next(mailbox, 1, status=400, reason="invalidArgument", skip=500)

    status, answer = gmail.run({"mailbox": mailbox})

    assert (status, answer["status"]) == (500, "failed")
    stored = {i for _, i in gmail.messages(mailbox)}
    first_page, second_page = arrivals[:500], arrivals[500:]
    assert {m.email.message_id for m in first_page} <= stored
    assert not {m.email.message_id for m in second_page} & stored
    assert start < int(gmail.cursor(mailbox) or 0) == first_page[-1].history_id

    answer = gmail.sync({"mailbox": mailbox})

    assert answer["counts"]["gmail_messages"] == 10 and set(gmail.messages()) == gmail.live_keys(mailbox)
    assert gmail.cursor(mailbox) == str(gmail.store.mailbox(mailbox).history_id)  # type: ignore[union-attr]
    pages = gmail.sandbox.log.matching("GET", f"{GMAIL}{mailbox}/history")
    assert [bool(r.param("pageToken")) for r in pages] == [False, True, False]


def test_given_nothing_new_when_incremental_runs_then_each_mailbox_costs_one_request(gmail: GmailHarness) -> None:
    gmail.sync({"sync_type": "full"})
    gmail.sandbox.log.clear()

    answer = gmail.sync()

    assert set(answer["counts"].values()) == {0}
    assert answer["mailboxes"] == {"source": "list", "synced": len(gmail.mailboxes), "new": 0, "dropped": 0}
    assert len(gmail.sandbox.log) == len(gmail.mailboxes)
    assert all(gmail.requests_for(mailbox) == 1 for mailbox in gmail.mailboxes)
    assert {r.path.rsplit("/", 1)[1] for r in gmail.sandbox.log.all()} == {"history"}


def test_given_embeddings_and_resolutions_when_mail_is_resynced_then_those_columns_survive(
        gmail: GmailHarness) -> None:
    mailbox = gmail.mailboxes[0]
    gmail.sync({"sync_type": "full", "mailbox": mailbox})
    message = gmail.customer_mail(mailbox)[0]
    gmail.warehouse.query("update gmail_messages set embedding = [0.25, 0.5], embedding_model = 'minilm', "
                          "embedded_at = current_timestamp where mailbox = @m", {"m": mailbox})
    gmail.warehouse.query("update gmail_participants set sf_contact_id = '003XX', match_method = 'email', "
                          "match_confidence = 0.9 where mailbox = @m", {"m": mailbox})

    again = gmail.sync({"sync_type": "full", "mailbox": mailbox})
    gmail.store.change_labels(mailbox, message.email.message_id, add=("STARRED",))
    relabelled = gmail.sync({"mailbox": mailbox})

    assert again["counts"]["gmail_messages"] == 0, "an unchanged re-sync changes nothing"
    assert relabelled["counts"]["gmail_messages"] == 1
    rows = gmail.warehouse.query("select embedding, embedding_model, labels from gmail_messages where mailbox = @m",
                                 {"m": mailbox})
    assert all(list(r["embedding"]) == [0.25, 0.5] and r["embedding_model"] == "minilm" for r in rows)
    assert any("STARRED" in r["labels"] for r in rows)
    resolved = gmail.warehouse.query(
        "select count(*) as n from gmail_participants where mailbox = @m and sf_contact_id is null", {"m": mailbox})
    assert resolved[0]["n"] == 0


def test_given_one_mailbox_failing_then_the_run_is_partial_and_only_its_cursor_stays(gmail: GmailHarness) -> None:
    gmail.sync({"sync_type": "full"})
    broken, healthy = gmail.mailboxes[:2]
    cursor = gmail.cursor(broken)
    gmail.store.add_message(broken)
    fresh = gmail.store.add_message(healthy)
    gmail.sandbox.faults.add(f"{GMAIL}{broken}/", status=500, times=None)

    status, answer = gmail.run()

    assert (status, answer["status"]) == (200, "partial")
    assert list(answer["errors"]) == [broken]
    assert gmail.cursor(broken) == cursor
    assert gmail.cursor(healthy) == str(gmail.store.mailbox(healthy).history_id)  # type: ignore[union-attr]
    assert (healthy, fresh.email.message_id) in gmail.messages(healthy)
    scopes = gmail.warehouse.query("select scope, status from etl_run_scopes where run_id = @r",
                                   {"r": answer["run_id"]})
    assert {r["scope"]: r["status"] for r in scopes}[broken] == "failed"


def test_given_mail_in_two_mailboxes_then_both_copies_share_the_rfc822_id_for_dedup(gmail: GmailHarness) -> None:
    gmail.sync({"sync_type": "full"})

    shared = gmail.warehouse.query(
        "select rfc822_message_id, count(distinct mailbox) as boxes from gmail_messages "
        "group by 1 having count(distinct mailbox) > 1")
    expected = collections.Counter(e.rfc822_id for e in gmail.sandbox.world.emails)
    assert shared and all(expected[r["rfc822_message_id"]] == r["boxes"] for r in shared)


@pytest.mark.parametrize(("body", "field"), [
    ({"mailbox": "nobody@example.com"}, "mailbox"),
    ({"sync_type": "partial"}, "sync_type"),
    ({"sync_type": "full", "since": "2026-13-40"}, "since"),
    ({"since": "2026-01-01"}, "since"),
    ({"sync_type": "full", "colour": "blue"}, "colour"),
])
def test_given_a_bad_body_then_it_is_rejected_with_400_naming_the_field_and_nothing_runs(
        gmail: GmailHarness, body: dict[str, str], field: str) -> None:
    status, answer = gmail.run(body)

    assert (status, answer["field"]) == (400, field)
    if field == "mailbox":
        assert answer["error"] == "mailbox: not a configured mailbox"
        assert not any(mailbox in answer["error"] for mailbox in gmail.mailboxes), "configuration is not echoed"
    assert len(gmail.sandbox.log) == 0
    assert gmail.warehouse.query("select count(*) as n from etl_runs")[0]["n"] == 0


def test_given_a_since_date_and_one_mailbox_then_only_that_mailbox_and_newer_mail_are_synced(
        gmail: GmailHarness) -> None:
    mailbox = gmail.mailboxes[1]
    since = dt.date(2026, 4, 1)

    gmail.sync({"sync_type": "full", "mailbox": mailbox, "since": since.isoformat()})

    start = dt.datetime.combine(since, dt.time(), dt.UTC)
    expected = {(mailbox, m.email.message_id) for m in gmail.customer_mail(mailbox) if m.internal_at >= start}
    assert expected and set(gmail.messages()) == expected
    assert gmail.sandbox.log.matching("GET", f"{GMAIL}{mailbox}/messages")[0].param("q") == \
        f"after:{int(start.timestamp())} -category:personal -category:social -in:chats"


def test_given_a_long_body_then_it_is_cut_at_the_setting_and_flagged(gmail: GmailHarness) -> None:
    gmail.monkeypatch.setenv("GMAIL_BODY_MAX_CHARS", "1000")
    mailbox = gmail.mailboxes[0]
    template = gmail.customer_mail(mailbox)[0].email
    long_mail = gmail.store.add_message(mailbox)
    long_mail.email.body = "Pricing details follow.\n\n" + "The quote covers onboarding. " * 80

    gmail.sync({"sync_type": "full", "mailbox": mailbox})

    rows = gmail.messages(mailbox)
    cut = rows[(mailbox, long_mail.email.message_id)]
    assert cut["body_truncated"] is True and len(cut["body_text"]) == 1000
    assert rows[(mailbox, template.message_id)]["body_truncated"] is False


def test_given_mail_moved_to_trash_and_back_then_it_is_flagged_deleted_and_then_restored(
        gmail: GmailHarness) -> None:
    mailbox = gmail.mailboxes[2]
    gmail.sync({"sync_type": "full", "mailbox": mailbox})
    message = gmail.customer_mail(mailbox)[0].email.message_id
    gmail.store.change_labels(mailbox, message, add=("TRASH",))

    gmail.sync({"mailbox": mailbox})
    trashed = gmail.messages(mailbox)[(mailbox, message)]
    gmail.store.change_labels(mailbox, message, remove=("TRASH",))
    gmail.sync({"mailbox": mailbox})
    restored = gmail.messages(mailbox)[(mailbox, message)]

    assert (trashed["is_deleted"], restored["is_deleted"], restored["deleted_at"]) == (True, False, None)
