"""salesforce-sync through its HTTP entry point against the sandbox: loads, values, idempotence, increments."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.identity import normalize_email
from tests.integration.salesforce_harness import QUERY_ALL, TABLES, Harness

LOOKBACK = dt.timedelta(seconds=300)


@pytest.fixture
def sf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    with Harness.start(tmp_path, monkeypatch) as harness:
        yield harness


def test_given_deleted_records_when_full_sync_then_every_record_lands_flagged(sf: Harness) -> None:
    gone = [sf.delete("Contact", 3, sf.latest_stamp("Contact")), sf.delete("Task", 0, sf.latest_stamp("Task"))]

    status, answer = sf.sync(sync_type="full")

    assert status == 200 and answer["status"] == "success" and answer["errors"] == {}
    for object_type, (table, _) in TABLES.items():
        world_ids = {r["Id"]: r.get("IsDeleted", False) for r in sf.world.records(object_type)}
        rows = sf.rows(object_type)
        assert answer["counts"][table] == len(rows) == len(world_ids) > 0
        assert {r[TABLES[object_type][1]]: r["is_deleted"] for r in rows} == world_ids
    assert sf.row("Contact", gone[0]["Id"])["is_deleted"] is True
    assert sf.row("Task", gone[1]["Id"])["is_deleted"] is True
    assert sf.sandbox.log.count(path_prefix="/services/data/v59.0/query/") == 0


def test_given_full_sync_then_values_are_typed_and_normalised(sf: Harness) -> None:
    sf.sync(sync_type="full")
    truth = sf.world.truth

    accounts = {r["account_id"]: r for r in sf.rows("Account")}
    with_site = [a for a in sf.world.accounts if a["Website"]]
    assert with_site and all(accounts[a["Id"]]["domain"] == truth.account_domains[a["Id"]] for a in with_site)
    assert all(accounts[a["Id"]]["domain"] is None for a in sf.world.accounts if not a["Website"])
    first = sf.world.accounts[0]
    assert accounts[first["Id"]]["annual_revenue"] == decimal.Decimal(str(first["AnnualRevenue"]))
    assert accounts[first["Id"]]["system_modstamp"] == first["SystemModstamp"]

    contacts = sf.rows("Contact")
    phoned = [c for c in contacts if c["phone"]]
    shared = set(sf.world.cases["switchboard"])  # two contacts on one number: the truth names the first
    assert phoned and all(truth.phone_to_contact[c["phone_e164"]] == c["contact_id"]
                          or {truth.phone_to_contact[c["phone_e164"]], c["contact_id"]} <= shared for c in phoned)
    assert any(c["phone"] != c["phone_e164"] for c in phoned)
    assert all(c["email_normalized"] == c["email"].strip().lower() for c in contacts if c["email"])
    assert any(c["email"] != c["email_normalized"] for c in contacts if c["email"])
    assert all(c["email_domain"] == c["email_normalized"].split("@")[1] for c in contacts if c["email"])
    leads = [r for r in sf.rows("Lead") if r["phone"]]
    assert leads and all(
        truth.phone_to_lead.get(r["phone_e164"]) == r["lead_id"]
        or truth.phone_to_contact.get(r["phone_e164"]) == r["converted_contact_id"]
        or {truth.phone_to_contact.get(r["phone_e164"]), r["converted_contact_id"]} <= shared for r in leads)


def test_given_full_sync_then_other_objects_keep_their_types(sf: Harness) -> None:
    sf.sync(sync_type="full")

    opportunity = sf.world.opportunities[1]
    row = sf.row("Opportunity", opportunity["Id"])
    assert row["close_date"] == opportunity["CloseDate"] and row["is_won"] is opportunity["IsWon"]
    assert row["amount"] == decimal.Decimal(str(opportunity["Amount"]))
    task = next(t for t in sf.world.tasks if t["CallDurationInSeconds"])
    assert sf.row("Task", task["Id"])["call_duration_seconds"] == task["CallDurationInSeconds"]
    event = sf.world.events[0]
    assert sf.row("Event", event["Id"])["start_at"] == event["StartDateTime"]
    user = sf.world.users[0]
    user_row = sf.row("User", user["Id"])
    assert (user_row["user_name"], user_row["username"]) == (user["Name"], user["Username"])
    assert user_row["email_normalized"] == normalize_email(user["Email"])


def test_given_no_source_changes_when_synced_again_then_every_table_is_identical(sf: Harness) -> None:
    sf.sync(sync_type="full")
    before = sf.snapshot()

    incremental = sf.sync()
    full = sf.sync(sync_type="full")

    for status, answer in (incremental, full):
        assert status == 200 and answer["status"] == "success"
        assert set(answer["counts"].values()) == {0}
    assert sf.snapshot() == before


def test_given_changes_at_the_source_when_incremental_then_exactly_those_rows_change(sf: Harness) -> None:
    sf.sync(sync_type="full")
    cursor = sf.cursor("Contact")
    assert cursor is not None
    later = sf.latest_stamp("Opportunity") + dt.timedelta(hours=1)
    edited = sf.change("Contact", 5, later, Title="Chief Revenue Officer")
    deleted = sf.delete("Opportunity", 2, later)
    sf.sandbox.log.clear()

    status, answer = sf.sync(sync_type="incremental")

    assert status == 200 and answer["status"] == "success"
    assert {table: n for table, n in answer["counts"].items() if n} == {"sf_contacts": 1, "sf_opportunities": 1}
    contact = sf.row("Contact", edited["Id"])
    assert contact["title"] == "Chief Revenue Officer" and contact["system_modstamp"] == later
    assert contact["_run_id"] == answer["run_id"]
    assert sf.row("Opportunity", deleted["Id"])["is_deleted"] is True
    assert sf.cursor("Contact") == later.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    since = (dt.datetime.fromisoformat(cursor) - LOOKBACK).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert sf.soql_sent("Contact") == [
        f"SELECT Id, OwnerId, AccountId, FirstName, LastName, Name, Email, Title, Phone, MailingCountry, "
        f"LeadSource, LastActivityDate, CreatedDate, LastModifiedDate, SystemModstamp, IsDeleted FROM Contact "
        f"WHERE SystemModstamp > {since} ORDER BY SystemModstamp ASC, Id ASC"]
    assert all(r.path == QUERY_ALL for r in sf.sandbox.log.matching(path_prefix="/services/data/v59.0/que"))


def test_given_a_record_stamped_at_the_cursor_itself_when_incremental_then_it_is_not_lost(sf: Harness) -> None:
    """A record committed at the very millisecond of the last one seen (after it was read) still arrives."""
    sf.sync(sync_type="full")
    cursor_stamp = sf.latest_stamp("Lead")
    late = sf.change("Lead", 7, cursor_stamp, Status="Working - Contacted")

    status, answer = sf.sync(object_type="Lead")

    assert status == 200 and answer["counts"] == {table: 0 for table, _ in TABLES.values()} | {
        "sf_custom_objects": 0, "sf_records_skipped": 0, "sf_leads": 1}
    assert sf.row("Lead", late["Id"])["status"] == "Working - Contacted"


def test_given_a_new_record_and_deletes_when_incremental_then_deleted_rows_are_kept_flagged(sf: Harness) -> None:
    sf.sync(object_type="Account", sync_type="full")
    later = sf.latest_stamp("Account") + dt.timedelta(minutes=10)
    gone = [sf.delete("Account", i, later) for i in (0, 1, 2)]

    status, answer = sf.sync(object_type="Account")

    assert status == 200 and answer["counts"] == {table: 0 for table, _ in TABLES.values()} | {
        "sf_custom_objects": 0, "sf_records_skipped": 0, "sf_accounts": 3}
    rows = sf.rows("Account")
    assert len(rows) == len(sf.world.accounts)
    flagged = {r["account_id"] for r in rows if r["is_deleted"]}
    assert flagged == {g["Id"] for g in gone}
    assert all(sf.row("Account", g["Id"])["account_name"] == g["Name"] for g in gone)


def test_given_an_object_type_when_synced_then_only_that_object_is_queried(sf: Harness) -> None:
    status, answer = sf.sync(object_type="EmailMessage", sync_type="full")

    assert status == 200 and [table for table, n in answer["counts"].items() if n] == ["sf_email_messages"]
    describes = [r.path for r in sf.sandbox.log.matching(path_prefix="/services/data/v59.0/sobjects/")]
    assert describes == ["/services/data/v59.0/sobjects/EmailMessage/describe"]
    assert sf.soql_sent("EmailMessage")[0] == "SELECT COUNT() FROM EmailMessage"
    assert sf.cursor("Account") is None and sf.cursor("EmailMessage") is not None
