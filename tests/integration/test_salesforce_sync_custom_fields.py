"""salesforce-sync's configured custom fields and objects through the sandbox org: columns of the mapped types,
values as the world holds them, schema evolution between runs, and the targeted, resumable back-fill."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.salesforce_harness import BULK, Harness

ACCOUNT_EXTRAS = ["Segment__c", "Budget__c", "Renewal_Date__c", "Strategic__c", "HQ_Location__c"]


@pytest.fixture
def sf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    with Harness.start(tmp_path, monkeypatch) as harness:
        yield harness


def column_types(sf: Harness, table: str) -> dict[str, str]:
    rows = sf.query("select column_name, data_type from information_schema.columns where table_name = @t",
                    {"t": table})
    return {r["column_name"]: r["data_type"] for r in rows}


def by_id(sf: Harness, table: str, key: str) -> dict[str, dict[str, Any]]:
    return {row[key]: row for row in sf.query(f"select * from {table}")}


def backfill_soql(sf: Harness, object_type: str) -> list[str]:
    return [q for q in sf.soql_sent(object_type) if q.startswith("SELECT Id, ") and "SystemModstamp" not in q]


def configure_extras(sf: Harness, extras: dict[str, Any], custom: str = "") -> None:
    sf.configure(salesforce_extra_fields=json.dumps(extras), salesforce_custom_objects=custom)


def test_given_extra_fields_then_columns_of_the_mapped_types_hold_the_worlds_values(sf: Harness) -> None:
    configure_extras(sf, {"Account": ACCOUNT_EXTRAS, "Opportunity": "*", "Contact": ["Preferred_Channel__c"]})

    status, answer = sf.sync(sync_type="full")

    assert status == 200 and answer["status"] == "success"
    types = column_types(sf, "sf_accounts")
    assert [types[c] for c in ("segment__c", "budget__c", "renewal_date__c", "strategic__c", "hq_location__c")] == [
        "STRING", "NUMERIC", "DATE", "BOOL", "STRING"]
    opportunity_types = column_types(sf, "sf_opportunities")
    assert {c: opportunity_types[c] for c in ("competitors__c", "seats__c", "win_probability__c")} == {
        "competitors__c": "ARRAY<STRING>", "seats__c": "FLOAT64", "win_probability__c": "FLOAT64"}
    assert column_types(sf, "sf_contacts")["preferred_channel__c"] == "STRING"
    accounts = by_id(sf, "sf_accounts", "account_id")
    located = 0
    for record in sf.world.accounts:
        row = accounts[record["Id"]]
        budget = record["Budget__c"]
        assert row["segment__c"] == record["Segment__c"] and row["strategic__c"] == record["Strategic__c"]
        assert row["budget__c"] == (None if budget is None else decimal.Decimal(str(budget)))
        assert row["renewal_date__c"] == record["Renewal_Date__c"]
        if record["HQ_Location__Latitude__s"] is None:
            assert row["hq_location__c"] is None
        else:
            located += 1
            assert json.loads(row["hq_location__c"]) == {"latitude": record["HQ_Location__Latitude__s"],
                                                         "longitude": record["HQ_Location__Longitude__s"]}
    assert located > 10
    opportunities = by_id(sf, "sf_opportunities", "opportunity_id")
    for record in sf.world.opportunities:
        row = opportunities[record["Id"]]
        listed = record["Competitors__c"]
        assert row["competitors__c"] == (None if listed is None else listed.split(";"))
        assert (row["seats__c"], row["win_probability__c"]) == (record["Seats__c"], record["Win_Probability__c"])
    account_soql = next(q for q in sf.soql_sent("Account") if "SystemModstamp" in q)
    assert "HQ_Location__Latitude__s, HQ_Location__Longitude__s" in account_soql
    assert "HQ_Location__c" not in account_soql


def test_given_no_change_then_a_second_sync_changes_nothing_and_sends_no_back_fill(sf: Harness) -> None:
    configure_extras(sf, {"Account": ACCOUNT_EXTRAS}, "Competitor__c")
    sf.sync(sync_type="full")
    before = {t: sf.query(f"select * from {t} order by 1") for t in ("sf_accounts", "sf_competitor")}
    sf.sandbox.log.clear()

    status, answer = sf.sync()
    again = sf.sync(sync_type="full")

    for code, body in ((status, answer), again):
        assert code == 200 and body["status"] == "success" and set(body["counts"].values()) == {0}
    assert {t: sf.query(f"select * from {t} order by 1") for t in before} == before
    assert backfill_soql(sf, "Account") == []


def test_given_a_custom_object_then_its_own_table_is_created_keyed_by_id_and_deletes_are_flagged(
        sf: Harness) -> None:
    configure_extras(sf, {}, "Competitor__c")

    status, answer = sf.sync(sync_type="full")

    competitors = sf.world.records("Competitor__c")
    assert status == 200 and answer["status"] == "success"
    assert answer["counts"]["sf_custom_objects"] == len(competitors) > 0
    assert sf.query("select rows_processed from etl_run_scopes where run_id = @r and scope = 'Competitor__c'",
                    {"r": answer["run_id"]}) == [{"rows_processed": len(competitors)}]
    types = column_types(sf, "sf_competitor")
    assert {c: types[c] for c in ("competitor_id", "owner_id", "name", "website__c", "threat__c", "account__c",
                                  "system_modstamp", "is_deleted", "deleted_at")} == {
        "competitor_id": "STRING", "owner_id": "STRING", "name": "STRING", "website__c": "STRING",
        "threat__c": "STRING", "account__c": "STRING", "system_modstamp": "TIMESTAMP", "is_deleted": "BOOL",
        "deleted_at": "TIMESTAMP"}
    rows = by_id(sf, "sf_competitor", "competitor_id")
    assert set(rows) == {r["Id"] for r in competitors}
    first = competitors[0]
    assert (rows[first["Id"]]["name"], rows[first["Id"]]["account__c"], rows[first["Id"]]["threat__c"]) == (
        first["Name"], first["Account__c"], first["Threat__c"])

    later = sf.latest_stamp("Competitor__c") + dt.timedelta(minutes=5)
    gone = sf.delete("Competitor__c", 1, later)
    purged = sf.hard_delete("Competitor__c", 2)
    sf.advance(minutes=10)
    status, answer = sf.sync(object_type="Competitor__c")

    assert status == 200 and answer["status"] == "success"
    rows = by_id(sf, "sf_competitor", "competitor_id")
    assert rows[gone["Id"]]["is_deleted"] and rows[purged]["is_deleted"]
    assert sum(row["is_deleted"] for row in rows.values()) == 2 and len(rows) == len(competitors) + 1


def test_given_a_custom_object_not_configured_then_the_request_is_refused_naming_object_type(sf: Harness) -> None:
    status, answer = sf.sync(object_type="Competitor__c")

    assert status == 400 and answer["field"] == "object_type"
    assert "Competitor__c is not synced" in answer["error"]


def test_given_a_field_added_between_runs_then_its_column_appears_and_old_rows_are_back_filled_alone(
        sf: Harness) -> None:
    configure_extras(sf, {"Account": "*"})
    sf.sync(sync_type="full")
    tiers = {r["Id"]: n % 4 + 1 for n, r in enumerate(sf.world.accounts)}
    sf.org.add_field(sf.sandbox.state, "Account", "Tier__c", "int", tiers)
    renamed = sf.change("Account", 3, sf.latest_stamp("Account") + dt.timedelta(minutes=1), Name="Renamed Ltd")
    sf.sandbox.log.clear()

    status, answer = sf.sync(object_type="Account")

    assert status == 200 and answer["status"] == "success"
    assert column_types(sf, "sf_accounts")["tier__c"] == "INT64"
    assert backfill_soql(sf, "Account") == ["SELECT Id, Tier__c FROM Account ORDER BY Id ASC"]
    rows = by_id(sf, "sf_accounts", "account_id")
    assert {i: row["tier__c"] for i, row in rows.items()} == tiers
    assert rows[renamed["Id"]]["account_name"] == "Renamed Ltd"
    assert answer["counts"]["sf_accounts"] == len(tiers)  # the renamed row by the sync, the others by the back-fill
    assert sf.cursor("Account#backfill") == "" and json.loads(sf.cursor("Account#fields") or "{}")["Tier__c"] == "INT64"

    sf.sandbox.log.clear()
    assert sf.sync(object_type="Account")[1]["counts"]["sf_accounts"] == 0
    assert backfill_soql(sf, "Account") == []


def test_given_a_time_budget_then_the_back_fill_stops_between_batches_and_resumes_after_the_last_id(
        sf: Harness) -> None:
    sf.sync(object_type="Task", sync_type="full")
    tasks = sf.world.records("Task")
    assert len(tasks) > 200
    outcomes = {r["Id"]: f"outcome {n % 7}" for n, r in enumerate(tasks)}
    sf.org.add_field(sf.sandbox.state, "Task", "Outcome__c", "picklist", outcomes)
    configure_extras(sf, {"Task": ["Outcome__c"]})
    sf.configure(time_budget_seconds=0, salesforce_batch_size=200)
    sf.sandbox.log.clear()

    first = sf.sync(object_type="Task")[1]

    assert first["status"] == "success" and first["pending"] == ["Task"]
    assert first["counts"]["sf_tasks"] == 1 + 200  # the changed task by the sync, then one back-fill batch
    in_order = sorted(outcomes, key=str.casefold)  # Salesforce compares and orders text case-insensitively
    filled = {r["task_id"] for r in sf.query("select task_id from sf_tasks where outcome__c is not null")}
    assert set(in_order[:200]) <= filled and len(filled - set(in_order[:200])) <= 1  # + the one the sync changed
    checkpoint = json.loads(sf.cursor("Task#backfill") or "{}")
    assert {k: checkpoint[k] for k in ("api", "after_id", "fields")} == {
        "api": "rest", "after_id": in_order[199], "fields": ["Outcome__c"]}

    sf.sandbox.log.clear()
    second = sf.sync(object_type="Task")[1]

    assert second["status"] == "success"
    assert backfill_soql(sf, "Task") == [
        f"SELECT Id, Outcome__c FROM Task WHERE Id > '{in_order[199]}' ORDER BY Id ASC"]
    rows = by_id(sf, "sf_tasks", "task_id")
    assert {i: row["outcome__c"] for i, row in rows.items()} == outcomes
    assert sf.cursor("Task#backfill") == ""


def test_given_a_large_object_then_the_back_fill_is_a_bulk_job_of_id_and_the_new_field(sf: Harness) -> None:
    sf.sync(object_type="Contact", sync_type="full")
    scores = {r["Id"]: round(n * 0.5, 1) for n, r in enumerate(sf.world.contacts)}
    sf.org.add_field(sf.sandbox.state, "Contact", "Score__c", "double", scores)
    configure_extras(sf, {"Contact": "*"})
    sf.configure(salesforce_bulk_threshold=10)
    sf.sandbox.log.clear()

    status, answer = sf.sync(object_type="Contact")

    assert status == 200 and answer["status"] == "success"
    created = [r.json() for r in sf.sandbox.log.matching(method="POST", path_prefix=BULK)]
    assert [body["query"] for body in created] == ["SELECT Id, Preferred_Channel__c, Score__c FROM Contact"]
    rows = by_id(sf, "sf_contacts", "contact_id")
    assert {i: row["score__c"] for i, row in rows.items()} == scores
    channels = {r["Id"]: r["Preferred_Channel__c"] for r in sf.world.contacts}
    assert {i: row["preferred_channel__c"] for i, row in rows.items()} == channels


def test_given_a_field_that_vanishes_then_its_column_keeps_its_values_and_it_is_logged_once(
        sf: Harness, caplog: pytest.LogCaptureFixture) -> None:
    configure_extras(sf, {"Account": ["Budget__c", "Segment__c"]})
    sf.sync(object_type="Account", sync_type="full")
    before = {i: row["budget__c"] for i, row in by_id(sf, "sf_accounts", "account_id").items()}
    sf.org.hide_field("Account", "Budget__c")
    sf.change("Account", 0, sf.latest_stamp("Account") + dt.timedelta(minutes=1), Budget__c=1.0)

    with caplog.at_level(logging.WARNING):
        first = sf.sync(object_type="Account")
        second = sf.sync(object_type="Account")

    assert first[1]["status"] == "success" and second[1]["status"] == "success"
    vanished = [r for r in caplog.records if "no longer synced" in r.getMessage()]
    assert len(vanished) == 1 and "Budget__c" in vanished[0].getMessage()
    assert {i: row["budget__c"] for i, row in by_id(sf, "sf_accounts", "account_id").items()} == before
    assert all("Budget__c" not in q for q in sf.soql_sent("Account")[-2:])


def test_given_an_int_field_that_becomes_a_double_then_its_column_is_widened_in_place(sf: Harness) -> None:
    configure_extras(sf, {"Account": ["Tier__c"]})
    tiers = {r["Id"]: 2 for r in sf.world.accounts}
    sf.org.add_field(sf.sandbox.state, "Account", "Tier__c", "int", tiers)
    sf.sync(object_type="Account", sync_type="full")
    assert column_types(sf, "sf_accounts")["tier__c"] == "INT64"
    sf.org.change_field_type("Account", "Tier__c", "double")
    halved = sf.change("Account", 0, sf.latest_stamp("Account") + dt.timedelta(minutes=1), Tier__c=2.5)

    status, answer = sf.sync(object_type="Account")

    assert status == 200 and answer["status"] == "success"
    assert column_types(sf, "sf_accounts")["tier__c"] == "FLOAT64"
    rows = by_id(sf, "sf_accounts", "account_id")
    assert rows[halved["Id"]]["tier__c"] == 2.5
    assert sorted({row["tier__c"] for i, row in rows.items() if i != halved["Id"]}) == [2.0]


def test_given_a_type_change_that_cannot_widen_then_the_scope_fails_naming_it_and_nothing_is_cast(
        sf: Harness) -> None:
    configure_extras(sf, {"Opportunity": ["Seats__c", "Win_Probability__c"]})
    sf.sync(object_type="Opportunity", sync_type="full")
    seats = {i: row["seats__c"] for i, row in by_id(sf, "sf_opportunities", "opportunity_id").items()}
    sf.org.change_field_type("Opportunity", "Seats__c", "string")
    renamed = sf.change("Opportunity", 2, sf.latest_stamp("Opportunity") + dt.timedelta(minutes=1),
                        Name="Expansion 2027", Seats__c="about forty")

    answer = sf.sync(object_type="Opportunity")[1]

    error = answer["errors"]["Opportunity"]
    assert answer["status"] == "failed" and "FieldTypeConflictError" in error
    assert "Opportunity.Seats__c is now a string field (STRING)" in error
    assert "sf_opportunities.seats__c is FLOAT64" in error
    rows = by_id(sf, "sf_opportunities", "opportunity_id")
    assert rows[renamed["Id"]]["opportunity_name"] == "Expansion 2027"
    assert {i: row["seats__c"] for i, row in rows.items()} == seats
    assert column_types(sf, "sf_opportunities")["seats__c"] == "FLOAT64"
    assert "Seats__c" not in [q for q in sf.soql_sent("Opportunity") if "SystemModstamp" in q][-1]


def test_given_a_bulk_back_fill_job_still_running_at_the_budget_then_later_runs_resume_that_job(
        sf: Harness) -> None:
    sf.sync(object_type="Contact", sync_type="full")
    scores = {r["Id"]: float(n) for n, r in enumerate(sf.world.contacts)}
    sf.org.add_field(sf.sandbox.state, "Contact", "Score__c", "double", scores)
    configure_extras(sf, {"Contact": ["Score__c"]})
    sf.configure(salesforce_bulk_threshold=10, time_budget_seconds=0)
    sf.org.polls_until_complete = 3
    sf.sandbox.log.clear()

    answers = [sf.sync(object_type="Contact")[1]]
    job = json.loads(sf.cursor("Contact#backfill") or "{}")["job"]
    while answers[-1]["pending"]:
        assert len(answers) < 10
        answers.append(sf.sync(object_type="Contact")[1])

    assert len(answers) > 1 and all(a["status"] == "success" for a in answers)
    created = sf.sandbox.log.matching(method="POST", path_prefix=BULK)
    assert [r.json()["query"] for r in created] == ["SELECT Id, Score__c FROM Contact"]
    assert all(job in r.path for r in sf.sandbox.log.matching(method="GET", path_prefix=BULK))
    assert {i: row["score__c"] for i, row in by_id(sf, "sf_contacts", "contact_id").items()} == scores
    assert sf.cursor("Contact#backfill") == ""
