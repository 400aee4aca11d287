"""salesforce-sync's delete tracking: records deleted for good (gone from queryAll) are flagged by the full-sync
reconciliation and, between full syncs, by getDeleted; User is never deleted and never asks for IsDeleted."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.salesforce_harness import NOW, Harness


@pytest.fixture
def sf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    with Harness.start(tmp_path, monkeypatch) as harness:
        yield harness


def ok(sf: Harness, **body: Any) -> dict[str, Any]:
    status, answer = sf.sync(**body)
    assert (status, answer["status"], answer["errors"]) == (200, "success", {}), answer
    return answer


def deleted_rows(sf: Harness, table: str, key: str) -> dict[str, dt.datetime | None]:
    return {r[key]: r["deleted_at"] for r in sf.query(f"select {key}, deleted_at from {table} where is_deleted")}


def deleted_by_design(sf: Harness) -> dict[str, dt.datetime | None]:
    """The contacts the world holds deleted from the start (identity case `deleted_contact`), at their delete."""
    return {i: sf.world.find("Contact", i)["SystemModstamp"] for i in sf.world.cases["deleted_contact"]}  # type: ignore[index]


def deletes_checkpoint(sf: Harness, object_type: str) -> dict[str, str]:
    found = sf.query("select cursor_value from sync_state where job = 'salesforce-sync' and scope = @s",
                     {"s": object_type + "#deleted"})
    return json.loads(found[0]["cursor_value"]) if found else {}


def test_given_a_record_hard_deleted_between_two_full_syncs_then_it_ends_flagged_with_a_time(sf: Harness) -> None:
    ok(sf, sync_type="full")
    gone = sf.hard_delete("Contact", 3)
    second_at = sf.advance(hours=2)

    answer = ok(sf, sync_type="full")

    assert deleted_rows(sf, "sf_contacts", "contact_id") == {gone: second_at} | deleted_by_design(sf)
    assert answer["counts"]["sf_contacts"] == 1 and sf.row("Contact", gone)["_run_id"] == answer["run_id"]
    assert len(sf.rows("Contact")) == len(sf.world.contacts) + 1
    assert sf.query("select count(*) as n from sf_listing_seen")[0]["n"] == 0
    assert ok(sf, sync_type="full")["counts"]["sf_contacts"] == 0


def test_given_a_full_sync_split_over_invocations_then_only_the_records_gone_are_flagged(sf: Harness) -> None:
    ok(sf, sync_type="full")
    sf.configure(time_budget_seconds=0, salesforce_batch_size=200)
    assert len(sf.world.tasks) > 200
    gone = sf.hard_delete("Task", len(sf.world.tasks) - 1)

    answers = [sf.sync(sync_type="full", object_type="Task")]
    while answers[-1][1]["pending"]:
        assert len(answers) < 10
        sf.advance(minutes=10)
        answers.append(sf.sync(object_type="Task"))

    assert len(answers) > 1 and all(a["status"] == "success" for _, a in answers)
    assert deleted_rows(sf, "sf_tasks", "task_id") == {gone: sf.now}
    assert sum(a["counts"]["sf_tasks"] for _, a in answers) == 1


def test_given_a_bulk_full_sync_then_a_record_gone_since_the_last_is_flagged(sf: Harness) -> None:
    sf.configure(salesforce_bulk_threshold=100, salesforce_batch_size=200)
    ok(sf, sync_type="full", object_type="Task")
    gone = sf.hard_delete("Task", 7)
    sf.advance(hours=1)

    ok(sf, sync_type="full", object_type="Task")

    assert deleted_rows(sf, "sf_tasks", "task_id") == {gone: sf.now}


def test_given_a_record_hard_deleted_between_two_incremental_runs_then_get_deleted_flags_it(sf: Harness) -> None:
    ok(sf, sync_type="full", object_type="Contact")
    first_at = sf.advance(hours=1)
    ok(sf, object_type="Contact")
    deleted_at = sf.advance(minutes=20)
    gone = sf.hard_delete("Contact", 9)
    second_at = sf.advance(minutes=25, seconds=40)

    answer = ok(sf, object_type="Contact")

    assert deleted_rows(sf, "sf_contacts", "contact_id") == {gone: deleted_at} | deleted_by_design(sf)
    assert answer["counts"]["sf_contacts"] == 1
    assert sf.get_deleted_sent() == [
        ("Contact", "2026-05-05T00:00:00+00:00", "2026-05-05T01:00:00+00:00"),
        ("Contact", "2026-05-05T01:00:00+00:00", "2026-05-05T01:45:40+00:00"),
    ]
    assert (first_at, second_at) == (NOW + dt.timedelta(hours=1), NOW + dt.timedelta(minutes=105, seconds=40))
    assert deletes_checkpoint(sf, "Contact") == {"covered": "2026-05-05T01:45:00.000Z"}


def test_given_an_incremental_run_of_every_object_then_one_get_deleted_each_and_none_for_user(sf: Harness) -> None:
    ok(sf, sync_type="full")
    sf.advance(hours=1)
    sf.sandbox.log.clear()

    ok(sf)
    ok(sf)

    sent = sf.get_deleted_sent()
    assert sorted(name for name, _, _ in sent) == ["Account", "Contact", "EmailMessage", "Event", "Lead",
                                                   "Opportunity", "Task"]
    assert {(start, end) for _, start, end in sent} == {("2026-05-05T00:00:00+00:00", "2026-05-05T01:00:00+00:00")}


def test_given_user_then_it_is_synced_without_is_deleted_and_kept_live(sf: Harness) -> None:
    answer = ok(sf, object_type="User")

    [soql] = [text for text in sf.soql_sent("User") if "COUNT()" not in text]
    assert "IsDeleted" not in soql and answer["counts"]["sf_users"] == len(sf.world.users)
    assert {(r["is_deleted"], r["deleted_at"]) for r in sf.rows("User")} == {(False, None)}
    assert sf.get_deleted_sent() == []


def test_given_deletes_older_than_get_deleted_holds_then_the_object_fails_until_a_full_sync(sf: Harness) -> None:
    ok(sf, sync_type="full", object_type="Lead")
    sf.advance(days=2)
    sf.org.purge_delete_log()
    sf.advance(hours=1)

    status, answer = sf.sync()
    again = sf.sync(object_type="Lead")

    assert (status, answer["status"]) == (200, "partial") and list(answer["errors"]) == ["Lead"]
    assert "DeletesNotCovered" in answer["errors"]["Lead"] and "sync_type=full" in answer["errors"]["Lead"]
    assert again[1]["status"] == "failed" and "2026-05-05T00:00:00.000Z" in again[1]["errors"]["Lead"]
    assert deletes_checkpoint(sf, "Lead") == {"covered": "2026-05-07T01:00:00.000Z",
                                              "gap": "2026-05-05T00:00:00.000Z"}
    ok(sf, sync_type="full", object_type="Lead")
    assert deletes_checkpoint(sf, "Lead") == {"covered": "2026-05-07T01:00:00.000Z"}
    sf.advance(hours=1)
    ok(sf, object_type="Lead")


def test_given_no_run_for_longer_than_get_deleted_reaches_then_it_asks_30_days_at_most_and_flags_the_gap(
        sf: Harness) -> None:
    ok(sf, sync_type="full", object_type="Opportunity")
    sf.advance(days=45)

    status, answer = sf.sync(object_type="Opportunity")

    assert status == 500 and "DeletesNotCovered" in answer["errors"]["Opportunity"]
    [(_, start, end)] = sf.get_deleted_sent()
    assert (dt.datetime.fromisoformat(str(end)) - dt.datetime.fromisoformat(str(start))) < dt.timedelta(days=30)
    assert dt.datetime.fromisoformat(str(end)) == sf.now
