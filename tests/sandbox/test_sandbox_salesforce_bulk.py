"""The Salesforce fake's Bulk API 2.0 query jobs, sObject describe and COUNT(), driven by simple-salesforce."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any, cast

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sandbox import Sandbox
from sandbox.apis.salesforce_describe import field_type
from sandbox.apis.salesforce_org import salesforce_org
from sandbox.world import World, build_world
from sandbox.world_schema import COMPOUND_FIELDS, SF_FIELDS

ANCHOR = datetime(2025, 6, 2, tzinfo=UTC)
JOBS = "/services/data/v59.0/jobs/query"
PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "datetime": (datetime,), "date": (date,), "boolean": (bool,), "int": (int,), "currency": (float, int),
    "percent": (float, int), "double": (float, int),
}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(build_world(seed=5, scale=2, anchor=ANCHOR)) as running:
        yield running


@pytest.fixture
def sf(sandbox: Sandbox) -> Salesforce:
    sandbox.log.clear()
    salesforce_org(sandbox.state).polls_until_complete = 1
    return Salesforce(instance_url=sandbox.https_url, session_id="fake-session-token", session=sandbox.session())


def call(sandbox: Sandbox, method: str, path: str, version: str = "v59.0", **kwargs: Any) -> requests.Response:
    headers = {"Authorization": "Bearer fake-session-token", "Content-Type": "application/json"}
    return sandbox.session().request(method, f"{sandbox.https_url}/services/data/{version}/{path}", headers=headers,
                                     **kwargs)


def create(sandbox: Sandbox, query: str, operation: str = "queryAll") -> dict[str, Any]:
    reply = call(sandbox, "POST", "jobs/query", json={"operation": operation, "query": query})
    assert reply.status_code == 200, reply.text
    return cast(dict[str, Any], reply.json())


def test_simple_salesforce_reads_a_query_all_job_set_by_set(sandbox: Sandbox, sf: Salesforce) -> None:
    world: World = sandbox.world
    with sandbox.state.lock:
        gone = World.delete(world.contacts[4], ANCHOR)

    sets = list(sf.bulk2.Contact.query_all("SELECT Id, Email, IsDeleted, SystemModstamp FROM Contact",
                                           max_records=100, wait=0))

    rows = [row for text in sets for row in csv.DictReader(io.StringIO(text))]
    assert len(sets) == -(-len(world.contacts) // 100) and len(rows) == len(world.contacts)
    assert {r["Id"] for r in rows if r["IsDeleted"] == "true"} == {gone["Id"], *world.cases["deleted_contact"]}
    assert rows[0]["SystemModstamp"].endswith(".000Z")
    assert sets[0].startswith('"Id","Email","IsDeleted","SystemModstamp"\n"')
    results = sandbox.log.matching(path_prefix=JOBS, where=lambda r: r.path.endswith("/results"))
    assert [r.param("locator") for r in results] == [None, "MTAw", "MjAw", "MzAw"][: len(sets)]


def test_a_query_job_leaves_out_deleted_records(sandbox: Sandbox, sf: Salesforce) -> None:
    sets = list(sf.bulk2.Contact.query("SELECT Id FROM Contact", wait=0))

    live = [c for c in sandbox.world.contacts if not c["IsDeleted"]]
    assert sum(text.count("\n") - 1 for text in sets) == len(live)


def test_job_lifecycle_results_wait_for_job_complete(sandbox: Sandbox) -> None:
    salesforce_org(sandbox.state).polls_until_complete = 2
    job = create(sandbox, "SELECT Id, Name FROM Account")
    assert job["state"] == "UploadComplete" and job["object"] == "Account" and job["id"].startswith("750")

    early = call(sandbox, "GET", f"jobs/query/{job['id']}/results")
    states = [call(sandbox, "GET", f"jobs/query/{job['id']}").json()["state"] for _ in range(3)]
    done = call(sandbox, "GET", f"jobs/query/{job['id']}/results", params={"maxRecords": 1000})

    assert early.status_code == 412 and early.json()[0]["errorCode"] == "JOB_NOT_COMPLETE"
    assert states == ["InProgress", "InProgress", "JobComplete"]
    assert done.headers["Sforce-NumberOfRecords"] == str(len(sandbox.world.accounts))
    assert done.headers["Sforce-Locator"] == "null"
    assert done.headers["Content-Type"].startswith("text/csv")


def test_results_need_the_job_api_version_and_a_known_job(sandbox: Sandbox) -> None:
    job = create(sandbox, "SELECT Id FROM User")
    call(sandbox, "GET", f"jobs/query/{job['id']}")
    call(sandbox, "GET", f"jobs/query/{job['id']}")

    assert call(sandbox, "GET", f"jobs/query/{job['id']}/results", version="v58.0").status_code == 409
    assert call(sandbox, "GET", "jobs/query/750SB9999999999AAA/results").status_code == 404


@pytest.mark.parametrize(("body", "code"), [
    ({"operation": "query", "query": "SELECT COUNT() FROM Account"}, "INVALIDJOB"),
    ({"operation": "query", "query": "SELECT Id, Owner.Name FROM Account"}, "INVALIDJOB"),
    ({"operation": "upsert", "query": "SELECT Id FROM Account"}, "INVALIDJOB"),
    ({"operation": "query", "query": "SELECT Nope FROM Account"}, "INVALID_FIELD"),
])
def test_unsupported_jobs_are_refused(sandbox: Sandbox, body: dict[str, str], code: str) -> None:
    reply = call(sandbox, "POST", "jobs/query", json=body)
    assert reply.status_code == 400 and reply.json()[0]["errorCode"] == code


def test_a_job_can_be_aborted_and_deleted(sandbox: Sandbox) -> None:
    job = create(sandbox, "SELECT Id FROM Lead")

    aborted = call(sandbox, "PATCH", f"jobs/query/{job['id']}", json={"state": "Aborted"})
    deleted = call(sandbox, "DELETE", f"jobs/query/{job['id']}")

    assert aborted.json()["state"] == "Aborted" and deleted.status_code == 204
    assert call(sandbox, "GET", f"jobs/query/{job['id']}").status_code == 404


@pytest.mark.parametrize("object_type", sorted(SF_FIELDS))
def test_describe_lists_every_field_with_a_type_its_values_have(sandbox: Sandbox, sf: Salesforce,
                                                                object_type: str) -> None:
    described = getattr(sf, object_type).describe()

    types = {f["name"]: f["type"] for f in described["fields"]}
    assert [n for n in types if n not in COMPOUND_FIELDS] == list(SF_FIELDS[object_type])
    assert described["name"] == object_type
    assert types["Id"] == "id" and types["SystemModstamp"] == "datetime"
    undeletable = object_type in ("User", "Profile", "UserRole")
    assert types.get("IsDeleted", "none") == ("none" if undeletable else "boolean")
    assert described["deletable"] is not undeletable
    assert {"CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById"} <= set(types)
    assert ("OwnerId" in types) == (object_type not in ("User", "EmailMessage", "Profile", "UserRole"))
    for record in sandbox.world.records(object_type):
        for name, value in record.items():
            expected = PYTHON_TYPES.get(types[name], (str,))
            assert value is None or isinstance(value, expected), (name, value, types[name])


def test_custom_fields_and_the_custom_object_are_described_as_custom_with_their_types(sf: Salesforce) -> None:
    account = {f["name"]: f for f in sf.Account.describe()["fields"]}
    competitor = sf.Competitor__c.describe()

    assert [(account[n]["type"], account[n]["custom"]) for n in ("Segment__c", "Budget__c", "Renewal_Date__c",
                                                                  "Strategic__c", "Name")] == [
        ("picklist", True), ("currency", True), ("date", True), ("boolean", True), ("string", False)]
    assert [v["value"] for v in account["Segment__c"]["picklistValues"]] == ["Enterprise", "Mid-Market", "SMB"]
    opportunity = {f["name"]: f["type"] for f in sf.Opportunity.describe()["fields"]}
    assert (opportunity["Competitors__c"], opportunity["Seats__c"], opportunity["Win_Probability__c"]) == (
        "multipicklist", "double", "percent")
    reference = next(f for f in competitor["fields"] if f["name"] == "Account__c")
    assert competitor["custom"] is True and competitor["keyPrefix"] == "a01"
    assert (reference["type"], reference["referenceTo"], reference["relationshipName"]) == (
        "reference", ["Account"], "Account__r")


def test_a_field_added_now_is_described_queried_and_bulk_exported_without_touching_systemmodstamp(
        sandbox: Sandbox, sf: Salesforce) -> None:
    accounts = sandbox.world.accounts
    stamps = [a["SystemModstamp"] for a in accounts]
    org = salesforce_org(sandbox.state)
    org.add_field(sandbox.state, "Account", "Tier__c", "int", {accounts[0]["Id"]: 1, accounts[1]["Id"]: 3})
    try:
        types = {f["name"]: f["type"] for f in sf.Account.describe()["fields"]}
        rows = sf.query_all("SELECT Id, Tier__c FROM Account ORDER BY Id")["records"]

        assert types["Tier__c"] == "int"
        tiers = {r["Id"]: r["Tier__c"] for r in rows}
        assert (tiers[accounts[0]["Id"]], tiers[accounts[1]["Id"]], tiers[accounts[2]["Id"]]) == (1, 3, None)
        assert [a["SystemModstamp"] for a in accounts] == stamps
        exported = "".join(sf.bulk2.Account.query_all("SELECT Id, Tier__c FROM Account"))
        assert f'"{accounts[0]["Id"]}","1"' in exported and f'"{accounts[2]["Id"]}",""' in exported
        with pytest.raises(ValueError, match="__c"):
            org.add_field(sandbox.state, "Account", "Tier", "int", {})
    finally:
        org.added.clear()
        for account in accounts:
            account.pop("Tier__c")


def test_describe_types_follow_the_standard_objects() -> None:
    assert [field_type(n) for n in ("AnnualRevenue", "WhoId", "CloseDate", "CompletedDateTime", "IsWon", "Email",
                                    "Probability", "NumberOfEmployees", "Name")] == [
        "currency", "reference", "date", "datetime", "boolean", "email", "percent", "int", "string"]


def test_a_hidden_field_leaves_describe_and_soql_that_names_it_fails(sandbox: Sandbox, sf: Salesforce) -> None:
    org = salesforce_org(sandbox.state)
    org.hide_field("Lead", "Industry")
    try:
        names = [f["name"] for f in sf.Lead.describe()["fields"]]
        with pytest.raises(SalesforceMalformedRequest) as failure:
            sf.query("SELECT Id, Industry FROM Lead")
    finally:
        org.hidden.clear()
    assert "Industry" not in names and "Company" in names
    assert cast(list[dict[str, str]], failure.value.content)[0]["errorCode"] == "INVALID_FIELD"


def test_describe_of_an_unknown_object_is_not_found(sandbox: Sandbox) -> None:
    reply = call(sandbox, "GET", "sobjects/Widget/describe/")
    assert reply.status_code == 404 and reply.json()[0]["errorCode"] == "NOT_FOUND"


def test_count_answers_only_the_total(sandbox: Sandbox, sf: Salesforce) -> None:
    result = sf.query("SELECT COUNT() FROM Opportunity WHERE IsClosed = true")

    closed = [o for o in sandbox.world.opportunities if o["IsClosed"] and not o["IsDeleted"]]
    assert result == {"totalSize": len(closed), "done": True, "records": []}
