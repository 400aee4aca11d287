"""gmail-sync's privacy filter through the entry point against the Gmail fake: skipped labels left out of the
list query (never fetched), internal-only and excluded mail fetched but not stored, each counted by reason."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.gmail_store import StoredMessage
from sandbox.server import Sandbox
from sandbox.world_models import Address
from shared import entrypoint
from tests.integration.gmail_harness import BATCH, GMAIL, GmailHarness

LAW_FIRM = "counsel-llp.test"


@pytest.fixture(name="gmail")
def gmail_fixture(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[GmailHarness]:
    with GmailHarness.start(sandbox, tmp_path, monkeypatch, GMAIL_EXCLUDE=f"{LAW_FIRM},payroll@adp-payroll.test") \
            as harness:
        yield harness


def deliver(gmail: GmailHarness, mailbox: str, sender: Address, to: list[Address],
            labels: list[str] | None = None) -> StoredMessage:
    """A new message in `mailbox` from `sender` to `to` (body and subject of one of its messages)."""
    template = gmail.customer_mail(mailbox)[0].email
    now = dt.datetime.now(dt.UTC)
    message_id = gmail.store.new_message_id(now)
    email = dataclasses.replace(template, message_id=message_id, thread_id=message_id, sender=sender, to=to, cc=[],
                                rfc822_id=f"<privacy-{message_id}@mail.test>", in_reply_to=None, references=[],
                                sent_at=now.replace(microsecond=0), attachments=[], labels=labels or ["INBOX"])
    return gmail.store.add_message(mailbox, email=email, labels=labels or ["INBOX"])


def fetched(gmail: GmailHarness, message_id: str) -> bool:
    return bool(gmail.sandbox.log.matching(where=lambda r: (r.path == BATCH and message_id.encode() in r.body)
                                           or r.path.endswith(f"/messages/{message_id}")))


def private_mail(gmail: GmailHarness, mailbox: str) -> dict[str, StoredMessage]:
    colleague = next(m for m in gmail.mailboxes if m != mailbox)
    customer = gmail.customer_mail(mailbox)[0].email.sender
    customer = customer if not customer.email.endswith(mailbox.rpartition("@")[2]) else \
        gmail.customer_mail(mailbox)[0].email.to[0]
    me = Address("Me", mailbox)
    return {
        "internal": deliver(gmail, mailbox, me, [Address("Colleague", colleague)]),
        "personal": deliver(gmail, mailbox, customer, [me], labels=["INBOX", "CATEGORY_PERSONAL"]),
        "social": deliver(gmail, mailbox, customer, [me], labels=["CATEGORY_SOCIAL"]),
        "law firm": deliver(gmail, mailbox, me, [customer, Address("Counsel", f"partner@{LAW_FIRM}")]),
        "payroll": deliver(gmail, mailbox, Address("Payroll", "payroll@adp-payroll.test"), [me]),
        "customer": deliver(gmail, mailbox, me, [customer]),
    }


def world_private(gmail: GmailHarness, mailbox: str) -> dict[str, str]:
    """The world's own private mail in `mailbox`: message id → why the default filter leaves it out."""
    return {m.email.message_id: m.email.private for m in gmail.store.messages_of(mailbox) if m.email.private}


def spam_or_trash(gmail: GmailHarness, mailbox: str) -> set[str]:
    return {m.email.message_id for m in gmail.store.messages_of(mailbox) if {"SPAM", "TRASH"} & set(m.labels)}


def test_given_private_mail_when_a_full_sync_runs_then_only_customer_mail_is_stored_and_labels_cost_no_fetch(
        gmail: GmailHarness) -> None:
    mailbox = gmail.mailboxes[0]
    mail = private_mail(gmail, mailbox)

    answer = gmail.sync({"sync_type": "full", "mailbox": mailbox})

    stored = {i for _, i in gmail.messages(mailbox)}
    world = world_private(gmail, mailbox)
    assert {"internal", "label"} <= set(world.values()), "the world has private mail of both kinds"
    skipped = {mail[k].email.message_id for k in ("internal", "personal", "social", "law firm", "payroll")}
    skipped |= set(world)
    assert mail["customer"].email.message_id in stored and not skipped & stored
    assert {i for _, i in gmail.live_keys(mailbox, private=True)} - stored == skipped - spam_or_trash(gmail, mailbox)
    counts = answer["counts"]
    world_internal = sum(why == "internal" for why in world.values())
    assert (counts["gmail_skipped_label"], counts["gmail_skipped_excluded"], counts["gmail_skipped_internal"]) == \
        (0, 2, 1 + world_internal)
    assert counts["gmail_messages"] == len(stored)
    listing = gmail.sandbox.log.matching("GET", f"{GMAIL}{mailbox}/messages")
    assert listing and all(r.param("q") == "-category:personal -category:social -in:chats" for r in listing)
    labelled = [mail["personal"].email.message_id, mail["social"].email.message_id]
    labelled += [i for i, why in world.items() if why == "label"]
    assert not any(fetched(gmail, i) for i in labelled), "mail the labels exclude is never fetched"
    assert all(fetched(gmail, i) for i in [mail["internal"].email.message_id,
                                           *(i for i, why in world.items() if why == "internal")])
    leaked = gmail.warehouse.query(
        "select message_id from gmail_participants where mailbox = @m and message_id in unnest(@ids) union all "
        "select message_id from gmail_attachments where mailbox = @m and message_id in unnest(@ids)",
        {"m": mailbox, "ids": sorted(skipped)})
    assert leaked == []


def test_given_private_mail_arriving_when_history_is_followed_then_it_is_fetched_counted_and_not_stored(
        gmail: GmailHarness) -> None:
    mailbox = gmail.mailboxes[1]
    gmail.sync({"mailbox": mailbox})
    before = set(gmail.messages(mailbox))
    mail = private_mail(gmail, mailbox)

    counts = gmail.sync({"mailbox": mailbox})["counts"]

    assert set(gmail.messages(mailbox)) - before == {(mailbox, mail["customer"].email.message_id)}
    assert (counts["gmail_skipped_label"], counts["gmail_skipped_excluded"], counts["gmail_skipped_internal"]) == \
        (2, 2, 1)
    assert counts["gmail_messages"] == 1


def test_given_skipped_mail_when_listed_again_then_it_is_not_fetched_unless_the_filter_changed(
        gmail: GmailHarness) -> None:
    mailbox = next(m for m in gmail.mailboxes if "internal" in world_private(gmail, m).values())
    gmail.sync({"sync_type": "full", "mailbox": mailbox})
    internal = {i for i, why in world_private(gmail, mailbox).items() if why == "internal"}
    recorded = gmail.warehouse.query("select message_id, reason from gmail_skipped_messages where mailbox = @m",
                                     {"m": mailbox})
    assert internal and {r["message_id"] for r in recorded} == internal
    assert {r["reason"] for r in recorded} == {"internal"}
    gmail.sandbox.log.clear()

    gmail.sync({"sync_type": "full", "mailbox": mailbox})

    assert not any(fetched(gmail, i) for i in internal), "the same filter: skipped mail is not fetched again"
    gmail.monkeypatch.setenv("GMAIL_EXTERNAL_ONLY", "false")
    entrypoint.reset_runtimes()
    gmail.sandbox.log.clear()

    gmail.sync({"sync_type": "full", "mailbox": mailbox})

    assert all(fetched(gmail, i) for i in internal), "a changed filter decides again"
    assert internal <= {i for _, i in gmail.messages(mailbox)}


def test_given_the_filter_turned_off_when_a_full_sync_runs_then_every_message_is_stored(
        gmail: GmailHarness) -> None:
    for name, value in (("GMAIL_EXTERNAL_ONLY", "false"), ("GMAIL_SKIP_LABELS", ""), ("GMAIL_EXCLUDE", "")):
        gmail.monkeypatch.setenv(name, value)
    mailbox = gmail.mailboxes[2]
    private_mail(gmail, mailbox)

    counts = gmail.sync({"sync_type": "full", "mailbox": mailbox})["counts"]

    assert set(gmail.messages(mailbox)) == gmail.live_keys(mailbox, private=True)
    assert any(m.email.private for m in gmail.store.messages_of(mailbox) if (mailbox, m.email.message_id) in
               gmail.messages(mailbox)), "the world's private mail is stored too"
    assert (counts["gmail_skipped_label"], counts["gmail_skipped_excluded"], counts["gmail_skipped_internal"]) == \
        (0, 0, 0)
    assert all(r.param("q") is None for r in gmail.sandbox.log.matching("GET", f"{GMAIL}{mailbox}/messages"))


@pytest.mark.parametrize(("name", "value", "named"), [
    ("GMAIL_SKIP_LABELS", "CATEGORY_PERSONAL,Payroll", "GMAIL_SKIP_LABELS"),
    ("GMAIL_EXCLUDE", "not a domain", "GMAIL_EXCLUDE"),
    ("COMPANY_DOMAINS", "northwind", "COMPANY_DOMAINS"),
])
def test_given_an_invalid_filter_setting_then_the_run_is_a_configuration_error_naming_it(
        gmail: GmailHarness, name: str, value: str, named: str) -> None:
    gmail.monkeypatch.setenv(name, value)

    status, answer = gmail.run({})

    assert status == 500 and named in answer["error"], answer
    assert gmail.warehouse.query("select count(*) as n from gmail_messages")[0]["n"] == 0


def test_given_mail_stored_before_the_filter_when_purged_then_its_rows_embeddings_and_signals_go_and_the_rest_stay(
        gmail: GmailHarness) -> None:
    for name, value in (("GMAIL_EXTERNAL_ONLY", "false"), ("GMAIL_SKIP_LABELS", ""), ("GMAIL_EXCLUDE", "")):
        gmail.monkeypatch.setenv(name, value)
    mailbox = gmail.mailboxes[0]
    mail = private_mail(gmail, mailbox)
    gmail.sync({"sync_type": "full", "mailbox": mailbox})
    everything = set(gmail.messages())
    private = {mail[k].email.message_id for k in ("internal", "personal", "social", "law firm", "payroll")}
    private |= set(world_private(gmail, mailbox)) - spam_or_trash(gmail, mailbox)
    assert private <= {i for _, i in everything}
    now = dt.datetime.now(dt.UTC)
    gmail.warehouse.merge("activity_signals", [
        {"kind": "email", "item_id": mail[k].email.rfc822_id, "mailbox": mailbox,
         "message_id": mail[k].email.message_id, "subject": "s", "is_deleted": False, "computed_at": now}
        for k in ("personal", "customer")])
    gmail.warehouse.query("update gmail_messages set embedding = [0.6, 0.8], embedding_dim = 2 where mailbox = @m",
                          {"m": mailbox})
    gmail.warehouse.merge("gmail_participants", [{"mailbox": mailbox, "message_id": "orphan-1", "role": "to",
                                                  "email_address": "x@customer.test", "ingested_at": now}])
    for name in ("GMAIL_EXTERNAL_ONLY", "GMAIL_SKIP_LABELS"):
        gmail.monkeypatch.delenv(name)
    gmail.monkeypatch.setenv("GMAIL_EXCLUDE", f"{LAW_FIRM},payroll@adp-payroll.test")
    entrypoint.reset_runtimes()
    gmail.sandbox.log.clear()

    answer = gmail.sync({"purge": True, "mailbox": mailbox})

    assert answer["counts"]["gmail_messages_purged"] == len(private) + 1
    assert set(gmail.messages()) == everything - {(mailbox, i) for i in private}
    for table in ("gmail_participants", "gmail_attachments", "activity_signals"):
        left = {r["message_id"] for r in gmail.warehouse.query(
            f"select message_id from {table} where mailbox = @m", {"m": mailbox})}
        assert not left & (private | {"orphan-1"}), table
    assert {r["message_id"] for r in gmail.warehouse.query("select message_id from activity_signals")} == \
        {mail["customer"].email.message_id}
    assert gmail.messages(mailbox)[(mailbox, mail["customer"].email.message_id)]["embedding_dim"] == 2
    assert gmail.sandbox.log.matching() == []
    assert gmail.sync({"purge": True, "mailbox": mailbox})["counts"]["gmail_messages_purged"] == 0


@pytest.mark.parametrize("body", [{"purge": True, "sync_type": "full"},
                                  {"purge": True, "sync_type": "full", "since": "2026-01-01"}, {"purge": "yes"}])
def test_given_a_purge_with_sync_fields_when_requested_then_400_naming_the_field(
        gmail: GmailHarness, body: dict[str, object]) -> None:
    status, answer = gmail.run(body)

    assert status == 400 and answer["field"] == "purge", answer
