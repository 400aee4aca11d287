"""The Salesforce fake, driven by the real simple-salesforce client over TLS."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession, SalesforceMalformedRequest

from sandbox import Sandbox
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
