"""gmail-sync's mailboxes from the directory: the active Salesforce users with a role or profile (from sf_users),
or the members of a Google group (Admin SDK Directory members.list); a rep who leaves is dropped with their stored
mail kept, one who joins gets a first sync on the next run."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.oauth2.credentials import Credentials

from sandbox.apis.gmail import FAKE_TOKEN
from sandbox.directory import CONSULTANT, LEADS_GROUP, SALES_GROUP
from sandbox.gmail_oauth import DIRECTORY_MEMBERS_READONLY
from sandbox.server import Sandbox
from sandbox.staff_changes import JOINER, rep_joins, rep_leaves
from shared import entrypoint
from tests.integration.gmail_harness import GMAIL, SIGNER, GmailHarness
from tools.invoke import invoke
from tools.pipeline import by_cloud_name

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "functions" / "gmail_sync"))

from gmail_job import SPEC, GmailClients

SALESFORCE = by_cloud_name("salesforce-sync")
MEMBERS = f"/admin/directory/v1/groups/{SALES_GROUP}/members"


@pytest.fixture(name="gmail")
def gmail_fixture(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[GmailHarness]:
    with GmailHarness.start(sandbox, tmp_path, monkeypatch) as harness:
        harness.monkeypatch.delenv("GMAIL_MAILBOXES")
        harness.fake.directory.reset()
        yield harness
        harness.fake.directory.reset()


def sync_users(gmail: GmailHarness) -> None:
    for object_type in ("User", "Profile", "UserRole"):
        status, answer = invoke(SALESFORCE, {"object_type": object_type})
        assert (status, answer["status"]) == (200, "success"), answer


def mailbox_counts(answer: dict[str, Any]) -> tuple[int, int, int]:
    mailboxes = answer["mailboxes"]
    return mailboxes["synced"], mailboxes["new"], mailboxes["dropped"]


def stored_per_mailbox(gmail: GmailHarness) -> dict[str, int]:
    rows = gmail.warehouse.query("select mailbox, count(*) as n from gmail_messages group by mailbox")
    return {row["mailbox"]: row["n"] for row in rows}


def test_given_the_salesforce_source_when_a_rep_leaves_and_one_joins_then_the_leaver_is_dropped_and_the_joiner_synced(
        gmail: GmailHarness) -> None:
    world = gmail.sandbox.world
    gmail.monkeypatch.setenv("GMAIL_MAILBOX_SOURCE", "salesforce")
    gmail.monkeypatch.setenv("GMAIL_MAILBOX_ROLES", "field sales")
    sync_users(gmail)

    first = gmail.sync()

    assert mailbox_counts(first) == (4, 4, 0)
    assert set(stored_per_mailbox(gmail)) == set(gmail.mailboxes), "the Field Sales users' mailboxes, not the others"
    assert set(gmail.messages()) == gmail.live_keys()
    leaver_address = gmail.mailboxes[1]
    before = stored_per_mailbox(gmail)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    leaver = rep_leaves(world, leaver_address, now)
    joiner = rep_joins(world, gmail.fake, now)
    try:
        sync_users(gmail)
        gmail.sandbox.log.clear()

        second = gmail.sync()

        assert mailbox_counts(second) == (4, 1, 1)
        assert gmail.requests_for(leaver_address) == 0, "a dropped mailbox is not read"
        assert stored_per_mailbox(gmail)[leaver_address] == before[leaver_address], "its stored mail is kept"
        assert stored_per_mailbox(gmail)[JOINER] == 3
        listed = gmail.sandbox.log.matching("GET", f"{GMAIL}{JOINER}/messages")
        assert listed and listed[0].param("pageToken") is None, "the joiner's first run is a full listing"
        assert gmail.cursor(JOINER) == str(gmail.store.mailbox(JOINER).history_id)  # type: ignore[union-attr]
        assert mailbox_counts(gmail.sync()) == (4, 0, 1)
    finally:
        leaver["IsActive"] = True
        world.users.remove(joiner)


def test_given_the_salesforce_source_then_a_profile_also_chooses_and_names_match_in_any_case(
        gmail: GmailHarness) -> None:
    gmail.monkeypatch.setenv("GMAIL_MAILBOX_SOURCE", "salesforce")
    gmail.monkeypatch.setenv("GMAIL_MAILBOX_PROFILES", "SYSTEM ADMINISTRATOR")
    gmail.monkeypatch.setenv("GMAIL_MAILBOX_ROLES", "Inside Sales")
    sync_users(gmail)
    world = gmail.sandbox.world
    roles = {r["Id"]: r["Name"] for r in world.user_roles}
    profiles = {p["Id"]: p["Name"] for p in world.profiles}
    expected = sorted(u["Email"].lower() for u in world.users if u["IsActive"] and (
        roles.get(u["UserRoleId"]) == "Inside Sales" or profiles[u["ProfileId"]] == "System Administrator"))
    for address in expected:
        gmail.fake.add_mailbox(address)

    answer = gmail.sync()

    assert mailbox_counts(answer) == (len(expected), len(expected), 0) and len(expected) == 5
    scopes = gmail.warehouse.query("select scope from etl_run_scopes where run_id = @r", {"r": answer["run_id"]})
    assert sorted(r["scope"] for r in scopes) == expected


def test_given_the_salesforce_source_before_any_salesforce_sync_then_the_run_fails_saying_why(
        gmail: GmailHarness) -> None:
    gmail.monkeypatch.setenv("GMAIL_MAILBOX_SOURCE", "salesforce")
    gmail.monkeypatch.setenv("GMAIL_MAILBOX_ROLES", "Field Sales")

    status, answer = gmail.run({})

    assert (status, answer["status"]) == (500, "failed")
    assert "no active Salesforce user" in answer["errors"]["run"] and "salesforce-sync" in answer["errors"]["run"]
    assert gmail.sandbox.log.matching() == []


def test_given_the_group_source_then_its_active_users_and_nested_members_are_synced_and_changes_follow(
        gmail: GmailHarness) -> None:
    gmail.monkeypatch.setenv("GMAIL_MAILBOX_SOURCE", "group")
    gmail.monkeypatch.setenv("GMAIL_MAILBOX_GROUP", SALES_GROUP)

    first = gmail.sync()

    assert mailbox_counts(first) == (4, 4, 0)
    assert set(stored_per_mailbox(gmail)) == set(gmail.mailboxes)
    listed = gmail.sandbox.log.matching("GET", MEMBERS)
    assert len(listed) == 1 and listed[0].param("includeDerivedMembership") == "true"
    assert listed[0].param("maxResults") == "200"
    assert not gmail.requests_for(CONSULTANT), "an address outside COMPANY_DOMAINS is no mailbox"
    nested = gmail.fake.directory.groups[LEADS_GROUP][0].email
    assert nested in stored_per_mailbox(gmail), "a nested group's member is synced"

    leaver = gmail.mailboxes[2]
    gmail.fake.directory.remove_member(SALES_GROUP, leaver)
    joiner = rep_joins(gmail.sandbox.world, gmail.fake, dt.datetime.now(dt.UTC).replace(microsecond=0), messages=1)
    gmail.fake.directory.add_member(SALES_GROUP, JOINER)
    gmail.sandbox.log.clear()
    try:
        second = gmail.sync()
    finally:
        gmail.sandbox.world.users.remove(joiner)

    assert mailbox_counts(second) == (4, 1, 1)
    assert gmail.requests_for(leaver) == 0 and stored_per_mailbox(gmail)[JOINER] == 1


def test_given_a_large_group_then_members_list_is_paged_and_suspended_members_left_out(gmail: GmailHarness) -> None:
    gmail.monkeypatch.setenv("GMAIL_MAILBOX_SOURCE", "group")
    gmail.monkeypatch.setenv("GMAIL_MAILBOX_GROUP", SALES_GROUP)
    for n in range(450):
        gmail.fake.directory.add_member(SALES_GROUP, f"former{n}@northwind-analytics.com", status="SUSPENDED")

    answer = gmail.sync()

    assert mailbox_counts(answer)[0] == 4
    pages = gmail.sandbox.log.matching("GET", MEMBERS)
    assert [r.param("pageToken") for r in pages] == [None, "200", "400"]


def test_given_delegation_then_the_directory_is_read_as_the_admin_with_the_members_readonly_scope(
        gmail: GmailHarness) -> None:
    admin = sorted(gmail.fake.directory.admins)[0]
    for name, value in (("GMAIL_MAILBOX_SOURCE", "group"), ("GMAIL_MAILBOX_GROUP", SALES_GROUP),
                        ("GMAIL_AUTH", "delegated"), ("GMAIL_DIRECTORY_ADMIN", admin)):
        gmail.monkeypatch.setenv(name, value)
    gmail.monkeypatch.delenv("GMAIL_STATIC_TOKEN")
    runtime = entrypoint.runtime(SPEC)
    runtime.clients = GmailClients(runtime.settings, (Credentials(token=FAKE_TOKEN), SIGNER))

    answer = gmail.sync()

    assert mailbox_counts(answer) == (4, 4, 0)
    scopes = {c["sub"]: c["scope"] for c in gmail.fake.auth.assertions}
    assert scopes.pop(admin) == DIRECTORY_MEMBERS_READONLY and set(scopes) == set(gmail.mailboxes)
    listed = gmail.sandbox.log.matching("GET", MEMBERS)
    grant = gmail.fake.auth.grant((listed[0].header("Authorization") or "").removeprefix("Bearer "))
    assert grant is not None and grant.mailbox == admin


def test_given_a_directory_admin_who_is_not_an_admin_then_the_run_fails_on_the_403_and_reads_no_mail(
        gmail: GmailHarness) -> None:
    for name, value in (("GMAIL_MAILBOX_SOURCE", "group"), ("GMAIL_MAILBOX_GROUP", SALES_GROUP),
                        ("GMAIL_AUTH", "delegated"), ("GMAIL_DIRECTORY_ADMIN", gmail.mailboxes[0])):
        gmail.monkeypatch.setenv(name, value)
    gmail.monkeypatch.delenv("GMAIL_STATIC_TOKEN")
    runtime = entrypoint.runtime(SPEC)
    runtime.clients = GmailClients(runtime.settings, (Credentials(token=FAKE_TOKEN), SIGNER))

    status, answer = gmail.run({})

    assert (status, answer["status"]) == (500, "failed") and "403" in answer["errors"]["run"]
    assert not gmail.sandbox.log.matching(where=lambda r: r.path.startswith(GMAIL))


def test_given_a_requested_mailbox_outside_the_directory_then_400_naming_mailbox_and_nothing_is_read(
        gmail: GmailHarness) -> None:
    gmail.monkeypatch.setenv("GMAIL_MAILBOX_SOURCE", "group")
    gmail.monkeypatch.setenv("GMAIL_MAILBOX_GROUP", SALES_GROUP)

    status, answer = gmail.run({"mailbox": "someone.else@northwind-analytics.com"})

    assert (status, answer["field"]) == (400, "mailbox") and "GMAIL_MAILBOX_SOURCE=group" in answer["error"]
    assert not gmail.sandbox.log.matching(where=lambda r: r.path.startswith(GMAIL))
    runs = gmail.warehouse.query("select status, error_message from etl_runs where run_id = @r",
                                 {"r": answer["run_id"]})
    assert runs[0]["status"] == "failed" and "mailbox" in runs[0]["error_message"]
    assert gmail.sync({"mailbox": gmail.mailboxes[3]})["counts"]["gmail_messages"] > 0


@pytest.mark.parametrize(("env", "named"), [
    ({"GMAIL_MAILBOX_SOURCE": "salesforce"}, "GMAIL_MAILBOX_ROLES"),
    ({"GMAIL_MAILBOX_SOURCE": "group"}, "GMAIL_MAILBOX_GROUP"),
    ({"GMAIL_MAILBOX_SOURCE": "group", "GMAIL_MAILBOX_GROUP": SALES_GROUP, "GMAIL_AUTH": "delegated"},
     "GMAIL_DIRECTORY_ADMIN"),
    ({"GMAIL_MAILBOX_SOURCE": "ldap"}, "gmail_mailbox_source"),
])
def test_given_an_incomplete_mailbox_source_then_the_run_is_a_configuration_error_naming_the_setting(
        gmail: GmailHarness, env: dict[str, str], named: str) -> None:
    for name, value in env.items():
        gmail.monkeypatch.setenv(name, value)

    status, answer = gmail.run({})

    assert status == 500 and named in answer["error"], answer
