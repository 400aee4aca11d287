"""The Salesforce fake, driven by the real simple-salesforce client over TLS."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession, SalesforceMalformedRequest

from sandbox import Sandbox
from sandbox.apis.salesforce_org import salesforce_org
from sandbox.world import World, build_world

ANCHOR = datetime(2025, 6, 2, tzinfo=UTC)
SMALL_BATCH = {"Sforce-Query-Options": "batchSize=200"}
SF_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000\+0000$")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(build_world(seed=7, scale=6, anchor=ANCHOR)) as running:
        yield running


def errors(failure: SalesforceError) -> list[dict[str, str]]:
    """The JSON error array Salesforce answered (simple-salesforce types `content` loosely)."""
    return cast(list[dict[str, str]], failure.content)


@pytest.fixture
def sf(sandbox: Sandbox) -> Salesforce:
    sandbox.log.clear()
    return Salesforce(instance_url=sandbox.https_url, session_id="fake-session-token",
                      session=sandbox.session())


def test_query_pages_through_every_account_by_next_records_url(sandbox: Sandbox, sf: Salesforce) -> None:
    first = sf.query("SELECT Id, Name FROM Account ORDER BY SystemModstamp", headers=SMALL_BATCH)

    assert first["totalSize"] == 240 and first["done"] is False and len(first["records"]) == 200
    assert re.fullmatch(r"/services/data/v59\.0/query/\w{18}-200", first["nextRecordsUrl"])
    second = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert second["done"] is True and "nextRecordsUrl" not in second and len(second["records"]) == 40
    ids = [r["Id"] for r in first["records"] + second["records"]]
    assert ids == [a["Id"] for a in sorted(sandbox.world.accounts, key=lambda a: a["SystemModstamp"])]


def test_query_all_collects_every_page(sandbox: Sandbox, sf: Salesforce) -> None:
    result = sf.query_all("SELECT Id, AccountId, Email FROM Contact", headers=SMALL_BATCH)

    live = [c for c in sandbox.world.contacts if not c["IsDeleted"]]  # the world holds some deleted by design
    assert len(sandbox.world.contacts) == 960 and result["totalSize"] == len(live) == 960 - 6 * 12
    assert {r["Id"] for r in result["records"]} == {c["Id"] for c in live}
    assert sandbox.log.count(path_prefix="/services/data/v59.0/query/") == 5
    assert sf.api_usage["api-usage"].total == 15000


def test_records_are_shaped_like_the_rest_api(sandbox: Sandbox, sf: Salesforce) -> None:
    fields = ["Id", "Name", "Website", "ParentId", "AnnualRevenue", "LastActivityDate", "SystemModstamp",
              "IsDeleted"]
    text = f"SELECT {', '.join(fields)}, Owner.Name FROM Account WHERE ParentId = null LIMIT 1"
    record = sf.query(text)["records"][0]
    account = sandbox.world.find("Account", record["Id"])
    owner = sandbox.world.find("User", account["OwnerId"]) if account else None

    assert list(record) == ["attributes", *fields, "Owner"]
    assert record["attributes"] == {"type": "Account",
                                    "url": f"/services/data/v59.0/sobjects/Account/{record['Id']}"}
    assert record["ParentId"] is None and record["IsDeleted"] is False
    assert SF_DATETIME.match(record["SystemModstamp"])
    assert owner and record["Owner"]["attributes"]["type"] == "User"
    assert record["Owner"]["Name"] == owner["Name"]


def test_incremental_where_on_system_modstamp_sees_touched_records(sandbox: Sandbox, sf: Salesforce) -> None:
    world: World = sandbox.world
    now = ANCHOR + timedelta(hours=2)
    with sandbox.state.lock:
        touched = World.touch(world.opportunities[7], now)

    result = sf.query(f"SELECT Id, SystemModstamp FROM Opportunity WHERE SystemModstamp > "
                      f"{(ANCHOR + timedelta(hours=1)):%Y-%m-%dT%H:%M:%SZ} ORDER BY SystemModstamp")

    assert [r["Id"] for r in result["records"]] == [touched["Id"]]
    assert result["records"][0]["SystemModstamp"] == "2025-06-02T02:00:00.000+0000"


def test_deleted_records_only_show_in_query_all(sandbox: Sandbox, sf: Salesforce) -> None:
    world: World = sandbox.world
    with sandbox.state.lock:
        gone = World.delete(world.leads[3], ANCHOR + timedelta(hours=3))
    text = "SELECT Id, IsDeleted FROM Lead WHERE IsDeleted = true"

    assert sf.query(text)["records"] == []
    with_deleted = sf.query(text, include_deleted=True)["records"]
    assert [(r["Id"], r["IsDeleted"]) for r in with_deleted] == [(gone["Id"], True)]
    assert sf.query("SELECT Id FROM Lead")["totalSize"] == len(world.leads) - 1
    assert sandbox.log.all()[1].path == "/services/data/v59.0/queryAll/"


def test_a_missing_or_empty_token_is_an_expired_session(sandbox: Sandbox) -> None:
    anonymous = Salesforce(instance_url=sandbox.https_url, session_id=" ", session=sandbox.session())

    with pytest.raises(SalesforceExpiredSession) as failure:
        anonymous.query("SELECT Id FROM Account")
    expired = {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    assert errors(failure.value) == [expired]
    assert sandbox.log.all()[-1].status == 401


@pytest.mark.parametrize("text, code", [
    ("SELECT Id FRM Account", "MALFORMED_QUERY"),
    ("SELECT Bogus__c FROM Account", "INVALID_FIELD"),
    ("SELECT Id FROM Widget", "INVALID_TYPE"),
])
def test_bad_soql_is_a_400_with_the_salesforce_error_code(sf: Salesforce, text: str, code: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.query(text)
    assert failure.value.status == 400 and errors(failure.value)[0]["errorCode"] == code


def test_an_unknown_query_locator_is_refused(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.query_more("/services/data/v59.0/query/01gSB9999999999AAQ-200", identifier_is_url=True)
    assert errors(failure.value)[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_every_reply_counts_api_usage(sandbox: Sandbox, sf: Salesforce) -> None:
    sf.query("SELECT Id FROM User")
    before = sf.api_usage["api-usage"].used
    sf.query("SELECT Id FROM User")

    assert sf.api_usage["api-usage"].used == before + 1
    assert all(r.header("Authorization") == "Bearer fake-session-token" for r in sandbox.log.all())


@pytest.mark.parametrize("object_type", ["Account", "Contact", "Lead", "Opportunity", "Task", "Event",
                                         "EmailMessage", "User"])
def test_every_synced_object_is_queryable(sandbox: Sandbox, sf: Salesforce, object_type: str) -> None:
    result = sf.query_all(f"SELECT Id, CreatedDate, SystemModstamp FROM {object_type}")

    live = [r for r in sandbox.world.records(object_type) if not r.get("IsDeleted")]
    assert result["totalSize"] == len(live) > 0


LOCATION = ("HQ_Location__Latitude__s", "HQ_Location__Longitude__s")


def test_describe_lists_the_geolocation_compound_right_before_its_components(sf: Salesforce) -> None:
    fields = sf.Account.describe()["fields"]

    names = [f["name"] for f in fields]
    at = names.index("HQ_Location__c")
    assert names[at:at + 3] == ["HQ_Location__c", *LOCATION] and names[at - 1] == "Strategic__c"
    compound, *parts = fields[at:at + 3]
    assert (compound["type"], compound["soapType"], compound["custom"], compound["compoundFieldName"]) == (
        "location", "urn:location", True, None)
    assert [(f["type"], f["custom"], f["compoundFieldName"]) for f in parts] == [("double", True, "HQ_Location__c")] * 2
    assert [f["label"] for f in parts] == ["HQ Location (Latitude)", "HQ Location (Longitude)"]
    assert {f["compoundFieldName"] for f in fields if f["name"] not in LOCATION} == {None}


def test_geolocation_components_are_queried_and_bulk_exported_as_the_world_holds_them(
        sandbox: Sandbox, sf: Salesforce) -> None:
    text = f"SELECT Id, {', '.join(LOCATION)} FROM Account"
    held = {a["Id"]: tuple(a[n] for n in LOCATION) for a in sandbox.world.accounts if not a["IsDeleted"]}

    rows = sf.query_all(text)["records"]
    exported = [row for part in sf.bulk2.Account.query(text, wait=0) for row in csv.DictReader(io.StringIO(part))]

    assert {r["Id"]: tuple(r[n] for n in LOCATION) for r in rows} == held
    assert {r["Id"]: tuple(r[n] for n in LOCATION) for r in exported} == {
        record_id: tuple("" if v is None else str(v) for v in pair) for record_id, pair in held.items()}
    located = [pair for pair in held.values() if pair != (None, None)]
    assert 0.45 < len(located) / len(held) < 0.75
    assert all(-60 <= lat <= 70 and -170 <= lon <= 170 for lat, lon in located)


def test_hiding_the_compound_hides_its_components(sandbox: Sandbox, sf: Salesforce) -> None:
    org = salesforce_org(sandbox.state)
    org.hide_field("Account", "HQ_Location__c")
    try:
        names = [f["name"] for f in sf.Account.describe()["fields"]]
        with pytest.raises(SalesforceMalformedRequest) as failure:
            sf.query(f"SELECT Id, {LOCATION[0]} FROM Account")
    finally:
        org.hidden.clear()
    assert not {"HQ_Location__c", *LOCATION} & set(names) and "Strategic__c" in names
    assert errors(failure.value)[0]["errorCode"] == "INVALID_FIELD"


def test_a_changed_field_type_shows_in_describe_at_once_and_leaves_the_records_alone(
        sandbox: Sandbox, sf: Salesforce) -> None:
    world: World = sandbox.world
    org = salesforce_org(sandbox.state)
    before = [(o["Seats__c"], o["SystemModstamp"]) for o in world.opportunities]
    org.add_field(sandbox.state, "Account", "Tier__c", "int", {world.accounts[0]["Id"]: 2})
    try:
        org.change_field_type("Opportunity", "Seats__c", "string")
        org.change_field_type("Account", "Tier__c", "double")
        seats = next(f for f in sf.Opportunity.describe()["fields"] if f["name"] == "Seats__c")
        tier = next(f for f in sf.Account.describe()["fields"] if f["name"] == "Tier__c")

        assert (seats["type"], seats["soapType"], tier["type"]) == ("string", "xsd:string", "double")
        assert [(o["Seats__c"], o["SystemModstamp"]) for o in world.opportunities] == before
        assert world.accounts[0]["Tier__c"] == 2
    finally:
        org.retyped.clear()
        org.added.clear()
        for account in world.accounts:
            account.pop("Tier__c")
    seats = next(f for f in sf.Opportunity.describe()["fields"] if f["name"] == "Seats__c")
    assert seats["type"] == "double"


def test_only_a_custom_field_the_object_has_can_be_retyped(sandbox: Sandbox) -> None:
    org = salesforce_org(sandbox.state)

    with pytest.raises(ValueError, match="__c"):
        org.change_field_type("Account", "Name", "textarea")
    with pytest.raises(KeyError, match="Nope__c"):
        org.change_field_type("Account", "Nope__c", "string")
    assert org.retyped == {}
