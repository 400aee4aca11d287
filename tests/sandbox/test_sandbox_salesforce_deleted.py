"""The Salesforce fake's hard deletes and its getDeleted resource, driven by simple-salesforce over TLS."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError, SalesforceMalformedRequest

from sandbox import Sandbox
from sandbox.apis.salesforce_org import SalesforceOrg, salesforce_org
from sandbox.world import World, build_world

ANCHOR = datetime(2025, 6, 2, tzinfo=UTC)
NOW = datetime(2025, 6, 10, 12, 0, 30, tzinfo=UTC)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(build_world(seed=5, scale=1, anchor=ANCHOR)) as running:
        salesforce_org(running.state).clock = lambda: NOW
        yield running


@pytest.fixture
def sf(sandbox: Sandbox) -> Salesforce:
    return Salesforce(instance_url=sandbox.https_url, session_id="fake-session-token", session=sandbox.session())


def org(sandbox: Sandbox) -> SalesforceOrg:
    return salesforce_org(sandbox.state)


def code(failure: SalesforceError) -> str:
    return str(cast(list[dict[str, Any]], failure.content)[0]["errorCode"])


def test_a_hard_deleted_record_leaves_query_query_all_and_bulk(sandbox: Sandbox, sf: Salesforce) -> None:
    gone = sandbox.world.contacts[2]["Id"]

    org(sandbox).hard_delete(sandbox.state, "Contact", gone)

    assert gone not in {r["Id"] for r in sf.query_all("SELECT Id FROM Contact", include_deleted=True)["records"]}
    assert gone not in {r["Id"] for r in sf.query_all("SELECT Id FROM Contact")["records"]}
    csv_sets = list(sf.bulk2.Contact.query_all("SELECT Id FROM Contact", max_records=10_000))
    assert gone not in "".join(csv_sets)


def test_get_deleted_lists_hard_and_soft_deletes_of_the_window_with_their_dates(sandbox: Sandbox,
                                                                                sf: Salesforce) -> None:
    hard = org(sandbox).hard_delete(sandbox.state, "Lead", sandbox.world.leads[0]["Id"], NOW - timedelta(hours=2))
    org(sandbox).hard_delete(sandbox.state, "Lead", sandbox.world.leads[0]["Id"], NOW - timedelta(days=3))
    with sandbox.state.lock:
        soft = World.delete(sandbox.world.leads[1], NOW - timedelta(hours=1))

    reply = sf.Lead.deleted(NOW - timedelta(days=1), NOW)

    assert reply == {
        "deletedRecords": [{"id": hard.record_id, "deletedDate": "2025-06-10T10:00:30.000+0000"},
                           {"id": soft["Id"], "deletedDate": "2025-06-10T11:00:30.000+0000"}],
        "earliestDateAvailable": "2025-05-26T12:00:00.000+0000", "latestDateCovered": "2025-06-10T12:00:00.000+0000"}
    [request] = sandbox.log.matching(path_prefix="/services/data/v59.0/sobjects/Lead/deleted/")
    assert request.param("start") == "2025-06-09T12:00:30+00:00" and request.param("end") == "2025-06-10T12:00:30+00:00"


def test_get_deleted_reaches_back_no_further_than_its_retention_or_the_last_purge(sandbox: Sandbox,
                                                                                   sf: Salesforce) -> None:
    old = org(sandbox).hard_delete(sandbox.state, "Task", sandbox.world.tasks[0]["Id"], NOW - timedelta(days=20))
    assert sf.Task.deleted(NOW - timedelta(days=25), NOW)["deletedRecords"] == []
    assert old.record_id not in str(sf.Task.deleted(NOW - timedelta(days=25), NOW))

    org(sandbox).hard_delete(sandbox.state, "Task", sandbox.world.tasks[0]["Id"], NOW - timedelta(hours=3))
    org(sandbox).purge_delete_log()

    reply = sf.Task.deleted(NOW - timedelta(days=1), NOW)
    assert reply["deletedRecords"] == [] and reply["earliestDateAvailable"] == "2025-06-10T12:00:00.000+0000"


@pytest.mark.parametrize(("start", "end", "expected"), [
    (NOW - timedelta(days=31), NOW, "INVALID_REPLICATION_DATE"),
    (NOW - timedelta(seconds=20), NOW, "INVALID_REPLICATION_DATE"),
    (NOW, NOW - timedelta(hours=1), "INVALID_REPLICATION_DATE"),
])
def test_get_deleted_refuses_windows_salesforce_refuses(sf: Salesforce, start: datetime, end: datetime,
                                                        expected: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.Account.deleted(start, end)
    assert failure.value.status == 400 and code(failure.value) == expected


def test_get_deleted_needs_the_offset_plus_encoded_and_refuses_user(sandbox: Sandbox) -> None:
    session = sandbox.session()
    headers = {"Authorization": "Bearer fake-session-token"}
    base = sandbox.https_url + "/services/data/v59.0/sobjects"

    raw_plus = session.get(f"{base}/Account/deleted/?start=2025-06-10T00:00:00+00:00&end=2025-06-10T12:00:00+00:00",
                           headers=headers)
    user = session.get(f"{base}/User/deleted/?start=2025-06-10T00:00:00%2B00:00&end=2025-06-10T12:00:00%2B00:00",
                       headers=headers)

    assert raw_plus.status_code == 400 and raw_plus.json()[0]["errorCode"] == "MALFORMED_QUERY"
    assert user.status_code == 400 and user.json()[0]["errorCode"] == "INVALID_TYPE"


def test_user_has_no_is_deleted_and_refuses_it_in_soql(sandbox: Sandbox, sf: Salesforce) -> None:
    fields = {f["name"] for f in sf.User.describe()["fields"]}

    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.query("SELECT Id, IsDeleted FROM User")

    assert "IsDeleted" not in fields and "OwnerId" not in fields and {"IsActive", "SystemModstamp"} <= fields
    assert code(failure.value) == "INVALID_FIELD"
    with pytest.raises(ValueError, match="users are deactivated"):
        org(sandbox).hard_delete(sandbox.state, "User", sandbox.world.users[0]["Id"])


@pytest.mark.parametrize("object_type", ["Account", "Contact", "Lead", "Opportunity", "Task", "Event"])
def test_owned_objects_have_owner_id_and_every_deletable_one_is_deleted(sf: Salesforce, object_type: str) -> None:
    fields = {f["name"] for f in getattr(sf, object_type).describe()["fields"]}
    assert {"OwnerId", "IsDeleted", "CreatedById", "LastModifiedById"} <= fields


def test_email_message_has_is_deleted_but_no_owner_id(sf: Salesforce) -> None:
    fields = {f["name"] for f in sf.EmailMessage.describe()["fields"]}
    assert "IsDeleted" in fields and "OwnerId" not in fields
