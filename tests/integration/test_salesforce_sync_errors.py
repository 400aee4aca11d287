"""salesforce-sync when Salesforce refuses: quota, server errors, expired sessions, missing fields, bad input."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.salesforce_harness import EXPIRED, LIMIT_EXCEEDED, QUERY_ALL, TABLES, TOKEN, Harness

DESCRIBE = "/services/data/v59.0/sobjects/{}/describe"


@pytest.fixture
def sf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    with Harness.start(tmp_path, monkeypatch) as harness:
        yield harness


def test_given_request_limit_exceeded_on_one_object_then_run_is_partial_and_its_cursor_stays(sf: Harness) -> None:
    sf.sync(sync_type="full")
    cursors = {name: sf.cursor(name) for name in ("Account", "Opportunity")}
    later = sf.latest_stamp("Opportunity") + dt.timedelta(hours=1)
    account = sf.change("Account", 4, later, Industry="Aerospace")
    opportunity = sf.change("Opportunity", 4, later, StageName="Negotiation/Review")
    sf.configure(http_max_retries=2)
    sf.sandbox.faults.add(DESCRIBE.format("Opportunity"), status=403, body=LIMIT_EXCEEDED, times=None)
    sf.sandbox.log.clear()

    status, answer = sf.sync()

    assert status == 200 and answer["status"] == "partial"
    assert list(answer["errors"]) == ["Opportunity"]
    assert "REQUEST_LIMIT_EXCEEDED (HTTP 403): TotalRequests Limit exceeded." in answer["errors"]["Opportunity"]
    assert [r.status for r in sf.sandbox.log.matching(path_prefix=DESCRIBE.format("Opportunity"))] == [403] * 3
    assert sf.row("Account", account["Id"])["industry"] == "Aerospace"
    assert sf.cursor("Account") != cursors["Account"]
    assert sf.cursor("Opportunity") == cursors["Opportunity"]
    assert sf.row("Opportunity", opportunity["Id"])["stage_name"] != "Negotiation/Review"
    assert answer["counts"]["sf_accounts"] == 1 and answer["counts"]["sf_opportunities"] == 0
    scopes = sf.query("select scope, status from etl_run_scopes where run_id = @r order by scope",
                      {"r": answer["run_id"]})
    assert {s["scope"]: s["status"] for s in scopes}["Opportunity"] == "failed"

    sf.sandbox.faults.clear()
    assert sf.sync()[1]["status"] == "success"
    assert sf.row("Opportunity", opportunity["Id"])["stage_name"] == "Negotiation/Review"


def test_given_server_errors_mid_stream_then_committed_batches_stay_and_the_next_run_resumes(sf: Harness) -> None:
    sf.configure(salesforce_batch_size=200, http_max_retries=1)
    sf.sandbox.faults.add(QUERY_ALL + "01g", status=500, retry_after=None, times=None)

    status, answer = sf.sync(object_type="Task", sync_type="full")

    assert status == 500 and answer["status"] == "failed" and "HTTP 500" in answer["errors"]["Task"]
    loaded = sf.rows("Task")
    first_page = sorted(sf.world.tasks, key=lambda t: (t["SystemModstamp"], t["Id"].casefold()))[:200]
    assert {r["task_id"] for r in loaded} == {t["Id"] for t in first_page}
    high = max(t["SystemModstamp"] for t in first_page)
    assert sf.cursor("Task") == high.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    sf.sandbox.faults.clear()
    sf.sandbox.log.clear()
    status, answer = sf.sync(object_type="Task")

    assert status == 200 and len(sf.rows("Task")) == len(sf.world.tasks)
    at, after = high.strftime("%Y-%m-%dT%H:%M:%SZ"), first_page[-1]["Id"]
    assert sf.soql_sent("Task")[0].endswith(f" FROM Task WHERE SystemModstamp > {at} OR (SystemModstamp = {at} "
                                            f"AND Id > '{after}') ORDER BY SystemModstamp ASC, Id ASC")
    assert sf.cursor("Task") == max(t["SystemModstamp"] for t in sf.world.tasks).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_given_an_expired_session_when_synced_then_it_reauthenticates_once_and_succeeds(sf: Harness) -> None:
    assert sf.sync(object_type="User")[1]["status"] == "success"
    sf.org.expire_sessions()
    sf.sandbox.log.clear()

    status, answer = sf.sync(object_type="User", sync_type="full")

    assert status == 200 and answer["status"] == "success"
    statuses = [(r.path.split("/")[-1] or r.path.split("/")[-2], r.status) for r in sf.sandbox.log.all()]
    assert statuses[:3] == [("describe", 401), ("token", 200), ("describe", 200)]
    assert sf.sandbox.log.count(path_prefix=TOKEN) == 1


def test_given_a_session_that_stays_invalid_then_the_object_fails_after_one_reauthentication(sf: Harness) -> None:
    sf.sandbox.faults.add(DESCRIBE.format("Lead"), status=401, body=EXPIRED, times=None)

    status, answer = sf.sync(object_type="Lead")

    assert status == 500 and "INVALID_SESSION_ID (HTTP 401)" in answer["errors"]["Lead"]
    assert sf.sandbox.log.count(path_prefix=TOKEN) == 2
    assert sf.sandbox.log.count(path_prefix=DESCRIBE.format("Lead")) == 2


def test_given_a_field_the_org_lacks_then_it_is_skipped_with_a_warning(
        sf: Harness, caplog: pytest.LogCaptureFixture) -> None:
    sf.sync(object_type="Contact", sync_type="full")
    titled = sf.world.contacts[0]
    sf.org.hide_field("Contact", "Title")
    sf.org.hide_field("Contact", "Phone")
    later = sf.latest_stamp("Contact") + dt.timedelta(minutes=1)
    renamed = sf.change("Contact", 1, later, LastName="Okafor-Smith")
    sf.sandbox.log.clear()

    with caplog.at_level(logging.WARNING):
        status, answer = sf.sync(object_type="Contact")

    assert status == 200 and answer["status"] == "success"
    assert answer["counts"] == {table: 0 for table, _ in TABLES.values()} | {
        "sf_custom_objects": 0, "sf_records_skipped": 0, "sf_contacts": 1}
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "Title, Phone" in r.getMessage()]
    assert len(warnings) == 1 and "Contact" in warnings[0].getMessage()
    assert all("Title" not in q and "Phone" not in q for q in sf.soql_sent("Contact"))
    row = sf.row("Contact", renamed["Id"])
    assert row["last_name"] == "Okafor-Smith" and row["title"] == renamed["Title"]
    assert sf.row("Contact", titled["Id"])["title"] == titled["Title"]


def test_given_the_org_hides_system_modstamp_then_the_object_fails_clearly(sf: Harness) -> None:
    sf.org.hidden["Event"] = {"SystemModstamp"}

    status, answer = sf.sync(object_type="Event")

    assert status == 500 and "has no SystemModstamp field" in answer["errors"]["Event"]


def test_given_wrong_client_credentials_then_every_object_fails_with_the_oauth_error(sf: Harness) -> None:
    sf.configure(salesforce_client_secret="not-the-secret")

    status, answer = sf.sync(object_type="all")

    assert status == 500 and answer["status"] == "failed" and len(answer["errors"]) == 10
    assert all("invalid_client (HTTP 400): invalid client credentials" in e for e in answer["errors"].values())


@pytest.mark.parametrize(("body", "field", "mentions"), [
    ({"object_type": "Widget"}, "object_type", ["'Account'", "'EmailMessage'", "'all'"]),
    ({"object_type": "account"}, "object_type", ["'Account'"]),
    ({"sync_type": "delta"}, "sync_type", ["'incremental'", "'full'"]),
    ({"sync_type": 1}, "sync_type", ["'incremental'"]),
    ({"objects": ["Account"]}, "objects", ["unknown field"]),
])
def test_given_a_bad_body_then_400_names_the_field_and_allowed_values(
        sf: Harness, body: dict[str, Any], field: str, mentions: list[str]) -> None:
    sf.sync(object_type="User")
    sf.sandbox.log.clear()

    status, answer = sf.sync(**body)

    assert status == 400 and answer["field"] == field
    assert all(text in answer["error"] for text in mentions)
    assert sf.sandbox.log.count() == 0
    assert sf.query("select count(*) as n from etl_runs")[0]["n"] == 1


def test_given_a_listed_record_without_id_then_it_is_skipped_counted_and_the_page_is_kept(
        sf: Harness, caplog: pytest.LogCaptureFixture) -> None:
    """A record with no Id has no row to key: the batch used to fail on the NOT NULL key and lose its page."""
    lost = sf.world.records("Contact")[3]["Id"]

    def drop_id(body: bytes) -> bytes:
        page = json.loads(body)
        for record in page.get("records", []) if isinstance(page, dict) else []:
            if record.get("Id") == lost:
                record.pop("Id")
        return json.dumps(page).encode()

    sf.sandbox.faults.add("/services/data/", status=None, times=None, method="GET", rewrite=drop_id)
    with caplog.at_level(logging.WARNING):
        status, answer = sf.sync(object_type="Contact", sync_type="full")

    assert status == 200 and answer["status"] == "success", answer
    assert answer["counts"]["sf_records_skipped"] == 1
    stored = {r["contact_id"] for r in sf.rows("Contact")}
    assert stored == {r["Id"] for r in sf.world.records("Contact")} - {lost}
    assert [r.getMessage() for r in caplog.records if "without Id" in r.getMessage()] == [
        "skipped a record without Id: 1 Contact record(s) of a page"]
